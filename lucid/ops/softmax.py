"""Softmax and log-softmax along one axis (backend kernels; stable for large inputs)."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from ..autograd.engine import Node
from ..autograd.function import Function
from ._support import axes_arg


class Softmax(Function):
    """``exp(x) / sum(exp(x))`` along ``axis``."""

    @staticmethod
    def forward(ctx: Node, x: Any, axis: int) -> Any:
        y = ctx.backend.softmax(x, axis)
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None]:
        b = ctx.backend
        (y,) = ctx.saved_tensors
        gy = b.multiply(g, y)
        return b.subtract(gy, b.multiply(y, b.sum(gy, (ctx.axis,), True))), None


class LogSoftmax(Function):
    """``x - log(sum(exp(x)))`` along ``axis``."""

    @staticmethod
    def forward(ctx: Node, x: Any, axis: int) -> Any:
        y = ctx.backend.log_softmax(x, axis)
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None]:
        b = ctx.backend
        (y,) = ctx.saved_tensors
        return b.subtract(g, b.multiply(b.exp(y), b.sum(g, (ctx.axis,), True))), None


def _axis(x: Tensor, axis: int, op: str) -> int:
    if x.ndim == 0:
        raise ValueError(f"{op} needs a tensor with at least one dimension, got a 0-d tensor")
    found = axes_arg(axis, x.ndim)
    assert found is not None
    return found[0]


def softmax(x: Tensor, dim: int = -1, *, axis: int | None = None) -> Tensor:
    """Softmax along ``dim``."""
    return Softmax.apply(x, _axis(x, dim if axis is None else axis, "softmax"))


def log_softmax(x: Tensor, dim: int = -1, *, axis: int | None = None) -> Tensor:
    """Log-softmax along ``dim``."""
    return LogSoftmax.apply(x, _axis(x, dim if axis is None else axis, "log_softmax"))
