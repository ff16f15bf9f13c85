"""Comparisons and logical operators: bool tensors, not differentiable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._tensor import Tensor
from ._support import broadcast_shapes, mixed_error, operands, shape_of


def _binary(name: str) -> Callable[[Any, Any], Tensor]:
    def op(a: Any, b: Any) -> Tensor:
        a, b = operands(a, b, name)
        ref = a if isinstance(a, Tensor) else b
        if isinstance(a, Tensor) and isinstance(b, Tensor) and a.backend is not b.backend:
            raise mixed_error(a, b, name)
        bk = ref.backend
        va = a._data if isinstance(a, Tensor) else a
        vb = b._data if isinstance(b, Tensor) else b
        try:
            return Tensor._wrap(getattr(bk, name)(va, vb), bk)
        except ValueError:
            broadcast_shapes(name, shape_of(bk, va), shape_of(bk, vb))
            raise

    op.__name__ = name
    op.__doc__ = f"Element-wise ``{name}`` (a bool tensor, not differentiable)."
    return op


#: Element-wise ``a == b`` (a bool tensor, not differentiable).
eq = _binary("equal")
#: Element-wise ``a != b`` (a bool tensor, not differentiable).
ne = _binary("not_equal")
#: Element-wise ``a < b`` (a bool tensor, not differentiable).
lt = _binary("less")
#: Element-wise ``a <= b`` (a bool tensor, not differentiable).
le = _binary("less_equal")
#: Element-wise ``a > b`` (a bool tensor, not differentiable).
gt = _binary("greater")
#: Element-wise ``a >= b`` (a bool tensor, not differentiable).
ge = _binary("greater_equal")
#: Element-wise ``logical_and`` (a bool tensor, not differentiable).
logical_and = _binary("logical_and")
#: Element-wise ``logical_or`` (a bool tensor, not differentiable).
logical_or = _binary("logical_or")


def logical_not(x: Tensor) -> Tensor:
    """Element-wise logical not."""
    return Tensor._wrap(x.backend.logical_not(x._data), x.backend)


def isnan(x: Tensor) -> Tensor:
    """Element-wise: is the value NaN? (a bool tensor)."""
    return Tensor._wrap(x.backend.isnan(x._data), x.backend)


def isinf(x: Tensor) -> Tensor:
    """Element-wise: is the value +inf or -inf? (a bool tensor)."""
    return Tensor._wrap(x.backend.isinf(x._data), x.backend)


def isfinite(x: Tensor) -> Tensor:
    """Element-wise: is the value neither infinite nor NaN? (a bool tensor)."""
    return Tensor._wrap(x.backend.isfinite(x._data), x.backend)


def _logical_reduce(x: Tensor, name: str, dim: Any, keepdim: bool, axis: Any,
                    keepdims: bool | None) -> Tensor:
    from ._support import axes_arg, keep_arg

    axes = axes_arg(axis, x.ndim, dim, name)
    b = x.backend
    return Tensor._wrap(getattr(b, name)(x._data, axes, keep_arg(keepdim, keepdims)), b)


def any(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
        keepdims: bool | None = None) -> Tensor:
    """Is any element over ``dim`` non-zero? A bool tensor (``if x.any():`` works)."""
    return _logical_reduce(x, "any", dim, keepdim, axis, keepdims)


def all(x: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
        keepdims: bool | None = None) -> Tensor:
    """Is every element over ``dim`` non-zero? A bool tensor."""
    return _logical_reduce(x, "all", dim, keepdim, axis, keepdims)
