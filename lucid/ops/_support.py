"""Helpers shared by the op modules: operand resolution, broadcasting and axis arguments."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from .._tensor import Tensor
from ..backends import Backend, MixedBackendError

Scalar = (int, float, bool)


def mixed_error(a: Tensor, b: Tensor, op: str) -> MixedBackendError:
    """The error for two tensors of different backends meeting in ``op``."""
    return MixedBackendError(
        f"{op}: tensors are on different backends ({a.backend.name!r} and {b.backend.name!r}); "
        f"move one with .to({a.backend.name!r}) first"
    )


def operands(a: Any, b: Any, op: str) -> tuple[Any, Any]:
    """Make the operands of a binary op ready for ``Function.apply``.

    At least one is a Tensor. The other may be a Tensor, a Python number, a native array of
    the same backend, or Python data (converted, floats in the tensor's float dtype); an
    array of another library is refused rather than silently copied.
    """
    ta = a if isinstance(a, Tensor) else None
    tb = b if isinstance(b, Tensor) else None
    if ta is not None and tb is not None:
        return a, b
    ref = ta if ta is not None else tb
    if ref is None:
        raise TypeError(f"{op}: expected at least one lucid.Tensor operand, got "
                        f"{type(a).__name__} and {type(b).__name__}")
    bk = ref.backend
    other = b if ta is not None else a
    if not isinstance(other, Scalar) and not bk.is_native(other):
        if hasattr(other, "shape") and hasattr(other, "dtype"):  # another library's array
            raise MixedBackendError(
                f"{op}: a {type(other).__module__}.{type(other).__name__} cannot be combined "
                f"with a tensor on backend {bk.name!r} without a copy; wrap it with "
                f"lucid.tensor(..., backend={bk.name!r}) first"
            )
        other = bk.asarray(other, ref.dtype if ref.dtype.is_floating else None)
    return (a, other) if ta is not None else (other, b)


def shape_of(b: Backend, v: Any) -> tuple[int, ...]:
    """Shape of a native array operand; ``()`` for a Python number."""
    return () if isinstance(v, Scalar) else tuple(b.shape(v))


def unbroadcast(b: Backend, g: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``g`` over the axes that broadcasting added or stretched to reach its shape."""
    gshape = tuple(b.shape(g))
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and gshape[i + lead] != 1
    )
    if axes:
        g = b.sum(g, axes, True)
    return b.reshape(g, shape)


def axes_arg(axis: Any, ndim: int, dim: Any = None) -> tuple[int, ...] | None:
    """Normalise an ``axis=``/``dim=`` argument (int, sequence or None) to a tuple or None."""
    if axis is None:
        axis = dim
    if axis is None:
        return None
    items = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for ax in items:
        if not -ndim <= ax < builtins.max(ndim, 1):
            raise IndexError(f"axis {ax} is out of range for a tensor with {ndim} dimensions")
        out.append(ax % builtins.max(ndim, 1))
    return tuple(out)


def keep_arg(keepdims: bool, keepdim: bool | None) -> bool:
    """``keepdim=`` (PyTorch) wins over ``keepdims=`` (NumPy) when given."""
    return bool(keepdims if keepdim is None else keepdim)


def shape_arg(shape: Sequence[Any]) -> tuple[int, ...]:
    """A shape given as varargs or as one sequence."""
    if len(shape) == 1 and not isinstance(shape[0], int):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def same_backend(tensors: Sequence[Tensor], op: str) -> Backend:
    """The one backend of ``tensors`` (an error when they differ or there are none)."""
    if not tensors:
        raise ValueError(f"{op} needs at least one tensor")
    b = tensors[0].backend
    for t in tensors[1:]:
        if t.backend is not b:
            raise mixed_error(tensors[0], t, op)
    return b


def reduced_count(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> int:
    """How many elements each output of a reduction over ``axes`` combines."""
    count = 1
    for i, s in enumerate(shape):
        if axes is None or i in axes:
            count *= s
    return count


def expand_grad(b: Backend, g: Any, shape: tuple[int, ...], axes: tuple[int, ...] | None,
                keepdims: bool) -> Any:
    """Broadcast a reduced gradient back to the input's shape."""
    if not keepdims:
        kshape = tuple(1 if (axes is None or i in axes) else s for i, s in enumerate(shape))
        g = b.reshape(g, kshape)
    return b.broadcast_to(g, shape)
