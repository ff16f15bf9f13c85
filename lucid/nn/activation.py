"""Activation layers: ``ReLU``, ``Sigmoid``, ``Tanh``, ``Softmax``, ``LogSoftmax``."""

from __future__ import annotations

from .._tensor import Tensor
from ..ops import log_softmax, relu, sigmoid, softmax, tanh
from .module import Module


class ReLU(Module):
    """``max(x, 0)`` elementwise (``inplace`` is accepted for compatibility and ignored)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        """Apply ReLU."""
        return relu(x)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """The logistic function ``1 / (1 + exp(-x))`` elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        """Apply the sigmoid."""
        return sigmoid(x)


class Tanh(Module):
    """Hyperbolic tangent elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        """Apply tanh."""
        return tanh(x)


def _axis(axis: int | None, dim: int | None, owner: str) -> int:
    if axis is not None and dim is not None and axis != dim:
        raise ValueError(f"{owner}: give axis or dim, not both (got axis={axis}, dim={dim})")
    value = dim if axis is None else axis
    return -1 if value is None else value


class Softmax(Module):
    """Softmax along ``axis`` (``dim=`` is accepted as an alias); default the last axis."""

    def __init__(self, axis: int | None = None, *, dim: int | None = None) -> None:
        super().__init__()
        self.axis = _axis(axis, dim, "Softmax")

    def forward(self, x: Tensor) -> Tensor:
        """Apply softmax."""
        return softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class LogSoftmax(Module):
    """Log-softmax along ``axis`` (``dim=`` is accepted as an alias); default the last axis."""

    def __init__(self, axis: int | None = None, *, dim: int | None = None) -> None:
        super().__init__()
        self.axis = _axis(axis, dim, "LogSoftmax")

    def forward(self, x: Tensor) -> Tensor:
        """Apply log-softmax."""
        return log_softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"
