"""``ArrayAPIBackend``: lucid's required op core over any Python array API namespace.

Only functions of the array API standard are called on arrays (through
``array_api_compat.array_namespace``, which also adapts NumPy, CuPy, PyTorch and others).
NumPy is used on the host only (it is lucid's host interchange format): to build arrays from
Python data, to draw random numbers, as the target of :meth:`to_numpy`, and to format values
as text. The neural-network kernels are *not* written here: the backend opts into lucid's
reference implementations (:class:`lucid.backends.ReferenceKernels`, composed from the
required core), which is the point of it.

Where lucid promises NumPy behaviour that the standard leaves out, it is written here in
standard terms: Python scalars become 0-d arrays, mixed-kind operands are promoted as NumPy
promotes them, float-only functions promote integers to float64, padding is concatenation,
and indexing/scatter-add are translated by :mod:`lucid_array_api._indexing`.
"""

from __future__ import annotations

import importlib
import math
import os
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np

import lucid
from lucid import DType
from lucid.backends import Backend, ReferenceKernels, special

from . import _indexing

#: Environment variable naming the array library (an importable module) to run on.
NAMESPACE_ENV = "LUCID_ARRAY_API_NAMESPACE"
#: The library used when neither the constructor nor the environment names one.
DEFAULT_NAMESPACE = "array_api_strict"

_Scalar = (bool, int, float)
#: lucid's dtypes by name (the public ones; a namespace may lack some, e.g. float16).
LUCID_DTYPES: dict[str, DType] = {
    d.name: d for d in (lucid.float16, lucid.float32, lucid.float64, lucid.int32, lucid.int64,
                        lucid.uint8, lucid.bool_)
}


def _configured_name() -> str:
    return os.environ.get(NAMESPACE_ENV, "").strip() or DEFAULT_NAMESPACE


def resolve_namespace(library: str | ModuleType) -> Any:
    """Return the array API namespace for a library given as a module or a module name."""
    from array_api_compat import array_namespace

    module = importlib.import_module(library) if isinstance(library, str) else library
    if not hasattr(module, "asarray"):
        raise TypeError(f"library {module.__name__!r} has no asarray(); expected an array "
                        "library such as 'array_api_strict', 'numpy', 'cupy' or 'torch'")
    return array_namespace(module.asarray(0))


class ArrayAPIBackend(ReferenceKernels, Backend):
    """A lucid backend for any library implementing the Python array API standard.

    ``library`` is a module or module name (default: ``$LUCID_ARRAY_API_NAMESPACE``, else
    ``array_api_strict``); ``device`` is passed to every array-creating call when given.
    The NN kernels, ``clip``, ``sigmoid`` and ``relu`` are :class:`ReferenceKernels`' ones.
    """

    name = "array_api"
    #: The op-interface version this plugin implements (not lucid's current one, imported:
    #: a lucid with another interface must refuse this plugin rather than half-run it).
    api_version = 2

    def __init__(self, library: str | ModuleType | None = None, device: Any = None) -> None:
        self.library = _configured_name() if library is None else library
        self.xp = xp = resolve_namespace(self.library)
        self.device = device
        self._array_type = type(xp.asarray(0))
        self._native: dict[str, Any] = {}
        self._lucid: dict[Any, DType] = {}
        for lname, dt in LUCID_DTYPES.items():
            native = getattr(xp, lname, None)
            if native is None:  # float16 is not part of the standard; many libraries omit it
                continue
            self._native[lname] = native
            self._lucid[xp.zeros((), dtype=native).dtype] = dt
        self._float64 = "float64" in self._native
        self._rng = np.random.default_rng()

    @classmethod
    def unavailable_reason(cls) -> str | None:
        """Say why the configured array library cannot be used, or None when it can."""
        library = _configured_name()
        try:
            resolve_namespace(library)
        except ImportError as exc:
            return (f"cannot import {exc.name or library!r} for the array API backend "
                    f"(configured by ${NAMESPACE_ENV}={library!r}): {exc}")
        except TypeError as exc:
            return f"${NAMESPACE_ENV}={library!r} is not usable: {exc}"
        return None

    def __repr__(self) -> str:
        library = getattr(self.library, "__name__", self.library)
        return f"<lucid backend {self.name!r} over {library!r}>"

    # ------------------------------------------------------------ dtypes, host
    def native_dtype(self, dtype: DType) -> Any:
        """Return the namespace's dtype object for a lucid dtype."""
        try:
            return self._native[dtype.name]
        except KeyError:
            raise TypeError(f"dtype {dtype!r} is not provided by array namespace "
                            f"{self.xp.__name__!r}; supported: {sorted(self._native)}") from None

    def dtype_of(self, a: Any) -> DType:
        """Return the lucid dtype of a native array."""
        try:
            return self._lucid[a.dtype]
        except KeyError:
            raise TypeError(f"unsupported array dtype {a.dtype}; expected one of "
                            f"{sorted(self._native)}") from None

    def _from_host(self, host: np.ndarray) -> Any:
        if host.dtype.name not in self._native:
            raise TypeError(f"cannot make a {self.xp.__name__} array of NumPy dtype "
                            f"{host.dtype.name!r}; supported: {sorted(self._native)}")
        if self.device is None:
            return self.xp.asarray(host)
        return self.xp.asarray(host, device=self.device)

    def asarray(self, data: Any, dtype: DType | None = None) -> Any:
        """Make a native array from Python data, a NumPy array or a native array (a copy)."""
        if isinstance(data, self._array_type):
            return data if dtype is None else self.astype(data, dtype)
        if dtype is not None:
            self.native_dtype(dtype)  # refuse unsupported dtypes with a clear message
        host = np.array(data, dtype=None if dtype is None else dtype.name, copy=True)
        return self._from_host(host)

    def to_numpy(self, a: Any) -> Any:
        """Copy a native array into a host ``numpy.ndarray`` (via DLPack when possible)."""
        try:
            host = np.from_dlpack(a)
        except (AttributeError, BufferError, RuntimeError, TypeError, ValueError):
            try:
                host = np.asarray(a)
            except (RuntimeError, TypeError, ValueError):  # a device array: move it first
                from array_api_compat import to_device

                host = np.asarray(to_device(a, "cpu"))
        return np.array(host, copy=True)

    def shape(self, a: Any) -> tuple[int, ...]:
        """Return the shape of a native array."""
        return tuple(a.shape)

    def astype(self, a: Any, dtype: DType) -> Any:
        """Return ``a`` converted to ``dtype`` (``a`` itself when it already has it)."""
        native = self.native_dtype(dtype)
        if a.dtype == native:
            return a
        return self.xp.astype(a, native)

    def is_native(self, a: Any) -> bool:
        """True when ``a`` is an array of this namespace."""
        return isinstance(a, self._array_type)

    # ------------------------------------------------------------ host values
    def item(self, a: Any) -> bool | int | float:
        """The single value of a one-element array as a Python bool, int or float."""
        size = math.prod(a.shape)
        if size != 1:
            raise ValueError(f"item() needs an array with exactly one element; got shape "
                             f"{tuple(a.shape)} ({size} elements)")
        scalar = self.xp.reshape(a, ())
        dtype = self.dtype_of(a)
        if dtype.name == "bool":
            return bool(scalar)
        return float(scalar) if dtype.is_floating else int(scalar)

    def tolist(self, a: Any) -> Any:
        """Nested Python lists of ``a``'s values (a Python scalar for a 0-d array)."""
        return self.to_numpy(a).tolist()

    def format_array(self, a: Any, prefix: str) -> str:
        """``a``'s values as text, formatted by NumPy from the host copy."""
        return np.array2string(self.to_numpy(a), separator=", ", prefix=prefix, precision=4)

    # --------------------------------------------------------------- creation
    def _create_kwargs(self, dtype: DType) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"dtype": self.native_dtype(dtype)}
        if self.device is not None:
            kwargs["device"] = self.device
        return kwargs

    @staticmethod
    def _python_value(value: Any, dtype: DType) -> Any:
        if dtype.name == "bool":
            return bool(value)
        return float(value) if dtype.is_floating else int(value)

    def zeros(self, shape, dtype):
        """Return an array of zeros."""
        return self.xp.zeros(tuple(shape), **self._create_kwargs(dtype))

    def ones(self, shape, dtype):
        """Return an array of ones."""
        return self.xp.ones(tuple(shape), **self._create_kwargs(dtype))

    def full(self, shape, value, dtype):
        """Return an array filled with ``value``."""
        return self.xp.full(tuple(shape), self._python_value(value, dtype),
                            **self._create_kwargs(dtype))

    def arange(self, start, stop, step, dtype):
        """Return evenly spaced values in ``[start, stop)``."""
        conv = float if dtype.is_floating else int
        return self.xp.arange(conv(start), conv(stop), conv(step), **self._create_kwargs(dtype))

    # ----------------------------------------------------------------- random
    def seed(self, seed: int) -> None:
        """Reseed the host generator the random arrays are drawn from."""
        self._rng = np.random.default_rng(seed)

    def random_normal(self, shape, dtype):
        """Standard normal samples (drawn on the host, then moved)."""
        self.native_dtype(dtype)
        if dtype.name in ("float32", "float64"):
            host = self._rng.standard_normal(tuple(shape), dtype=dtype.name)
        else:
            host = self._rng.standard_normal(tuple(shape)).astype(dtype.name)
        return self._from_host(host)

    def random_uniform(self, shape, low, high, dtype):
        """Uniform samples in ``[low, high)`` (drawn on the host, then moved)."""
        self.native_dtype(dtype)
        if dtype.name in ("float32", "float64"):
            host = self._rng.random(tuple(shape), dtype=dtype.name)
        else:
            host = self._rng.random(tuple(shape))
        if low != 0.0 or high != 1.0:
            host = host * (high - low) + low
        return self._from_host(host.astype(dtype.name, copy=False))

    # -------------------------------------------------------- dtype promotion
    def _common_dtype(self, da: DType, db: DType) -> DType:
        """NumPy's promotion of two lucid dtypes (the standard leaves mixed kinds out)."""
        if da == db:
            return da
        if da.name == "bool" or db.name == "bool":
            return db if da.name == "bool" else da
        if da.is_floating != db.is_floating:
            f, i = (da, db) if da.is_floating else (db, da)
            # the smallest float that holds every value of the integer type exactly
            size = max(f.itemsize, min(8, 2 * i.itemsize))
            return LUCID_DTYPES[f"float{8 * size}"]
        promoted = self.xp.result_type(self._native[da.name], self._native[db.name])
        return self._lucid[self.xp.zeros((), dtype=promoted).dtype]

    def _scalar_operand(self, scalar: Any, arr: Any) -> tuple[Any, Any]:
        """Turn a Python scalar into a 0-d array beside ``arr`` (NumPy's weak-scalar rule)."""
        dt = self.dtype_of(arr)
        if isinstance(scalar, float) and not dt.is_floating:
            dt = lucid.float64
        elif isinstance(scalar, int) and not isinstance(scalar, bool) and dt.name == "bool":
            dt = lucid.int64
        arr = self.astype(arr, dt)
        return arr, self.xp.asarray(self._python_value(scalar, dt), **self._create_kwargs(dt))

    def _operands(self, a: Any, b: Any) -> tuple[Any, Any]:
        """Return ``a`` and ``b`` as native arrays of one dtype."""
        a_native, b_native = self.is_native(a), self.is_native(b)
        if a_native and b_native:
            da, db = self.dtype_of(a), self.dtype_of(b)
            if da != db:
                common = self._common_dtype(da, db)
                a, b = self.astype(a, common), self.astype(b, common)
            return a, b
        if a_native and isinstance(b, _Scalar):
            return self._scalar_operand(b, a)
        if b_native and isinstance(a, _Scalar):
            b, a = self._scalar_operand(a, b)
            return a, b
        return self._operands(a if a_native else self.asarray(a),
                              b if b_native else self.asarray(b))

    def _floating(self, a: Any) -> Any:
        """``a`` itself when floating, else converted to float64 (NumPy's rule for ints)."""
        if self.xp.isdtype(a.dtype, "real floating"):
            return a
        return self.astype(a, lucid.float64 if self._float64 else lucid.float32)

    def _boolean(self, a: Any) -> Any:
        a = a if self.is_native(a) else self.asarray(a)
        return a if a.dtype == self.xp.bool else self.not_equal(a, 0)

    def _arith(self, fn: Any, a: Any, b: Any) -> Any:
        """Apply a numeric function to two operands, bools included (as NumPy does)."""
        # NumPy's + * max min on bools are or/and/or/and; the standard refuses bool
        # arithmetic, so compute in uint8 and convert back.
        a, b = self._operands(a, b)
        if a.dtype != self.xp.bool:
            return fn(a, b)
        out = fn(self.xp.astype(a, self.xp.uint8), self.xp.astype(b, self.xp.uint8))
        return self.xp.astype(out, self.xp.bool)

    # ------------------------------------------------------------ elementwise
    def add(self, a, b):
        """Elementwise ``a + b``."""
        return self._arith(self.xp.add, a, b)

    def subtract(self, a, b):
        """Elementwise ``a - b``."""
        return self.xp.subtract(*self._operands(a, b))

    def multiply(self, a, b):
        """Elementwise ``a * b``."""
        return self._arith(self.xp.multiply, a, b)

    def divide(self, a, b):
        """Elementwise true division (integers are divided as float64)."""
        a, b = self._operands(a, b)
        return self.xp.divide(self._floating(a), self._floating(b))

    def power(self, a, b):
        """Elementwise ``a ** b``."""
        return self.xp.pow(*self._operands(a, b))

    def negative(self, a):
        """Elementwise ``-a``."""
        return self.xp.negative(a)

    def exp(self, a):
        """Elementwise exponential."""
        return self.xp.exp(self._floating(a))

    def log(self, a):
        """Elementwise natural logarithm."""
        return self.xp.log(self._floating(a))

    def sqrt(self, a):
        """Elementwise square root."""
        return self.xp.sqrt(self._floating(a))

    def abs(self, a):
        """Elementwise absolute value."""
        return self.xp.abs(a)

    def tanh(self, a):
        """Elementwise hyperbolic tangent."""
        return self.xp.tanh(self._floating(a))

    def sign(self, a):
        """Elementwise sign."""
        return self.xp.sign(a)

    def sin(self, a):
        """Elementwise ``sin`` (integers as float64)."""
        return self.xp.sin(self._floating(a))

    def cos(self, a):
        """Elementwise ``cos`` (integers as float64)."""
        return self.xp.cos(self._floating(a))

    def tan(self, a):
        """Elementwise ``tan`` (integers as float64)."""
        return self.xp.tan(self._floating(a))

    def asin(self, a):
        """Elementwise ``asin`` (integers as float64)."""
        return self.xp.asin(self._floating(a))

    def acos(self, a):
        """Elementwise ``acos`` (integers as float64)."""
        return self.xp.acos(self._floating(a))

    def atan(self, a):
        """Elementwise ``atan`` (integers as float64)."""
        return self.xp.atan(self._floating(a))

    def sinh(self, a):
        """Elementwise ``sinh`` (integers as float64)."""
        return self.xp.sinh(self._floating(a))

    def cosh(self, a):
        """Elementwise ``cosh`` (integers as float64)."""
        return self.xp.cosh(self._floating(a))

    def asinh(self, a):
        """Elementwise ``asinh`` (integers as float64)."""
        return self.xp.asinh(self._floating(a))

    def acosh(self, a):
        """Elementwise ``acosh`` (integers as float64)."""
        return self.xp.acosh(self._floating(a))

    def atanh(self, a):
        """Elementwise ``atanh`` (integers as float64)."""
        return self.xp.atanh(self._floating(a))

    def log1p(self, a):
        """Elementwise ``log1p`` (integers as float64)."""
        return self.xp.log1p(self._floating(a))

    def expm1(self, a):
        """Elementwise ``expm1`` (integers as float64)."""
        return self.xp.expm1(self._floating(a))

    def floor(self, a):
        """Elementwise ``floor`` in ``a``'s dtype."""
        return self.xp.floor(a)

    def ceil(self, a):
        """Elementwise ``ceil`` in ``a``'s dtype."""
        return self.xp.ceil(a)

    def trunc(self, a):
        """Elementwise ``trunc`` in ``a``'s dtype."""
        return self.xp.trunc(a)

    def round(self, a):
        """Elementwise ``round`` in ``a``'s dtype."""
        return self.xp.round(a)

    def isnan(self, a):
        """Elementwise ``isnan`` as a bool array."""
        return self.xp.isnan(a)

    def isinf(self, a):
        """Elementwise ``isinf`` as a bool array."""
        return self.xp.isinf(a)

    def isfinite(self, a):
        """Elementwise ``isfinite`` as a bool array."""
        return self.xp.isfinite(a)

    def erf(self, a):
        """The error function: the standard has none, so lucid's composition of the core."""
        return special.erf(self, self._floating(a))

    def maximum(self, a, b):
        """Elementwise maximum."""
        return self._arith(self.xp.maximum, a, b)

    def minimum(self, a, b):
        """Elementwise minimum."""
        return self._arith(self.xp.minimum, a, b)

    def where(self, cond, a, b):
        """Pick ``a`` where ``cond`` holds, else ``b``."""
        return self.xp.where(self._boolean(cond), *self._operands(a, b))

    def equal(self, a, b):
        """Elementwise ``a == b``."""
        return self.xp.equal(*self._operands(a, b))

    def not_equal(self, a, b):
        """Elementwise ``a != b``."""
        return self.xp.not_equal(*self._operands(a, b))

    def less(self, a, b):
        """Elementwise ``a < b``."""
        return self.xp.less(*self._operands(a, b))

    def less_equal(self, a, b):
        """Elementwise ``a <= b``."""
        return self.xp.less_equal(*self._operands(a, b))

    def greater(self, a, b):
        """Elementwise ``a > b``."""
        return self.xp.greater(*self._operands(a, b))

    def greater_equal(self, a, b):
        """Elementwise ``a >= b``."""
        return self.xp.greater_equal(*self._operands(a, b))

    def logical_and(self, a, b):
        """Elementwise logical and (non-bool operands are tested against zero)."""
        return self.xp.logical_and(self._boolean(a), self._boolean(b))

    def logical_or(self, a, b):
        """Elementwise logical or."""
        return self.xp.logical_or(self._boolean(a), self._boolean(b))

    def logical_not(self, a):
        """Elementwise logical not."""
        return self.xp.logical_not(self._boolean(a))

    # ------------------------------------------------------------- reductions
    def _numeric(self, a: Any) -> Any:
        """Bool arrays as integers, since the standard's reductions refuse bool."""
        return self.xp.astype(a, self.xp.int64) if a.dtype == self.xp.bool else a

    def sum(self, a, axis, keepdims):
        """Sum over ``axis`` (bools count as integers)."""
        return self.xp.sum(self._numeric(a), axis=axis, keepdims=keepdims)

    def mean(self, a, axis, keepdims):
        """Arithmetic mean over ``axis`` (integers are averaged as float64)."""
        return self.xp.mean(self._floating(a), axis=axis, keepdims=keepdims)

    def _extreme(self, fn: Any, a: Any, axis: Any, keepdims: bool) -> Any:
        out = fn(self._numeric(a), axis=axis, keepdims=keepdims)
        return self.xp.astype(out, self.xp.bool) if a.dtype == self.xp.bool else out

    def max(self, a, axis, keepdims):
        """Maximum over ``axis``."""
        return self._extreme(self.xp.max, a, axis, keepdims)

    def min(self, a, axis, keepdims):
        """Minimum over ``axis``."""
        return self._extreme(self.xp.min, a, axis, keepdims)

    def any(self, a, axis, keepdims):
        """Is any element over ``axis`` true (non-zero)? A bool array."""
        return self.xp.any(self._boolean(a), axis=axis, keepdims=keepdims)

    def all(self, a, axis, keepdims):
        """Is every element over ``axis`` true (non-zero)? A bool array."""
        return self.xp.all(self._boolean(a), axis=axis, keepdims=keepdims)

    def argmax(self, a, axis, keepdims):
        """Index of the maximum along one axis (flattened when None), as int64."""
        out = self.xp.argmax(self._numeric(a), axis=axis, keepdims=keepdims)
        return self.xp.astype(out, self.xp.int64)

    def argmin(self, a, axis, keepdims):
        """Index of the minimum along one axis (flattened when None), as int64."""
        out = self.xp.argmin(self._numeric(a), axis=axis, keepdims=keepdims)
        return self.xp.astype(out, self.xp.int64)

    def prod(self, a, axis, keepdims):
        """Product over ``axis`` (bools count as integers)."""
        return self.xp.prod(self._numeric(a), axis=axis, keepdims=keepdims)

    def _cumulative(self, fn: Any, a: Any, axis: int) -> Any:
        a = self._numeric(a)
        if len(a.shape) == 0:
            return a
        return fn(a, axis=axis)

    def cumsum(self, a, axis):
        """Running sum along ``axis`` (the standard's ``cumulative_sum``)."""
        return self._cumulative(self.xp.cumulative_sum, a, axis)

    def cumprod(self, a, axis):
        """Running product along ``axis`` (the standard's ``cumulative_prod``)."""
        return self._cumulative(self.xp.cumulative_prod, a, axis)

    def sort(self, a, axis, descending):
        """Sorted along ``axis`` (NaN last ascending, first descending, as NumPy flips)."""
        out = self.xp.sort(a, axis=axis)
        return self.xp.flip(out, axis=axis) if descending else out

    def argsort(self, a, axis, descending):
        """Stable sorting indices along ``axis`` as int64 (ties keep their order)."""
        xp = self.xp
        if not descending:
            return xp.astype(xp.argsort(a, axis=axis, stable=True), xp.int64)
        rev = xp.argsort(xp.flip(a, axis=axis), axis=axis, stable=True)
        return xp.astype(a.shape[axis] - 1 - xp.flip(rev, axis=axis), xp.int64)

    # ------------------------------------------------------------------ shape
    def reshape(self, a, shape):
        """Reshape; one dimension may be -1."""
        return self.xp.reshape(a, tuple(shape))

    def transpose(self, a, axes: Sequence[int]):
        """Permute axes."""
        return self.xp.permute_dims(a, tuple(axes))

    def broadcast_to(self, a, shape):
        """Broadcast to ``shape``."""
        return self.xp.broadcast_to(a, tuple(shape))

    def concatenate(self, arrays, axis):
        """Join arrays along an existing axis."""
        return self.xp.concat(list(arrays), axis=axis)

    def stack(self, arrays, axis):
        """Join arrays along a new axis."""
        return self.xp.stack(list(arrays), axis=axis)

    def pad(self, a, pad_width, value):
        """Constant-pad each axis by ``(before, after)``, by concatenating filled blocks."""
        dtype = self.dtype_of(a)
        for axis, (before, after) in enumerate(pad_width):
            if before == 0 and after == 0:
                continue
            shape = list(a.shape)
            parts = []
            if before:
                shape[axis] = before
                parts.append(self.full(tuple(shape), value, dtype))
            parts.append(a)
            if after:
                shape[axis] = after
                parts.append(self.full(tuple(shape), value, dtype))
            a = self.xp.concat(parts, axis=axis)
        return a

    # --------------------------------------------------------------- indexing
    def getitem(self, a, index):
        """``a[index]`` with NumPy basic and advanced indexing semantics."""
        return _indexing.getitem(self.xp, a, index, self._array_type)

    def scatter_add(self, a, index, values):
        """Return ``a`` with ``values`` added at ``a[index]``; repeated indices accumulate."""
        values = values if self.is_native(values) else self.asarray(values)
        if _indexing.is_basic(index, self._array_type):
            key = _indexing.complete_basic(index, len(a.shape))
            if not any(i is None for i in key):  # the standard's setitem takes no None
                try:  # a basic index never repeats a target: read, add, write back
                    a[key] = a[key] + self.xp.astype(values, a.dtype)
                    return a
                except (TypeError, ValueError):  # immutable or read-only: the general path
                    pass
        if self.xp.isdtype(a.dtype, "real floating") and self._float64:
            accumulate = self.xp.float64  # keep the cumulative sum exact enough for float32
        else:
            accumulate = a.dtype
        return _indexing.scatter_add_positions(self.xp, a, index, values, self._array_type,
                                               accumulate)

    # ---------------------------------------------------------- linear algebra
    def matmul(self, a, b):
        """Matrix product with batch broadcasting."""
        return self.xp.matmul(*self._operands(a, b))

    def einsum(self, subscripts, *operands):
        """``einsum``: not in the standard, so computed by NumPy on the host copies."""
        host = np.einsum(subscripts, *(self.to_numpy(o) for o in operands))
        return self._from_host(np.asarray(host))


__all__ = ["ArrayAPIBackend", "DEFAULT_NAMESPACE", "NAMESPACE_ENV", "resolve_namespace"]
