"""Every learning-rate scheduler against PyTorch's: 30 steps of learning rates (and cycled
momenta) on an optimizer with two param groups, alone, composed (two schedulers stepping one
optimizer, ``ChainedScheduler``, ``SequentialLR``), and resumed from state dicts mid-way.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lucid  # noqa: E402
from lucid import optim  # noqa: E402

pytestmark = pytest.mark.parity

STEPS = 30
#: A validation loss that improves, stalls, improves a little, stalls again.
METRICS = [1.0, 0.8, 0.7, 0.71, 0.7, 0.72, 0.69, 0.7, 0.7, 0.7, 0.5, 0.51, 0.5, 0.5, 0.52,
           0.53, 0.5, 0.5, 0.49, 0.495, 0.5, 0.5, 0.5, 0.5, 0.4, 0.4, 0.41, 0.4, 0.4, 0.4]


def _optimizer(framework, kind: str):
    """SGD with momentum (or Adam), two param groups with different learning rates."""
    if framework == "lucid":
        a, b = lucid.zeros(2, requires_grad=True), lucid.zeros(3, requires_grad=True)
        mod = optim
    else:
        a, b = torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)
        mod = torch.optim
    groups = [{"params": [a], "lr": 0.1}, {"params": [b], "lr": 0.02}]
    if kind == "adam":
        return mod.Adam(groups, lr=0.01)
    return mod.SGD(groups, lr=0.1, momentum=0.9)


def _snapshot(opt) -> list[float]:
    out = []
    for g in opt.param_groups:
        out += [float(g["lr"]), float(g["betas"][0] if "betas" in g else g["momentum"])]
    return out


# name -> (optimizer kind, build(S, opt) -> list of schedulers stepped in order each step)
CASES = {
    "ExponentialLR": ("sgd", lambda S, o: [S.ExponentialLR(o, gamma=0.9)]),
    "LambdaLR": ("sgd", lambda S, o: [S.LambdaLR(o, lambda e: 1.0 / (1 + e))]),
    "LambdaLR_per_group": ("sgd", lambda S, o: [S.LambdaLR(
        o, [lambda e: 0.9 ** e, lambda e: 1.0 + 0.1 * e])]),
    "MultiplicativeLR": ("sgd", lambda S, o: [S.MultiplicativeLR(o, lambda e: 0.95)]),
    "ConstantLR": ("sgd", lambda S, o: [S.ConstantLR(o, factor=0.5, total_iters=4)]),
    "PolynomialLR": ("sgd", lambda S, o: [S.PolynomialLR(o, total_iters=20, power=2.0)]),
    "StepLR": ("sgd", lambda S, o: [S.StepLR(o, step_size=7, gamma=0.5)]),
    "MultiStepLR_repeated": ("sgd", lambda S, o: [S.MultiStepLR(o, [5, 12, 12, 20], 0.5)]),
    "LinearLR": ("sgd", lambda S, o: [S.LinearLR(o, start_factor=0.2, end_factor=0.9,
                                                 total_iters=10)]),
    "CosineAnnealingLR_past_T_max": ("sgd", lambda S, o: [S.CosineAnnealingLR(
        o, T_max=12, eta_min=0.001)]),
    "CosineAnnealingWarmRestarts": ("sgd", lambda S, o: [S.CosineAnnealingWarmRestarts(
        o, T_0=5, eta_min=0.001)]),
    "CosineAnnealingWarmRestarts_T_mult": ("sgd", lambda S, o: [S.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2)]),
    "CyclicLR_triangular": ("sgd", lambda S, o: [S.CyclicLR(
        o, base_lr=0.01, max_lr=[0.1, 0.05], step_size_up=4, step_size_down=6)]),
    "CyclicLR_triangular2": ("sgd", lambda S, o: [S.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=3, mode="triangular2",
        base_momentum=0.7, max_momentum=0.95)]),
    "CyclicLR_exp_range_adam": ("adam", lambda S, o: [S.CyclicLR(
        o, base_lr=0.001, max_lr=0.01, step_size_up=5, mode="exp_range", gamma=0.95)]),
    "CyclicLR_no_momentum": ("sgd", lambda S, o: [S.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=2, cycle_momentum=False)]),
    "CyclicLR_scale_fn": ("sgd", lambda S, o: [S.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=3, scale_fn=lambda x: 1 / (1 + x),
        scale_mode="iterations")]),
    "OneCycleLR": ("sgd", lambda S, o: [S.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=31)]),
    "OneCycleLR_three_phase_adam": ("adam", lambda S, o: [S.OneCycleLR(
        o, max_lr=0.1, total_steps=40, three_phase=True, anneal_strategy="linear")]),
    # two schedulers stepping one optimizer: their factors compose
    "StepLR+ExponentialLR": ("sgd", lambda S, o: [S.StepLR(o, 5, 0.5), S.ExponentialLR(o, 0.9)]),
    "LinearLR+CosineAnnealingLR": ("sgd", lambda S, o: [S.LinearLR(o, 0.1, total_iters=5),
                                                        S.CosineAnnealingLR(o, T_max=30)]),
    "MultiplicativeLR+MultiStepLR": ("sgd", lambda S, o: [
        S.MultiplicativeLR(o, lambda e: 0.98), S.MultiStepLR(o, [10, 20], 0.1)]),
    "ConstantLR+PolynomialLR": ("sgd", lambda S, o: [S.ConstantLR(o, 0.25, 6),
                                                     S.PolynomialLR(o, 25, 1.5)]),
    "ChainedScheduler": ("sgd", lambda S, o: [S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.1, total_iters=3), S.ExponentialLR(o, gamma=0.9)])]),
    "SequentialLR": ("sgd", lambda S, o: [S.SequentialLR(
        o, [S.LinearLR(o, 0.1, total_iters=5), S.CosineAnnealingLR(o, T_max=10),
            S.StepLR(o, 3, 0.5)], milestones=[5, 15])]),
}


def _run(framework, name, steps=STEPS, resume_at=None):
    kind, build = CASES[name]
    S = optim.lr_scheduler if framework == "lucid" else torch.optim.lr_scheduler
    opt = _optimizer(framework, kind)
    scheds = build(S, opt)
    seen = [_snapshot(opt) + [float(v) for v in scheds[-1].get_last_lr()]]
    for t in range(1, steps):
        if resume_at is not None and t == resume_at:
            saved = opt.state_dict(), [s.state_dict() for s in scheds]
            opt = _optimizer(framework, kind)
            scheds = build(S, opt)
            opt.load_state_dict(saved[0])
            for s, sd in zip(scheds, saved[1]):
                s.load_state_dict(sd)
        opt.step()
        for s in scheds:
            s.step()
        seen.append(_snapshot(opt) + [float(v) for v in scheds[-1].get_last_lr()])
    return np.array(seen)


@pytest.mark.parametrize("name", sorted(CASES))
def test_scheduler_matches_pytorch(name) -> None:
    """Learning rates (and momenta/β1) of both groups, step by step, and get_last_lr()."""
    ours, theirs = _run("lucid", name), _run("torch", name)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(CASES))
def test_scheduler_resumes_from_state_dicts(name) -> None:
    """Optimizer + scheduler state dicts saved at step 13 continue PyTorch's sequence."""
    ours, theirs = _run("lucid", name, resume_at=13), _run("torch", name)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kwargs", [
    dict(), dict(mode="max", factor=0.5, patience=1, threshold=0.05, threshold_mode="abs"),
    dict(factor=0.5, patience=2, cooldown=2, min_lr=[0.01, 0.015], threshold=0.02),
    dict(factor=0.3, patience=0, eps=0.01),
])
def test_reduce_lr_on_plateau(kwargs) -> None:
    """The same reductions on the same metric sequence, including a resume mid-way."""
    def run(framework, resume_at=None):
        S = optim.lr_scheduler if framework == "lucid" else torch.optim.lr_scheduler
        opt = _optimizer(framework, "sgd")
        sched = S.ReduceLROnPlateau(opt, **kwargs)
        seen = []
        for t, m in enumerate(METRICS):
            if t == resume_at:
                saved = opt.state_dict(), sched.state_dict()
                opt = _optimizer(framework, "sgd")
                sched = S.ReduceLROnPlateau(opt, **kwargs)
                opt.load_state_dict(saved[0])
                sched.load_state_dict(saved[1])
            opt.step()
            sched.step(lucid.tensor(m) if framework == "lucid" else m)
            seen.append(_snapshot(opt) + [float(v) for v in sched.get_last_lr()])
        return np.array(seen)

    theirs = run("torch")
    np.testing.assert_allclose(run("lucid"), theirs, rtol=1e-12)
    np.testing.assert_allclose(run("lucid", resume_at=12), theirs, rtol=1e-12)
    if kwargs:  # (the default patience of 10 outlasts these plateaus)
        assert not math.isclose(theirs[-1][0], theirs[0][0])  # it did reduce


def test_warm_restarts_fractional_epochs() -> None:
    """``step(epoch)`` with fractional epochs (per-batch SGDR) follows PyTorch."""
    seen = []
    for framework, S in (("lucid", optim.lr_scheduler), ("torch", torch.optim.lr_scheduler)):
        opt = _optimizer(framework, "sgd")
        sched = S.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=3)
        lrs = []
        for e in np.arange(0, 12, 0.3):
            sched.step(float(e))
            lrs.append(_snapshot(opt))
        seen.append(np.array(lrs))
    np.testing.assert_allclose(seen[0], seen[1], rtol=1e-12)
