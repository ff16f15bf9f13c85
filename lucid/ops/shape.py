"""Shape operations: reshape, permute/transpose, (un)squeeze, flatten, broadcast, join, pad."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from .._tensor import Tensor
from ..autograd.engine import Node
from ..autograd.function import Function
from ._support import axes_arg, same_backend, shape_arg, unbroadcast


class Reshape(Function):
    """The same values in a new shape."""

    @staticmethod
    def forward(ctx: Node, x: Any, shape: tuple[int, ...]) -> Any:
        b = ctx.backend
        ctx.old_shape = old = tuple(b.shape(x))
        try:
            return b.reshape(x, shape)
        except ValueError as exc:
            raise ValueError(f"cannot reshape a tensor of shape {old} into {shape}") from exc

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None]:
        return ctx.backend.reshape(g, ctx.old_shape), None


class Permute(Function):
    """Axes reordered by a permutation."""

    @staticmethod
    def forward(ctx: Node, x: Any, perm: tuple[int, ...]) -> Any:
        ctx.inverse = tuple(sorted(range(len(perm)), key=perm.__getitem__))
        return ctx.backend.transpose(x, perm)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None]:
        return ctx.backend.transpose(g, ctx.inverse), None


class BroadcastTo(Function):
    """Broadcast to a larger shape."""

    @staticmethod
    def forward(ctx: Node, x: Any, shape: tuple[int, ...]) -> Any:
        b = ctx.backend
        ctx.old_shape = tuple(b.shape(x))
        return b.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None]:
        return unbroadcast(ctx.backend, g, ctx.old_shape), None


class Concatenate(Function):
    """Join arrays along an existing axis."""

    @staticmethod
    def forward(ctx: Node, axis: int, *arrays: Any) -> Any:
        b = ctx.backend
        ctx.axis = axis
        ctx.sizes = [b.shape(a)[axis] for a in arrays]
        return b.concatenate(arrays, axis)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, ...]:
        b, ax = ctx.backend, ctx.axis
        grads: list[Any] = [None]
        start = 0
        for n in ctx.sizes:
            grads.append(b.getitem(g, (slice(None),) * ax + (slice(start, start + n),)))
            start += n
        return tuple(grads)


class Stack(Function):
    """Join arrays along a new axis."""

    @staticmethod
    def forward(ctx: Node, axis: int, *arrays: Any) -> Any:
        ctx.axis = axis
        ctx.count = len(arrays)
        return ctx.backend.stack(arrays, axis)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, ...]:
        b, ax = ctx.backend, ctx.axis
        return (None,) + tuple(b.getitem(g, (slice(None),) * ax + (i,))
                               for i in range(ctx.count))


class Pad(Function):
    """Constant padding of every axis by ``(before, after)``."""

    @staticmethod
    def forward(ctx: Node, x: Any, widths: tuple[tuple[int, int], ...], value: float) -> Any:
        b = ctx.backend
        ctx.index = tuple(slice(p, p + s) for (p, _), s in zip(widths, b.shape(x)))
        return b.pad(x, widths, value)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None, None]:
        return ctx.backend.getitem(g, ctx.index), None, None


def reshape(x: Tensor, *shape: Any) -> Tensor:
    """Return ``x`` with a new shape (varargs or one tuple)."""
    return Reshape.apply(x, shape_arg(shape))


def permute(x: Tensor, *axes: Any) -> Tensor:
    """Reorder the axes of ``x``."""
    perm = shape_arg(axes)
    if sorted(a % builtins.max(x.ndim, 1) for a in perm) != list(range(x.ndim)):
        raise ValueError(f"permute: {perm} is not a permutation of {x.ndim} axes")
    return Permute.apply(x, tuple(a % x.ndim for a in perm))


def transpose(x: Tensor, *axes: Any) -> Tensor:
    """Reverse the axes (no args), swap two axes (two ints), or apply a full permutation."""
    if not axes:
        return permute(x, tuple(reversed(range(x.ndim))))
    if len(axes) == 2 and all(isinstance(a, int) for a in axes):
        perm = list(range(x.ndim))
        i, j = axes[0] % x.ndim, axes[1] % x.ndim
        perm[i], perm[j] = perm[j], perm[i]
        return permute(x, tuple(perm))
    return permute(x, *axes)


def squeeze(x: Tensor, axis: int | Sequence[int] | None = None) -> Tensor:
    """Remove axes of length one (all of them, or the given ones)."""
    shape = x.shape
    if axis is None:
        new = tuple(s for s in shape if s != 1)
    else:
        axes = axes_arg(axis, x.ndim) or ()
        new = tuple(s for i, s in enumerate(shape) if not (i in axes and s == 1))
    return reshape(x, new)


def unsqueeze(x: Tensor, axis: int) -> Tensor:
    """Insert an axis of length one at ``axis``."""
    shape = list(x.shape)
    ax = axis % (len(shape) + 1) if axis < 0 else axis
    shape.insert(ax, 1)
    return reshape(x, tuple(shape))


def flatten(x: Tensor, start_axis: int = 0, end_axis: int = -1) -> Tensor:
    """Merge axes ``start_axis..end_axis`` (inclusive) into one."""
    shape = x.shape
    if not shape:
        return reshape(x, (1,))
    s, e = start_axis % len(shape), end_axis % len(shape)
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return reshape(x, shape[:s] + (n,) + shape[e + 1:])


def broadcast_to(x: Tensor, *shape: Any) -> Tensor:
    """Broadcast ``x`` to ``shape`` (-1 keeps the existing size)."""
    target = list(shape_arg(shape))
    old = x.shape
    lead = len(target) - len(old)
    for i, s in enumerate(old):
        if target[i + lead] == -1:
            target[i + lead] = s
    return BroadcastTo.apply(x, tuple(target))


def _as_tensors(tensors: Sequence[Any]) -> list[Tensor]:
    return [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    ts = _as_tensors(tensors)
    same_backend(ts, "concatenate")
    ax = axis % builtins.max(ts[0].ndim, 1)
    first = ts[0].shape
    for t in ts[1:]:
        if len(t.shape) != len(first) or any(
                i != ax and m != n for i, (m, n) in enumerate(zip(first, t.shape))):
            raise ValueError(f"concatenate: cannot join shapes {[u.shape for u in ts]} "
                             f"along axis {axis}; every other axis must match")
    return Concatenate.apply(ax, *ts)


cat = concatenate


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along a new axis."""
    ts = _as_tensors(tensors)
    same_backend(ts, "stack")
    if any(t.shape != ts[0].shape for t in ts[1:]):
        raise ValueError(f"stack: all tensors need the same shape, got {[t.shape for t in ts]}")
    return Stack.apply(axis % (ts[0].ndim + 1), *ts)


def pad(x: Tensor, pad_width: Sequence[tuple[int, int]], value: float = 0.0) -> Tensor:
    """Constant-pad each axis by ``(before, after)``."""
    return Pad.apply(x, tuple((int(p), int(q)) for p, q in pad_width), value)
