"""Differentiable tensor operations, each written once against the op interface.

Every op computes its result with backend calls and, when gradients are being recorded,
attaches a :class:`~lucid.autograd.engine.Node` whose closure keeps only the arrays its
backward rule needs.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

from . import _dtype
from ._tensor import Tensor
from .autograd.engine import Node
from .autograd.grad_mode import is_grad_enabled
from .backends import Backend, MixedBackendError, get_backend

_Scalar = (int, float, bool)


# ------------------------------------------------------------------ plumbing
def _result(data: Any, b: Backend, name: str, inputs: tuple[Tensor, ...], backward) -> Tensor:
    """Wrap ``data``; record a node when any input requires grad and recording is on."""
    if is_grad_enabled():
        for t in inputs:
            if t.requires_grad:
                return Tensor._wrap(data, b, Node(name, inputs, backward))
    return Tensor._wrap(data, b)


def _mixed(a: Tensor, b: Tensor, op: str) -> MixedBackendError:
    return MixedBackendError(
        f"{op}: tensors are on different backends ({a.backend.name!r} and {b.backend.name!r}); "
        f"move one with .to({a.backend.name!r}) first"
    )


def _pair(a: Any, b: Any, op: str) -> tuple[Tensor | None, Any, Tensor | None, Any, Backend]:
    """Resolve operands of a binary op to (tensor|None, native-or-scalar) pairs on one backend."""
    ta = a if isinstance(a, Tensor) else None
    tb = b if isinstance(b, Tensor) else None
    if ta is not None and tb is not None:
        if ta.backend is not tb.backend:
            raise _mixed(ta, tb, op)
        return ta, ta.data, tb, tb.data, ta.backend
    ref = ta if ta is not None else tb
    assert ref is not None
    bk = ref.backend
    other = b if ta is not None else a
    if not isinstance(other, _Scalar) and not bk.is_native(other):
        if hasattr(other, "shape") and hasattr(other, "dtype"):  # another library's array
            raise MixedBackendError(
                f"{op}: a {type(other).__module__}.{type(other).__name__} cannot be combined "
                f"with a tensor on backend {bk.name!r} without a copy; wrap it with "
                f"lucid.tensor(..., backend={bk.name!r}) first"
            )
        other = bk.asarray(other, ref.dtype if ref.dtype.is_floating else None)
    if ta is not None:
        return ta, ta.data, None, other, bk
    assert tb is not None
    return None, other, tb, tb.data, bk


def _unbroadcast(b: Backend, g: Any, shape: tuple[int, ...]) -> Any:
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


def _shape_of(x: Tensor | None, v: Any, b: Backend) -> tuple[int, ...]:
    return x.shape if x is not None else (tuple(b.shape(v)) if b.is_native(v) else ())


def _axes(axis: Any, ndim: int, dim: Any = None) -> tuple[int, ...] | None:
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


def _keep(keepdims: bool, keepdim: bool | None) -> bool:
    return bool(keepdims if keepdim is None else keepdim)


# ------------------------------------------------------------- conversion
def to_backend(x: Tensor, target: Backend) -> Tensor:
    """Copy ``x`` to another backend (differentiable: the gradient is copied back)."""
    src = x.backend
    data = target.asarray(src.to_numpy(x.data))

    def backward(g):
        return (src.asarray(target.to_numpy(g)),)

    return _result(data, target, "ToBackend", (x,), backward)


def astype(x: Tensor, dtype: _dtype.DType) -> Tensor:
    """Convert ``x`` to ``dtype``; gradients flow between floating dtypes."""
    b = x.backend
    src = x.dtype
    data = b.astype(x.data, dtype)
    if not dtype.is_floating:
        return Tensor._wrap(data, b)
    return _result(data, b, "Cast", (x,), lambda g: (b.astype(g, src),))


# ----------------------------------------------------------- arithmetic
def add(a: Any, b: Any) -> Tensor:
    """Elementwise ``a + b`` with broadcasting."""
    ta, va, tb, vb, bk = _pair(a, b, "add")
    out = bk.add(va, vb)
    sa, sb = _shape_of(ta, va, bk), _shape_of(tb, vb, bk)
    return _result(out, bk, "Add", tuple(t for t in (ta, tb) if t is not None),
                   lambda g: _grads2(ta, tb, lambda: _unbroadcast(bk, g, sa),
                                     lambda: _unbroadcast(bk, g, sb)))


def sub(a: Any, b: Any) -> Tensor:
    """Elementwise ``a - b`` with broadcasting."""
    ta, va, tb, vb, bk = _pair(a, b, "sub")
    out = bk.subtract(va, vb)
    sa, sb = _shape_of(ta, va, bk), _shape_of(tb, vb, bk)
    return _result(out, bk, "Sub", tuple(t for t in (ta, tb) if t is not None),
                   lambda g: _grads2(ta, tb, lambda: _unbroadcast(bk, g, sa),
                                     lambda: _unbroadcast(bk, bk.negative(g), sb)))


def mul(a: Any, b: Any) -> Tensor:
    """Elementwise ``a * b`` with broadcasting."""
    ta, va, tb, vb, bk = _pair(a, b, "mul")
    out = bk.multiply(va, vb)
    sa, sb = _shape_of(ta, va, bk), _shape_of(tb, vb, bk)
    return _result(out, bk, "Mul", tuple(t for t in (ta, tb) if t is not None),
                   lambda g: _grads2(ta, tb, lambda: _unbroadcast(bk, bk.multiply(g, vb), sa),
                                     lambda: _unbroadcast(bk, bk.multiply(g, va), sb)))


def div(a: Any, b: Any) -> Tensor:
    """Elementwise true division with broadcasting."""
    ta, va, tb, vb, bk = _pair(a, b, "div")
    out = bk.divide(va, vb)
    sa, sb = _shape_of(ta, va, bk), _shape_of(tb, vb, bk)
    return _result(out, bk, "Div", tuple(t for t in (ta, tb) if t is not None),
                   lambda g: _grads2(
                       ta, tb, lambda: _unbroadcast(bk, bk.divide(g, vb), sa),
                       lambda: _unbroadcast(bk, bk.negative(bk.divide(bk.multiply(g, out), vb)),
                                            sb)))


def pow(a: Any, b: Any) -> Tensor:
    """Elementwise power ``a ** b``."""
    ta, va, tb, vb, bk = _pair(a, b, "pow")
    out = bk.power(va, vb)
    sa, sb = _shape_of(ta, va, bk), _shape_of(tb, vb, bk)

    def backward(g):
        def ga():
            if isinstance(vb, _Scalar):
                d = bk.multiply(va, 2) if vb == 2 else bk.multiply(bk.power(va, vb - 1), vb)
            else:
                d = bk.multiply(bk.power(va, bk.subtract(vb, 1)), vb)
            return _unbroadcast(bk, bk.multiply(g, d), sa)

        def gb():
            # a Python-number base keeps its logarithm a Python float: a backend scalar
            # (e.g. numpy.float64) would promote a float32 gradient to float64
            log_a = _scalar_log(va) if isinstance(va, _Scalar) else bk.log(va)
            return _unbroadcast(bk, bk.multiply(g, bk.multiply(out, log_a)), sb)

        return _grads2(ta, tb, ga, gb)

    return _result(out, bk, "Pow", tuple(t for t in (ta, tb) if t is not None), backward)


def _scalar_log(v: float) -> float:
    """Natural log of a Python number, with IEEE results (-inf at 0, nan below) like arrays."""
    if v > 0:
        return math.log(v)
    return float("-inf") if v == 0 else float("nan")


def _grads2(ta, tb, fa, fb) -> tuple[Any, ...]:
    """Gradients for the tensor operands of a binary op, skipping those not requiring grad."""
    out = []
    if ta is not None:
        out.append(fa() if ta.requires_grad else None)
    if tb is not None:
        out.append(fb() if tb.requires_grad else None)
    return tuple(out)


def neg(x: Tensor) -> Tensor:
    """Elementwise negation."""
    b = x.backend
    return _result(b.negative(x.data), b, "Neg", (x,), lambda g: (b.negative(g),))


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with NumPy's ``@`` semantics (1-D operands and batch broadcasting)."""
    ta, va, tb, vb, bk = _pair(a, b, "matmul")
    sa, sb = _shape_of(ta, va, bk), _shape_of(tb, vb, bk)
    try:
        out = bk.matmul(va, vb)
    except (ValueError, TypeError) as exc:  # explain in lucid's terms, whatever the backend
        reason = _matmul_mismatch(sa, sb)
        if reason is None:
            raise
        raise ValueError(f"matmul: cannot multiply shapes {sa} and {sb}: {reason}") from exc

    def backward(g):
        A = bk.reshape(va, (1,) + sa) if len(sa) == 1 else va
        B = bk.reshape(vb, sb + (1,)) if len(sb) == 1 else vb
        G = g
        if len(sa) == 1:
            G = bk.reshape(G, tuple(bk.shape(G))[:-1] + (1,) + tuple(bk.shape(G))[-1:])
        if len(sb) == 1:
            G = bk.reshape(G, tuple(bk.shape(G)) + (1,))
        nA, nB = len(bk.shape(A)), len(bk.shape(B))
        swap = lambda m, n: bk.transpose(m, tuple(range(n - 2)) + (n - 1, n - 2))  # noqa: E731
        return _grads2(ta, tb,
                       lambda: _unbroadcast(bk, bk.matmul(G, swap(B, nB)), sa)
                       if len(sa) > 1 else bk.reshape(_unbroadcast(
                           bk, bk.matmul(G, swap(B, nB)), (1,) + sa), sa),
                       lambda: _unbroadcast(bk, bk.matmul(swap(A, nA), G), sb)
                       if len(sb) > 1 else bk.reshape(_unbroadcast(
                           bk, bk.matmul(swap(A, nA), G), sb + (1,)), sb))

    return _result(out, bk, "MatMul", tuple(t for t in (ta, tb) if t is not None), backward)


def _matmul_mismatch(sa: tuple[int, ...], sb: tuple[int, ...]) -> str | None:
    """Why ``a @ b`` is impossible for these shapes, or None when the shapes are fine."""
    if not sa or not sb:
        return "both operands need at least one dimension"
    inner_b = sb[0] if len(sb) == 1 else sb[-2]
    if sa[-1] != inner_b:
        return (f"the last axis of the first operand ({sa[-1]}) must equal the "
                f"{'length' if len(sb) == 1 else 'second-to-last axis'} of the second "
                f"({inner_b})")
    batch_a, batch_b = sa[:-2], sb[:-2]
    for x, y in zip(reversed(batch_a), reversed(batch_b)):
        if x != y and 1 not in (x, y):
            return f"batch dimensions {batch_a} and {batch_b} do not broadcast"
    return None


# --------------------------------------------------------------- unary math
def exp(x: Tensor) -> Tensor:
    """Elementwise exponential."""
    b = x.backend
    y = b.exp(x.data)
    return _result(y, b, "Exp", (x,), lambda g: (b.multiply(g, y),))


def log(x: Tensor) -> Tensor:
    """Elementwise natural logarithm."""
    b = x.backend
    v = x.data
    return _result(b.log(v), b, "Log", (x,), lambda g: (b.divide(g, v),))


def sqrt(x: Tensor) -> Tensor:
    """Elementwise square root."""
    b = x.backend
    y = b.sqrt(x.data)
    return _result(y, b, "Sqrt", (x,), lambda g: (b.divide(b.multiply(g, 0.5), y),))


def abs(x: Tensor) -> Tensor:
    """Elementwise absolute value (gradient sign(x), 0 at 0)."""
    b = x.backend
    v = x.data
    return _result(b.abs(v), b, "Abs", (x,), lambda g: (b.multiply(g, b.sign(v)),))


def tanh(x: Tensor) -> Tensor:
    """Elementwise hyperbolic tangent."""
    b = x.backend
    y = b.tanh(x.data)
    return _result(y, b, "Tanh", (x,),
                   lambda g: (b.multiply(g, b.subtract(1.0, b.multiply(y, y))),))


def sigmoid(x: Tensor) -> Tensor:
    """Elementwise logistic function."""
    b = x.backend
    y = b.sigmoid(x.data)
    return _result(y, b, "Sigmoid", (x,),
                   lambda g: (b.multiply(g, b.multiply(y, b.subtract(1.0, y))),))


def relu(x: Tensor) -> Tensor:
    """Elementwise ``max(x, 0)``."""
    b = x.backend
    y = b.relu(x.data)
    return _result(y, b, "ReLU", (x,), lambda g: (b.where(b.greater(y, 0), g, 0),))


def clip(x: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
    """Clamp into ``[min, max]``; the gradient passes where the input was inside."""
    b = x.backend
    v = x.data
    y = b.clip(v, min, max)

    def backward(g):
        inside = None
        if min is not None:
            inside = b.greater_equal(v, min)
        if max is not None:
            upper = b.less_equal(v, max)
            inside = upper if inside is None else b.logical_and(inside, upper)
        return (g if inside is None else b.where(inside, g, 0),)

    return _result(y, b, "Clip", (x,), backward)


clamp = clip


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum (ties send the gradient to ``a``)."""
    ta, va, tb, vb, bk = _pair(a, b, "maximum")
    out = bk.maximum(va, vb)
    sa, sb = _shape_of(ta, va, bk), _shape_of(tb, vb, bk)

    def backward(g):
        pick = bk.greater_equal(va, vb)
        return _grads2(ta, tb, lambda: _unbroadcast(bk, bk.where(pick, g, 0), sa),
                       lambda: _unbroadcast(bk, bk.where(pick, 0, g), sb))

    return _result(out, bk, "Maximum", tuple(t for t in (ta, tb) if t is not None), backward)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum (ties send the gradient to ``a``)."""
    ta, va, tb, vb, bk = _pair(a, b, "minimum")
    out = bk.minimum(va, vb)
    sa, sb = _shape_of(ta, va, bk), _shape_of(tb, vb, bk)

    def backward(g):
        pick = bk.less_equal(va, vb)
        return _grads2(ta, tb, lambda: _unbroadcast(bk, bk.where(pick, g, 0), sa),
                       lambda: _unbroadcast(bk, bk.where(pick, 0, g), sb))

    return _result(out, bk, "Minimum", tuple(t for t in (ta, tb) if t is not None), backward)


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """Pick elements of ``a`` where ``cond`` holds, else of ``b``."""
    ta, va, tb, vb, bk = _pair(a, b, "where")
    c = cond.data if isinstance(cond, Tensor) else bk.asarray(cond)
    out = bk.where(c, va, vb)
    sa, sb = _shape_of(ta, va, bk), _shape_of(tb, vb, bk)
    return _result(out, bk, "Where", tuple(t for t in (ta, tb) if t is not None),
                   lambda g: _grads2(ta, tb, lambda: _unbroadcast(bk, bk.where(c, g, 0), sa),
                                     lambda: _unbroadcast(bk, bk.where(c, 0, g), sb)))


# ----------------------------------------------------------- comparisons
def _compare(name: str):
    def op(a: Any, b: Any) -> Tensor:
        ta, va, tb, vb, bk = _pair(a, b, name)
        return Tensor._wrap(getattr(bk, name)(va, vb), bk)

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}`` comparison (a bool tensor, not differentiable)."
    return op


eq = _compare("equal")
ne = _compare("not_equal")
lt = _compare("less")
le = _compare("less_equal")
gt = _compare("greater")
ge = _compare("greater_equal")
logical_and = _compare("logical_and")
logical_or = _compare("logical_or")


def logical_not(x: Tensor) -> Tensor:
    """Elementwise logical not."""
    return Tensor._wrap(x.backend.logical_not(x.data), x.backend)


# ------------------------------------------------------------- reductions
def _expand_grad(b: Backend, g: Any, shape: tuple[int, ...], axes, keepdims: bool) -> Any:
    """Broadcast a reduced gradient back to the input's shape."""
    if not keepdims:
        kshape = tuple(1 if (axes is None or i in axes) else s for i, s in enumerate(shape))
        g = b.reshape(g, kshape)
    return b.broadcast_to(g, shape)


def sum(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """Sum over ``axis`` (an int, a tuple, or None for all)."""
    b = x.backend
    axes = _axes(axis, x.ndim, dim)
    kd = _keep(keepdims, keepdim)
    shape = x.shape
    return _result(b.sum(x.data, axes, kd), b, "Sum", (x,),
                   lambda g: (_expand_grad(b, g, shape, axes, kd),))


def mean(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """Arithmetic mean over ``axis``."""
    b = x.backend
    axes = _axes(axis, x.ndim, dim)
    kd = _keep(keepdims, keepdim)
    shape = x.shape
    count = 1
    for i, s in enumerate(shape):
        if axes is None or i in axes:
            count *= s
    return _result(b.mean(x.data, axes, kd), b, "Mean", (x,),
                   lambda g: (_expand_grad(b, b.divide(g, count), shape, axes, kd),))


def var(x: Tensor, axis=None, keepdims: bool = False, *, unbiased: bool = False, dim=None,
        keepdim=None) -> Tensor:
    """Variance over ``axis`` (divides by N, or N-1 when ``unbiased``)."""
    axes = _axes(axis, x.ndim, dim)
    kd = _keep(keepdims, keepdim)
    xc = sub(x, mean(x, axes, True))
    sq = sum(mul(xc, xc), axes, kd)
    count = 1
    for i, s in enumerate(x.shape):
        if axes is None or i in axes:
            count *= s
    return div(sq, builtins.max(count - 1, 1) if unbiased else count)


def _extreme(x: Tensor, axis, keepdims, dim, keepdim, name: str) -> Tensor:
    b = x.backend
    axes = _axes(axis, x.ndim, dim)
    kd = _keep(keepdims, keepdim)
    shape = x.shape
    v = x.data
    y = getattr(b, name)(v, axes, kd)

    def backward(g):
        yk = _expand_grad(b, y, shape, axes, kd)
        mask = b.astype(b.equal(v, yk), x.dtype)
        count = b.sum(mask, axes, True)
        return (b.multiply(_expand_grad(b, g, shape, axes, kd), b.divide(mask, count)),)

    return _result(y, b, name.capitalize(), (x,), backward)


def max(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """Maximum over ``axis`` (ties share the gradient equally)."""
    return _extreme(x, axis, keepdims, dim, keepdim, "max")


def min(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """Minimum over ``axis`` (ties share the gradient equally)."""
    return _extreme(x, axis, keepdims, dim, keepdim, "min")


def argmax(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """Index of the maximum along ``axis`` (of the flattened tensor when None)."""
    axes = _axes(axis, x.ndim, dim)
    return Tensor._wrap(x.backend.argmax(x.data, None if axes is None else axes[0],
                                         _keep(keepdims, keepdim)), x.backend)


def argmin(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """Index of the minimum along ``axis`` (of the flattened tensor when None)."""
    axes = _axes(axis, x.ndim, dim)
    return Tensor._wrap(x.backend.argmin(x.data, None if axes is None else axes[0],
                                         _keep(keepdims, keepdim)), x.backend)


# ----------------------------------------------------------------- shape
def _shape_arg(shape: Sequence[Any]) -> tuple[int, ...]:
    if len(shape) == 1 and not isinstance(shape[0], int):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def reshape(x: Tensor, *shape: Any) -> Tensor:
    """Return ``x`` with a new shape (varargs or one tuple)."""
    b = x.backend
    new = _shape_arg(shape)
    old = x.shape
    try:
        y = b.reshape(x.data, new)
    except ValueError as exc:
        raise ValueError(f"cannot reshape a tensor of shape {old} into {new}") from exc
    return _result(y, b, "Reshape", (x,), lambda g: (b.reshape(g, old),))


def permute(x: Tensor, *axes: Any) -> Tensor:
    """Reorder the axes of ``x``."""
    b = x.backend
    perm = _shape_arg(axes)
    if sorted(a % builtins.max(x.ndim, 1) for a in perm) != list(range(x.ndim)):
        raise ValueError(f"permute: {perm} is not a permutation of {x.ndim} axes")
    perm = tuple(a % x.ndim for a in perm)
    inverse = tuple(sorted(range(len(perm)), key=perm.__getitem__))
    return _result(b.transpose(x.data, perm), b, "Permute", (x,),
                   lambda g: (b.transpose(g, inverse),))


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
        axes = _axes(axis, x.ndim) or ()
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
    b = x.backend
    target = list(_shape_arg(shape))
    old = x.shape
    lead = len(target) - len(old)
    for i, s in enumerate(old):
        if target[i + lead] == -1:
            target[i + lead] = s
    new = tuple(target)
    return _result(b.broadcast_to(x.data, new), b, "Expand", (x,),
                   lambda g: (_unbroadcast(b, g, old),))


def _same_backend(tensors: Sequence[Tensor], op: str) -> Backend:
    if not tensors:
        raise ValueError(f"{op} needs at least one tensor")
    b = tensors[0].backend
    for t in tensors[1:]:
        if t.backend is not b:
            raise _mixed(tensors[0], t, op)
    return b


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    b = _same_backend(tensors, "concatenate")
    ax = axis % builtins.max(tensors[0].ndim, 1)
    first = tensors[0].shape
    for t in tensors[1:]:
        if len(t.shape) != len(first) or any(
                i != ax and m != n for i, (m, n) in enumerate(zip(first, t.shape))):
            raise ValueError(f"concatenate: cannot join shapes {[u.shape for u in tensors]} "
                             f"along axis {axis}; every other axis must match")
    sizes = [t.shape[ax] for t in tensors]
    out = b.concatenate([t.data for t in tensors], ax)

    def backward(g):
        grads, start = [], 0
        for n in sizes:
            idx = (slice(None),) * ax + (slice(start, start + n),)
            grads.append(b.getitem(g, idx))
            start += n
        return tuple(grads)

    return _result(out, b, "Concatenate", tuple(tensors), backward)


cat = concatenate


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along a new axis."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    b = _same_backend(tensors, "stack")
    ax = axis % (tensors[0].ndim + 1)
    if any(t.shape != tensors[0].shape for t in tensors[1:]):
        raise ValueError(f"stack: all tensors need the same shape, got "
                         f"{[t.shape for t in tensors]}")
    out = b.stack([t.data for t in tensors], ax)
    return _result(out, b, "Stack", tuple(tensors), lambda g: tuple(
        b.getitem(g, (slice(None),) * ax + (i,)) for i in range(len(tensors))))


def pad(x: Tensor, pad_width: Sequence[tuple[int, int]], value: float = 0.0) -> Tensor:
    """Constant-pad each axis by ``(before, after)``."""
    b = x.backend
    widths = tuple((int(p), int(q)) for p, q in pad_width)
    shape = x.shape
    out = b.pad(x.data, widths, value)
    idx = tuple(slice(p, p + s) for (p, _), s in zip(widths, shape))
    return _result(out, b, "Pad", (x,), lambda g: (b.getitem(g, idx),))


# -------------------------------------------------------------- indexing
def _native_index(b: Backend, index: Any) -> Any:
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(_native_index(b, i) for i in index)
    if isinstance(index, list):
        return b.asarray(index)
    return index


def getitem(x: Tensor, index: Any) -> Tensor:
    """``x[index]`` with NumPy basic and advanced indexing; the gradient scatter-adds back."""
    b = x.backend
    idx = _native_index(b, index)
    out = b.getitem(x.data, idx)
    shape, dtype = x.shape, x.dtype

    def backward(g):
        return (b.scatter_add(b.zeros(shape, dtype), idx, g),)

    return _result(out, b, "Index", (x,), backward)


# --------------------------------------------------------- softmax family
def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """Softmax along ``axis``."""
    b = x.backend
    ax = axis % x.ndim
    y = b.softmax(x.data, ax)

    def backward(g):
        gy = b.multiply(g, y)
        return (b.subtract(gy, b.multiply(y, b.sum(gy, (ax,), True))),)

    return _result(y, b, "Softmax", (x,), backward)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """Log-softmax along ``axis``."""
    b = x.backend
    ax = axis % x.ndim
    y = b.log_softmax(x.data, ax)

    def backward(g):
        return (b.subtract(g, b.multiply(b.exp(y), b.sum(g, (ax,), True))),)

    return _result(y, b, "LogSoftmax", (x,), backward)


def get_backend_of(*tensors: Tensor) -> Backend:
    """Return the one backend shared by ``tensors`` (error when they differ)."""
    return _same_backend(list(tensors), "operation") if tensors else get_backend()
