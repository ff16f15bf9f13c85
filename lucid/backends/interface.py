"""The op interface: the whole contract between lucid's core and an array library.

:class:`Backend` only *states* the contract: every method is abstract and its docstring says
what it returns. Implementations live elsewhere:

- :class:`lucid.backends.ArrayModuleBackend` implements all of it over any module with
  NumPy's API (NumPy, CuPy, dpnp, ...), fast NN kernels included;
- :class:`lucid.backends.ReferenceKernels` is an opt-in mixin with reference implementations
  of the NN kernels and of the small conveniences (``ones``, ``clip``, ``sigmoid``, ``relu``,
  ``mean``), composed only from the required core, so a new backend that implements the core
  works at once: ``class MyBackend(ReferenceKernels, Backend)``.

Arrays passed to and returned from these methods are the backend's *native* arrays. Shapes
are tuples of ints; 2-D hyper-parameters (stride, padding, dilation, kernel) are ``(h, w)``
tuples already normalised by the caller. The semantics are NumPy's: binary operands may be
native arrays or Python scalars, with NumPy 2 broadcasting and promotion (a Python scalar
does not widen an array's dtype).

**NumPy is lucid's host interchange format.** :meth:`Backend.to_numpy` returns a
``numpy.ndarray`` and :meth:`Backend.asarray` accepts one; that is how data crosses from one
backend to another (``t.to(name)``), into and out of checkpoints, and through weight
conversion. A backend therefore needs NumPy on the host even when it computes elsewhere. The
core above this interface (tensors, autograd, nn, optim, models) never imports NumPy itself.

This module imports no array library and nothing else of lucid's backends package.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

from .._dtype import DType

#: Version of this interface. A plugin declaring another version is refused.
API_VERSION = 2

Array = Any
Shape = tuple[int, ...]
Pair = tuple[int, int]
Index = Any
Axes = tuple[int, ...] | None


class Backend(abc.ABC):
    """Abstract array backend: the contract. Subclass it and implement every method.

    To get the NN kernels and conveniences for free, put :class:`~lucid.backends.ReferenceKernels`
    before it in the bases; to wrap a NumPy-like module, subclass
    :class:`~lucid.backends.ArrayModuleBackend` instead.
    """

    #: Registered name of the backend (the registry sets it to the entry point's name).
    name: str = "abstract"
    #: The interface version the plugin was written for; must equal :data:`API_VERSION`.
    #: Third-party plugins write it as a literal (``api_version = 2``).
    api_version: int = API_VERSION

    # ----------------------------------------------------------------- lifecycle
    @classmethod
    def unavailable_reason(cls) -> str | None:
        """Return why this backend cannot run on this machine, or None when it can."""
        return None

    def __repr__(self) -> str:
        return f"<lucid backend {self.name!r}>"

    # A backend is a process-wide singleton: copies of tensors and models share it. Pickling
    # is the tensor's business (it stores the backend's name), never the backend's.
    def __copy__(self) -> Backend:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Backend:
        return self

    # ------------------------------------------------------------ dtypes, host
    @abc.abstractmethod
    def native_dtype(self, dtype: DType) -> Any:
        """Return the native dtype object for a lucid dtype."""

    @abc.abstractmethod
    def dtype_of(self, a: Array) -> DType:
        """Return the lucid dtype of a native array (TypeError for an unsupported dtype)."""

    @abc.abstractmethod
    def asarray(self, data: Any, dtype: DType | None = None) -> Array:
        """Return a native array from Python scalars/lists, a ``numpy.ndarray`` or a native one."""

    @abc.abstractmethod
    def to_numpy(self, a: Array) -> Any:
        """Return a host ``numpy.ndarray`` with ``a``'s values, shape and dtype.

        On a host backend it may share memory with ``a``; callers copy before writing.
        """

    @abc.abstractmethod
    def shape(self, a: Array) -> Shape:
        """Return the shape of a native array as a tuple of ints."""

    @abc.abstractmethod
    def astype(self, a: Array, dtype: DType) -> Array:
        """Return ``a`` converted to ``dtype`` (``a`` itself when it already has that dtype)."""

    @abc.abstractmethod
    def is_native(self, a: Any) -> bool:
        """Return True when ``a`` is an array of this backend."""

    # ------------------------------------------------------------- host values
    @abc.abstractmethod
    def item(self, a: Array) -> bool | int | float:
        """Return the single value of a one-element array as a Python bool, int or float.

        Raises ValueError when ``a`` has more or fewer than one element.
        """

    @abc.abstractmethod
    def tolist(self, a: Array) -> Any:
        """Return ``a``'s values as nested Python lists (a Python scalar for a 0-d array)."""

    @abc.abstractmethod
    def format_array(self, a: Array, prefix: str) -> str:
        """Return ``a``'s values as text, like ``numpy.array2string(a, separator=", ",
        prefix=prefix, precision=4)`` (continuation lines are indented by ``len(prefix)``)."""

    # --------------------------------------------------------------- creation
    @abc.abstractmethod
    def zeros(self, shape: Shape, dtype: DType) -> Array:
        """Return a new array of zeros."""

    @abc.abstractmethod
    def ones(self, shape: Shape, dtype: DType) -> Array:
        """Return a new array of ones."""

    @abc.abstractmethod
    def full(self, shape: Shape, value: float, dtype: DType) -> Array:
        """Return a new array filled with ``value``."""

    @abc.abstractmethod
    def arange(self, start: float, stop: float, step: float, dtype: DType) -> Array:
        """Return evenly spaced values in ``[start, stop)``."""

    # ----------------------------------------------------------------- random
    @abc.abstractmethod
    def seed(self, seed: int) -> None:
        """Reseed this backend's random generator (the same seed gives the same draws)."""

    @abc.abstractmethod
    def random_normal(self, shape: Shape, dtype: DType) -> Array:
        """Return standard normal samples."""

    @abc.abstractmethod
    def random_uniform(self, shape: Shape, low: float, high: float, dtype: DType) -> Array:
        """Return uniform samples in ``[low, high)``."""

    # ------------------------------------------------------------ elementwise
    # Binary operands may be native arrays or Python scalars; NumPy broadcasting rules.
    @abc.abstractmethod
    def add(self, a: Array, b: Array) -> Array:
        """Return elementwise ``a + b``."""

    @abc.abstractmethod
    def subtract(self, a: Array, b: Array) -> Array:
        """Return elementwise ``a - b``."""

    @abc.abstractmethod
    def multiply(self, a: Array, b: Array) -> Array:
        """Return elementwise ``a * b``."""

    @abc.abstractmethod
    def divide(self, a: Array, b: Array) -> Array:
        """Return elementwise true division (integers are divided as floats)."""

    @abc.abstractmethod
    def power(self, a: Array, b: Array) -> Array:
        """Return elementwise ``a ** b``."""

    @abc.abstractmethod
    def negative(self, a: Array) -> Array:
        """Return elementwise ``-a``."""

    @abc.abstractmethod
    def exp(self, a: Array) -> Array:
        """Return the elementwise exponential."""

    @abc.abstractmethod
    def log(self, a: Array) -> Array:
        """Return the elementwise natural logarithm."""

    @abc.abstractmethod
    def sqrt(self, a: Array) -> Array:
        """Return the elementwise square root."""

    @abc.abstractmethod
    def abs(self, a: Array) -> Array:
        """Return the elementwise absolute value."""

    @abc.abstractmethod
    def tanh(self, a: Array) -> Array:
        """Return the elementwise hyperbolic tangent."""

    @abc.abstractmethod
    def sign(self, a: Array) -> Array:
        """Return the elementwise sign (-1, 0 or 1)."""

    # Version 2: the functions below joined the contract.
    @abc.abstractmethod
    def sin(self, a: Array) -> Array:
        """Return the elementwise sine (integers computed as float64)."""

    @abc.abstractmethod
    def cos(self, a: Array) -> Array:
        """Return the elementwise cosine (integers computed as float64)."""

    @abc.abstractmethod
    def tan(self, a: Array) -> Array:
        """Return the elementwise tangent (integers computed as float64)."""

    @abc.abstractmethod
    def asin(self, a: Array) -> Array:
        """Return the elementwise inverse sine (integers computed as float64)."""

    @abc.abstractmethod
    def acos(self, a: Array) -> Array:
        """Return the elementwise inverse cosine (integers computed as float64)."""

    @abc.abstractmethod
    def atan(self, a: Array) -> Array:
        """Return the elementwise inverse tangent (integers computed as float64)."""

    @abc.abstractmethod
    def sinh(self, a: Array) -> Array:
        """Return the elementwise hyperbolic sine (integers computed as float64)."""

    @abc.abstractmethod
    def cosh(self, a: Array) -> Array:
        """Return the elementwise hyperbolic cosine (integers computed as float64)."""

    @abc.abstractmethod
    def asinh(self, a: Array) -> Array:
        """Return the elementwise inverse hyperbolic sine (integers computed as float64)."""

    @abc.abstractmethod
    def acosh(self, a: Array) -> Array:
        """Return the elementwise inverse hyperbolic cosine (integers computed as float64)."""

    @abc.abstractmethod
    def atanh(self, a: Array) -> Array:
        """Return the elementwise inverse hyperbolic tangent (integers computed as float64)."""

    @abc.abstractmethod
    def log1p(self, a: Array) -> Array:
        """Return the elementwise ``log(1 + a)``, accurate for small ``a``."""

    @abc.abstractmethod
    def expm1(self, a: Array) -> Array:
        """Return the elementwise ``exp(a) - 1``, accurate for small ``a``."""

    @abc.abstractmethod
    def erf(self, a: Array) -> Array:
        """Return the elementwise error function ``2/sqrt(pi) * integral_0^a exp(-t*t) dt``."""

    @abc.abstractmethod
    def floor(self, a: Array) -> Array:
        """Return the largest integer not above each element, in ``a``'s dtype."""

    @abc.abstractmethod
    def ceil(self, a: Array) -> Array:
        """Return the smallest integer not below each element, in ``a``'s dtype."""

    @abc.abstractmethod
    def trunc(self, a: Array) -> Array:
        """Return each element rounded toward zero, in ``a``'s dtype."""

    @abc.abstractmethod
    def round(self, a: Array) -> Array:
        """Return each element rounded to the nearest integer (halves to even), same dtype."""

    @abc.abstractmethod
    def isnan(self, a: Array) -> Array:
        """Return a bool array: is each element NaN?"""

    @abc.abstractmethod
    def isinf(self, a: Array) -> Array:
        """Return a bool array: is each element positive or negative infinity?"""

    @abc.abstractmethod
    def isfinite(self, a: Array) -> Array:
        """Return a bool array: is each element neither infinite nor NaN?"""

    @abc.abstractmethod
    def maximum(self, a: Array, b: Array) -> Array:
        """Return the elementwise maximum."""

    @abc.abstractmethod
    def minimum(self, a: Array, b: Array) -> Array:
        """Return the elementwise minimum."""

    @abc.abstractmethod
    def where(self, cond: Array, a: Array, b: Array) -> Array:
        """Return ``a`` where ``cond`` holds, else ``b`` (broadcast together)."""

    @abc.abstractmethod
    def equal(self, a: Array, b: Array) -> Array:
        """Return elementwise ``a == b`` as a bool array."""

    @abc.abstractmethod
    def not_equal(self, a: Array, b: Array) -> Array:
        """Return elementwise ``a != b`` as a bool array."""

    @abc.abstractmethod
    def less(self, a: Array, b: Array) -> Array:
        """Return elementwise ``a < b`` as a bool array."""

    @abc.abstractmethod
    def less_equal(self, a: Array, b: Array) -> Array:
        """Return elementwise ``a <= b`` as a bool array."""

    @abc.abstractmethod
    def greater(self, a: Array, b: Array) -> Array:
        """Return elementwise ``a > b`` as a bool array."""

    @abc.abstractmethod
    def greater_equal(self, a: Array, b: Array) -> Array:
        """Return elementwise ``a >= b`` as a bool array."""

    @abc.abstractmethod
    def logical_and(self, a: Array, b: Array) -> Array:
        """Return elementwise logical and as a bool array."""

    @abc.abstractmethod
    def logical_or(self, a: Array, b: Array) -> Array:
        """Return elementwise logical or as a bool array."""

    @abc.abstractmethod
    def logical_not(self, a: Array) -> Array:
        """Return elementwise logical not as a bool array."""

    @abc.abstractmethod
    def clip(self, a: Array, low: float | None, high: float | None) -> Array:
        """Return ``a`` clamped into ``[low, high]`` (either bound may be None)."""

    @abc.abstractmethod
    def sigmoid(self, a: Array) -> Array:
        """Return the elementwise logistic function ``1 / (1 + exp(-a))``."""

    @abc.abstractmethod
    def relu(self, a: Array) -> Array:
        """Return elementwise ``max(a, 0)``."""

    # ------------------------------------------------------------- reductions
    @abc.abstractmethod
    def sum(self, a: Array, axis: Axes, keepdims: bool) -> Array:
        """Return the sum over ``axis`` (a tuple; every axis when None)."""

    @abc.abstractmethod
    def mean(self, a: Array, axis: Axes, keepdims: bool) -> Array:
        """Return the arithmetic mean over ``axis`` (a tuple; every axis when None)."""

    @abc.abstractmethod
    def max(self, a: Array, axis: Axes, keepdims: bool) -> Array:
        """Return the maximum over ``axis`` (a tuple; every axis when None)."""

    @abc.abstractmethod
    def min(self, a: Array, axis: Axes, keepdims: bool) -> Array:
        """Return the minimum over ``axis`` (a tuple; every axis when None)."""

    @abc.abstractmethod
    def any(self, a: Array, axis: Axes, keepdims: bool) -> Array:
        """Return a bool array: is any element over ``axis`` true (non-zero)? None: every axis."""

    @abc.abstractmethod
    def all(self, a: Array, axis: Axes, keepdims: bool) -> Array:
        """Return a bool array: is every element over ``axis`` true (non-zero)? None: every axis."""

    @abc.abstractmethod
    def argmax(self, a: Array, axis: int | None, keepdims: bool) -> Array:
        """Return the int64 index of the maximum along one axis (flattened array when None)."""

    @abc.abstractmethod
    def argmin(self, a: Array, axis: int | None, keepdims: bool) -> Array:
        """Return the int64 index of the minimum along one axis (flattened array when None)."""

    @abc.abstractmethod
    def prod(self, a: Array, axis: Axes, keepdims: bool) -> Array:
        """Return the product over ``axis`` (a tuple; every axis when None). Version 2."""

    @abc.abstractmethod
    def cumsum(self, a: Array, axis: int) -> Array:
        """Return the running sum along ``axis`` (same shape as ``a``). Version 2."""

    @abc.abstractmethod
    def cumprod(self, a: Array, axis: int) -> Array:
        """Return the running product along ``axis`` (same shape as ``a``). Version 2."""

    @abc.abstractmethod
    def sort(self, a: Array, axis: int, descending: bool) -> Array:
        """Return ``a`` sorted along ``axis`` (NaN last ascending, first descending). Version 2."""

    @abc.abstractmethod
    def argsort(self, a: Array, axis: int, descending: bool) -> Array:
        """Return the int64 indices that sort ``a`` stably along ``axis``. Version 2.

        Descending order keeps equal elements in their original order, as an ascending
        stable sort does.
        """

    # ------------------------------------------------------------------ shape
    @abc.abstractmethod
    def reshape(self, a: Array, shape: Shape) -> Array:
        """Return ``a`` reshaped (a view where possible); one dimension may be -1."""

    @abc.abstractmethod
    def transpose(self, a: Array, axes: Sequence[int]) -> Array:
        """Return ``a`` with its axes permuted."""

    @abc.abstractmethod
    def broadcast_to(self, a: Array, shape: Shape) -> Array:
        """Return ``a`` broadcast to ``shape`` (may be a read-only view)."""

    @abc.abstractmethod
    def concatenate(self, arrays: Sequence[Array], axis: int) -> Array:
        """Return the arrays joined along an existing axis."""

    @abc.abstractmethod
    def stack(self, arrays: Sequence[Array], axis: int) -> Array:
        """Return the arrays joined along a new axis."""

    @abc.abstractmethod
    def pad(self, a: Array, pad_width: Sequence[tuple[int, int]], value: float) -> Array:
        """Return ``a`` padded with ``value`` by ``(before, after)`` on each axis."""

    # --------------------------------------------------------------- indexing
    @abc.abstractmethod
    def getitem(self, a: Array, index: Index) -> Array:
        """Return ``a[index]``: NumPy basic and advanced indexing (index holds native arrays)."""

    @abc.abstractmethod
    def scatter_add(self, a: Array, index: Index, values: Array) -> Array:
        """Return ``a`` with ``values`` added at ``a[index]``; repeated indices accumulate.

        May modify ``a`` in place; callers pass a buffer they own.
        """

    # ---------------------------------------------------------- linear algebra
    @abc.abstractmethod
    def matmul(self, a: Array, b: Array) -> Array:
        """Return the matrix product with batch broadcasting (``a @ b``)."""

    @abc.abstractmethod
    def einsum(self, subscripts: str, *operands: Array) -> Array:
        """Return ``numpy.einsum(subscripts, *operands)`` (explicit ``->`` form). Version 2."""

    # ============================================================ NN kernels
    # NCHW layout. ReferenceKernels has implementations composed from the core above.
    @abc.abstractmethod
    def conv2d(self, x: Array, w: Array, stride: Pair, padding: Pair, dilation: Pair,
               groups: int) -> Array:
        """Return the 2-D cross-correlation ``(N, O, Ho, Wo)`` of NCHW ``x`` with ``w``.

        ``w`` is ``(O, C/groups, kh, kw)``; zero padding; no bias.
        """

    @abc.abstractmethod
    def conv2d_grad_input(self, gy: Array, w: Array, x_shape: Shape, stride: Pair,
                          padding: Pair, dilation: Pair, groups: int) -> Array:
        """Return the gradient of :meth:`conv2d` with respect to its input (shape ``x_shape``)."""

    @abc.abstractmethod
    def conv2d_grad_weight(self, gy: Array, x: Array, w_shape: Shape, stride: Pair,
                           padding: Pair, dilation: Pair, groups: int) -> Array:
        """Return the gradient of :meth:`conv2d` with respect to its weight (shape ``w_shape``)."""

    @abc.abstractmethod
    def max_pool2d(self, x: Array, kernel: Pair, stride: Pair, padding: Pair
                   ) -> tuple[Array, Array]:
        """Return ``(y, argmax)``: max pooling (padding counts as -inf) and, per output, the
        window tap ``i * kw + j`` that held the maximum (the first one on ties), in an integer
        array of the backend's choice that only :meth:`max_pool2d_grad` reads."""

    @abc.abstractmethod
    def max_pool2d_grad(self, gy: Array, argmax: Array, x_shape: Shape, kernel: Pair,
                        stride: Pair, padding: Pair) -> Array:
        """Return the gradient of :meth:`max_pool2d` with respect to its input."""

    @abc.abstractmethod
    def avg_pool2d(self, x: Array, kernel: Pair, stride: Pair, padding: Pair) -> Array:
        """Return average pooling; zero padding is counted in the average."""

    @abc.abstractmethod
    def avg_pool2d_grad(self, gy: Array, x_shape: Shape, kernel: Pair, stride: Pair,
                        padding: Pair) -> Array:
        """Return the gradient of :meth:`avg_pool2d` with respect to its input."""

    @abc.abstractmethod
    def batch_norm_train(self, x: Array, gamma: Array | None, beta: Array | None,
                         eps: float) -> tuple[Array, Array, Array]:
        """Return ``(y, mean, invstd)``: ``x`` normalised over every axis but 1 with the batch
        statistics (biased variance), scaled by ``gamma`` and shifted by ``beta`` when given;
        ``mean`` and ``invstd = 1 / sqrt(var + eps)`` have shape ``(C,)``."""

    @abc.abstractmethod
    def batch_norm_grad(self, gy: Array, x: Array, gamma: Array | None, mean: Array,
                        invstd: Array) -> tuple[Array, Array | None, Array | None]:
        """Return ``(gx, ggamma, gbeta)`` of :meth:`batch_norm_train` (``None, None`` for the
        parameter gradients when ``gamma`` is None)."""

    def batch_norm_eval(self, x: Array, scale: Array, shift: Array, relu: bool = False
                        ) -> Array:
        """Return ``x * scale + shift`` with the ``(C,)`` arrays along axis 1, then
        ``max(., 0)`` when ``relu``: batch norm with fixed statistics (and its ReLU).

        Optional: this default composes the required core; a backend overrides it to make
        fewer passes (lucid's array backends write each cache-sized block once).
        """
        channel = (1, self.shape(scale)[0]) + (1,) * (len(self.shape(x)) - 2)
        y = self.add(self.multiply(x, self.reshape(scale, channel)),
                     self.reshape(shift, channel))
        return self.relu(y) if relu else y

    @abc.abstractmethod
    def softmax(self, x: Array, axis: int) -> Array:
        """Return the numerically stable softmax along ``axis``."""

    @abc.abstractmethod
    def log_softmax(self, x: Array, axis: int) -> Array:
        """Return the numerically stable log-softmax along ``axis``."""


__all__ = ["API_VERSION", "Backend"]
