"""Selecting and placing values along a dimension: gather, scatter, index_select,
masked_fill, sort, argsort, topk."""

from __future__ import annotations

from typing import Any

from .. import _dtype
from .._tensor import Tensor
from ..autograd.engine import Node
from ..autograd.function import Function
from . import return_types
from ._support import broadcast_shapes
from .arithmetic import where
from .indexing import getitem
from .reduction import TakeAlong, _along_index, _int_dim


def _index_tensor(x: Tensor, index: Any, op: str) -> Tensor:
    """``index`` as an int64 tensor on ``x``'s backend (a TypeError for anything else)."""
    if not isinstance(index, Tensor):
        index = Tensor(index, backend=x.backend)
    if index.dtype not in (_dtype.int64, _dtype.int32):
        raise TypeError(f"{op}: index must be an integer tensor, got dtype {index.dtype}")
    if index.backend is not x.backend:
        raise TypeError(f"{op}: index is on backend {index.backend.name!r}, input on "
                        f"{x.backend.name!r}")
    return index


def _check_along(x: Tensor, dim: int, index: Tensor, op: str) -> None:
    if index.ndim != x.ndim:
        raise ValueError(f"{op}: index must have as many dimensions as the input ({x.ndim}), "
                         f"got {index.ndim}")
    for d, (n, m) in enumerate(zip(index.shape, x.shape)):
        if d != dim and n > m:
            raise ValueError(f"{op}: index shape {index.shape} exceeds the input shape "
                             f"{x.shape} at dimension {d}")
    if index.numel():
        b = x.backend
        lo, hi = b.item(b.min(index._data, None, False)), b.item(b.max(index._data, None, False))
        size = x.shape[dim]
        if lo < -size or hi >= size:
            bad = hi if hi >= size else lo
            raise IndexError(f"{op}: index {bad} is out of range for dimension {dim} of size "
                             f"{size}")


def gather(input: Tensor, dim: int, index: Any) -> Tensor:
    """``out[i][j] = input[index[i][j]][j]`` (dim 0), as ``torch.gather``."""
    d = _int_dim(dim, input.ndim, "gather")
    idx = _index_tensor(input, index, "gather")
    if input.ndim == 0:  # PyTorch reads a 0-d input and index as one-element vectors
        if idx.ndim != 0:
            raise ValueError(f"gather: index must have as many dimensions as the input (0), "
                             f"got {idx.ndim}")
        return gather(input.reshape(1), 0, idx.reshape(1)).reshape(())
    _check_along(input, d, idx, "gather")
    return TakeAlong.apply(input, idx._data, d)


class ScatterAdd(Function):
    """``input`` with ``src`` added at ``index`` along ``dim`` (repeats accumulate)."""

    @staticmethod
    def forward(ctx: Node, x: Any, index: Any, src: Any, axis: int) -> Any:
        b = ctx.backend
        full = _along_index(b, index, axis)
        ctx.full = full
        ctx.src_shape = tuple(b.shape(src))
        part = b.getitem(src, tuple(slice(0, n) for n in b.shape(index)))
        return b.scatter_add(b.add(x, 0), full, part)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None, Any, None]:
        gs = _src_grad(ctx, g) if ctx.needs_input_grad[2] else None
        return (g if ctx.needs_input_grad[0] else None), None, gs, None


def _src_grad(ctx: Node, g: Any) -> Any:
    """Gradient of scatter's ``src``: ``g`` at the scattered places, zero past ``index``."""
    b = ctx.backend
    picked = b.getitem(g, ctx.full)
    return b.pad(picked, [(0, s - n) for s, n in zip(ctx.src_shape, b.shape(picked))], 0.0)


class Scatter(Function):
    """``input`` with ``src`` written at ``index`` along ``dim``."""

    @staticmethod
    def forward(ctx: Node, x: Any, index: Any, src: Any, axis: int) -> Any:
        b = ctx.backend
        full = _along_index(b, index, axis)
        dtype = b.dtype_of(x)
        hit = b.greater(b.scatter_add(b.zeros(tuple(b.shape(x)), dtype), full, 1), 0)
        part = b.getitem(src, tuple(slice(0, n) for n in b.shape(index)))
        placed = b.scatter_add(b.zeros(tuple(b.shape(x)), dtype), full, part)
        ctx.full, ctx.hit, ctx.src_shape = full, hit, tuple(b.shape(src))
        return b.where(hit, placed, x)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None, Any, None]:
        b = ctx.backend
        gs = _src_grad(ctx, g) if ctx.needs_input_grad[2] else None
        gx = b.where(ctx.hit, 0.0, g) if ctx.needs_input_grad[0] else None
        return gx, None, gs, None


def _src(input: Tensor, src: Any, index: Tensor, op: str) -> Any:
    if isinstance(src, Tensor):
        for d, (n, m) in enumerate(zip(index.shape, src.shape)):
            if n > m:
                raise ValueError(f"{op}: index shape {index.shape} exceeds src shape "
                                 f"{src.shape} at dimension {d}")
        return src
    if isinstance(src, (int, float, bool)):
        b = input.backend
        return Tensor._wrap(b.full(index.shape, src, input.dtype), b)
    raise TypeError(f"{op}: src must be a tensor or a number, got {type(src).__name__}")


def scatter(input: Tensor, dim: int, index: Any, src: Any = None, *, value: Any = None
            ) -> Tensor:
    """A copy of ``input`` with ``src`` (a tensor, or ``value``) written at ``index`` along
    ``dim``, as ``torch.scatter``. Repeated indices: PyTorch leaves the result undefined."""
    d = _int_dim(dim, input.ndim, "scatter")
    idx = _index_tensor(input, index, "scatter")
    _check_along(input, d, idx, "scatter")
    s = _src(input, value if src is None else src, idx, "scatter")
    return Scatter.apply(input, idx._data, s, d)


def scatter_add(input: Tensor, dim: int, index: Any, src: Any) -> Tensor:
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (repeats add up)."""
    d = _int_dim(dim, input.ndim, "scatter_add")
    idx = _index_tensor(input, index, "scatter_add")
    _check_along(input, d, idx, "scatter_add")
    return ScatterAdd.apply(input, idx._data, _src(input, src, idx, "scatter_add"), d)


def index_select(input: Tensor, dim: int, index: Any) -> Tensor:
    """The entries of ``input`` at the 1-D ``index`` along ``dim``."""
    d = _int_dim(dim, input.ndim, "index_select")
    idx = _index_tensor(input, index, "index_select")
    if idx.ndim > 1:
        raise ValueError(f"index_select: index must be 1-D, got shape {idx.shape}")
    if idx.ndim == 0:
        idx = idx.reshape(1)
    if idx.numel():
        b = input.backend
        size = input.shape[d] if input.ndim else 1
        lo, hi = b.item(b.min(idx._data, None, False)), b.item(b.max(idx._data, None, False))
        if lo < -size or hi >= size:
            raise IndexError(f"index_select: index {hi if hi >= size else lo} is out of "
                             f"range for dimension {d} of size {size}")
    if input.ndim == 0:
        return getitem(input.reshape(1), idx).reshape(())
    return getitem(input, (slice(None),) * d + (idx,))


def masked_fill(input: Tensor, mask: Any, value: Any) -> Tensor:
    """``input`` with ``value`` where ``mask`` (bool, broadcastable) holds."""
    if not isinstance(mask, Tensor):
        mask = Tensor(mask, backend=input.backend)
    if mask.dtype != _dtype.bool_:
        raise TypeError(f"masked_fill: mask must be a bool tensor, got dtype {mask.dtype}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, got shape "
                             f"{value.shape}")
        if not value.requires_grad:
            value = value.item()
    elif not isinstance(value, (int, float, bool)):
        raise TypeError(f"masked_fill: value must be a number or a 0-d tensor, got "
                        f"{type(value).__name__}")
    try:
        out = where(mask, value, input)
    except ValueError:
        broadcast_shapes("masked_fill", input.shape, mask.shape)  # names masked_fill
        raise
    if out.dtype != input.dtype:
        out = out.astype(input.dtype)
    return out


def _sort_dim(x: Tensor, dim: int, op: str) -> int:
    return _int_dim(dim, x.ndim, op)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False
            ) -> Tensor:
    """Indices that sort ``input`` along ``dim`` (always stable here)."""
    d = _sort_dim(input, dim, "argsort")
    b = input.backend
    if input.ndim == 0:
        return Tensor._wrap(b.zeros((), _dtype.int64), b)
    return Tensor._wrap(b.argsort(input._data, d, bool(descending)), b)


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    """``(values, indices)`` of ``input`` sorted along ``dim`` (NaN sorts as largest)."""
    d = _sort_dim(input, dim, "sort")
    if input.ndim == 0:
        return return_types.sort(input.clone(), argsort(input))
    idx = input.backend.argsort(input._data, d, bool(descending))
    return return_types.sort(TakeAlong.apply(input, idx, d), Tensor._wrap(idx, input.backend))


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
         ) -> Any:
    """``(values, indices)`` of the ``k`` largest (or smallest) entries along ``dim``."""
    d = _sort_dim(input, dim, "topk")
    size = input.shape[d] if input.ndim else 1
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= size:
        raise ValueError(f"topk: k={k!r} is out of range for dimension {d} of size {size}")
    b = input.backend
    x = input.reshape(1) if input.ndim == 0 else input
    idx = b.argsort(x._data, d, bool(largest))
    idx = b.getitem(idx, (slice(None),) * d + (slice(0, k),))
    values = TakeAlong.apply(x, idx, d)
    if input.ndim == 0:
        return return_types.topk(values.reshape(()), Tensor._wrap(b.reshape(idx, ()), b))
    return return_types.topk(values, Tensor._wrap(idx, b))
