"""Loss layers: ``CrossEntropyLoss`` and ``MSELoss``."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from . import functional as F
from .module import Module

_REDUCTIONS = ("mean", "sum", "none")


def _reduction(value: str, owner: str) -> str:
    if value not in _REDUCTIONS:
        raise ValueError(f"{owner}: reduction must be one of {_REDUCTIONS}, got {value!r}")
    return value


class CrossEntropyLoss(Module):
    """Softmax cross-entropy of ``(N, C)`` logits against class indices, with label smoothing."""

    def __init__(self, label_smoothing: float = 0.0, reduction: str = "mean") -> None:
        super().__init__()
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got "
                             f"{label_smoothing!r}")
        self.label_smoothing = float(label_smoothing)
        self.reduction = _reduction(reduction, "CrossEntropyLoss")

    def forward(self, logits: Tensor, target: Any) -> Tensor:
        """The loss of ``logits`` given integer ``target``."""
        return F.cross_entropy(logits, target, self.label_smoothing, self.reduction)

    def extra_repr(self) -> str:
        return f"label_smoothing={self.label_smoothing}, reduction={self.reduction!r}"


class MSELoss(Module):
    """Mean (or summed) squared error between ``input`` and ``target``."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = _reduction(reduction, "MSELoss")

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The squared-error loss."""
        return F.mse_loss(input, target, self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"
