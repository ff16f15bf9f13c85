"""Shape operations: reshape, permute/transpose, (un)squeeze, flatten, broadcast, join, pad."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from .._tensor import Tensor
from ..autograd.engine import Node
from ..autograd.function import Function
from ._support import (
    axes_arg,
    int_arg,
    no_dims_error,
    same_backend,
    shape_arg,
    unbroadcast,
    wrap_dim,
)


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
    """Return ``x`` with a new shape (varargs or one tuple); one entry may be -1 (inferred)."""
    new = shape_arg(shape, "reshape")
    if new and builtins.min(new) < 0:
        _check_inferred(new)
    return Reshape.apply(x, new)


def _check_inferred(new: tuple[int, ...]) -> None:
    """A shape with negative entries: only one -1 (inferred), nothing below."""
    for s in new:
        if s < -1:
            raise RuntimeError(f"reshape: invalid shape dimension {s} in {new}; sizes must be "
                               f"non-negative, or -1 for the one inferred size")
    if new.count(-1) > 1:
        raise RuntimeError(f"reshape: only one dimension can be inferred, got {new}")


def permute(x: Tensor, *axes: Any) -> Tensor:
    """Reorder the axes of ``x``."""
    perm = axes_arg(_dims_arg(axes), x.ndim, op="permute") or ()
    if len(perm) != x.ndim:
        raise RuntimeError(f"permute: number of dimensions in the tensor input does not match "
                           f"the length of the desired ordering of dimensions i.e. input.dim() "
                           f"= {x.ndim} is not equal to len(dims) = {len(perm)}")
    if x.ndim == 0:
        return Permute.apply(x, ())
    return Permute.apply(x, perm)


def _dims_arg(dims: tuple[Any, ...]) -> Any:
    """Dimensions given as varargs or as one sequence."""
    return dims[0] if len(dims) == 1 and not isinstance(dims[0], int) else dims


def transpose(x: Tensor, *axes: Any) -> Tensor:
    """Reverse the axes (no args), swap two axes (two ints), or apply a full permutation."""
    if not axes:
        return permute(x, tuple(reversed(range(x.ndim))))
    if len(axes) == 2 and all(isinstance(a, int) for a in axes):
        i, j = wrap_dim(axes[0], x.ndim, "transpose"), wrap_dim(axes[1], x.ndim, "transpose")
        if x.ndim == 0:
            return permute(x, ())
        perm = list(range(x.ndim))
        perm[i], perm[j] = perm[j], perm[i]
        return permute(x, tuple(perm))
    return permute(x, *axes)


def squeeze(x: Tensor, dim: int | Sequence[int] | None = None, *,
            axis: int | Sequence[int] | None = None) -> Tensor:
    """Remove axes of length one (all of them, or the given ones)."""
    axis = dim if axis is None else axis
    shape = x.shape
    if axis is None:
        new = tuple(s for s in shape if s != 1)
    else:
        axes = axes_arg(axis, x.ndim, op="squeeze") or ()
        new = tuple(s for i, s in enumerate(shape) if not (i in axes and s == 1))
    return reshape(x, new)


def unsqueeze(x: Tensor, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """Insert an axis of length one at ``dim``."""
    axis = dim if axis is None else axis
    if axis is None:
        raise TypeError("unsqueeze() missing required argument 'dim'")
    ax = wrap_dim(axis, x.ndim, "unsqueeze", extra=1)
    shape = list(x.shape)
    shape.insert(ax, 1)
    return reshape(x, tuple(shape))


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1, *, start_axis: int | None = None,
            end_axis: int | None = None) -> Tensor:
    """Merge dims ``start_dim..end_dim`` (inclusive) into one."""
    start_axis = start_dim if start_axis is None else start_axis
    end_axis = end_dim if end_axis is None else end_axis
    shape = x.shape
    s = wrap_dim(start_axis, len(shape), "flatten")
    e = wrap_dim(end_axis, len(shape), "flatten")
    if s > e:
        raise RuntimeError(f"flatten() has invalid args: start_dim ({start_axis}) cannot come "
                           f"after end_dim ({end_axis})")
    if not shape:
        return reshape(x, (1,))
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return reshape(x, shape[:s] + (n,) + shape[e + 1:])


def broadcast_to(x: Tensor, *shape: Any) -> Tensor:
    """Broadcast ``x`` to ``shape`` (-1 keeps the existing size)."""
    target = list(shape_arg(shape, "broadcast_to"))
    old = x.shape
    lead = len(target) - len(old)
    if lead < 0:
        raise ValueError(f"broadcast_to: the number of sizes provided ({len(target)}) must be "
                         f"greater or equal to the number of dimensions in the tensor "
                         f"({len(old)}); shape {tuple(target)}, tensor shape {old}")
    for i, s in enumerate(old):
        t = target[i + lead]
        if t == -1:
            target[i + lead] = s
        elif t != s and s != 1 or t < 0:
            raise ValueError(f"broadcast_to: the expanded size of the tensor ({t}) must match "
                             f"the existing size ({s}) at non-singleton dimension {i + lead}. "
                             f"Target sizes: {tuple(target)}. Tensor sizes: {old}")
    if any(t < 0 for t in target[:lead]):
        raise ValueError(f"broadcast_to: the expanded size of the tensor (-1) isn't allowed in "
                         f"a leading, non-existing dimension; target sizes {tuple(target)}")
    return BroadcastTo.apply(x, tuple(target))


def _as_tensors(tensors: Sequence[Any]) -> list[Tensor]:
    return [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]


def concatenate(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors along an existing dim."""
    axis = dim if axis is None else axis
    ts = _as_tensors(tensors)
    same_backend(ts, "concatenate")
    if ts[0].ndim == 0:
        raise RuntimeError("concatenate: zero-dimensional tensor (at position 0) cannot be "
                           "concatenated")
    ax = wrap_dim(axis, ts[0].ndim, "concatenate")
    first = ts[0].shape
    for t in ts[1:]:
        if len(t.shape) != len(first) or any(
                i != ax and m != n for i, (m, n) in enumerate(zip(first, t.shape))):
            raise ValueError(f"concatenate: cannot join shapes {[u.shape for u in ts]} "
                             f"along axis {axis}; every other axis must match")
    return Concatenate.apply(ax, *ts)


#: The same function as :func:`concatenate` (PyTorch's short name).
cat = concatenate


def stack(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors along a new dim."""
    axis = dim if axis is None else axis
    ts = _as_tensors(tensors)
    same_backend(ts, "stack")
    if any(t.shape != ts[0].shape for t in ts[1:]):
        raise ValueError(f"stack: all tensors need the same shape, got {[t.shape for t in ts]}")
    return Stack.apply(wrap_dim(axis, ts[0].ndim, "stack", extra=1), *ts)


def pad(x: Tensor, pad_width: Sequence[tuple[int, int]], value: float = 0.0) -> Tensor:
    """Constant-pad each axis by ``(before, after)``: one pair per dimension, non-negative."""
    widths = tuple(tuple(pair) for pair in pad_width)
    if len(widths) != x.ndim or any(len(w) != 2 for w in widths):
        raise ValueError(f"pad: pad_width must hold one (before, after) pair per dimension "
                         f"({x.ndim} for shape {x.shape}), got {pad_width!r}")
    amounts = tuple((int_arg(p, "pad_width", "pad"), int_arg(q, "pad_width", "pad"))
                    for p, q in widths)
    if any(p < 0 or q < 0 for p, q in amounts):
        raise ValueError(f"pad: pad widths must be non-negative, got {pad_width!r}")
    return Pad.apply(x, amounts, value)


def flip(x: Tensor, dims: Any) -> Tensor:
    """``x`` with the order of the entries along ``dims`` reversed."""
    axes = axes_arg(dims, x.ndim, op="flip") or ()
    if x.ndim == 0:
        return x.clone()
    index = tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim))
    return _ops_getitem(x, index)


def roll(x: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Entries shifted along ``dims`` with wrap-around (of the flattened tensor when None)."""
    if dims is None:
        if not isinstance(shifts, int):
            raise ValueError(f"roll: without dims, shifts must be one int, got {shifts!r}")
        return roll(x.reshape(-1), shifts, 0).reshape(x.shape)
    shift_t = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dim_t = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shift_t) != len(dim_t):
        raise ValueError(f"roll: shifts {shifts!r} and dims {dims!r} must have the same length")
    out = x
    for s, d in zip(shift_t, dim_t):
        if x.ndim == 0:
            raise no_dims_error("roll", d)
        ax = wrap_dim(d, x.ndim, "roll")
        n = x.shape[ax] if x.ndim else 1
        if n == 0:
            continue
        s %= n
        if s == 0:
            continue
        lead = (slice(None),) * ax
        out = concatenate([_ops_getitem(out, lead + (slice(n - s, None),)),
                           _ops_getitem(out, lead + (slice(0, n - s),))], ax)
    return out


def repeat(x: Tensor, *sizes: Any) -> Tensor:
    """``x`` tiled ``sizes[i]`` times along each dimension, as ``Tensor.repeat``."""
    reps = shape_arg(sizes, "repeat")
    if len(reps) < x.ndim:
        raise ValueError(f"repeat: got {len(reps)} repeat counts for a tensor with {x.ndim} "
                         f"dimensions; give at least one per dimension")
    if any(r < 0 for r in reps):
        raise ValueError(f"repeat: repeat counts must be non-negative, got {reps}")
    shape = (1,) * (len(reps) - x.ndim) + x.shape
    inter = tuple(v for s in shape for v in (1, s))
    big = tuple(v for r, s in zip(reps, shape) for v in (r, s))
    return broadcast_to(reshape(x, inter), big).reshape(
        tuple(r * s for r, s in zip(reps, shape)))


def tile(x: Tensor, dims: Any) -> Tensor:
    """``x`` tiled ``dims`` times (fewer counts than dimensions count from the right)."""
    reps = shape_arg((dims,), "tile")
    reps = (1,) * (x.ndim - len(reps)) + tuple(reps)
    return repeat(x, reps)


def split(x: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of ``x`` along ``dim``: of one size (the last may be smaller) or of the given
    sizes."""
    if x.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    ax = wrap_dim(dim, x.ndim, "split")
    n = x.shape[ax]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise ValueError(f"split: split_size must be positive, got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else [])
        if n == 0:
            sizes = [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if builtins.sum(sizes) != n or any(s < 0 for s in sizes):
            raise ValueError(f"split: sections {sizes} must be non-negative and sum to the "
                             f"size {n} of dimension {ax}")
    out = []
    start = 0
    for s in sizes:
        out.append(_ops_getitem(x, (slice(None),) * ax + (slice(start, start + s),)))
        start += s
    return tuple(out)


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """``x`` split into at most ``chunks`` pieces of equal size along ``dim`` (last smaller)."""
    if isinstance(chunks, bool) or not isinstance(chunks, int) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    if x.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    ax = wrap_dim(dim, x.ndim, "chunk")
    n = x.shape[ax]
    return split(x, builtins.max(-(-n // chunks), 1), ax)


def _ops_getitem(x: Tensor, index: Any) -> Tensor:
    from .indexing import getitem  # indexing imports nothing of this module: no cycle

    return getitem(x, index)
