"""Conversions: to another backend, to another dtype."""

from __future__ import annotations

from typing import Any

from .. import _dtype
from .._tensor import Tensor
from ..autograd.engine import Node
from ..autograd.function import Function
from ..backends import Backend


class ToBackend(Function):
    """A copy on another backend through the host (NumPy) format; the gradient goes back."""

    @staticmethod
    def forward(ctx: Node, x: Any, target: Backend) -> Any:
        ctx.source = ctx.backend
        ctx.backend = target  # the output lives on the target backend
        return target.asarray(ctx.source.to_numpy(x))

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None]:
        return ctx.source.asarray(ctx.backend.to_numpy(g)), None


class Cast(Function):
    """A copy in another floating dtype; the gradient is cast back."""

    @staticmethod
    def forward(ctx: Node, x: Any, dtype: _dtype.DType) -> Any:
        b = ctx.backend
        ctx.source_dtype = b.dtype_of(x)
        return b.astype(x, dtype)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None]:
        return ctx.backend.astype(g, ctx.source_dtype), None


def to_backend(x: Tensor, target: Backend) -> Tensor:
    """Copy ``x`` to another backend (differentiable: the gradient is copied back)."""
    return ToBackend.apply(x, target)


def astype(x: Tensor, dtype: _dtype.DType) -> Tensor:
    """Convert ``x`` to ``dtype``; gradients flow between floating dtypes."""
    if not dtype.is_floating:
        return Tensor._wrap(x.backend.astype(x._data, dtype), x.backend)
    return Cast.apply(x, dtype)

