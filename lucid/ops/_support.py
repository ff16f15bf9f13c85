"""Helpers shared by the op modules: operand resolution, broadcasting and axis arguments."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any

from .. import _dtype
from .._tensor import Tensor
from ..autograd.engine import Node
from ..autograd.function import Function
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
        if a.dtype == b.dtype:
            return a, b
        return promote(a, b)
    ref = ta if ta is not None else tb
    if ref is None:
        raise TypeError(f"{op}: expected at least one lucid.Tensor operand, got "
                        f"{type(a).__name__} and {type(b).__name__}")
    bk = ref.backend
    other = b if ta is not None else a
    if _is_host_scalar(other) and not bk.is_native(other):
        other = other.item()  # a NumPy scalar counts as a Python number, as in PyTorch
    if not isinstance(other, Scalar) and not bk.is_native(other):
        if other is None or isinstance(other, (str, bytes, complex, dict, set)):
            raise TypeError(f"{op}: unsupported operand types {type(a).__name__} and "
                            f"{type(b).__name__}; expected tensors, numbers or arrays")
        if hasattr(other, "shape") and hasattr(other, "dtype"):  # another library's array
            raise MixedBackendError(
                f"{op}: a {type(other).__module__}.{type(other).__name__} cannot be combined "
                f"with a tensor on backend {bk.name!r} without a copy; wrap it with "
                f"lucid.tensor(..., backend={bk.name!r}) first"
            )
        other = _python_operand(bk, other, ref, op, a, b)
    return promote(a, other) if ta is not None else promote(other, b)


def _python_operand(bk: Backend, other: Any, ref: Tensor, op: str, a: Any, b: Any) -> Any:
    """Python data (nested lists of numbers) as a native array, checked like lucid.tensor."""
    try:
        arr = bk.asarray(other)
        dt = bk.dtype_of(arr)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: unsupported operand types {type(a).__name__} and "
                        f"{type(b).__name__}: {type(other).__name__} {other!r:.60} is not "
                        f"rectangular numeric data") from None
    if ref.dtype.is_floating and dt.is_floating and dt != ref.dtype:
        arr = bk.astype(arr, ref.dtype)  # Python floats take the tensor's float dtype
    return arr


def broadcast_shapes(op: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The broadcast of ``shapes`` (NumPy's and PyTorch's rule), or a ValueError naming
    ``op``, every shape and the first dimension that does not fit."""
    ndim = builtins.max((len(s) for s in shapes), default=0)
    out = []
    for i in range(-ndim, 0):
        size = 1
        for s in shapes:
            if len(s) >= -i:
                d = s[i]
                if d != 1:
                    if size != 1 and d != size:
                        listed = " and ".join(str(tuple(t)) for t in shapes)
                        raise ValueError(
                            f"{op}: shapes {listed} cannot be broadcast together: the size "
                            f"{size} must match the size {d} at non-singleton dimension "
                            f"{i + ndim} (counted from the left of the broadcast shape). "
                            f"Broadcasting aligns shapes from the last dimension; each pair of "
                            f"sizes must be equal or one of them 1")
                    size = d
        out.append(size)
    return tuple(out)


def apply_broadcasting(function: type[Function], op: str, *args: Any) -> Any:
    """``function.apply(*args)``; a backend's broadcasting failure becomes lucid's error
    (the check runs only after a failure, so the hot path pays nothing)."""
    try:
        return function.apply(*args)
    except ValueError:
        shapes = []
        for a in args:
            if isinstance(a, Tensor):
                shapes.append(a.shape)
            elif hasattr(a, "shape") and not isinstance(a, Scalar):
                shapes.append(tuple(a.shape))
        broadcast_shapes(op, *shapes)  # raises when they do not broadcast
        raise


def _is_host_scalar(v: Any) -> bool:
    """A NumPy scalar (``numpy.float64(2)``): has a dtype and ``item`` but is no array."""
    return (not isinstance(v, (Tensor, bool, int)) and getattr(v, "shape", None) == ()
            and hasattr(v, "dtype") and hasattr(v, "item") and not hasattr(v, "__len__"))


def _category(dtype: _dtype.DType) -> int:
    """0 bool, 1 integer, 2 floating: PyTorch promotes by category first."""
    if dtype.name == "bool":
        return 0
    return 2 if dtype.is_floating else 1


def promote(a: Any, b: Any) -> tuple[Any, Any]:
    """Cast the operands of a binary op to PyTorch's result dtype.

    PyTorch ranks participants: tensors with dimensions, then 0-d tensors, then Python
    numbers. The result has the highest *category* (bool < integer < floating) present;
    its dtype comes from the highest-ranked participants of that category, and a Python
    number of a higher category than every tensor gives the default dtype of its category
    (float32, int64). So ``float32 matrix * float64 0-d tensor`` stays float32, and
    ``int64 tensor * 2.5`` is float32.
    """
    ref = a if isinstance(a, Tensor) else b
    bk = ref.backend
    groups: list[list[_dtype.DType]] = [[], [], []]  # dimensioned, 0-d, numbers
    for v in (a, b):
        if isinstance(v, Tensor):
            groups[0 if v.ndim else 1].append(v.dtype)
        elif isinstance(v, Scalar):
            groups[2].append(_dtype.bool_ if isinstance(v, bool) else
                             _dtype.int64 if isinstance(v, int) else _dtype.default_float)
        else:  # a native array
            groups[0 if len(bk.shape(v)) else 1].append(bk.dtype_of(v))
    top = builtins.max(_category(d) for g in groups for d in g)
    target = None
    for g in groups:
        of_top = [d for d in g if _category(d) == top]
        if of_top:
            target = of_top[0]
            for d in of_top[1:]:
                target = _wider(target, d)
            break
    assert target is not None
    return _cast(a, target, bk), _cast(b, target, bk)


def _wider(x: _dtype.DType, y: _dtype.DType) -> _dtype.DType:
    """The wider of two dtypes of one category (NumPy's promotion within a kind)."""
    if x == y:
        return x
    if x.itemsize != y.itemsize:
        return x if x.itemsize > y.itemsize else y
    return x


def _cast(v: Any, dtype: _dtype.DType, bk: Backend) -> Any:
    if isinstance(v, Tensor):
        return v if v.dtype == dtype else v.astype(dtype)
    if isinstance(v, Scalar):
        return v
    return v if bk.dtype_of(v) == dtype else bk.astype(v, dtype)


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


def wrap_dim(dim: Any, ndim: int, op: str = "", *, extra: int = 0) -> int:
    """``dim`` checked against ``ndim`` dimensions and made non-negative (PyTorch's
    ``maybe_wrap_dim``): the one place every op with a ``dim``/``axis`` argument checks it.

    ``extra=1`` is for ops that insert a dimension (``unsqueeze``, ``stack``), which accept
    one more position. A 0-d tensor accepts ``0`` and ``-1``, as in PyTorch. Out of range
    raises PyTorch's ``IndexError`` instead of wrapping around (NumPy's ``%`` would turn
    ``transpose(0, 5)`` of a matrix into ``transpose(0, 1)``).
    """
    if isinstance(dim, bool) or not isinstance(dim, int):
        index = getattr(dim, "__index__", None)
        if isinstance(dim, bool) or index is None or getattr(dim, "ndim", 0) != 0 or \
                getattr(getattr(dim, "dtype", None), "is_floating", False):
            raise TypeError(f"{op + ': ' if op else ''}dim must be an int, got "
                            f"{type(dim).__name__} {dim!r}")
        dim = index()
    n = ndim + extra
    if n <= 0:
        n = 1
    if not -n <= dim < n:
        raise IndexError(f"{op + ': ' if op else ''}Dimension out of range (expected to be in "
                         f"range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


def no_dims_error(op: str, dim: int) -> IndexError:
    """PyTorch's error for ops that take no dim at all on a 0-d tensor (``size``, ``roll``)."""
    return IndexError(f"{op}: Dimension specified as {dim} but tensor has no dimensions")


def axes_arg(axis: Any, ndim: int, dim: Any = None, op: str = "") -> tuple[int, ...] | None:
    """Normalise an ``axis=``/``dim=`` argument (int, sequence or None) to a tuple or None.

    Each entry goes through :func:`wrap_dim`; a dimension named twice is an error, as in
    PyTorch.
    """
    if axis is None:
        axis = dim
    if axis is None:
        return None
    if isinstance(axis, int):
        d = wrap_dim(axis, ndim, op)
        return (d,) if ndim else ()  # a 0-d tensor's dim 0 is no array axis
    if isinstance(axis, (str, bytes)) or not hasattr(axis, "__iter__"):
        d = wrap_dim(axis, ndim, op)  # a NumPy integer or a 0-d integer tensor
        return (d,) if ndim else ()
    out = tuple(wrap_dim(ax, ndim, op) for ax in axis)
    if not ndim:
        return ()
    if len(set(out)) != len(out):
        dup = next(d for d in out if out.count(d) > 1)
        raise RuntimeError(f"{op + ': ' if op else ''}dim {dup} appears multiple times in the "
                           f"list of dims {tuple(axis)}")
    return out


def keep_arg(keepdims: bool, keepdim: bool | None) -> bool:
    """``keepdim=`` (PyTorch) wins over ``keepdims=`` (NumPy) when given."""
    return bool(keepdims if keepdim is None else keepdim)


def int_arg(value: Any, name: str, op: str) -> int:
    """``value`` as an int: Python and NumPy integers and one-element integer tensors pass;
    floats, bools and strings raise TypeError (``int(2.5)`` would silently truncate)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    index = getattr(value, "__index__", None)
    if index is not None and not isinstance(value, bool):
        try:
            return int(index())
        except TypeError:
            pass
    raise TypeError(f"{op}: {name} must be an int, got {type(value).__name__} {value!r}")


def shape_arg(shape: Sequence[Any], op: str = "shape") -> tuple[int, ...]:
    """A shape given as varargs or as one sequence, as a tuple of ints (no negatives check:
    ``reshape`` and ``broadcast_to`` give -1 a meaning; see :func:`size_arg`)."""
    if len(shape) == 1 and not isinstance(shape[0], int):
        one = shape[0]
        if isinstance(one, (str, bytes)) or not hasattr(one, "__iter__"):
            return (int_arg(one, "size", op),)
        shape = tuple(one)
    for s in shape:
        if type(s) is not int:  # the rare path: convert (NumPy ints) or refuse (floats)
            return tuple(int_arg(s, f"size[{i}]", op) for i, s in enumerate(shape))
    return tuple(shape)


def size_arg(shape: Sequence[Any], op: str) -> tuple[int, ...]:
    """The size of a new tensor (varargs or one sequence): non-negative ints."""
    out = shape_arg(shape, op)
    for s in out:
        if s < 0:
            raise ValueError(f"{op}: Trying to create tensor with negative dimension {s}: "
                             f"shape {out}")
    return out


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


#: ``gradient(backend, g, x, y)``: an element-wise op's input gradient from the output
#: gradient ``g``, its input ``x`` and its output ``y`` (None unless the op keeps them).
Gradient = Callable[[Backend, Any, Any, Any], Any]


def unary_function(name: str, compute: str, gradient: Gradient, *, keep: str, doc: str,
                   module: str) -> type[Function]:
    """A :class:`Function` class for an element-wise function of one tensor.

    Most element-wise ops differ only in the backend method they call and their derivative,
    so they are declared in one line each instead of a dozen lines of identical class body.
    ``compute`` names the backend method; ``keep`` says what backward needs: ``"x"`` (the
    input), ``"y"`` (the output) or ``"xy"``.
    """
    keep_x, keep_y = "x" in keep, "y" in keep

    def forward(ctx: Node, x: Any) -> Any:
        y = getattr(ctx.backend, compute)(x)
        if keep_x and keep_y:
            ctx.save_for_backward(x, y)
        elif keep_x or keep_y:
            ctx.save_for_backward(x if keep_x else y)
        return y

    def backward(ctx: Node, g: Any) -> Any:
        saved = ctx.saved_tensors
        return gradient(ctx.backend, g, saved[0] if keep_x else None,
                        saved[-1] if keep_y else None)

    namespace = {"__doc__": doc, "__module__": module, "__qualname__": name,
                 "forward": staticmethod(forward), "backward": staticmethod(backward)}
    return type(name, (Function,), namespace)
