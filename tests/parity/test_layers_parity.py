"""Layers (module and functional form) against PyTorch: values and gradients.

Functionals go through :func:`compare` (same seeded inputs, float64 tight, float32 loose).
Modules are built in both frameworks, given the same seeded random parameters and buffers
(copied from PyTorch's state dict into lucid's, which checks the names match too), run on the
same input, and compared on the output, the input gradient and every parameter gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lucid  # noqa: E402
import lucid.nn as nn  # noqa: E402
import lucid.nn.functional as F  # noqa: E402

from .compare import TOLERANCES, compare  # noqa: E402

pytestmark = pytest.mark.parity

TF = torch.nn.functional
TNN = torch.nn
DTYPES = ["float64", "float32"]


def _randomize(module: Any, seed: int) -> None:
    """Seeded random floating parameters and buffers (positive where they are variances)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in list(module.named_parameters()) + list(module.named_buffers()):
            if not t.is_floating_point():
                continue
            values = torch.randn(t.shape, generator=gen, dtype=t.dtype)
            if name.endswith("running_var"):
                values = values.abs() + 0.5
            t.copy_(values)


def compare_module(ours: nn.Module, theirs: Any, shapes: list[tuple[int, ...]],
                   dtype: str = "float64", seed: int = 0, train: bool = True,
                   inputs: list[np.ndarray] | None = None, randomize: bool = True,
                   check_buffers: bool = True, rtol: float | None = None,
                   atol: float | None = None) -> None:
    """Assert the two modules agree: outputs, input and parameter gradients, buffers after."""
    base_rtol, base_atol = TOLERANCES[dtype]
    rtol = base_rtol if rtol is None else rtol
    atol = base_atol if atol is None else atol
    theirs = theirs.to(getattr(torch, dtype))
    if randomize:
        _randomize(theirs, seed)
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    ours.to(dtype)
    ours.load_state_dict(state)
    ours.train(train)
    theirs.train(train)
    rng = np.random.default_rng(seed + 1)
    host = inputs if inputs is not None else \
        [rng.standard_normal(s).astype(dtype) for s in shapes]
    wants = [a.dtype.kind == "f" for a in host]
    xs = [lucid.tensor(a, requires_grad=w) for a, w in zip(host, wants, strict=True)]
    ts = [torch.tensor(a, requires_grad=w) for a, w in zip(host, wants, strict=True)]
    got, ref = ours(*xs), theirs(*ts)
    got = got if isinstance(got, tuple) else (got,)
    ref = ref if isinstance(ref, tuple) else (ref,)
    assert len(got) == len(ref)
    loss_o, loss_t = None, None
    for i, (g, r) in enumerate(zip(got, ref, strict=True)):
        assert g.shape == tuple(r.shape), f"output {i}: shape {g.shape} != {tuple(r.shape)}"
        np.testing.assert_allclose(g.numpy(), r.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"output {i} differs from PyTorch")
        if r.is_floating_point() and r.requires_grad:
            v = rng.standard_normal(g.shape).astype(dtype)
            to, tt = (g * lucid.tensor(v)).sum(), (r * torch.tensor(v)).sum()
            loss_o = to if loss_o is None else loss_o + to
            loss_t = tt if loss_t is None else loss_t + tt
    if loss_o is not None:
        loss_o.backward()
        loss_t.backward()
        for i, (x, t) in enumerate(zip(xs, ts, strict=True)):
            if wants[i]:
                np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol * 10,
                                           atol=atol * 10, err_msg=f"input {i} gradient")
        theirs_params = dict(theirs.named_parameters())
        for name, p in ours.named_parameters():
            tp = theirs_params[name]
            g_o = np.zeros(p.shape) if p.grad is None else p.grad.numpy()
            g_t = np.zeros(tuple(tp.shape)) if tp.grad is None else tp.grad.numpy()
            np.testing.assert_allclose(g_o, g_t, rtol=rtol * 10, atol=atol * 10,
                                       err_msg=f"gradient of parameter {name}")
    if check_buffers:
        theirs_state = theirs.state_dict()
        for name, value in ours.state_dict().items():
            np.testing.assert_allclose(value.numpy(), theirs_state[name].numpy(), rtol=rtol,
                                       atol=atol, err_msg=f"buffer {name} after the step")


# ------------------------------------------------------------------ activations
ACTIVATIONS: list[tuple[str, Callable[..., Any], Callable[..., Any]]] = [
    ("gelu", F.gelu, TF.gelu),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"),
     lambda x: TF.gelu(x, approximate="tanh")),
    ("silu", F.silu, TF.silu),
    ("mish", F.mish, TF.mish),
    ("leaky_relu", F.leaky_relu, TF.leaky_relu),
    ("leaky_relu_slope", lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    ("elu", F.elu, TF.elu),
    ("elu_alpha", lambda x: F.elu(x, alpha=0.5), lambda x: TF.elu(x, alpha=0.5)),
    ("selu", F.selu, TF.selu),
    ("softplus", F.softplus, TF.softplus),
    ("softplus_beta_threshold", lambda x: F.softplus(x, beta=2.0, threshold=1.0),
     lambda x: TF.softplus(x, beta=2.0, threshold=1.0)),
    ("hardswish", F.hardswish, TF.hardswish),
    ("hardsigmoid", F.hardsigmoid, TF.hardsigmoid),
    ("sigmoid", F.sigmoid, TF.sigmoid),
    ("tanh", F.tanh, TF.tanh),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, ours, theirs", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_functional(name, ours, theirs, dtype) -> None:
    """Values and gradients over a wide range (past hardswish's ±3 and softplus' threshold)."""
    # PyTorch's hardsigmoid backward multiplies by a float32 1/6 even in float64
    rtol = 1e-8 if name == "hardsigmoid" and dtype == "float64" else None
    compare(lambda x: ours(x * 4), lambda x: theirs(x * 4), [(4, 5, 6)], dtype=dtype, rtol=rtol)


def test_gelu_exact_far_tails() -> None:
    """The exact GELU stays exact where erf saturates."""
    x = np.linspace(-9, 9, 181)
    compare(F.gelu, TF.gelu, [x])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weight_shape", [(1,), (3,), ()])
def test_prelu_functional(weight_shape, dtype) -> None:
    """A shared slope, one per channel, and a 0-d slope."""
    compare(F.prelu, TF.prelu, [(2, 3, 4, 5), weight_shape], dtype=dtype)


MODULE_ACTIVATIONS = [
    ("GELU", lambda: nn.GELU(), lambda: TNN.GELU()),
    ("GELU_tanh", lambda: nn.GELU("tanh"), lambda: TNN.GELU("tanh")),
    ("SiLU", lambda: nn.SiLU(), lambda: TNN.SiLU()),
    ("Mish", lambda: nn.Mish(), lambda: TNN.Mish()),
    ("LeakyReLU", lambda: nn.LeakyReLU(0.1), lambda: TNN.LeakyReLU(0.1)),
    ("ELU", lambda: nn.ELU(0.7), lambda: TNN.ELU(0.7)),
    ("SELU", lambda: nn.SELU(), lambda: TNN.SELU()),
    ("Softplus", lambda: nn.Softplus(0.5, 3.0), lambda: TNN.Softplus(0.5, 3.0)),
    ("Hardswish", lambda: nn.Hardswish(), lambda: TNN.Hardswish()),
    ("Hardsigmoid", lambda: nn.Hardsigmoid(), lambda: TNN.Hardsigmoid()),
    ("Sigmoid", lambda: nn.Sigmoid(), lambda: TNN.Sigmoid()),
    ("Tanh", lambda: nn.Tanh(), lambda: TNN.Tanh()),
    ("Softmax", lambda: nn.Softmax(dim=1), lambda: TNN.Softmax(dim=1)),
    ("LogSoftmax", lambda: nn.LogSoftmax(dim=1), lambda: TNN.LogSoftmax(dim=1)),
    ("PReLU", lambda: nn.PReLU(), lambda: TNN.PReLU()),
    ("PReLU_channels", lambda: nn.PReLU(3, 0.1), lambda: TNN.PReLU(3, 0.1)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, ours, theirs", MODULE_ACTIVATIONS,
                         ids=[a[0] for a in MODULE_ACTIVATIONS])
def test_activation_modules(name, ours, theirs, dtype) -> None:
    """Module forms, with PReLU's slope as a parameter."""
    rtol = 1e-8 if name == "Hardsigmoid" and dtype == "float64" else None  # see above
    compare_module(ours(), theirs(), [(2, 3, 4, 5)], dtype, rtol=rtol)


def test_prelu_default_initialisation() -> None:
    """PReLU starts at PyTorch's 0.25 (or ``init``), one slope per ``num_parameters``."""
    assert nn.PReLU().weight.tolist() == TNN.PReLU().weight.tolist()
    assert nn.PReLU(3, 0.1).weight.numpy().tolist() == \
        TNN.PReLU(3, 0.1).weight.detach().numpy().tolist()
    assert nn.PReLU(4).num_slopes == TNN.PReLU(4).num_parameters == 4
    assert nn.PReLU(4).num_parameters() == 4  # lucid's Module method keeps working


# ----------------------------------------------------------------- normalization
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, normalized, affine", [
    ((4, 6), (6,), True), ((2, 3, 4, 5), (4, 5), True), ((2, 3, 5), 5, False),
])
def test_layer_norm_functional(shape, normalized, affine, dtype) -> None:
    """Over one or several trailing axes, with and without weight and bias."""
    ns = (normalized,) if isinstance(normalized, int) else normalized
    if affine:
        compare(lambda x, w, b: F.layer_norm(x, normalized, w, b),
                lambda x, w, b: TF.layer_norm(x, ns, w, b), [shape, ns, ns], dtype=dtype)
    else:
        compare(lambda x: F.layer_norm(x, normalized), lambda x: TF.layer_norm(x, ns),
                [shape], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("groups, shape", [(2, (3, 4, 5, 6)), (1, (2, 6, 7)), (6, (2, 6, 3, 3))])
def test_group_norm_functional(groups, shape, dtype) -> None:
    """Groups of channels, 3-D and 4-D inputs, one group and one channel per group."""
    c = shape[1]
    compare(lambda x, w, b: F.group_norm(x, groups, w, b, eps=1e-4),
            lambda x, w, b: TF.group_norm(x, groups, w, b, eps=1e-4), [shape, (c,), (c,)],
            dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_instance_norm_functional(dtype) -> None:
    """Input statistics, affine."""
    compare(lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
            lambda x, w, b: TF.instance_norm(x, weight=w, bias=b), [(2, 3, 4, 5), (3,), (3,)],
            dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ours, theirs, shape", [
    (lambda: nn.LayerNorm(5), lambda: TNN.LayerNorm(5), (2, 3, 5)),
    (lambda: nn.LayerNorm((4, 5), eps=1e-3), lambda: TNN.LayerNorm((4, 5), eps=1e-3),
     (2, 3, 4, 5)),
    (lambda: nn.LayerNorm(5, elementwise_affine=False),
     lambda: TNN.LayerNorm(5, elementwise_affine=False), (3, 5)),
    (lambda: nn.LayerNorm(5, bias=False), lambda: TNN.LayerNorm(5, bias=False), (3, 5)),
    (lambda: nn.GroupNorm(2, 4), lambda: TNN.GroupNorm(2, 4), (2, 4, 3, 3)),
    (lambda: nn.GroupNorm(3, 6, affine=False), lambda: TNN.GroupNorm(3, 6, affine=False),
     (2, 6, 5)),
    (lambda: nn.InstanceNorm2d(3), lambda: TNN.InstanceNorm2d(3), (2, 3, 4, 5)),
    (lambda: nn.InstanceNorm2d(3, affine=True), lambda: TNN.InstanceNorm2d(3, affine=True),
     (2, 3, 4, 5)),
    (lambda: nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
     lambda: TNN.InstanceNorm2d(3, affine=True, track_running_stats=True), (2, 3, 4, 5)),
    (lambda: nn.InstanceNorm2d(3), lambda: TNN.InstanceNorm2d(3), (3, 4, 5)),
    (lambda: nn.BatchNorm2d(4), lambda: TNN.BatchNorm2d(4), (3, 4, 5, 6)),
    (lambda: nn.BatchNorm2d(4, affine=False), lambda: TNN.BatchNorm2d(4, affine=False),
     (3, 4, 5, 6)),
    (lambda: nn.BatchNorm2d(4, eps=1e-3, momentum=0.3),
     lambda: TNN.BatchNorm2d(4, eps=1e-3, momentum=0.3), (2, 4, 1, 3)),
    (lambda: nn.BatchNorm1d(5), lambda: TNN.BatchNorm1d(5), (6, 5)),
    (lambda: nn.BatchNorm1d(5), lambda: TNN.BatchNorm1d(5), (3, 5, 7)),
])
@pytest.mark.parametrize("train", [True, False])
def test_normalization_modules(ours, theirs, shape, train, dtype) -> None:
    """Training and evaluation; running statistics updated as PyTorch's."""
    compare_module(ours(), theirs(), [shape], dtype, train=train)


class _TorchConvBNReLU(torch.nn.Module):
    """PyTorch's conv, batch norm and ReLU under ConvBNReLU2d's submodule names."""

    def __init__(self, cin: int, cout: int, dilation: int) -> None:
        super().__init__()
        self.conv = TNN.Conv2d(cin, cout, 3, padding=dilation, dilation=dilation, bias=False)
        self.bn = TNN.BatchNorm2d(cout)
        self.act = TNN.ReLU()

    def forward(self, x: Any) -> Any:
        return self.act(self.bn(self.conv(x)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("dilation", [1, 2])
def test_conv_bn_relu_block(train, dilation, dtype) -> None:
    """ConvBNReLU2d (in eval one fused batch-norm + ReLU kernel) against PyTorch's three
    modules: outputs, input and parameter gradients, running statistics."""
    compare_module(nn.ConvBNReLU2d(3, 6, 3, dilation=dilation),
                   _TorchConvBNReLU(3, 6, dilation), [(2, 3, 7, 6)], dtype, train=train)


def test_normalization_default_state() -> None:
    """Defaults as PyTorch's: parameters, buffers and their state-dict names."""
    for ours, theirs in [(nn.LayerNorm((2, 3)), TNN.LayerNorm((2, 3))),
                         (nn.GroupNorm(2, 4), TNN.GroupNorm(2, 4)),
                         (nn.InstanceNorm2d(3), TNN.InstanceNorm2d(3)),
                         (nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
                          TNN.InstanceNorm2d(3, affine=True, track_running_stats=True))]:
        mine, ref = ours.state_dict(), theirs.state_dict()
        assert list(mine) == list(ref)
        for k in ref:
            np.testing.assert_array_equal(mine[k].numpy(), ref[k].numpy())


def test_batch_norm_one_value_per_channel_raises_like_pytorch() -> None:
    """Training batch norm needs more than one value per channel (PyTorch's message)."""
    x = np.ones((1, 3), dtype=np.float32)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        TF.batch_norm(torch.tensor(x), None, None, training=True)
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 3\)"):
        F.batch_norm(lucid.tensor(x), None, None, training=True)
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 3, 1, 1\)"):
        nn.BatchNorm2d(3)(lucid.ones(1, 3, 1, 1))
    nn.BatchNorm2d(3).eval()(lucid.ones(1, 3, 1, 1))  # evaluation is fine, as in PyTorch


# --------------------------------------------------------------------- embedding
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding(padding_idx, dtype) -> None:
    """Repeated indices accumulate; the padding row gets no gradient; unused rows get zero."""
    idx = np.array([[0, 2, 2, 5], [5, 1, 2, 0]])
    compare(lambda w, i: F.embedding(i, w, padding_idx),
            lambda w, i: TF.embedding(i, w, padding_idx), [(7, 3), idx], dtype=dtype)
    compare_module(nn.Embedding(7, 3, padding_idx), TNN.Embedding(7, 3, padding_idx), [],
                   dtype, inputs=[idx])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [dict(scale_grad_by_freq=True),
                                dict(scale_grad_by_freq=True, padding_idx=2),
                                dict(max_norm=1.0), dict(max_norm=0.5, norm_type=1.0)])
def test_embedding_options(kw, dtype) -> None:
    """Gradients scaled by frequency; max_norm renormalises used rows in place first."""
    idx = np.array([[0, 2, 2, 5], [5, 1, 2, 0]])
    compare_module(nn.Embedding(7, 3, **kw), TNN.Embedding(7, 3, **kw), [], dtype,
                   inputs=[idx])


def test_embedding_initialisation_zeroes_the_padding_row() -> None:
    """N(0, 1) rows, the padding row zero, as PyTorch's."""
    w = nn.Embedding(50, 4, padding_idx=3).weight.numpy()
    assert (w[3] == 0).all() and (w[np.arange(50) != 3] != 0).all()
    assert abs(w.std() - 1) < 0.25


# ------------------------------------------------------------------ convolution
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [
    dict(), dict(stride=2, padding=1), dict(padding=2, dilation=2), dict(groups=2, padding=1),
    dict(padding="same", dilation=2), dict(padding="valid", stride=3),
])
def test_conv1d_functional(kw, dtype) -> None:
    """Stride, padding (ints and strings), dilation and groups."""
    compare(lambda x, w, b: F.conv1d(x, w, b, **kw), lambda x, w, b: TF.conv1d(x, w, b, **kw),
            [(2, 4, 9), (6, 4 // kw.get("groups", 1), 3), (6,)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [
    dict(), dict(stride=2), dict(stride=2, padding=1, output_padding=1),
    dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2)), dict(dilation=2, padding=1),
    dict(groups=2, stride=2), dict(stride=3, dilation=2, output_padding=1, padding=2),
])
def test_conv_transpose2d_functional(kw, dtype) -> None:
    """Stride, padding, output_padding, dilation and groups."""
    g = kw.get("groups", 1)
    compare(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw),
            lambda x, w, b: TF.conv_transpose2d(x, w, b, **kw),
            [(2, 4, 5, 4), (4, 6 // g, 3, 3), (6,)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("amounts", [(1, 2), (2, 0, 1, 3), (0, 3, 2, 2)])
def test_pad(mode, amounts, dtype) -> None:
    """Every mode on the last one and two axes (of 3-D and 4-D inputs, as PyTorch allows)."""
    shape = (3, 4, 5) if len(amounts) == 2 else (2, 3, 4, 5)
    compare(lambda x: F.pad(x, amounts, mode), lambda x: TF.pad(x, amounts, mode),
            [shape], dtype=dtype)


def test_pad_refuses_what_pytorch_refuses() -> None:
    """Non-constant modes pad the last 1-3 axes of inputs one or two axes longer only."""
    with pytest.raises(NotImplementedError):
        TF.pad(torch.zeros(2, 3, 4, 5), (1, 2), "reflect")
    with pytest.raises(ValueError, match="needs a 2-D or 3-D input"):
        F.pad(lucid.zeros(2, 3, 4, 5), (1, 2), "reflect")
    with pytest.raises(ValueError, match="less than the axis length"):
        F.pad(lucid.zeros(1, 3, 4), (4, 0), "reflect")


def test_pad_constant_value_and_crop() -> None:
    """A fill value and negative (cropping) amounts."""
    compare(lambda x: F.pad(x, (1, -1, -2, 1), value=0.5),
            lambda x: TF.pad(x, (1, -1, -2, 1), value=0.5), [(2, 4, 5)])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ours, theirs, shape", [
    (lambda: nn.Conv1d(4, 6, 3), lambda: TNN.Conv1d(4, 6, 3), (2, 4, 9)),
    (lambda: nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2, bias=False),
     lambda: TNN.Conv1d(4, 6, 3, stride=2, padding=1, groups=2, bias=False), (2, 4, 9)),
    (lambda: nn.Conv1d(4, 6, 4, padding="same", padding_mode="reflect"),
     lambda: TNN.Conv1d(4, 6, 4, padding="same", padding_mode="reflect"), (2, 4, 9)),
    (lambda: nn.Conv1d(4, 2, 3, padding=2, padding_mode="circular"),
     lambda: TNN.Conv1d(4, 2, 3, padding=2, padding_mode="circular"), (2, 4, 9)),
    (lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1),
     lambda: TNN.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1),
     (2, 4, 5, 5)),
    (lambda: nn.ConvTranspose2d(4, 6, (3, 2), stride=(1, 2), groups=2, dilation=2, bias=False),
     lambda: TNN.ConvTranspose2d(4, 6, (3, 2), stride=(1, 2), groups=2, dilation=2,
                                 bias=False), (2, 4, 5, 5)),
    (lambda: nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect"),
     lambda: TNN.Conv2d(3, 4, 3, padding=1, padding_mode="reflect"), (2, 3, 6, 5)),
    (lambda: nn.Conv2d(3, 4, 3, padding=(2, 1), padding_mode="replicate", stride=2),
     lambda: TNN.Conv2d(3, 4, 3, padding=(2, 1), padding_mode="replicate", stride=2),
     (2, 3, 6, 5)),
    (lambda: nn.Conv2d(3, 4, (2, 3), padding="same", padding_mode="circular"),
     lambda: TNN.Conv2d(3, 4, (2, 3), padding="same", padding_mode="circular"), (2, 3, 6, 5)),
    (lambda: nn.Conv2d(3, 4, 3, padding=1, padding_mode="zeros"),
     lambda: TNN.Conv2d(3, 4, 3, padding=1, padding_mode="zeros"), (2, 3, 6, 5)),
])
def test_conv_modules(ours, theirs, shape, dtype) -> None:
    """Conv1d, ConvTranspose2d and Conv2d's padding modes, with their parameters."""
    # float32 sums of ~30 products of values up to ~3: absolute rounding up to a few 1e-6
    compare_module(ours(), theirs(), [shape], dtype, atol=1e-5 if dtype == "float32" else None)


@pytest.mark.parametrize("output_size", [(9, 10), (10, 9), [2, 6, 9, 9]])
def test_conv_transpose2d_output_size(output_size) -> None:
    """``forward(x, output_size)`` picks the output padding, as PyTorch's."""
    ours, theirs = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1), \
        TNN.ConvTranspose2d(4, 6, 3, stride=2, padding=1)
    _randomize(theirs.double(), 0)
    ours.to("float64").load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    compare(lambda x: ours(x, output_size), lambda x: theirs(x, output_size), [(2, 4, 5, 5)])
    with pytest.raises(ValueError, match="not reachable"):
        ours(lucid.zeros(2, 4, 5, 5, dtype="float64"), (11, 9))


@pytest.mark.parametrize("ours, theirs", [
    (lambda: nn.Conv1d(4, 6, 3), lambda: TNN.Conv1d(4, 6, 3)),
    (lambda: nn.ConvTranspose2d(4, 6, 3, groups=2), lambda: TNN.ConvTranspose2d(4, 6, 3,
                                                                             groups=2)),
])
def test_conv_default_initialisation_bounds(ours, theirs) -> None:
    """Same parameter shapes and the same uniform bounds as PyTorch's initialisation."""
    lucid.manual_seed(0)
    torch.manual_seed(0)
    mine, ref = ours().state_dict(), theirs().state_dict()
    assert {k: v.shape for k, v in mine.items()} == {k: tuple(v.shape) for k, v in ref.items()}
    for k in ref:
        bound = ref[k].abs().max().item()
        assert mine[k].abs().max().item() <= bound * 1.3 + 1e-6
        assert mine[k].abs().max().item() >= bound * 0.5


# ---------------------------------------------------------------------- pooling
POOLS = [
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=2, stride=2, ceil_mode=True),
    dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), ceil_mode=True),
    dict(kernel_size=3, stride=1, padding=1),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", POOLS + [dict(kernel_size=3, dilation=2, padding=1),
                                        dict(kernel_size=2, dilation=(2, 1), stride=1,
                                             ceil_mode=True)])
@pytest.mark.parametrize("return_indices", [False, True])
def test_max_pool2d(kw, return_indices, dtype) -> None:
    """ceil_mode, dilation, padding and the flat indices PyTorch returns."""
    x = np.random.default_rng(3).permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8).astype(dtype)
    compare(lambda a: F.max_pool2d(a, return_indices=return_indices, **kw),
            lambda a: TF.max_pool2d(a, return_indices=return_indices, **kw), [x / 10],
            dtype=dtype)
    compare_module(nn.MaxPool2d(return_indices=return_indices, **kw),
                   TNN.MaxPool2d(return_indices=return_indices, **kw), [], dtype,
                   inputs=[x / 10])


@pytest.mark.parametrize("pool", [
    lambda F_, a: F_.max_pool2d(a, 3, 2, 1, ceil_mode=True),
    lambda F_, a: F_.max_pool2d(a, 2, 1, dilation=2),
    lambda F_, a: F_.adaptive_max_pool2d(a, (3, 5)),
    lambda F_, a: F_.adaptive_max_pool2d(a, (None, 3), return_indices=True),
])
def test_max_pools_send_tied_gradients_to_the_first_maximum(pool) -> None:
    """After a ReLU most windows tie at zero: PyTorch's gradient goes to the first one."""
    x = np.maximum(np.random.default_rng(2).integers(-3, 2, (2, 2, 7, 8)), 0).astype("float64")
    compare(lambda a: pool(F, a), lambda a: pool(TF, a), [x])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", POOLS)
@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("divisor_override", [None, 5])
def test_avg_pool2d(kw, count_include_pad, divisor_override, dtype) -> None:
    """ceil_mode, count_include_pad and divisor_override, functional and module."""
    opts = dict(kw, count_include_pad=count_include_pad, divisor_override=divisor_override)
    compare(lambda a: F.avg_pool2d(a, **opts), lambda a: TF.avg_pool2d(a, **opts),
            [(2, 3, 7, 8)], dtype=dtype)
    compare_module(nn.AvgPool2d(**opts), TNN.AvgPool2d(**opts), [(2, 3, 7, 8)], dtype)


@pytest.mark.parametrize("op", ["avg", "max"])
def test_pool_padding_over_half_the_kernel_raises(op) -> None:
    """PyTorch refuses padding above half the (effective) kernel; so does lucid."""
    ours, theirs = (F.avg_pool2d, TF.avg_pool2d) if op == "avg" else \
        (F.max_pool2d, TF.max_pool2d)
    with pytest.raises(RuntimeError, match="pad should be"):
        theirs(torch.zeros(1, 1, 6, 6), 3, 1, 2)
    with pytest.raises(ValueError, match=r"padding \(2, 2\) must be at most half"):
        ours(lucid.zeros(1, 1, 6, 6), 3, 1, 2)
    if op == "max":  # PyTorch compares with the kernel size, even when dilated
        with pytest.raises(RuntimeError, match="pad should be"):
            theirs(torch.zeros(1, 1, 9, 9), 3, 1, 2, dilation=2)
        with pytest.raises(ValueError, match="must be at most half"):
            ours(lucid.zeros(1, 1, 9, 9), 3, 1, 2, dilation=2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [(3, 4), 2, (None, 3), (5, None), (1, 1), (7, 8)])
def test_adaptive_pools(size, dtype) -> None:
    """Average and max, with None entries (keep that axis) and flat indices."""
    x = np.random.default_rng(5).permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8).astype(dtype)
    compare(lambda a: F.adaptive_avg_pool2d(a, size),
            lambda a: TF.adaptive_avg_pool2d(a, size), [x / 10], dtype=dtype)
    compare(lambda a: F.adaptive_max_pool2d(a, size, return_indices=True),
            lambda a: TF.adaptive_max_pool2d(a, size, return_indices=True), [x / 10],
            dtype=dtype)
    compare_module(nn.AdaptiveMaxPool2d(size), TNN.AdaptiveMaxPool2d(size), [], dtype,
                   inputs=[x / 10])
    compare_module(nn.AdaptiveAvgPool2d(size), TNN.AdaptiveAvgPool2d(size), [], dtype,
                   inputs=[x / 10])


# --------------------------------------------------------------------- sampling
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [
    dict(scale_factor=2), dict(size=(7, 3)), dict(scale_factor=(1.5, 0.5)), dict(size=9),
    dict(scale_factor=2.3), dict(scale_factor=1.7, recompute_scale_factor=True),
])
@pytest.mark.parametrize("mode, align", [("nearest", None), ("bilinear", False),
                                         ("bilinear", True)])
def test_interpolate(kw, mode, align, dtype) -> None:
    """Nearest and bilinear (both align_corners conventions), by size or scale factor."""
    opts = dict(kw, mode=mode, align_corners=align)
    compare(lambda x: F.interpolate(x, **opts), lambda x: TF.interpolate(x, **opts),
            [(2, 3, 5, 4)], dtype=dtype)
    compare_module(nn.Upsample(**opts), TNN.Upsample(**opts), [(2, 3, 5, 4)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [dict(scale_factor=2.5), dict(size=3), dict(size=8),
                                dict(scale_factor=0.6, recompute_scale_factor=True)])
@pytest.mark.parametrize("mode, align", [("nearest", None), ("nearest-exact", None),
                                         ("linear", False), ("linear", True), ("area", None)])
def test_interpolate_1d(kw, mode, align, dtype) -> None:
    """``(N, C, L)`` input: nearest, nearest-exact, linear and area."""
    opts = dict(kw, mode=mode, align_corners=align)
    compare(lambda x: F.interpolate(x, **opts), lambda x: TF.interpolate(x, **opts),
            [(2, 3, 5)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(size=(3, 7)),
                                dict(scale_factor=(0.5, 1.75))])
@pytest.mark.parametrize("mode", ["nearest-exact", "area"])
def test_interpolate_2d_more_modes(kw, mode, dtype) -> None:
    """nearest-exact and area on ``(N, C, H, W)``, functional and module."""
    compare(lambda x: F.interpolate(x, mode=mode, **kw),
            lambda x: TF.interpolate(x, mode=mode, **kw), [(2, 3, 5, 4)], dtype=dtype)
    compare_module(nn.Upsample(mode=mode, **kw), TNN.Upsample(mode=mode, **kw),
                   [(2, 3, 5, 4)], dtype)


def test_interpolate_refuses_what_pytorch_refuses() -> None:
    """Mode and rank must fit; align_corners only with the interpolating modes."""
    for mode, shape in (("bilinear", (1, 1, 5)), ("linear", (1, 1, 5, 4))):
        with pytest.raises(NotImplementedError):
            TF.interpolate(torch.zeros(shape), scale_factor=2, mode=mode)
        with pytest.raises(ValueError, match=f"mode='{mode}' needs"):
            F.interpolate(lucid.zeros(*shape), scale_factor=2, mode=mode)
    with pytest.raises(ValueError, match="align_corners"):
        TF.interpolate(torch.zeros(1, 1, 4, 4), scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(lucid.zeros(1, 1, 4, 4), scale_factor=2, align_corners=True)


# ------------------------------------------------------------ dropout, shapes
def test_dropout2d_zeroes_whole_channels() -> None:
    """Each channel is kept whole (scaled by 1/(1-p)) or zeroed; eval is the identity."""
    lucid.manual_seed(0)
    x = lucid.ones(8, 16, 3, 3, requires_grad=True)
    layer = nn.Dropout2d(0.5)
    y = layer(x).numpy()
    per_channel = y.reshape(8, 16, -1)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert (per_channel.min(-1) == per_channel.max(-1)).all()
    assert 0.2 < (per_channel[..., 0] == 0).mean() < 0.8
    layer(x).sum().backward()
    assert set(np.unique(x.grad.numpy())) <= {0.0, 2.0}
    np.testing.assert_array_equal(layer.eval()(x).numpy(), x.numpy())
    assert TNN.Dropout2d(0.3).p == nn.Dropout2d(0.3).p


def test_unflatten() -> None:
    """Same shapes as PyTorch's, with -1 and negative dims."""
    for dim, sizes in [(1, (2, 6)), (-1, (3, -1)), (0, (2, 1))]:
        compare_module(nn.Unflatten(dim, sizes), TNN.Unflatten(dim, sizes), [(2, 12, 3)])


def test_parameter_containers_state_dict_names() -> None:
    """ParameterList/ParameterDict (and ModuleList/ModuleDict) register under PyTorch's names."""
    class Ours(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.plist = nn.ParameterList([nn.Parameter(lucid.zeros(2)),
                                           nn.Parameter(lucid.ones(3))])
            self.pdict = nn.ParameterDict({"a": nn.Parameter(lucid.zeros(1)),
                                           "b": nn.Parameter(lucid.zeros(2, 2))})

    class Theirs(TNN.Module):
        def __init__(self) -> None:
            super().__init__()
            self.plist = TNN.ParameterList([TNN.Parameter(torch.zeros(2)),
                                            TNN.Parameter(torch.ones(3))])
            self.pdict = TNN.ParameterDict({"a": TNN.Parameter(torch.zeros(1)),
                                            "b": TNN.Parameter(torch.zeros(2, 2))})

    ours, theirs = Ours(), Theirs()
    ours.mlist = nn.ModuleList([nn.Linear(2, 2), nn.LayerNorm(2)])
    ours.mdict = nn.ModuleDict({"emb": nn.Embedding(3, 2), "norm": nn.GroupNorm(1, 2)})
    theirs.mlist = TNN.ModuleList([TNN.Linear(2, 2), TNN.LayerNorm(2)])
    theirs.mdict = TNN.ModuleDict({"emb": TNN.Embedding(3, 2), "norm": TNN.GroupNorm(1, 2)})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
