"""Learning-rate schedules with PyTorch's semantics. Each sets ``group["lr"]`` on ``step()``.

Call ``scheduler.step()`` once per epoch (or per batch for ``OneCycleLR``/``CyclicLR``),
after ``optimizer.step()``; ``ReduceLROnPlateau.step(metric)`` takes the monitored value.

As in PyTorch the schedules are *chainable*: most compute the new rate from the group's
current ``lr`` (``StepLR`` multiplies it by ``gamma`` at each boundary, ``ExponentialLR`` at
every step, ...), so two schedulers on one optimizer compose -- their factors multiply --
instead of the last one overwriting the other. ``ChainedScheduler`` steps several at once;
``SequentialLR`` hands over from one to the next at milestones. ``get_last_lr()`` returns the
rates the latest ``step()`` left in the optimizer; ``state_dict()`` holds everything but the
optimizer (which saves its own ``lr``), so a restored pair continues exactly.
"""

from __future__ import annotations

import bisect
import math
import types
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from .optimizer import Optimizer

__all__ = ["ChainedScheduler", "ConstantLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
           "CyclicLR", "ExponentialLR", "LRScheduler", "LambdaLR", "LinearLR", "MultiStepLR",
           "MultiplicativeLR", "OneCycleLR", "PolynomialLR", "ReduceLROnPlateau",
           "SequentialLR", "StepLR"]

_EPOCH_DEPRECATED = ("passing an epoch to step() is deprecated (as in PyTorch): it jumps to "
                     "the schedule's closed form where there is one; call step() without it")


def _lrs(optimizer: Optimizer) -> list[float]:
    return [group["lr"] for group in optimizer.param_groups]


def _check_optimizer(optimizer: Any, owner: str) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{owner} expects a lucid.optim.Optimizer, got "
                        f"{type(optimizer).__name__}")


def _check_positive_int(value: Any, name: str, owner: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}")


def _per_group(value: Any, name: str, optimizer: Optimizer, owner: str) -> list[Any]:
    """One value per param group (a scalar is repeated), like PyTorch's ``_format_param``."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{owner}: {name} lists {len(value)} values for {n} param groups")
        return list(value)
    return [value] * n


class LRScheduler:
    """Base class: tracks ``last_epoch`` and writes ``get_lr()`` into the optimizer.

    Subclasses define ``get_lr`` (the rates for the new ``last_epoch``, usually from the
    current ones) and, where a formula exists, ``_get_closed_form_lr`` (from ``base_lrs``).
    """

    _is_initial: bool = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        _check_optimizer(optimizer, type(self).__name__)
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"param group {i} has no 'initial_lr'; resuming with "
                               f"last_epoch={last_epoch} needs a group that was scheduled before")
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """The step every scheduler takes on construction (to ``last_epoch + 1``)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rates for the current ``last_epoch``; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} must define get_lr()")

    def step(self, epoch: int | None = None) -> None:
        """Advance one step (or, deprecated, jump to ``epoch``) and set each group's ``lr``."""
        self._step_count += 1
        if epoch is not None:
            warnings.warn(_EPOCH_DEPRECATED, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed = getattr(self, "_get_closed_form_lr", None)
            values = closed() if closed is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = _lrs(self.optimizer)

    def get_last_lr(self) -> list[float]:
        """The learning rates the most recent ``step()`` left in the optimizer."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (which has its own state dict)."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by :meth:`state_dict`."""
        self.__dict__.update(state_dict)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={self._last_lr})"


class _LambdaMixin:
    """``lr_lambda`` handling shared by ``LambdaLR`` and ``MultiplicativeLR``."""

    lr_lambdas: list[Callable[[int], float]]

    def _set_lambdas(self, optimizer: Optimizer, lr_lambda: Any, owner: str) -> None:
        lambdas = _per_group(lr_lambda, "lr_lambda", optimizer, owner)
        for fn in lambdas:
            if not callable(fn):
                raise TypeError(f"{owner}: lr_lambda must be callable, got "
                                f"{type(fn).__name__}")
        self.lr_lambdas = lambdas

    def state_dict(self) -> dict[str, Any]:
        """Plain functions are not saved (as in PyTorch); callable objects save their state."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else
                               dict(fn.__dict__) for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the counters and any callable objects' state."""
        state = dict(state_dict)
        saved = state.pop("lr_lambdas")
        self.__dict__.update(state)
        for fn, fn_state in zip(self.lr_lambdas, saved, strict=True):
            if fn_state is not None:
                fn.__dict__.update(fn_state)


class LambdaLR(_LambdaMixin, LRScheduler):
    """``lr = initial_lr · lr_lambda(epoch)`` (one function, or one per param group)."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Any, last_epoch: int = -1) -> None:
        _check_optimizer(optimizer, "LambdaLR")
        self._set_lambdas(optimizer, lr_lambda, "LambdaLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """``base_lr · lr_lambda(last_epoch)``."""
        return [base * fn(self.last_epoch)
                for fn, base in zip(self.lr_lambdas, self.base_lrs, strict=True)]


class MultiplicativeLR(_LambdaMixin, LRScheduler):
    """Multiply the current ``lr`` by ``lr_lambda(epoch)`` at every step after the first."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Any, last_epoch: int = -1) -> None:
        _check_optimizer(optimizer, "MultiplicativeLR")
        self._set_lambdas(optimizer, lr_lambda, "MultiplicativeLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """``lr · lr_lambda(last_epoch)`` (unchanged on construction)."""
        if self._is_initial:
            return _lrs(self.optimizer)
        return [group["lr"] * fn(self.last_epoch)
                for fn, group in zip(self.lr_lambdas, self.optimizer.param_groups, strict=True)]


class StepLR(LRScheduler):
    """Multiply ``lr`` by ``gamma`` every ``step_size`` steps."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        _check_positive_int(step_size, "step_size", "StepLR")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """``lr · gamma`` when ``last_epoch`` reaches a multiple of ``step_size``."""
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _lrs(self.optimizer)
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size)
                for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply ``lr`` by ``gamma`` at each milestone (twice for a milestone listed twice)."""

    def __init__(self, optimizer: Optimizer, milestones: Sequence[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        ms = list(milestones)
        if any(not isinstance(m, int) or m < 0 for m in ms):
            raise ValueError(f"MultiStepLR: milestones must be non-negative ints, got {ms!r}")
        self.milestones = Counter(ms)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """``lr · gamma^k`` at a milestone listed ``k`` times."""
        if self.last_epoch not in self.milestones:
            return _lrs(self.optimizer)
        k = self.milestones[self.last_epoch]
        return [group["lr"] * self.gamma**k for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        k = bisect.bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [base * self.gamma**k for base in self.base_lrs]


class ConstantLR(LRScheduler):
    """Scale ``lr`` by ``factor`` for the first ``total_iters`` steps, then restore it."""

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        if not 0.0 <= factor <= 1.0:
            raise ValueError(f"ConstantLR: factor must be in [0, 1], got {factor!r}")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """``lr · factor`` at step 0, ``lr / factor`` at ``total_iters``, else unchanged."""
        if self.last_epoch == 0:
            return [group["lr"] * self.factor for group in self.optimizer.param_groups]
        if self.last_epoch != self.total_iters:
            return _lrs(self.optimizer)
        return [group["lr"] * (1.0 / self.factor) for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        f = self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor)
        return [base * f for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale ``initial_lr`` by a factor moving linearly from ``start_factor`` to ``end_factor``
    over ``total_iters`` steps, then holding (a linear warm-up with the defaults).
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1) -> None:
        if not 0.0 < start_factor <= 1.0:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor!r}")
        if not 0.0 <= end_factor <= 1.0:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor!r}")
        _check_positive_int(total_iters, "total_iters", "LinearLR")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current ``lr`` times the ratio of consecutive factors."""
        if self.last_epoch == 0:
            return [group["lr"] * self.start_factor for group in self.optimizer.param_groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return _lrs(self.optimizer)
        d = self.end_factor - self.start_factor
        ratio = 1.0 + d / (self.total_iters * self.start_factor + (self.last_epoch - 1) * d)
        return [group["lr"] * ratio for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        t = min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * (self.start_factor + (self.end_factor - self.start_factor) * t)
                for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply ``lr`` by ``gamma`` at every step."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """``lr · gamma`` (unchanged on construction)."""
        if self._is_initial:
            return _lrs(self.optimizer)
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Decay to 0 over ``total_iters`` steps: ``initial_lr · (1 − t/total_iters)^power``."""

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1) -> None:
        _check_positive_int(total_iters, "total_iters", "PolynomialLR")
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current ``lr`` times the ratio of consecutive decay factors."""
        if self._is_initial or self.last_epoch > self.total_iters:
            return _lrs(self.optimizer)
        decay = ((1.0 - self.last_epoch / self.total_iters)
                 / (1.0 - (self.last_epoch - 1) / self.total_iters)) ** self.power
        return [group["lr"] * decay for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        t = min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * (1.0 - t) ** self.power for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from ``initial_lr`` to ``eta_min`` over ``T_max`` steps (PyTorch's
    recursive form: it keeps following the cosine past ``T_max``, and composes)."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,  # noqa: N803
                 last_epoch: int = -1) -> None:
        _check_positive_int(T_max, "T_max", "CosineAnnealingLR")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The next point on the cosine, from the current ``lr``."""
        t, n, lo = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return _lrs(self.optimizer)
        if self._step_count == 1 and t > 0:
            return [lo + (base - lo) * (1 + math.cos(t * math.pi / n)) / 2
                    for base in self.base_lrs]
        if (t - 1 - n) % (2 * n) == 0:
            return [group["lr"] + (base - lo) * (1 - math.cos(math.pi / n)) / 2
                    for base, group in zip(self.base_lrs, self.optimizer.param_groups,
                                           strict=True)]
        return [(1 + math.cos(math.pi * t / n)) / (1 + math.cos(math.pi * (t - 1) / n))
                * (group["lr"] - lo) + lo for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        c = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * c for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR: cosine annealing restarted every ``T_i`` steps, ``T_i`` growing by ``T_mult``."""

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1,  # noqa: N803
                 eta_min: float = 0.0, last_epoch: int = -1) -> None:
        _check_positive_int(T_0, "T_0", "CosineAnnealingWarmRestarts")
        _check_positive_int(T_mult, "T_mult", "CosineAnnealingWarmRestarts")
        if not isinstance(eta_min, (int, float)):
            raise ValueError(f"CosineAnnealingWarmRestarts: eta_min must be a number, got "
                             f"{eta_min!r}")
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur: float = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """``eta_min + (initial_lr − eta_min)·(1 + cos(π·T_cur/T_i))/2``."""
        c = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [self.eta_min + (base - self.eta_min) * c for base in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Advance one step, or (not deprecated here, as in PyTorch) to a fractional epoch."""
        self._step_count += 1
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"CosineAnnealingWarmRestarts: epoch must be >= 0, got "
                                 f"{epoch!r}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult**n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = _lrs(self.optimizer)


class _Composite(LRScheduler):
    """Saves and restores the schedulers it drives along with itself."""

    _schedulers: list[LRScheduler]

    def state_dict(self) -> dict[str, Any]:
        """This scheduler's state plus each inner scheduler's."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore this scheduler and its inner schedulers."""
        state = dict(state_dict)
        for s, sd in zip(self._schedulers, state.pop("_schedulers"), strict=True):
            s.load_state_dict(sd)
        self.__dict__.update(state)

    @staticmethod
    def _check_members(optimizer: Optimizer, schedulers: Sequence[Any], owner: str) -> None:
        if len(schedulers) < 1:
            raise ValueError(f"{owner} expects at least one scheduler, got none")
        for i, s in enumerate(schedulers):
            if not isinstance(s, LRScheduler):
                raise TypeError(f"{owner}: scheduler {i} is a {type(s).__name__}, not an "
                                "LRScheduler")
            if isinstance(s, ReduceLROnPlateau):
                raise ValueError(f"{owner}: scheduler {i} is a ReduceLROnPlateau, whose step() "
                                 "needs the metric; step it yourself")
            if s.optimizer is not optimizer:
                raise ValueError(f"{owner}: scheduler {i} ({type(s).__name__}) belongs to "
                                 "another optimizer")


class SequentialLR(_Composite):
    """Run ``schedulers[i]`` from ``milestones[i-1]`` on (e.g. ``LinearLR`` warm-up, then cosine).

    As in PyTorch, the scheduler taking over at a milestone restarts at its epoch 0 (its
    closed form there, e.g. cosine from ``initial_lr``).
    """

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler],
                 milestones: Sequence[int], last_epoch: int = -1) -> None:
        _check_optimizer(optimizer, "SequentialLR")
        self._check_members(optimizer, schedulers, "SequentialLR")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: expected len(milestones) == len(schedulers) - 1, "
                             f"got {len(milestones)} milestones for {len(schedulers)} schedulers")
        if list(milestones) != sorted(milestones):
            raise ValueError(f"SequentialLR: milestones must be increasing, got {milestones!r}")
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self._undo(self)
        i = bisect.bisect_right(self._milestones, 0)
        self._schedulers[i]._initial_step()
        self._last_lr = self._schedulers[i].get_last_lr()

    def _undo(self, sched: Any) -> None:
        """Take back the construction step of every (nested) scheduler."""
        if hasattr(sched, "_schedulers"):
            for s in sched._schedulers:
                self._undo(s)
        elif hasattr(sched, "last_epoch"):
            sched.last_epoch -= 1

    def step(self) -> None:  # type: ignore[override]
        """Step the scheduler whose stretch the new epoch falls in."""
        self.last_epoch += 1
        i = bisect.bisect_right(self._milestones, self.last_epoch)
        s = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            s._update_lr(0)
        else:
            s.step()
        self._last_lr = s.get_last_lr()


class ChainedScheduler(_Composite):
    """Step several schedulers of one optimizer together; their effects compose."""

    def __init__(self, schedulers: Sequence[LRScheduler],
                 optimizer: Optimizer | None = None) -> None:
        if len(schedulers) < 1:
            raise ValueError("ChainedScheduler expects at least one scheduler, got none")
        optimizer = optimizer if optimizer is not None else schedulers[0].optimizer
        _check_optimizer(optimizer, "ChainedScheduler")
        self._check_members(optimizer, schedulers, "ChainedScheduler")
        self._schedulers = list(schedulers)
        self.optimizer = optimizer
        self._last_lr = _lrs(optimizer)

    def step(self) -> None:  # type: ignore[override]
        """Step every scheduler, in order."""
        for s in self._schedulers:
            s.step()
        self._last_lr = _lrs(self.optimizer)


class ReduceLROnPlateau(LRScheduler):
    """Multiply ``lr`` by ``factor`` when a metric stops improving for ``patience`` steps.

    ``step(metric)`` once per evaluation. Improvement means beating the best value by
    ``threshold`` (relative or absolute); after a reduction, ``cooldown`` steps are ignored;
    ``lr`` never goes below ``min_lr``, and changes smaller than ``eps`` are skipped.
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | Sequence[float] = 0,
                 eps: float = 1e-8) -> None:
        if not factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1, got {factor!r}")
        _check_optimizer(optimizer, "ReduceLROnPlateau")
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got "
                             f"{threshold_mode!r}")
        self.factor = factor
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            self.default_min_lr: float | None = None
            self.min_lrs = _per_group(min_lr, "min_lr", optimizer, "ReduceLROnPlateau")
        else:
            self.default_min_lr = float(min_lr)  # type: ignore[arg-type]
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = _lrs(optimizer)
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def get_lr(self) -> list[float]:
        """The current learning rates (this scheduler changes them only in ``step``)."""
        return _lrs(self.optimizer)

    @property
    def in_cooldown(self) -> bool:
        """True while steps after a reduction are being ignored."""
        return self.cooldown_counter > 0

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min":
            return a < (best * (1.0 - self.threshold) if self.threshold_mode == "rel"
                        else best - self.threshold)
        return a > (best * (1.0 + self.threshold) if self.threshold_mode == "rel"
                    else best + self.threshold)

    def step(self, metrics: Any, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record the metric (a number or 0-d tensor); reduce ``lr`` after a plateau."""
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(_EPOCH_DEPRECATED, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = _lrs(self.optimizer)

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(f"ReduceLROnPlateau: the optimizer has {len(groups)} param "
                                   f"groups, min_lr lists {len(self.min_lrs)}; update min_lrs")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, low in zip(groups, self.min_lrs, strict=True):
            old = float(group["lr"])
            new = max(old * self.factor, low)
            if old - new > self.eps:
                group["lr"] = new


class CyclicLR(LRScheduler):
    """Cyclical learning rates (Smith): ``lr`` runs between ``base_lr`` and ``max_lr`` in
    triangles of ``step_size_up + step_size_down`` batches; ``triangular2`` halves the
    amplitude every cycle, ``exp_range`` scales it by ``gamma^iteration``; a custom
    ``scale_fn`` with ``scale_mode`` replaces both. With ``cycle_momentum`` the momentum (or
    Adam's β1) cycles inversely between ``max_momentum`` and ``base_momentum``.
    """

    def __init__(self, optimizer: Optimizer, base_lr: float | Sequence[float],
                 max_lr: float | Sequence[float], step_size_up: int = 2000,
                 step_size_down: int | None = None, mode: str = "triangular",
                 gamma: float = 1.0, scale_fn: Callable[[float], float] | None = None,
                 scale_mode: str = "cycle", cycle_momentum: bool = True,
                 base_momentum: float | Sequence[float] = 0.8,
                 max_momentum: float | Sequence[float] = 0.9, last_epoch: int = -1) -> None:
        _check_optimizer(optimizer, "CyclicLR")
        self.optimizer = optimizer
        base_lrs = _per_group(base_lr, "base_lr", optimizer, "CyclicLR")
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups, strict=True):
                group["lr"] = lr
        self.max_lrs = _per_group(max_lr, "max_lr", optimizer, "CyclicLR")
        _check_positive_int(step_size_up, "step_size_up", "CyclicLR")
        if step_size_down is not None:
            _check_positive_int(step_size_down, "step_size_down", "CyclicLR")
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(f"CyclicLR: mode must be 'triangular', 'triangular2' or "
                             f"'exp_range' (or give scale_fn), got {mode!r}")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"CyclicLR: scale_mode must be 'cycle' or 'iterations', got "
                             f"{scale_mode!r}")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_mode()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError("CyclicLR: cycle_momentum=True needs an optimizer with "
                                 "'momentum' or 'betas'; pass cycle_momentum=False")
            self.use_beta1 = "betas" in optimizer.defaults
            self.base_momentums = _per_group(base_momentum, "base_momentum", optimizer,
                                             "CyclicLR")
            self.max_momentums = _per_group(max_momentum, "max_momentum", optimizer,
                                            "CyclicLR")
            if last_epoch == -1:
                for top, low, group in zip(self.max_momentums, self.base_momentums,
                                           optimizer.param_groups, strict=True):
                    if self.use_beta1:
                        group["betas"] = (top, *group["betas"][1:])
                    else:
                        group["momentum"] = top
                    group["max_momentum"] = top
                    group["base_momentum"] = low
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_mode(self) -> None:
        if self._scale_fn_custom is None:
            self.scale_mode = "iterations" if self.mode == "exp_range" else "cycle"

    def scale_fn(self, x: float) -> float:
        """The amplitude scale at cycle (or iteration) ``x``."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def get_lr(self) -> list[float]:
        """The point on the current triangle (setting the momentum when cycling it)."""
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base + (top - base) * scale_factor * scale
               for base, top in zip(self.base_lrs, self.max_lrs, strict=True)]
        if self.cycle_momentum:
            for group, low, top in zip(self.optimizer.param_groups, self.base_momentums,
                                       self.max_momentums, strict=True):
                momentum = top - (top - low) * scale_factor * scale
                if self.use_beta1:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum
        return lrs

    def state_dict(self) -> dict[str, Any]:
        """As PyTorch: a custom ``scale_fn`` is saved only if it is a callable object."""
        state = super().state_dict()
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = (None if fn is None or isinstance(fn, types.FunctionType)
                                     else dict(fn.__dict__))
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the counters (and a callable ``scale_fn`` object's state)."""
        state = dict(state_dict)
        fn_state = state.pop("_scale_fn_custom")
        super().load_state_dict(state)
        if fn_state is not None and self._scale_fn_custom is not None:
            self._scale_fn_custom.__dict__.update(fn_state)
        self._init_scale_mode()


class OneCycleLR(LRScheduler):
    """The 1cycle policy, stepped once per batch: warm up from ``max_lr/div_factor`` to
    ``max_lr`` over ``pct_start`` of the steps, then anneal to
    ``max_lr/(div_factor·final_div_factor)``; momentum (or Adam's β1) cycles inversely.
    """

    def __init__(self, optimizer: Optimizer, max_lr: float | Sequence[float],
                 total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float = 0.85, max_momentum: float = 0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False, last_epoch: int = -1) -> None:
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR: give total_steps, or both epochs and "
                                 "steps_per_epoch")
            _check_positive_int(epochs, "epochs", "OneCycleLR")
            _check_positive_int(steps_per_epoch, "steps_per_epoch", "OneCycleLR")
            total_steps = epochs * steps_per_epoch
        _check_positive_int(total_steps, "total_steps", "OneCycleLR")
        if not 0.0 <= pct_start <= 1.0:
            raise ValueError(f"OneCycleLR: pct_start must be in [0, 1], got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got "
                             f"{anneal_strategy!r}")
        self.total_steps = total_steps
        self.anneal_strategy = anneal_strategy
        n = len(optimizer.param_groups)
        max_lrs = list(max_lr) if isinstance(max_lr, (list, tuple)) else [max_lr] * n
        if len(max_lrs) != n:
            raise ValueError(f"OneCycleLR: max_lr lists {len(max_lrs)} values for {n} groups")
        warm_end = float(pct_start * total_steps) - 1
        if three_phase:
            self._phases = [(warm_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (2 * warm_end, "max_lr", "initial_lr", "base_momentum",
                             "max_momentum"),
                            (total_steps - 1, "initial_lr", "min_lr", "max_momentum",
                             "max_momentum")]
        else:
            self._phases = [(warm_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (total_steps - 1, "max_lr", "min_lr", "base_momentum",
                             "max_momentum")]
        self.cycle_momentum = cycle_momentum
        defaults = optimizer.defaults
        if cycle_momentum and "momentum" not in defaults and "betas" not in defaults:
            raise ValueError("OneCycleLR: cycle_momentum=True needs an optimizer with "
                             "'momentum' or 'betas'; pass cycle_momentum=False")
        self._use_betas = "betas" in defaults
        for group, top in zip(optimizer.param_groups, max_lrs, strict=True):
            if last_epoch == -1:
                group["initial_lr"] = top / div_factor  # type: ignore[operator]
                group["lr"] = group["initial_lr"]
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
                if cycle_momentum:
                    group["max_momentum"] = max_momentum
                    group["base_momentum"] = base_momentum
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1.0)
        return (end - start) * pct + start

    def _at(self, group: dict[str, Any], step: int) -> tuple[float, float | None]:
        start_step = 0.0
        for i, (end_step, lr0, lr1, m0, m1) in enumerate(self._phases):
            if step <= end_step or i == len(self._phases) - 1:
                span = end_step - start_step
                pct = (step - start_step) / span if span > 0 else 1.0
                lr = self._anneal(group[lr0], group[lr1], pct)
                mom = self._anneal(group[m0], group[m1], pct) if self.cycle_momentum else None
                return lr, mom
            start_step = end_step
        raise AssertionError("unreachable")

    def get_lr(self) -> list[float]:
        """The 1cycle learning rate of each group (setting its momentum/β1 when cycling).

        As in PyTorch, ``total_steps`` bounds ``last_epoch``: the schedule may be stepped
        ``total_steps`` times after construction, and raises after that.
        """
        if self.last_epoch > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {self.last_epoch} times, but total_steps is "
                             f"{self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            lr, mom = self._at(group, self.last_epoch)
            lrs.append(lr)
            if self.cycle_momentum:
                if self._use_betas:
                    group["betas"] = (mom, *group["betas"][1:])
                else:
                    group["momentum"] = mom
        return lrs
