"""``ArrayModuleBackend``: the whole op interface over any module with NumPy's API.

NumPy, CuPy and any other NumPy-like library (dpnp, a NumPy shim over JAX, ...) share this
code: only the module object ``xp`` differs. A backend for such a library is a subclass that
sets ``xp`` (and ``name`` and ``api_version``)::

    import dpnp
    from lucid.backends import ArrayModuleBackend

    class DpnpBackend(ArrayModuleBackend):
        name = "dpnp"
        api_version = 2
        xp = dpnp

The NN kernels are :mod:`lucid.backends.array_kernels`, run with :attr:`ArrayModuleBackend.passes`
(a :class:`~lucid.backends.array_kernels.Passes` made in ``__init__`` from
:attr:`ArrayModuleBackend.passes_class`); a subclass replaces that class to run large passes
on threads or in cache-sized blocks, and overrides any method it can do better.

This module imports no array library: it only uses ``xp``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import lucid.backends.array_kernels as K  # "from . import" would import the package: a cycle
import lucid.backends.special as _special

from .._dtype import ALL_DTYPES, DType
from .array_kernels import Passes
from .interface import Backend


def _is_basic_index(index: Any) -> bool:
    """True when ``index`` uses only ints, slices, Ellipsis and None (no repeated targets)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in items)


class ArrayModuleBackend(Backend):
    """Backend over any module with NumPy's API (``numpy``, ``cupy``, ``dpnp``, ...).

    Subclasses set :attr:`xp`. The module needs NumPy's ``dtype``, ``ndarray``,
    ``random.default_rng``, ufuncs (with ``out=`` and ``ufunc.at``), reductions,
    ``lib.stride_tricks.as_strided``, ``einsum``, ``pad`` and ``array2string``.
    """

    #: The array module (``numpy``, ``cupy``, ...); set by the subclass.
    xp: Any = None
    #: The :class:`~lucid.backends.array_kernels.Passes` class the NN kernels run with;
    #: ``__init__`` makes :attr:`passes` from it. The default runs plain single calls.
    passes_class: type[Passes] = Passes

    def __init__(self) -> None:
        xp = self.xp
        if xp is None:
            raise TypeError(f"{type(self).__name__} sets no array module: give the class an "
                            "'xp' attribute (e.g. xp = numpy)")
        self._native = {name: xp.dtype(name) for name in ALL_DTYPES}
        self._lucid = {v: ALL_DTYPES[k] for k, v in self._native.items()}
        self._rng = xp.random.default_rng()
        self._ndarray = xp.ndarray
        self._asnumpy = getattr(xp, "asnumpy", None)
        #: How the NN kernels run their large passes (see :attr:`passes_class`).
        self.passes: Passes = self.passes_class(xp)

    # dtypes and host transfer
    def native_dtype(self, dtype: DType) -> Any:
        return self._native[dtype.name]

    def dtype_of(self, a: Any) -> DType:
        try:
            return self._lucid[a.dtype]
        except KeyError:
            raise TypeError(f"unsupported array dtype {a.dtype}; expected one of "
                            f"{sorted(ALL_DTYPES)}") from None

    def asarray(self, data: Any, dtype: DType | None = None) -> Any:
        return self.xp.asarray(data, dtype=None if dtype is None else self._native[dtype.name])

    def to_numpy(self, a: Any) -> Any:
        """Return a host ``numpy.ndarray``: ``xp.asnumpy(a)`` when the module has it (CuPy,
        dpnp), else ``a.__array__()`` (NumPy itself, and modules implementing the protocol)."""
        if self._asnumpy is not None:
            return self._asnumpy(a)
        return a.__array__()

    def shape(self, a: Any) -> tuple[int, ...]:
        return a.shape

    def astype(self, a: Any, dtype: DType) -> Any:
        return a.astype(self._native[dtype.name], copy=False)

    def is_native(self, a: Any) -> bool:
        return isinstance(a, self._ndarray)

    # host values
    def item(self, a: Any) -> Any:
        return a.item()

    def tolist(self, a: Any) -> Any:
        return a.tolist()

    def format_array(self, a: Any, prefix: str) -> str:
        return self.xp.array2string(a, separator=", ", prefix=prefix, precision=4)

    # creation and random numbers
    def zeros(self, shape, dtype):
        return self.xp.zeros(shape, dtype=self._native[dtype.name])

    def ones(self, shape, dtype):
        return self.xp.ones(shape, dtype=self._native[dtype.name])

    def full(self, shape, value, dtype):
        return self.xp.full(shape, value, dtype=self._native[dtype.name])

    def arange(self, start, stop, step, dtype):
        return self.xp.arange(start, stop, step, dtype=self._native[dtype.name])

    def seed(self, seed: int) -> None:
        self._rng = self.xp.random.default_rng(seed)

    def random_normal(self, shape, dtype):
        native = self._native[dtype.name]
        if dtype.name in ("float32", "float64"):
            return self._rng.standard_normal(shape, dtype=native)
        return self._rng.standard_normal(shape).astype(native)

    def random_uniform(self, shape, low, high, dtype):
        native = self._native[dtype.name]
        u = self._rng.random(shape, dtype=native) if dtype.name in ("float32", "float64") \
            else self._rng.random(shape).astype(native)
        if low != 0.0 or high != 1.0:
            u = u * (high - low) + low
        return u.astype(native, copy=False)

    # elementwise
    def add(self, a, b):
        return self.xp.add(a, b)

    def subtract(self, a, b):
        return self.xp.subtract(a, b)

    def multiply(self, a, b):
        return self.xp.multiply(a, b)

    def divide(self, a, b):
        return self.xp.true_divide(a, b)

    def power(self, a, b):
        return self.xp.power(a, b)

    def negative(self, a):
        return self.xp.negative(a)

    def exp(self, a):
        return self.xp.exp(a)

    def log(self, a):
        return self.xp.log(a)

    def sqrt(self, a):
        return self.xp.sqrt(a)

    def abs(self, a):
        return self.xp.abs(a)

    def tanh(self, a):
        return self.xp.tanh(a)

    def sign(self, a):
        return self.xp.sign(a)

    def sin(self, a):
        return self.xp.sin(a)

    def cos(self, a):
        return self.xp.cos(a)

    def tan(self, a):
        return self.xp.tan(a)

    def asin(self, a):
        return self.xp.arcsin(a)

    def acos(self, a):
        return self.xp.arccos(a)

    def atan(self, a):
        return self.xp.arctan(a)

    def sinh(self, a):
        return self.xp.sinh(a)

    def cosh(self, a):
        return self.xp.cosh(a)

    def asinh(self, a):
        return self.xp.arcsinh(a)

    def acosh(self, a):
        return self.xp.arccosh(a)

    def atanh(self, a):
        return self.xp.arctanh(a)

    def log1p(self, a):
        return self.xp.log1p(a)

    def expm1(self, a):
        return self.xp.expm1(a)

    def floor(self, a):
        return self.xp.floor(a)

    def ceil(self, a):
        return self.xp.ceil(a)

    def trunc(self, a):
        return self.xp.trunc(a)

    def round(self, a):
        return self.xp.round(a)

    def isnan(self, a):
        return self.xp.isnan(a)

    def isinf(self, a):
        return self.xp.isinf(a)

    def isfinite(self, a):
        return self.xp.isfinite(a)

    def erf(self, a):
        # NumPy has no erf: the composition in lucid.backends.special (CuPy overrides it)
        return _special.erf(self, a)

    def maximum(self, a, b):
        return self.xp.maximum(a, b)

    def minimum(self, a, b):
        return self.xp.minimum(a, b)

    def where(self, cond, a, b):
        return self.xp.where(cond, a, b)

    def equal(self, a, b):
        return self.xp.equal(a, b)

    def not_equal(self, a, b):
        return self.xp.not_equal(a, b)

    def less(self, a, b):
        return self.xp.less(a, b)

    def less_equal(self, a, b):
        return self.xp.less_equal(a, b)

    def greater(self, a, b):
        return self.xp.greater(a, b)

    def greater_equal(self, a, b):
        return self.xp.greater_equal(a, b)

    def logical_and(self, a, b):
        return self.xp.logical_and(a, b)

    def logical_or(self, a, b):
        return self.xp.logical_or(a, b)

    def logical_not(self, a):
        return self.xp.logical_not(a)

    def clip(self, a, low, high):
        return self.xp.clip(a, low, high)

    def sigmoid(self, a):
        # (tanh(a/2) + 1) / 2: stable for large |a|, through the (overridable) elementwise ops
        return self.multiply(self.add(self.tanh(self.multiply(a, 0.5)), 1.0), 0.5)

    def relu(self, a):
        return self.xp.maximum(a, 0)

    # reductions
    def sum(self, a, axis, keepdims):
        return self.xp.sum(a, axis=axis, keepdims=keepdims)

    def mean(self, a, axis, keepdims):
        return self.xp.mean(a, axis=axis, keepdims=keepdims)

    def max(self, a, axis, keepdims):
        return self.xp.max(a, axis=axis, keepdims=keepdims)

    def min(self, a, axis, keepdims):
        return self.xp.min(a, axis=axis, keepdims=keepdims)

    def any(self, a, axis, keepdims):
        return self.xp.any(a, axis=axis, keepdims=keepdims)

    def all(self, a, axis, keepdims):
        return self.xp.all(a, axis=axis, keepdims=keepdims)

    def argmax(self, a, axis, keepdims):
        out = self.xp.argmax(a, axis=axis)
        if keepdims:
            out = self.xp.expand_dims(out, axis) if axis is not None else out.reshape((1,) * a.ndim)
        return out.astype(self.xp.int64, copy=False)

    def argmin(self, a, axis, keepdims):
        out = self.xp.argmin(a, axis=axis)
        if keepdims:
            out = self.xp.expand_dims(out, axis) if axis is not None else out.reshape((1,) * a.ndim)
        return out.astype(self.xp.int64, copy=False)

    def prod(self, a, axis, keepdims):
        return self.xp.prod(a, axis=axis, keepdims=keepdims)

    def cumsum(self, a, axis):
        return self.xp.cumsum(a, axis=axis)

    def cumprod(self, a, axis):
        return self.xp.cumprod(a, axis=axis)

    def sort(self, a, axis, descending):
        out = self.xp.sort(a, axis=axis)
        return self.xp.flip(out, axis=axis) if descending else out

    def argsort(self, a, axis, descending):
        xp = self.xp
        if not descending:
            return xp.argsort(a, axis=axis, kind="stable").astype(xp.int64, copy=False)
        # sort the reversed array stably and reverse the result: descending, ties in order
        rev = xp.argsort(xp.flip(a, axis=axis), axis=axis, kind="stable")
        return (a.shape[axis] - 1 - xp.flip(rev, axis=axis)).astype(xp.int64, copy=False)

    # shape
    def reshape(self, a, shape):
        return a.reshape(shape)

    def transpose(self, a, axes: Sequence[int]):
        return a.transpose(tuple(axes))

    def broadcast_to(self, a, shape):
        return self.xp.broadcast_to(a, shape)

    def concatenate(self, arrays, axis):
        return self.xp.concatenate(list(arrays), axis=axis)

    def stack(self, arrays, axis):
        return self.xp.stack(list(arrays), axis=axis)

    def pad(self, a, pad_width, value):
        return self.xp.pad(a, tuple(tuple(p) for p in pad_width), constant_values=value)

    # indexing
    def getitem(self, a, index):
        return a[index]

    def scatter_add(self, a, index, values):
        if _is_basic_index(index) or (
            isinstance(index, self._ndarray) and index.dtype == self.xp.bool_
        ):
            a[index] += values
        else:
            self.xp.add.at(a, index, values)
        return a

    # linear algebra
    def matmul(self, a, b):
        return self.xp.matmul(a, b)

    def einsum(self, subscripts, *operands):
        return self.xp.einsum(subscripts, *operands)

    # NN kernels (lucid.backends.array_kernels, run with self.passes)
    def conv2d(self, x, w, stride, padding, dilation, groups):
        return K.conv2d(self.passes, x, w, stride, padding, dilation, groups)

    def conv2d_grad_input(self, gy, w, x_shape, stride, padding, dilation, groups):
        return K.conv2d_grad_input(self.passes, gy, w, x_shape, stride, padding, dilation,
                                   groups)

    def conv2d_grad_weight(self, gy, x, w_shape, stride, padding, dilation, groups):
        return K.conv2d_grad_weight(self.passes, gy, x, w_shape, stride, padding, dilation,
                                    groups)

    def max_pool2d(self, x, kernel, stride, padding):
        return K.max_pool2d(self.passes, x, kernel, stride, padding)

    def max_pool2d_grad(self, gy, argmax, x_shape, kernel, stride, padding):
        return K.max_pool2d_grad(self.passes, gy, argmax, x_shape, kernel, stride, padding)

    def avg_pool2d(self, x, kernel, stride, padding):
        return K.avg_pool2d(self.passes, x, kernel, stride, padding)

    def avg_pool2d_grad(self, gy, x_shape, kernel, stride, padding):
        return K.avg_pool2d_grad(self.passes, gy, x_shape, kernel, stride, padding)

    def batch_norm_train(self, x, gamma, beta, eps):
        return K.batch_norm_train(self.passes, x, gamma, beta, eps)

    def batch_norm_grad(self, gy, x, gamma, mean, invstd):
        return K.batch_norm_grad(self.passes, gy, x, gamma, mean, invstd)

    def batch_norm_eval(self, x, scale, shift, relu=False):
        return K.batch_norm_eval(self.passes, x, scale, shift, relu)

    def softmax(self, x, axis):
        return K.softmax(self.passes, x, axis)

    def log_softmax(self, x, axis):
        return K.log_softmax(self.passes, x, axis)


__all__ = ["ArrayModuleBackend"]
