"""Reductions: sum, mean, var, max, min, argmax, argmin (``axis=``/``dim=`` both accepted)."""

from __future__ import annotations

import builtins
from typing import Any

from .._tensor import Tensor
from ..autograd.engine import Node
from ..autograd.function import Function
from ._support import axes_arg, expand_grad, keep_arg, reduced_count
from .arithmetic import div, mul, sub


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


def sum(x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
        keepdim: bool | None = None) -> Tensor:
    """Sum over ``axis`` (an int, a tuple, or None for all)."""
    return Sum.apply(x, axes_arg(axis, x.ndim, dim), keep_arg(keepdims, keepdim))


def mean(x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
         keepdim: bool | None = None) -> Tensor:
    """Arithmetic mean over ``axis``."""
    return Mean.apply(x, axes_arg(axis, x.ndim, dim), keep_arg(keepdims, keepdim))


def var(x: Tensor, axis: Any = None, keepdims: bool = False, *, unbiased: bool = False,
        dim: Any = None, keepdim: bool | None = None) -> Tensor:
    """Variance over ``axis`` (divides by N, or N-1 when ``unbiased``)."""
    axes = axes_arg(axis, x.ndim, dim)
    xc = sub(x, mean(x, axes, True))
    sq = sum(mul(xc, xc), axes, keep_arg(keepdims, keepdim))
    count = reduced_count(x.shape, axes)
    return div(sq, builtins.max(count - 1, 1) if unbiased else count)


def max(x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
        keepdim: bool | None = None) -> Tensor:
    """Maximum over ``axis`` (ties share the gradient equally)."""
    return Max.apply(x, axes_arg(axis, x.ndim, dim), keep_arg(keepdims, keepdim))


def min(x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
        keepdim: bool | None = None) -> Tensor:
    """Minimum over ``axis`` (ties share the gradient equally)."""
    return Min.apply(x, axes_arg(axis, x.ndim, dim), keep_arg(keepdims, keepdim))


def argmax(x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
           keepdim: bool | None = None) -> Tensor:
    """Index of the maximum along ``axis`` (of the flattened tensor when None)."""
    axes = axes_arg(axis, x.ndim, dim)
    return Tensor._wrap(x.backend.argmax(x.data, None if axes is None else axes[0],
                                         keep_arg(keepdims, keepdim)), x.backend)


def argmin(x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
           keepdim: bool | None = None) -> Tensor:
    """Index of the minimum along ``axis`` (of the flattened tensor when None)."""
    axes = axes_arg(axis, x.ndim, dim)
    return Tensor._wrap(x.backend.argmin(x.data, None if axes is None else axes[0],
                                         keep_arg(keepdims, keepdim)), x.backend)
