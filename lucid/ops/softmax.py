"""Softmax and log-softmax along one axis (backend kernels; stable for large inputs)."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from ..autograd.engine import Node
from ..autograd.function import Function
from ._support import wrap_dim


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
    return wrap_dim(axis, x.ndim, op)


def softmax(x: Tensor, dim: int = -1, *, axis: int | None = None) -> Tensor:
    """Softmax along ``dim`` (a 0-d tensor is its own slice: the result is 1, as PyTorch)."""
    ax = _axis(x, dim if axis is None else axis, "softmax")
    if x.ndim == 0:
        return Softmax.apply(x.reshape(1), 0).reshape(())
    return Softmax.apply(x, ax)


def log_softmax(x: Tensor, dim: int = -1, *, axis: int | None = None) -> Tensor:
    """Log-softmax along ``dim`` (0 for a 0-d tensor, as PyTorch)."""
    ax = _axis(x, dim if axis is None else axis, "log_softmax")
    if x.ndim == 0:
        return LogSoftmax.apply(x.reshape(1), 0).reshape(())
    return LogSoftmax.apply(x, ax)
