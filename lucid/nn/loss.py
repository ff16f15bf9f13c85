"""Loss layers: the module forms of :mod:`lucid.nn.functional`'s losses, PyTorch's names.

As in the functional forms, options are keyword-only after ``weight`` (PyTorch's deprecated
``size_average``/``reduce`` would sit between them positionally).
"""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from . import functional as F
from .module import Module

_REDUCTIONS = ("mean", "sum", "none")


def _reduction(value: str, owner: str, extra: tuple[str, ...] = ()) -> str:
    if value not in _REDUCTIONS + extra:
        raise ValueError(f"{owner}: reduction must be one of {_REDUCTIONS + extra}, got "
                         f"{value!r}")
    return value


class _Loss(Module):
    """Holds ``reduction`` (and a constant ``weight`` buffer where the loss takes one)."""

    def __init__(self, *, reduction: str = "mean", extra: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.reduction = _reduction(reduction, type(self).__name__, extra)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    def __init__(self, weight: Tensor | None = None, *, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        if weight is not None and not isinstance(weight, Tensor):
            raise TypeError(f"{type(self).__name__}: weight must be a lucid Tensor or None, got "
                            f"{type(weight).__name__}")
        self.register_buffer("weight", weight)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy (see :func:`lucid.nn.functional.cross_entropy`)."""

    def __init__(self, weight: Tensor | None = None, *, ignore_index: int = -100,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, reduction=reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got "
                             f"{label_smoothing!r}")
        self.ignore_index = ignore_index
        self.label_smoothing = float(label_smoothing)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """The loss of logits ``input`` given class indices or probabilities ``target``."""
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)

    def extra_repr(self) -> str:
        return (f"ignore_index={self.ignore_index}, label_smoothing={self.label_smoothing}, "
                f"reduction={self.reduction!r}")


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood (see :func:`lucid.nn.functional.nll_loss`)."""

    def __init__(self, weight: Tensor | None = None, *, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__(weight, reduction=reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """The loss of log-probabilities ``input`` given class indices ``target``."""
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"ignore_index={self.ignore_index}, reduction={self.reduction!r}"


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities (see :func:`F.binary_cross_entropy`)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """The loss of probabilities ``input`` given ``target``."""
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross-entropy of logits (see :func:`F.binary_cross_entropy_with_logits`)."""

    def __init__(self, weight: Tensor | None = None, *, reduction: str = "mean",
                 pos_weight: Tensor | None = None) -> None:
        super().__init__(weight, reduction=reduction)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """The loss of logits ``input`` given ``target``."""
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class L1Loss(_Loss):
    """Mean (or summed) absolute error."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """The absolute-error loss."""
        return F.l1_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """Mean (or summed) squared error between ``input`` and ``target``."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """The squared-error loss."""
        return F.mse_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Squared error below ``beta``, absolute error above (see :func:`F.smooth_l1_loss`)."""

    def __init__(self, *, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        if not beta >= 0:
            raise ValueError(f"SmoothL1Loss: beta must be >= 0, got {beta!r}")
        self.beta = beta

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """The smooth-L1 loss."""
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, reduction={self.reduction!r}"


class HuberLoss(_Loss):
    """Squared error below ``delta``, ``delta``-scaled absolute error above."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        if not delta > 0:
            raise ValueError(f"HuberLoss: delta must be > 0, got {delta!r}")
        self.delta = delta

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """The Huber loss."""
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)

    def extra_repr(self) -> str:
        return f"delta={self.delta}, reduction={self.reduction!r}"


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence of log-probabilities (see :func:`F.kl_div`)."""

    def __init__(self, *, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(reduction=reduction, extra=("batchmean",))
        self.log_target = log_target

    def forward(self, input: Tensor, target: Any) -> Tensor:
        """``KL(target ‖ exp(input))``."""
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)

    def extra_repr(self) -> str:
        return f"log_target={self.log_target}, reduction={self.reduction!r}"


__all__ = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HuberLoss", "KLDivLoss",
           "L1Loss", "MSELoss", "NLLLoss", "SmoothL1Loss"]
