"""Every loss in ``lucid.nn.functional`` (and its module form) against PyTorch's.

Values and gradients on the same seeded inputs via :func:`compare`: float64 tight, float32
loose, every reduction, and each option PyTorch has (weights, ignore_index, soft targets,
label smoothing, ``(N, C, d1, ...)`` inputs, pos_weight, beta/delta, log_target, batchmean).
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lucid  # noqa: E402
import lucid.nn as nn  # noqa: E402
import lucid.nn.functional as F  # noqa: E402

from .compare import compare  # noqa: E402

pytestmark = pytest.mark.parity

TF = torch.nn.functional
DTYPES = ["float64", "float32"]
REDUCTIONS = ["mean", "sum", "none"]
RNG = np.random.default_rng(7)
W4 = RNG.uniform(0.5, 2.0, 4)
T5 = np.array([0, 3, 1, -100, 2])  # one ignored entry
T_ND = RNG.integers(0, 4, (2, 3, 5))
T_ND[0, 1, 2] = -100
P5 = RNG.dirichlet(np.ones(4), 5)
P_ND = np.moveaxis(RNG.dirichlet(np.ones(4), (2, 3)), -1, 1)


def _w(dtype: str):
    return lucid.tensor(W4.astype(dtype)), torch.tensor(W4.astype(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("case", ["indices", "indices_nd", "probs", "probs_nd", "unbatched"])
def test_cross_entropy(case, weighted, smoothing, reduction, dtype) -> None:
    """Class indices (with ignore_index) and probabilities, 2-D and (N, C, d1, d2) inputs."""
    shape, target = {"indices": ((5, 4), T5), "indices_nd": ((2, 4, 3, 5), T_ND),
                     "probs": ((5, 4), P5.astype(dtype)),
                     "probs_nd": ((2, 4, 3), P_ND.astype(dtype)),
                     "unbatched": ((4,), np.array(2))}[case]
    wl, wt = _w(dtype) if weighted else (None, None)
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    compare(lambda x, t: F.cross_entropy(x, t, wl, **kw),
            lambda x, t: TF.cross_entropy(x, t, wt, **kw), [shape, target], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore_index", [-100, 1])
def test_nll_loss(ignore_index, weighted, reduction, dtype) -> None:
    """Plain and (N, C, d1, d2) log-probabilities, weights, a custom ignore_index."""
    wl, wt = _w(dtype) if weighted else (None, None)
    kw = dict(ignore_index=ignore_index, reduction=reduction)
    for shape, target in (((5, 4), T5), ((2, 4, 3, 5), T_ND)):
        target = np.where(target == -100, ignore_index, target)
        compare(lambda x, t: F.nll_loss(x.log_softmax(1), t, wl, **kw),
                lambda x, t: TF.nll_loss(x.log_softmax(1), t, wt, **kw), [shape, target],
                dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(weighted, reduction, dtype) -> None:
    """Probabilities from a sigmoid; gradients flow to the input and to the target."""
    w = RNG.uniform(0.5, 2.0, (3, 4)).astype(dtype)
    wl, wt = (lucid.tensor(w), torch.tensor(w)) if weighted else (None, None)
    compare(lambda x, t: F.binary_cross_entropy(x.sigmoid(), t, wl, reduction=reduction),
            lambda x, t: TF.binary_cross_entropy(x.sigmoid(), t, wt, reduction=reduction),
            [(3, 4), RNG.uniform(0, 1, (3, 4)).astype(dtype)], dtype=dtype)


def test_binary_cross_entropy_clamps_log_at_minus_100() -> None:
    """Exact 0 and 1 probabilities give PyTorch's finite values and gradients."""
    p = np.array([0.0, 1.0, 0.5, 0.0])
    t = np.array([1.0, 0.0, 1.0, 0.0])
    # The input gradient near 1e12 (divided by PyTorch's 1e-12 floor) is PyTorch's; the
    # target gradient is not compared: PyTorch's is ±inf there, lucid's that of the clamped
    # logs the value is computed with.
    t_l, t_t = lucid.tensor(t), torch.tensor(t)
    compare(lambda x: F.binary_cross_entropy(x, t_l, reduction="none"),
            lambda x: TF.binary_cross_entropy(x, t_t, reduction="none"), [p], rtol=1e-8)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("pos_weighted", [False, True])
def test_binary_cross_entropy_with_logits(pos_weighted, weighted, reduction, dtype) -> None:
    """Large logits stay finite; weight and per-class pos_weight."""
    w = RNG.uniform(0.5, 2.0, (3, 4)).astype(dtype)
    pw = RNG.uniform(0.5, 3.0, (4,)).astype(dtype)
    wl, wt = (lucid.tensor(w), torch.tensor(w)) if weighted else (None, None)
    pl, pt = (lucid.tensor(pw), torch.tensor(pw)) if pos_weighted else (None, None)
    x = (RNG.standard_normal((3, 4)) * 5).astype(dtype)
    x[0, 0], x[1, 1] = 60.0, -60.0
    compare(lambda a, t: F.binary_cross_entropy_with_logits(a, t, wl, reduction=reduction,
                                                            pos_weight=pl),
            lambda a, t: TF.binary_cross_entropy_with_logits(a, t, wt, reduction=reduction,
                                                             pos_weight=pt),
            [x, RNG.uniform(0, 1, (3, 4)).astype(dtype)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, ours, theirs", [
    ("mse", F.mse_loss, TF.mse_loss),
    ("l1", F.l1_loss, TF.l1_loss),
    ("smooth_l1", F.smooth_l1_loss, TF.smooth_l1_loss),
    ("smooth_l1_beta0.5", lambda a, b, **k: F.smooth_l1_loss(a, b, beta=0.5, **k),
     lambda a, b, **k: TF.smooth_l1_loss(a, b, beta=0.5, **k)),
    ("smooth_l1_beta0", lambda a, b, **k: F.smooth_l1_loss(a, b, beta=0.0, **k),
     lambda a, b, **k: TF.smooth_l1_loss(a, b, beta=0.0, **k)),
    ("huber", F.huber_loss, TF.huber_loss),
    ("huber_delta0.7", lambda a, b, **k: F.huber_loss(a, b, delta=0.7, **k),
     lambda a, b, **k: TF.huber_loss(a, b, delta=0.7, **k)),
])
def test_regression_losses(name, ours, theirs, reduction, dtype) -> None:
    """Differences spanning both sides of beta/delta; gradients to input and target."""
    compare(lambda a, b: ours(a, b, reduction=reduction),
            lambda a, b: theirs(a, b, reduction=reduction), [(4, 5), (4, 5)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_elementwise_weight(name, reduction, dtype) -> None:
    """PyTorch 2.14's per-element weight: gradients reach input, target and weight."""
    kw = dict(reduction=reduction, delta=0.6) if name == "huber_loss" else dict(
        reduction=reduction)
    w = RNG.uniform(0.2, 2.0, (4, 5)).astype(dtype)
    compare(lambda a, b, c: getattr(F, name)(a, b, weight=c, **kw),
            lambda a, b, c: getattr(TF, name)(a, b, weight=c, **kw), [(4, 5), (4, 5), w],
            dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(log_target, reduction, dtype) -> None:
    """Log-probability input against probabilities (some exactly 0) or log-probabilities."""
    target = RNG.dirichlet(np.ones(5), 3)
    if log_target:
        target = np.log(target)
    else:
        target[0, 1] = 0.0
    x = np.log(RNG.dirichlet(np.ones(5), 3)).astype(dtype)
    kw = dict(reduction=reduction, log_target=log_target)
    if log_target:
        compare(lambda a, t: F.kl_div(a, t, **kw), lambda a, t: TF.kl_div(a, t, **kw),
                [x, target.astype(dtype)], dtype=dtype)
    else:  # PyTorch's target gradient is NaN where the target is 0: compare the input's
        t_l, t_t = lucid.tensor(target.astype(dtype)), torch.tensor(target.astype(dtype))
        compare(lambda a: F.kl_div(a, t_l, **kw), lambda a: TF.kl_div(a, t_t, **kw), [x],
                dtype=dtype)


@pytest.mark.parametrize("ours, theirs, inputs", [
    (nn.CrossEntropyLoss(lucid.tensor(W4), ignore_index=1, label_smoothing=0.1),
     torch.nn.CrossEntropyLoss(torch.tensor(W4), ignore_index=1, label_smoothing=0.1),
     [(5, 4), np.where(T5 == -100, 1, T5)]),
    (nn.NLLLoss(reduction="sum"), torch.nn.NLLLoss(reduction="sum"), [(5, 4), np.abs(T5) % 4]),
    (nn.BCELoss(reduction="none"), torch.nn.BCELoss(reduction="none"),
     [RNG.uniform(0.1, 0.9, (3, 2)), RNG.uniform(0, 1, (3, 2))]),
    (nn.BCEWithLogitsLoss(pos_weight=lucid.tensor([2.0, 0.5])),
     torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0, 0.5], dtype=torch.float64)),
     [(3, 2), RNG.uniform(0, 1, (3, 2))]),
    (nn.L1Loss(), torch.nn.L1Loss(), [(3, 2), (3, 2)]),
    (nn.MSELoss(reduction="sum"), torch.nn.MSELoss(reduction="sum"), [(3, 2), (3, 2)]),
    (nn.SmoothL1Loss(beta=0.3), torch.nn.SmoothL1Loss(beta=0.3), [(3, 2), (3, 2)]),
    (nn.HuberLoss("sum", 0.4), torch.nn.HuberLoss("sum", 0.4), [(3, 2), (3, 2)]),
    (nn.KLDivLoss(reduction="batchmean", log_target=True),
     torch.nn.KLDivLoss(reduction="batchmean", log_target=True), [(3, 2), (3, 2)]),
], ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else "")
def test_loss_modules(ours, theirs, inputs) -> None:
    """The module forms pass their options through exactly."""
    compare(ours, theirs, inputs)
    assert ours.reduction == theirs.reduction


def test_mse_loss_mismatched_shapes_raise_where_pytorch_broadcasts() -> None:
    """PyTorch warns and broadcasts (3, 1) against (3,); lucid raises naming both shapes."""
    with pytest.warns(UserWarning):
        TF.mse_loss(torch.zeros(3, 1), torch.zeros(3))
    with pytest.raises(ValueError, match=r"\(3,\).*\(3, 1\)"):
        F.mse_loss(lucid.zeros(3, 1), lucid.zeros(3))
