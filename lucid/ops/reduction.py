"""Reductions: sum, mean, var/std, prod, max/min, logsumexp, norm, argmax, argmin, cumulative.

Every reduction takes PyTorch's ``dim=``/``keepdim=`` and NumPy's ``axis=``/``keepdims=``.
"""

from __future__ import annotations

from typing import Any

from .. import _dtype
from .._tensor import Tensor
from ..autograd.engine import Node
from ..autograd.function import Function
from . import return_types
from ._support import axes_arg, expand_grad, keep_arg, reduced_count, wrap_dim
from .arithmetic import add, div, maximum, minimum, mul, sub
from .pointwise import exp, log, sqrt

_INT64 = _dtype.int64


class Sum(Function):
    """Sum over ``axes`` (all when None)."""

    @staticmethod
    def forward(ctx: Node, x: Any, axes: tuple[int, ...] | None, keepdims: bool) -> Any:
        b = ctx.backend
        ctx.reduction = (tuple(b.shape(x)), axes, keepdims)
        return b.sum(x, axes, keepdims)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None, None]:
        return expand_grad(ctx.backend, g, *ctx.reduction), None, None


class Mean(Function):
    """Arithmetic mean over ``axes``."""

    @staticmethod
    def forward(ctx: Node, x: Any, axes: tuple[int, ...] | None, keepdims: bool) -> Any:
        b = ctx.backend
        ctx.reduction = (tuple(b.shape(x)), axes, keepdims)
        return b.mean(x, axes, keepdims)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None, None]:
        b = ctx.backend
        shape, axes, keepdims = ctx.reduction
        return expand_grad(b, b.divide(g, reduced_count(shape, axes)), shape, axes, keepdims), \
            None, None


def sum(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
        keepdims: bool | None = None) -> Tensor:
    """Sum over ``dim`` (an int, a tuple, or None for all)."""
    return Sum.apply(x, axes_arg(axis, x.ndim, dim, "sum"), keep_arg(keepdim, keepdims))


def mean(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
         keepdims: bool | None = None) -> Tensor:
    """Arithmetic mean over ``dim``."""
    return Mean.apply(x, axes_arg(axis, x.ndim, dim, "mean"), keep_arg(keepdim, keepdims))


def _correction(unbiased: Any, correction: Any) -> float:
    """PyTorch's ``correction`` (default 1) from ``correction=`` or the legacy ``unbiased=``."""
    if correction is not None and unbiased is not None:
        raise TypeError("var/std: give correction= or unbiased=, not both")
    if correction is not None:
        if isinstance(correction, bool) or not isinstance(correction, (int, float)):
            raise TypeError(f"var/std: correction must be a number, got {correction!r}")
        return float(correction)
    if unbiased is None:
        return 1.0
    if not isinstance(unbiased, bool):
        raise TypeError(f"var/std: unbiased must be a bool, got {unbiased!r}")
    return 1.0 if unbiased else 0.0


def var(x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None, axis: Any = None, keepdims: bool | None = None
        ) -> Tensor:
    """Variance over ``dim``: sum of squared deviations / (N - correction), as PyTorch.

    ``correction`` defaults to 1 (Bessel's correction); ``unbiased=False`` means 0. With
    N - correction <= 0 the result is NaN, as in PyTorch.
    """
    axes = axes_arg(axis, x.ndim, dim, "var")
    keep = keep_arg(keepdim, keepdims)
    c = _correction(unbiased, correction)
    xc = sub(x, mean(x, axes, True))
    sq = sum(mul(xc, xc), axes, keep)
    denom = reduced_count(x.shape, axes) - c
    if denom <= 0:
        return mul(sq, float("nan"))
    return div(sq, denom)


def std(x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None, axis: Any = None, keepdims: bool | None = None
        ) -> Tensor:
    """Standard deviation: ``sqrt(var(...))`` with the same arguments (correction 1)."""
    return sqrt(var(x, dim, unbiased, keepdim, correction=correction, axis=axis,
                    keepdims=keepdims))


class _Extreme(Function):
    """Shared backward of ``max``/``min``: ties share the gradient equally."""

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None, None]:
        b = ctx.backend
        x, y = ctx.saved_tensors
        shape, axes, keepdims = ctx.reduction
        mask = b.astype(b.equal(x, expand_grad(b, y, shape, axes, keepdims)), b.dtype_of(x))
        count = b.sum(mask, axes, True)
        return b.multiply(expand_grad(b, g, shape, axes, keepdims), b.divide(mask, count)), \
            None, None


class Max(_Extreme):
    """Maximum over ``axes``."""

    @staticmethod
    def forward(ctx: Node, x: Any, axes: tuple[int, ...] | None, keepdims: bool) -> Any:
        b = ctx.backend
        y = b.max(x, axes, keepdims)
        ctx.save_for_backward(x, y)
        ctx.reduction = (tuple(b.shape(x)), axes, keepdims)
        return y


class Min(_Extreme):
    """Minimum over ``axes``."""

    @staticmethod
    def forward(ctx: Node, x: Any, axes: tuple[int, ...] | None, keepdims: bool) -> Any:
        b = ctx.backend
        y = b.min(x, axes, keepdims)
        ctx.save_for_backward(x, y)
        ctx.reduction = (tuple(b.shape(x)), axes, keepdims)
        return y


class TakeAlong(Function):
    """``x`` picked at ``index`` (int64, shaped like ``x`` except on ``axis``) along ``axis``.

    The gradient goes to the picked positions only (repeats accumulate): the backward of
    ``max(dim)``, ``sort``, ``topk`` and ``gather``.
    """

    @staticmethod
    def forward(ctx: Node, x: Any, index: Any, axis: int) -> Any:
        b = ctx.backend
        full = _along_index(b, index, axis)
        ctx.full = full
        ctx.source = (tuple(b.shape(x)), b.dtype_of(x))
        return b.getitem(x, full)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None, None]:
        b = ctx.backend
        shape, dtype = ctx.source
        return b.scatter_add(b.zeros(shape, dtype), ctx.full, g), None, None


def _along_index(b: Any, index: Any, axis: int) -> tuple[Any, ...]:
    """Advanced-index tuple selecting ``index`` along ``axis`` and every position elsewhere."""
    shape = tuple(b.shape(index))
    out = []
    for d, n in enumerate(shape):
        if d == axis:
            out.append(index)
        else:
            view = [1] * len(shape)
            view[d] = n
            out.append(b.reshape(b.arange(0, n, 1, _INT64), tuple(view)))
    return tuple(out)


def _int_dim(dim: Any, ndim: int, op: str) -> int:
    """One dimension index, checked against ``ndim`` (0-d tensors accept 0 and -1)."""
    return wrap_dim(dim, ndim, op)


def _extreme(x: Tensor, dim: Any, keepdim: bool, axis: Any, keepdims: bool | None,
             pick: Any, whole: type[Function], arg: Any, name: str) -> Any:
    if isinstance(dim, Tensor):  # lucid.max(a, b): the element-wise maximum, as PyTorch
        return pick(x, dim)
    keep = keep_arg(keepdim, keepdims)
    d = dim if axis is None else axis
    if d is None:
        return whole.apply(x, None, keep)
    if not isinstance(d, int) or isinstance(d, bool):  # several axes: values only (amax)
        return whole.apply(x, axes_arg(d, x.ndim, op=name), keep)
    ax = _int_dim(d, x.ndim, name)
    if x.ndim == 0:
        return getattr(return_types, name)(x.clone(), Tensor._wrap(
            x.backend.zeros((), _INT64), x.backend))
    b = x.backend
    idx = arg(x._data, ax, True)
    values = TakeAlong.apply(x, idx, ax)
    if not keep:
        values = values.squeeze(ax)
        idx = b.reshape(idx, tuple(s for i, s in enumerate(b.shape(idx)) if i != ax))
    return getattr(return_types, name)(values, Tensor._wrap(idx, b))


def max(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
        keepdims: bool | None = None) -> Any:
    """Maximum, as PyTorch: of all elements (ties share the gradient), or along one ``dim``.

    ``max(x, dim)`` returns ``(values, indices)`` (``lucid.return_types.max``; the gradient
    goes to the index found); ``max(a, b)`` of two tensors is :func:`maximum`. A tuple of
    dims reduces them all and returns the values only (PyTorch's ``amax``).
    """
    return _extreme(x, dim, keepdim, axis, keepdims, maximum, Max,
                    lambda a, ax, k: x.backend.argmax(a, ax, k), "max")


def min(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
        keepdims: bool | None = None) -> Any:
    """Minimum, as PyTorch (see :func:`max`): ``min(x, dim)`` is ``(values, indices)``."""
    return _extreme(x, dim, keepdim, axis, keepdims, minimum, Min,
                    lambda a, ax, k: x.backend.argmin(a, ax, k), "min")


def amax(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
         keepdims: bool | None = None) -> Tensor:
    """Maximum over one or several dims (all when None); ties share the gradient."""
    return Max.apply(x, axes_arg(axis, x.ndim, dim, "amax"), keep_arg(keepdim, keepdims))


def amin(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
         keepdims: bool | None = None) -> Tensor:
    """Minimum over one or several dims (all when None); ties share the gradient."""
    return Min.apply(x, axes_arg(axis, x.ndim, dim, "amin"), keep_arg(keepdim, keepdims))


def _arg_extreme(x: Tensor, name: str, dim: Any, keep: bool) -> Tensor:
    """``argmax``/``argmin``: one ``dim`` (checked) or None for the flattened tensor."""
    b = x.backend
    ax = None if dim is None else wrap_dim(dim, x.ndim, name)
    if x.ndim == 0:
        return Tensor._wrap(b.zeros((), _INT64), b)
    return Tensor._wrap(getattr(b, name)(x._data, ax, keep), b)


def argmax(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
           keepdims: bool | None = None) -> Tensor:
    """Index of the maximum along ``dim`` (of the flattened tensor when None)."""
    return _arg_extreme(x, "argmax", dim if axis is None else axis, keep_arg(keepdim, keepdims))


def argmin(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
           keepdims: bool | None = None) -> Tensor:
    """Index of the minimum along ``dim`` (of the flattened tensor when None)."""
    return _arg_extreme(x, "argmin", dim if axis is None else axis, keep_arg(keepdim, keepdims))


class Prod(Function):
    """Product over ``axes``; the gradient is the product of the *other* elements (exact
    with zeros: exclusive running products from both ends, no division)."""

    @staticmethod
    def forward(ctx: Node, x: Any, axes: tuple[int, ...] | None, keepdims: bool) -> Any:
        b = ctx.backend
        ctx.save_for_backward(x)
        ctx.reduction = (tuple(b.shape(x)), axes, keepdims)
        return b.prod(x, axes, keepdims)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None, None]:
        b = ctx.backend
        (x,) = ctx.saved_tensors
        shape, axes, keepdims = ctx.reduction
        red = tuple(range(len(shape))) if axes is None else tuple(sorted(axes))
        kept = tuple(i for i in range(len(shape)) if i not in red)
        perm = kept + red
        moved = b.transpose(x, perm)
        n = 1
        for i in red:
            n *= shape[i]
        flat = b.reshape(moved, tuple(shape[i] for i in kept) + (n,))
        others = _exclusive_products(b, flat)
        others = b.reshape(others, tuple(shape[i] for i in perm))
        inverse = tuple(sorted(range(len(perm)), key=perm.__getitem__))
        others = b.transpose(others, inverse)
        return b.multiply(expand_grad(b, g, shape, axes, keepdims), others), None, None


def _exclusive_products(b: Any, flat: Any) -> Any:
    """For each position along the last axis, the product of all the other positions."""
    shape = tuple(b.shape(flat))
    n = shape[-1]
    if n == 0:
        return flat
    ones = b.ones(shape[:-1] + (1,), b.dtype_of(flat))
    last = len(shape) - 1
    left = b.cumprod(b.concatenate([ones, b.getitem(flat, (Ellipsis, slice(0, n - 1)))], last),
                     last)
    rev = b.getitem(flat, (Ellipsis, slice(None, None, -1)))
    right = b.cumprod(b.concatenate([ones, b.getitem(rev, (Ellipsis, slice(0, n - 1)))], last),
                      last)
    return b.multiply(left, b.getitem(right, (Ellipsis, slice(None, None, -1))))


def prod(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
         keepdims: bool | None = None) -> Tensor:
    """Product of the elements over ``dim`` (all when None)."""
    return Prod.apply(x, axes_arg(axis, x.ndim, dim, "prod"), keep_arg(keepdim, keepdims))


def logsumexp(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
              keepdims: bool | None = None) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``, shifted by the maximum so it cannot overflow."""
    axes = axes_arg(axis, x.ndim, dim, "logsumexp")
    keep = keep_arg(keepdim, keepdims)
    b = x.backend
    m = b.max(x._data, axes, True)
    m = b.where(b.isfinite(m), m, 0.0)  # all -inf (or +inf) rows: no shift
    shift = Tensor._wrap(m, b)
    out = add(log(sum(exp(sub(x, shift)), axes, True)), shift)
    if not keep:
        out = out.reshape(tuple(s for i, s in enumerate(out.shape)
                                if not (axes is None or i in axes)))
    return out


class Norm(Function):
    """The vector p-norm over ``axes``; zero gradient where the norm is 0 (as PyTorch)."""

    @staticmethod
    def forward(ctx: Node, x: Any, p: float, axes: tuple[int, ...] | None,
                keepdims: bool) -> Any:
        b = ctx.backend
        a = b.abs(x)
        if p == 2:
            y = b.sqrt(b.sum(b.multiply(a, a), axes, True))
        elif p == 1:
            y = b.sum(a, axes, True)
        elif p == float("inf"):
            y = b.max(a, axes, True)
        elif p == float("-inf"):
            y = b.min(a, axes, True)
        elif p == 0:
            y = b.sum(b.astype(b.not_equal(x, 0), b.dtype_of(x)), axes, True)
        else:
            y = b.power(b.sum(b.power(a, p), axes, True), 1.0 / p)
        ctx.save_for_backward(x, y)
        ctx.p = p
        ctx.reduction = (tuple(b.shape(x)), axes, keepdims)
        if not keepdims:
            shape = tuple(s for i, s in enumerate(b.shape(x)) if not (axes is None or i in axes))
            y = b.reshape(y, shape)
        return y

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None, None, None]:
        b = ctx.backend
        x, y = ctx.saved_tensors
        p = ctx.p
        shape, axes, keepdims = ctx.reduction
        g = expand_grad(b, g, shape, axes, keepdims)
        y = b.broadcast_to(y, shape)
        zero = b.equal(y, 0)
        safe = b.where(zero, 1.0, y)
        sgn = b.sign(x)
        if p == 2:
            d = b.divide(x, safe)
        elif p == 1:
            d = sgn
        elif p in (float("inf"), float("-inf")):
            hit = b.astype(b.equal(b.abs(x), y), b.dtype_of(x))
            d = b.multiply(sgn, b.divide(hit, b.sum(hit, axes, True)))
        elif p == 0:
            d = b.multiply(x, 0.0)
        else:
            d = b.multiply(sgn, b.divide(b.power(b.abs(x), p - 1), b.power(safe, p - 1)))
        return b.where(zero, 0.0, b.multiply(g, d)), None, None, None


def norm(x: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, *,
         axis: Any = None, keepdims: bool | None = None) -> Tensor:
    """The vector ``p``-norm over ``dim`` (all elements when None; ``"fro"`` is 2)."""
    if p == "fro":
        p = 2
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise ValueError(f"norm: p must be a number, inf, -inf or 'fro', got {p!r}")
    return Norm.apply(x, float(p), axes_arg(axis, x.ndim, dim, "norm"),
                      keep_arg(keepdim, keepdims))


class CumSum(Function):
    """Running sum along ``axis``; the gradient is the reversed running sum."""

    @staticmethod
    def forward(ctx: Node, x: Any, axis: int) -> Any:
        ctx.axis = axis
        return ctx.backend.cumsum(x, axis)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None]:
        b, ax = ctx.backend, ctx.axis
        rev = (slice(None),) * ax + (slice(None, None, -1),)
        return b.getitem(b.cumsum(b.getitem(g, rev), ax), rev), None


class CumProd(Function):
    """Running product along ``axis``; exact with zeros (no division where one occurs)."""

    @staticmethod
    def forward(ctx: Node, x: Any, axis: int) -> Any:
        b = ctx.backend
        y = b.cumprod(x, axis)
        ctx.save_for_backward(x, y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None]:
        b, ax = ctx.backend, ctx.axis
        x, y = ctx.saved_tensors
        rev = (slice(None),) * ax + (slice(None, None, -1),)
        if not b.item(b.any(b.equal(x, 0), None, False)):
            # d y_j / d x_i = y_j / x_i for j >= i: a reversed running sum of g * y, over x
            return b.divide(b.getitem(b.cumsum(b.getitem(b.multiply(g, y), rev), ax), rev),
                            x), None
        n = b.shape(x)[ax]
        cols = []
        for i in range(n):  # with zeros: recompute each running product with x_i = 1
            at = (slice(None),) * ax + (slice(i, i + 1),)
            ones = b.ones(tuple(b.shape(b.getitem(x, at))), b.dtype_of(x))
            before = (slice(None),) * ax + (slice(0, i),)
            after = (slice(None),) * ax + (slice(i + 1, None),)
            xi = b.concatenate([b.getitem(x, before), ones, b.getitem(x, after)], ax)
            tail = (slice(None),) * ax + (slice(i, None),)
            cols.append(b.sum(b.getitem(b.multiply(g, b.cumprod(xi, ax)), tail), (ax,), True))
        return b.concatenate(cols, ax), None


def cumsum(x: Tensor, dim: Any = None, *, axis: Any = None) -> Tensor:
    """Running sum along ``dim``."""
    d = _int_dim(dim if axis is None else axis, x.ndim, "cumsum")
    return x.clone() if x.ndim == 0 else CumSum.apply(x, d)


def cumprod(x: Tensor, dim: Any = None, *, axis: Any = None) -> Tensor:
    """Running product along ``dim``."""
    d = _int_dim(dim if axis is None else axis, x.ndim, "cumprod")
    return x.clone() if x.ndim == 0 else CumProd.apply(x, d)
