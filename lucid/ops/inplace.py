"""In-place operations (``x.add_(y)``, ``x[i] = v``, ...) with PyTorch's safety rules.

lucid has no views: an in-place op computes its result with the ordinary (recorded) op and
then *replaces the tensor's array*; no other tensor sees the change (``x.detach()`` and
``x.reshape(...)`` keep the old values, unlike PyTorch's views). What PyTorch checks, lucid
checks too:

- every tensor has a version counter (``t._version``), bumped by each in-place op;
  ``Function.apply`` records the versions of the tensors whose arrays it saved, and backward
  raises PyTorch's "modified by an inplace operation" error when they changed;
- an in-place op on a leaf that requires grad raises outside ``lucid.no_grad()``;
- an in-place op on a tensor in the graph is recorded: the tensor gets the op's node as its
  new ``grad_fn``, while the nodes recorded earlier keep leading to its previous history.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from .._tensor import Tensor
from ..autograd.engine import Node
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ._support import unbroadcast


def apply_inplace(t: Tensor, name: str, compute: Callable[[Tensor], Any]) -> Tensor:
    """Replace ``t``'s values with ``compute(t_before)`` and record it as PyTorch would."""
    grad_on = is_grad_enabled()
    if grad_on and t.requires_grad and t._node is None:
        raise RuntimeError(f"{name}: a leaf tensor that requires grad is being used in an "
                           f"in-place operation; wrap it in lucid.no_grad() or work on a "
                           f"clone()")
    before = Tensor._wrap(t._data, t.backend, t._node)  # the graph's view of the old state
    before.requires_grad = t.requires_grad
    before._version = t._version
    out = compute(before)
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}: expected a tensor result, got {type(out).__name__}")
    if out.shape != t.shape:
        raise RuntimeError(f"{name}: output with shape {t.shape} doesn't match the broadcast "
                           f"shape {out.shape}")
    if out.dtype != t.dtype:
        if out.dtype.is_floating and not t.dtype.is_floating:
            raise RuntimeError(f"{name}: result type {out.dtype} can't be cast to the desired "
                               f"output type {t.dtype}")
        out = out.astype(t.dtype)
    t._data = out._data
    if grad_on and out._node is not None:
        t._node = out._node
        t.requires_grad = True
    t._version += 1
    node = out._node
    if node is not None and node.saved_output is not None and node.saved_output[0]() is out:
        # the op saved its result, which is now t's array: watch t from this version on
        node.saved_output = (weakref.ref(t), t._version)
    return t


class Fill(Function):
    """A tensor of ``x``'s shape filled with ``value``; no gradient to ``x``."""

    @staticmethod
    def forward(ctx: Node, x: Any, value: Any) -> Any:
        b = ctx.backend
        return b.full(tuple(b.shape(x)), value, b.dtype_of(x))

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None]:
        b = ctx.backend
        return b.zeros(tuple(b.shape(g)), b.dtype_of(g)), None


class SetItem(Function):
    """``x`` with ``x[index] = value``: the gradient reaches ``value`` and the untouched
    part of ``x``."""

    @staticmethod
    def forward(ctx: Node, x: Any, value: Any, index: Any) -> Any:
        b = ctx.backend
        shape, dtype = tuple(b.shape(x)), b.dtype_of(x)
        target = tuple(b.shape(b.getitem(x, index)))
        v = value if b.is_native(value) else b.full((), value, dtype)
        ctx.value_shape = tuple(b.shape(v))
        v = b.astype(b.broadcast_to(v, target), dtype)
        hit = b.greater(b.scatter_add(b.zeros(shape, dtype), index, 1), 0)
        placed = b.scatter_add(b.zeros(shape, dtype), index, v)
        ctx.hit, ctx.index = hit, index
        return b.where(hit, placed, x)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, Any, None]:
        b = ctx.backend
        gx = b.where(ctx.hit, 0.0, g) if ctx.needs_input_grad[0] else None
        gv = None
        if ctx.needs_input_grad[1]:
            gv = unbroadcast(b, b.getitem(g, ctx.index), ctx.value_shape)
        return gx, gv, None


def fill(x: Tensor, value: Any) -> Tensor:
    """A tensor shaped like ``x`` full of ``value`` (the out-of-place form of ``fill_``)."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise RuntimeError(f"fill_: value must be a number or a one-element tensor, got "
                               f"shape {value.shape}")
        value = value.item()
    if not isinstance(value, (int, float, bool)):
        raise TypeError(f"fill_: value must be a number, got {type(value).__name__}")
    return Fill.apply(x, value)


def setitem(x: Tensor, index: Any, value: Any) -> Tensor:
    """The out-of-place form of ``x[index] = value``."""
    from .indexing import _native_index, index_error

    b = x.backend
    native = _native_index(b, index)
    if isinstance(value, Tensor):
        if value.backend is not b:
            raise TypeError(f"setitem: value is on backend {value.backend.name!r}, the tensor "
                            f"on {b.name!r}")
    elif not isinstance(value, (int, float, bool)):
        value = Tensor(value, dtype=x.dtype, backend=b)
    try:
        return SetItem.apply(x, value, native)
    except (IndexError, TypeError) as exc:
        raise index_error(x, index, exc) from None
    except ValueError:  # the value does not broadcast to the indexed part
        part = tuple(b.shape(b.getitem(x._data, native)))
        got = tuple(b.shape(value._data)) if isinstance(value, Tensor) else ()
        raise ValueError(f"setitem: a value of shape {got} cannot be broadcast to x[{index!r}] "
                         f"of shape {part} (tensor shape {x.shape}); broadcasting aligns "
                         f"shapes from the last dimension, each pair of sizes equal or one "
                         f"of them 1") from None
