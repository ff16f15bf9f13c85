"""Indexing: ``x[index]`` with NumPy basic and advanced indexing."""

from __future__ import annotations

from typing import Any

from .. import _dtype
from .._tensor import Tensor
from ..autograd.engine import Node
from ..autograd.function import Function
from ..backends import Backend


class GetItem(Function):
    """``x[index]``; the gradient is scatter-added back (repeated indices accumulate)."""

    @staticmethod
    def forward(ctx: Node, x: Any, index: Any) -> Any:
        b = ctx.backend
        ctx.index = index
        ctx.source = (tuple(b.shape(x)), b.dtype_of(x))
        return b.getitem(x, index)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None]:
        b = ctx.backend
        shape, dtype = ctx.source
        return b.scatter_add(b.zeros(shape, dtype), ctx.index, g), None


def _native_index(b: Backend, index: Any) -> Any:
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, tuple):
        return tuple(_native_index(b, i) for i in index)
    if isinstance(index, list):
        # an empty list selects nothing: an int64 index (NumPy would make it float64)
        return b.asarray(index, _dtype.int64) if not index else b.asarray(index)
    return index


def index_error(x: Tensor, index: Any, exc: Exception) -> IndexError:
    """lucid's error for a bad index: the tensor's shape, the index and what was wrong, in
    PyTorch's words (dimension, tensor) rather than the backend's (axis, array)."""
    what = (str(exc).replace("numpy.newaxis (`None`)", "None").replace("axis", "dimension")
            .replace("array is", "tensor is").replace("for array", "for tensor")
            .replace("boolean arrays", "boolean tensors"))
    shown = repr(index)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return IndexError(f"indexing a tensor of shape {x.shape} with {shown}: {what}")


def getitem(x: Tensor, index: Any) -> Tensor:
    """``x[index]`` with NumPy basic and advanced indexing; the gradient scatter-adds back."""
    try:
        return GetItem.apply(x, _native_index(x.backend, index))
    except (IndexError, TypeError, ValueError) as exc:
        raise index_error(x, index, exc) from None
