"""Optimizers against updates written out with NumPy here; schedules against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.optim as optim
from lucid.optim import lr_scheduler

P0 = np.array([[0.5, -1.0, 2.0], [0.0, 3.0, -0.25]])
GRADS = [np.array([[0.1, -0.2, 0.3], [1.0, 0.0, -0.5]]),
         np.array([[-0.3, 0.4, 0.1], [0.2, -1.0, 0.5]]),
         np.array([[0.05, 0.05, -0.6], [-0.4, 0.3, 0.0]])]


def _param(value: np.ndarray = P0) -> nn.Parameter:
    return nn.Parameter(lucid.tensor(value, dtype=lucid.float64))


def _run(opt: optim.Optimizer, p: nn.Parameter, grads=GRADS) -> list[np.ndarray]:
    """Set each gradient by hand, step, and record the parameter after every step."""
    out = []
    for g in grads:
        p.grad = lucid.tensor(g, dtype=lucid.float64)
        opt.step()
        out.append(p.numpy().copy())
    return out


# ------------------------------------------------------------------------------ SGD
@pytest.mark.parametrize("momentum,dampening,nesterov,wd", [
    (0.0, 0.0, False, 0.0), (0.9, 0.0, False, 0.0), (0.9, 0.3, False, 0.01),
    (0.8, 0.0, True, 0.1),
])
def test_sgd_matches_the_update_formula(momentum, dampening, nesterov, wd):
    lr = 0.1
    p = _param()
    got = _run(optim.SGD([p], lr=lr, momentum=momentum, dampening=dampening,
                         nesterov=nesterov, weight_decay=wd), p)
    ref, buf = P0.copy(), None
    for g, after in zip(GRADS, got, strict=True):
        d = g + wd * ref
        if momentum:
            buf = d.copy() if buf is None else momentum * buf + (1 - dampening) * d
            d = d + momentum * buf if nesterov else buf
        ref = ref - lr * d
        np.testing.assert_allclose(after, ref, rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------------------- Adam
def _adam_reference(lr, betas, eps, wd, amsgrad, decoupled):
    ref = P0.copy()
    m = np.zeros_like(ref)
    v = np.zeros_like(ref)
    vmax = np.zeros_like(ref)
    out = []
    for t, g in enumerate(GRADS, start=1):
        if decoupled:
            ref = ref * (1 - lr * wd)
        else:
            g = g + wd * ref
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        m_hat = m / (1 - betas[0] ** t)
        if amsgrad:
            vmax = np.maximum(vmax, v)
            v_hat = vmax / (1 - betas[1] ** t)
        else:
            v_hat = v / (1 - betas[1] ** t)
        ref = ref - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(ref.copy())
    return out


@pytest.mark.parametrize("cls,wd,amsgrad", [
    (optim.Adam, 0.0, False), (optim.Adam, 0.05, False), (optim.Adam, 0.05, True),
    (optim.AdamW, 0.05, False), (optim.AdamW, 0.1, True),
])
def test_adam_and_adamw_match_the_update_formula(cls, wd, amsgrad):
    lr, betas, eps = 0.01, (0.8, 0.95), 1e-3  # a large eps makes eps placement matter
    p = _param()
    got = _run(cls([p], lr=lr, betas=betas, eps=eps, weight_decay=wd, amsgrad=amsgrad), p)
    want = _adam_reference(lr, betas, eps, wd, amsgrad, decoupled=cls is optim.AdamW)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_adamw_default_weight_decay_is_pytorchs():
    assert optim.AdamW([_param()]).defaults["weight_decay"] == 1e-2
    assert optim.Adam([_param()]).defaults["weight_decay"] == 0.0
    assert optim.Adam([_param()]).defaults["betas"] == (0.9, 0.999)


# -------------------------------------------------------------------- base behaviour
def test_gradients_are_not_modified_and_may_be_shared():
    a, b = _param(), _param(P0 * 2)
    shared = lucid.tensor(GRADS[0], dtype=lucid.float64)
    a.grad = shared
    b.grad = shared
    before = shared.numpy().copy()
    opt = optim.SGD([a, b], lr=0.5, momentum=0.9, weight_decay=0.1)
    opt.step()
    opt.step()
    np.testing.assert_array_equal(shared.numpy(), before)
    buf = opt.state[a]["momentum_buffer"].numpy()
    assert not np.shares_memory(buf, shared.numpy())


def test_parameters_without_gradients_are_skipped():
    a, b = _param(), _param()
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = lucid.tensor(GRADS[0], dtype=lucid.float64)
    opt.step()
    np.testing.assert_array_equal(b.numpy(), P0)
    assert b not in opt.state and opt.state[a]["step"] == 1
    assert a.is_leaf and a.requires_grad and a.dtype == lucid.float64


def test_param_groups_have_their_own_options():
    a, b = _param(), _param()
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1, momentum=0.0)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 1.0]
    assert opt.param_groups[1]["momentum"] == 0.0
    a.grad = b.grad = lucid.tensor(GRADS[0], dtype=lucid.float64)
    opt.step()
    np.testing.assert_allclose(a.numpy(), P0 - 0.1 * GRADS[0])
    np.testing.assert_allclose(b.numpy(), P0 - 1.0 * GRADS[0])
    c = _param()
    opt.add_param_group({"params": c, "lr": 0.5})
    assert opt.param_groups[2]["params"] == [c]


def test_optimizer_argument_errors():
    p = _param()
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    assert optim.SGD([p]).defaults["lr"] == 1e-3  # PyTorch's default since 2.6
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="more than one param group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ValueError, match="same parameter more than once"):
        optim.SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="lr must be a number >= 0, got -1"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="nesterov=True needs momentum > 0"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match=r"betas\[1\] must be a number in \[0.0, 1.0\)"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(TypeError, match="entry 0 is a int"):
        optim.Adam([3])
    with pytest.raises(ValueError, match="not a leaf"):
        optim.Adam([p * 2])


def test_zero_grad_and_closure():
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    x = lucid.ones(4, 3)

    def closure():
        opt.zero_grad()
        loss = (model(x) ** 2).mean()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert isinstance(loss, lucid.Tensor) and model.weight.grad is not None
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(model.weight.grad.numpy(), np.zeros((1, 3), np.float32))
    opt.zero_grad()
    assert model.weight.grad is None


def test_training_lowers_the_loss_on_a_fixed_batch():
    lucid.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    x = lucid.randn(32, 4)
    y = lucid.tensor((np.arange(32) % 3).astype(np.int64))
    opt = optim.AdamW(model.parameters(), lr=0.05)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


# ------------------------------------------------------------------------ state dict
@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True),
    lambda ps: optim.AdamW(ps, lr=0.01, weight_decay=0.1),
])
@pytest.mark.parametrize("via_numpy", [False, True])
def test_state_dict_round_trip_continues_identically(make, via_numpy):
    a = _param()
    opt_a = make([a])
    _run(opt_a, a, GRADS[:2])
    sd = opt_a.state_dict()
    if via_numpy:  # as a checkpoint file would store it
        sd = {"state": {i: {k: (v.numpy().copy() if isinstance(v, lucid.Tensor) else v)
                            for k, v in s.items()} for i, s in sd["state"].items()},
              "param_groups": sd["param_groups"]}
    b = _param(a.numpy().copy())
    opt_b = make([b])
    opt_b.param_groups[0]["lr"] = 123.0  # overwritten by the loaded options
    opt_b.load_state_dict(sd)
    assert opt_b.param_groups[0]["lr"] == opt_a.param_groups[0]["lr"]
    assert opt_b.param_groups[0]["params"] == [b]
    after_a = _run(opt_a, a, GRADS[2:])
    after_b = _run(opt_b, b, GRADS[2:])
    np.testing.assert_array_equal(after_a[-1], after_b[-1])
    # the saved state is a snapshot: later steps on opt_a do not change it
    assert sd["param_groups"][0]["params"] == [0]


def test_state_dict_uses_indices_and_load_validates():
    a, b = _param(), _param()
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    _run(opt, a, GRADS[:1])
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert list(sd["state"]) == [0] and "momentum_buffer" in sd["state"][0]
    with pytest.raises(ValueError, match="has 2 param groups, this optimizer has 1"):
        optim.SGD([a], lr=0.1).load_state_dict(sd)
    with pytest.raises(KeyError, match="lacks 'state'"):
        opt.load_state_dict({"param_groups": []})
    bad = {"state": {0: {"momentum_buffer": np.zeros((5,))}},
           "param_groups": sd["param_groups"]}
    with pytest.raises(ValueError, match=r"has shape \(5,\), its parameter has shape \(2, 3\)"):
        opt.load_state_dict(bad)


# ------------------------------------------------------------------------ schedulers
def _sgd(lr: float = 1.0) -> optim.SGD:
    return optim.SGD([_param()], lr=lr, momentum=0.9)


def _lrs(sched, n: int) -> list[float]:
    """LR in use at steps 0..n-1 (step 0 is set by the constructor)."""
    out = [sched.get_last_lr()[0]]
    for _ in range(n - 1):
        sched.optimizer.step()
        sched.step()
        out.append(sched.get_last_lr()[0])
    return out


def test_step_lr():
    opt = _sgd(0.5)
    got = _lrs(lr_scheduler.StepLR(opt, step_size=3, gamma=0.1), 10)
    np.testing.assert_allclose(got, [0.5 * 0.1 ** (t // 3) for t in range(10)])
    assert opt.param_groups[0]["lr"] == got[-1]


def test_multi_step_lr():
    got = _lrs(lr_scheduler.MultiStepLR(_sgd(), milestones=[5, 2], gamma=0.5), 8)
    np.testing.assert_allclose(got, [1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25])


def test_cosine_annealing_lr():
    got = _lrs(lr_scheduler.CosineAnnealingLR(_sgd(0.1), T_max=10, eta_min=0.001), 11)
    want = [0.001 + 0.099 * (1 + math.cos(math.pi * t / 10)) / 2 for t in range(11)]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert got[-1] == pytest.approx(0.001)


def test_linear_lr_warmup():
    got = _lrs(lr_scheduler.LinearLR(_sgd(0.3), start_factor=0.1, total_iters=4), 7)
    want = [0.3 * (0.1 + 0.9 * min(t, 4) / 4) for t in range(7)]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_warmup_then_cosine_with_sequential_lr():
    opt = _sgd(0.2)
    warm = lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=3)
    cos = lr_scheduler.CosineAnnealingLR(opt, T_max=5)
    got = _lrs(lr_scheduler.SequentialLR(opt, [warm, cos], milestones=[3]), 9)
    want = [0.2 * (0.25 + 0.75 * t / 3) for t in range(3)] + \
        [0.2 * (1 + math.cos(math.pi * t / 5)) / 2 for t in range(6)]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_one_cycle_lr_and_momentum():
    opt = _sgd()
    sched = lr_scheduler.OneCycleLR(opt, max_lr=2.0, total_steps=10, pct_start=0.3)
    moms = [opt.param_groups[0]["momentum"]]
    lrs = [sched.get_last_lr()[0]]
    for _ in range(9):
        sched.step()
        lrs.append(sched.get_last_lr()[0])
        moms.append(opt.param_groups[0]["momentum"])
    initial, top = 2.0 / 25, 2.0
    low = initial / 1e4
    warm_end = 0.3 * 10 - 1

    def cos(a, b, pct):
        return b + (a - b) / 2 * (math.cos(math.pi * pct) + 1)

    want_lr, want_m = [], []
    for t in range(10):
        if t <= warm_end:
            want_lr.append(cos(initial, top, t / warm_end))
            want_m.append(cos(0.95, 0.85, t / warm_end))
        else:
            pct = (t - warm_end) / (9 - warm_end)
            want_lr.append(cos(top, low, pct))
            want_m.append(cos(0.85, 0.95, pct))
    np.testing.assert_allclose(lrs, want_lr, rtol=1e-12)
    np.testing.assert_allclose(moms, want_m, rtol=1e-12)
    sched.step()  # PyTorch allows stepping total_steps times after construction ...
    with pytest.raises(ValueError, match="total_steps is 10"):
        sched.step()  # ... and no more
    adam = optim.Adam([_param()])
    lr_scheduler.OneCycleLR(adam, max_lr=0.1, epochs=2, steps_per_epoch=5)
    assert adam.param_groups[0]["betas"] == (0.95, 0.999)


def test_scheduler_state_dict_resumes_identically():
    opt = _sgd(0.1)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=8)
    _lrs(sched, 4)
    saved_opt, saved = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 3
    rest = _lrs(sched, 4)[1:]
    opt2 = _sgd(0.1)
    opt2.load_state_dict(saved_opt)
    sched2 = lr_scheduler.CosineAnnealingLR(opt2, T_max=8)
    sched2.load_state_dict(saved)
    assert _lrs(sched2, 4)[1:] == rest


def test_scheduler_argument_errors():
    with pytest.raises(ValueError, match="step_size must be a positive int, got 0"):
        lr_scheduler.StepLR(_sgd(), step_size=0)
    with pytest.raises(ValueError, match="T_max must be a positive int"):
        lr_scheduler.CosineAnnealingLR(_sgd(), T_max=-1)
    with pytest.raises(TypeError, match="expects a lucid.optim.Optimizer"):
        lr_scheduler.StepLR("sgd", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cycle_momentum=True needs"):
        class Plain(optim.Optimizer):
            def _update(self, p, grad, group, state):
                pass
        lr_scheduler.OneCycleLR(Plain([_param()], {"lr": 0.1}), max_lr=1.0, total_steps=5)
    with pytest.raises(ValueError, match="total_steps, or both epochs"):
        lr_scheduler.OneCycleLR(_sgd(), max_lr=1.0)


@pytest.mark.parametrize("make, message", [
    (lambda p: optim.RMSprop([p], alpha=-0.1), "RMSprop: alpha must be a number in >= 0.0"),
    (lambda p: optim.RMSprop([p], momentum=-1), "RMSprop: momentum must be"),
    (lambda p: optim.Adagrad([p], lr_decay=-1), "Adagrad: lr_decay must be"),
    (lambda p: optim.Adagrad([p], initial_accumulator_value=-1),
     "Adagrad: initial_accumulator_value must be"),
    (lambda p: optim.Adadelta([p], rho=1.5), r"Adadelta: rho must be a number in \[0.0, 1.0\]"),
    (lambda p: optim.Adamax([p], betas=(1.0, 0.9)), r"Adamax: betas\[0\]"),
    (lambda p: optim.NAdam([p], momentum_decay=-0.1), "NAdam: momentum_decay must be"),
    (lambda p: optim.RAdam([p], eps=-1), "RAdam: eps must be"),
])
def test_new_optimizer_option_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make(_param())


@pytest.mark.parametrize("cls", [optim.RMSprop, optim.Adagrad, optim.Adadelta, optim.Adamax,
                                 optim.NAdam, optim.RAdam])
def test_new_optimizers_lower_a_quadratic(cls):
    p = lucid.tensor([2.0, -3.0], requires_grad=True)
    opt = cls([p], lr=0.1) if cls is not optim.Adadelta else cls([p], lr=10.0)
    for _ in range(50):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
    assert float((p * p).sum().item()) < 13.0 * 0.5


def test_two_schedulers_on_one_optimizer_compose():
    opt = _sgd(1.0)
    step = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    expo = lr_scheduler.ExponentialLR(opt, gamma=0.9)
    for _ in range(4):
        opt.step()
        step.step()
        expo.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.25 * 0.9**4)
    assert expo.get_last_lr() == [opt.param_groups[0]["lr"]]


def test_new_scheduler_argument_errors():
    with pytest.raises(ValueError, match="T_0 must be a positive int, got 0"):
        lr_scheduler.CosineAnnealingWarmRestarts(_sgd(), T_0=0)
    with pytest.raises(ValueError, match="factor must be in \\[0, 1\\], got 2"):
        lr_scheduler.ConstantLR(_sgd(), factor=2)
    with pytest.raises(ValueError, match="mode must be 'min' or 'max', got 'up'"):
        lr_scheduler.ReduceLROnPlateau(_sgd(), mode="up")
    with pytest.raises(ValueError, match="factor must be < 1, got 1.5"):
        lr_scheduler.ReduceLROnPlateau(_sgd(), factor=1.5)
    with pytest.raises(ValueError, match="mode must be 'triangular'"):
        lr_scheduler.CyclicLR(_sgd(), 0.1, 1.0, mode="sine")
    with pytest.raises(ValueError, match="max_lr lists 2 values for 1 param groups"):
        lr_scheduler.CyclicLR(_sgd(), 0.1, [1.0, 2.0])
    with pytest.raises(TypeError, match="lr_lambda must be callable"):
        lr_scheduler.LambdaLR(_sgd(), 0.5)
    with pytest.raises(ValueError, match="scheduler 1 .* another optimizer"):
        a = lr_scheduler.ExponentialLR(_sgd(), 0.9)
        lr_scheduler.ChainedScheduler([a, lr_scheduler.ExponentialLR(_sgd(), 0.9)])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        o = _sgd()
        lr_scheduler.SequentialLR(o, [lr_scheduler.ReduceLROnPlateau(o),
                                      lr_scheduler.ExponentialLR(o, 0.9)], [2])
