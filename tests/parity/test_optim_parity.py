"""Every optimizer against PyTorch's: same seeded parameters and gradients, several steps,
every option, then a ``state_dict`` save/resume that continues identically.

Gradients are drawn per step (not computed), so the comparison isolates the update rule.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lucid  # noqa: E402
from lucid import optim  # noqa: E402

pytestmark = pytest.mark.parity

SHAPES = [(3, 4), (5,)]
STEPS = 6
#: Options PyTorch has that concern its kernels (not the maths) and that lucid omits.
TORCH_ONLY = {"foreach", "capturable", "differentiable", "fused"}

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1, amsgrad=True,
                  maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.3, amsgrad=True, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1, momentum=0.7,
                     centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, maximize=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.5)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.5,
                     eps=1e-6, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.95), eps=1e-5, weight_decay=0.1, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, betas=(0.8, 0.95), weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
]


def _ids(case):
    name, kw = case
    return name + "-" + ("-".join(f"{k}={v}" for k, v in kw.items()) or "defaults")


def _grads(seed: int, step: int) -> list[np.ndarray]:
    rng = np.random.default_rng([seed, step])
    return [rng.standard_normal(s) for s in SHAPES]


def _start(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in SHAPES]


def _run(opt, params, framework, steps, first=0, seed=0):
    for t in range(first, first + steps):
        for p, g in zip(params, _grads(seed, t)):
            p.grad = lucid.tensor(g) if framework == "lucid" else torch.tensor(g)
        opt.step()


def _values(params) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in params]


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_optimizer_matches_pytorch_and_resumes(case) -> None:
    """Same trajectory as PyTorch; a state_dict round trip continues it exactly."""
    name, kw = case
    # PyTorch keeps NAdam's running product of momenta in a float32 tensor; lucid in a float
    # (float32 rounding, ~1e-7 relative, reaches the parameters through the step size)
    rtol, atol = (1e-6, 1e-9) if name == "NAdam" else (1e-10, 1e-12)
    start = _start(1)
    ours = [lucid.tensor(a, requires_grad=True) for a in start]
    theirs = [torch.tensor(a, requires_grad=True) for a in start]
    opt_l = getattr(optim, name)(ours, **kw)
    opt_t = getattr(torch.optim, name)(theirs, **kw)
    for t in range(STEPS):
        _run(opt_l, ours, "lucid", 1, first=t)
        _run(opt_t, theirs, "torch", 1, first=t)
        for a, b in zip(_values(ours), _values(theirs)):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol,
                                       err_msg=f"{name} differs from PyTorch at step {t + 1}")
    # the state dict has PyTorch's layout: the same option and state names
    sd_l, sd_t = opt_l.state_dict(), opt_t.state_dict()
    assert set(sd_l["param_groups"][0]) == set(sd_t["param_groups"][0]) - TORCH_ONLY
    assert sd_l["param_groups"][0]["params"] == sd_t["param_groups"][0]["params"]
    assert set(sd_l["state"]) == set(sd_t["state"])
    for i in sd_t["state"]:
        assert set(sd_l["state"][i]) == set(sd_t["state"][i])
        for key, value in sd_t["state"][i].items():
            np.testing.assert_allclose(np.asarray(sd_l["state"][i][key]),
                                       value.numpy() if hasattr(value, "numpy") else value,
                                       rtol=rtol, atol=atol, err_msg=key)
    # resume: a fresh optimizer on a copy continues exactly like the original
    copies = [lucid.tensor(p.numpy(), requires_grad=True) for p in ours]
    resumed = getattr(optim, name)(copies, **kw)
    resumed.load_state_dict(sd_l)
    _run(opt_l, ours, "lucid", 3, first=STEPS)
    _run(resumed, copies, "lucid", 3, first=STEPS)
    _run(opt_t, theirs, "torch", 3, first=STEPS)
    for a, b, c in zip(_values(ours), _values(copies), _values(theirs)):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, c, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta",
                                  "Adamax", "NAdam", "RAdam"])
def test_defaults_match_pytorch(name) -> None:
    """Every option PyTorch's optimizer has (but its kernel switches) with its default."""
    p = lucid.zeros(2, requires_grad=True)
    ours = getattr(optim, name)([p]).defaults
    theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)]).defaults
    theirs = {k: v for k, v in theirs.items() if k not in TORCH_ONLY}
    assert set(ours) == set(theirs)
    for k, v in theirs.items():
        assert ours[k] == (tuple(v) if isinstance(v, (list, tuple)) else v), k
