"""The op interface: the whole contract between lucid's core and an array library.

A backend subclasses :class:`Backend` and implements the *required core* (abstract
methods). The neural-network kernels (convolution, pooling, batch-norm, softmax) have
reference implementations here composed only from the required core, so a new backend
works at once; a backend overrides the ones it can do faster.

Arrays passed to and returned from these methods are the backend's *native* arrays.
Shapes are tuples of ints; 2-D hyper-parameters (stride, padding, dilation, kernel) are
``(h, w)`` tuples already normalised by the caller.

This module never imports NumPy or any other array library.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

from .._dtype import DType

#: Version of this interface. A plugin declaring another version is refused.
API_VERSION = 1

Array = Any
Shape = tuple[int, ...]
Pair = tuple[int, int]
Index = Any


class Backend(abc.ABC):
    """Abstract array backend; subclass it and implement the abstract methods."""

    #: Registered name of the backend (set by the plugin).
    name: str = "abstract"
    #: The interface version the plugin was written for; must equal :data:`API_VERSION`.
    api_version: int = API_VERSION

    # ----------------------------------------------------------------- lifecycle
    @classmethod
    def unavailable_reason(cls) -> str | None:
        """Return why this backend cannot run on this machine, or None when it can."""
        return None

    def __repr__(self) -> str:
        return f"<lucid backend {self.name!r}>"

    # A backend is a process-wide singleton: copies of tensors and models must share it.
    def __copy__(self) -> Backend:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Backend:
        return self

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        from .registry import get_backend

        return (get_backend, (self.name,))

    # ------------------------------------------------------------ dtypes, host
    @abc.abstractmethod
    def native_dtype(self, dtype: DType) -> Any:
        """Return the native dtype object for a lucid dtype."""

    @abc.abstractmethod
    def dtype_of(self, a: Array) -> DType:
        """Return the lucid dtype of a native array."""

    @abc.abstractmethod
    def asarray(self, data: Any, dtype: DType | None = None) -> Array:
        """Make a native array from Python scalars/lists, a NumPy array or a native array."""

    @abc.abstractmethod
    def to_numpy(self, a: Array) -> Any:
        """Copy a native array to a host ``numpy.ndarray``."""

    @abc.abstractmethod
    def shape(self, a: Array) -> Shape:
        """Return the shape of a native array as a tuple of ints."""

    @abc.abstractmethod
    def astype(self, a: Array, dtype: DType) -> Array:
        """Return ``a`` converted to ``dtype`` (no copy when already of that dtype)."""

    @abc.abstractmethod
    def is_native(self, a: Any) -> bool:
        """Return True when ``a`` is an array of this backend."""

    # --------------------------------------------------------------- creation
    @abc.abstractmethod
    def zeros(self, shape: Shape, dtype: DType) -> Array:
        """Return an array of zeros."""

    @abc.abstractmethod
    def full(self, shape: Shape, value: float, dtype: DType) -> Array:
        """Return an array filled with ``value``."""

    @abc.abstractmethod
    def arange(self, start: float, stop: float, step: float, dtype: DType) -> Array:
        """Return evenly spaced values in ``[start, stop)``."""

    def ones(self, shape: Shape, dtype: DType) -> Array:
        """Return an array of ones."""
        return self.full(shape, 1, dtype)

    # ----------------------------------------------------------------- random
    @abc.abstractmethod
    def seed(self, seed: int) -> None:
        """Reseed this backend's random generator."""

    @abc.abstractmethod
    def random_normal(self, shape: Shape, dtype: DType) -> Array:
        """Standard normal samples."""

    @abc.abstractmethod
    def random_uniform(self, shape: Shape, low: float, high: float, dtype: DType) -> Array:
        """Uniform samples in ``[low, high)``."""

    # ------------------------------------------------------------ elementwise
    # Binary operands may be native arrays or Python scalars; NumPy broadcasting rules.
    @abc.abstractmethod
    def add(self, a: Array, b: Array) -> Array:
        """Elementwise ``a + b``."""

    @abc.abstractmethod
    def subtract(self, a: Array, b: Array) -> Array:
        """Elementwise ``a - b``."""

    @abc.abstractmethod
    def multiply(self, a: Array, b: Array) -> Array:
        """Elementwise ``a * b``."""

    @abc.abstractmethod
    def divide(self, a: Array, b: Array) -> Array:
        """Elementwise true division."""

    @abc.abstractmethod
    def power(self, a: Array, b: Array) -> Array:
        """Elementwise ``a ** b``."""

    @abc.abstractmethod
    def negative(self, a: Array) -> Array:
        """Elementwise ``-a``."""

    @abc.abstractmethod
    def exp(self, a: Array) -> Array:
        """Elementwise exponential."""

    @abc.abstractmethod
    def log(self, a: Array) -> Array:
        """Elementwise natural logarithm."""

    @abc.abstractmethod
    def sqrt(self, a: Array) -> Array:
        """Elementwise square root."""

    @abc.abstractmethod
    def abs(self, a: Array) -> Array:
        """Elementwise absolute value."""

    @abc.abstractmethod
    def tanh(self, a: Array) -> Array:
        """Elementwise hyperbolic tangent."""

    @abc.abstractmethod
    def sign(self, a: Array) -> Array:
        """Elementwise sign (-1, 0, 1)."""

    @abc.abstractmethod
    def maximum(self, a: Array, b: Array) -> Array:
        """Elementwise maximum."""

    @abc.abstractmethod
    def minimum(self, a: Array, b: Array) -> Array:
        """Elementwise minimum."""

    @abc.abstractmethod
    def where(self, cond: Array, a: Array, b: Array) -> Array:
        """Pick ``a`` where ``cond`` else ``b``."""

    @abc.abstractmethod
    def equal(self, a: Array, b: Array) -> Array:
        """Elementwise ``a == b`` (bool array)."""

    @abc.abstractmethod
    def not_equal(self, a: Array, b: Array) -> Array:
        """Elementwise ``a != b``."""

    @abc.abstractmethod
    def less(self, a: Array, b: Array) -> Array:
        """Elementwise ``a < b``."""

    @abc.abstractmethod
    def less_equal(self, a: Array, b: Array) -> Array:
        """Elementwise ``a <= b``."""

    @abc.abstractmethod
    def greater(self, a: Array, b: Array) -> Array:
        """Elementwise ``a > b``."""

    @abc.abstractmethod
    def greater_equal(self, a: Array, b: Array) -> Array:
        """Elementwise ``a >= b``."""

    @abc.abstractmethod
    def logical_and(self, a: Array, b: Array) -> Array:
        """Elementwise logical and."""

    @abc.abstractmethod
    def logical_or(self, a: Array, b: Array) -> Array:
        """Elementwise logical or."""

    @abc.abstractmethod
    def logical_not(self, a: Array) -> Array:
        """Elementwise logical not."""

    def clip(self, a: Array, low: float | None, high: float | None) -> Array:
        """Clamp values into ``[low, high]`` (either bound may be None)."""
        if low is not None:
            a = self.maximum(a, low)
        if high is not None:
            a = self.minimum(a, high)
        return a

    def sigmoid(self, a: Array) -> Array:
        """Logistic function, computed stably via tanh."""
        return self.multiply(self.add(self.tanh(self.multiply(a, 0.5)), 1.0), 0.5)

    def relu(self, a: Array) -> Array:
        """``max(a, 0)``."""
        return self.maximum(a, 0)

    # ------------------------------------------------------------- reductions
    @abc.abstractmethod
    def sum(self, a: Array, axis: tuple[int, ...] | None, keepdims: bool) -> Array:
        """Sum over ``axis`` (all axes when None)."""

    @abc.abstractmethod
    def max(self, a: Array, axis: tuple[int, ...] | None, keepdims: bool) -> Array:
        """Maximum over ``axis``."""

    @abc.abstractmethod
    def min(self, a: Array, axis: tuple[int, ...] | None, keepdims: bool) -> Array:
        """Minimum over ``axis``."""

    @abc.abstractmethod
    def argmax(self, a: Array, axis: int | None, keepdims: bool) -> Array:
        """Index of the maximum along one axis (flattened when None), as int64."""

    @abc.abstractmethod
    def argmin(self, a: Array, axis: int | None, keepdims: bool) -> Array:
        """Index of the minimum along one axis (flattened when None), as int64."""

    def mean(self, a: Array, axis: tuple[int, ...] | None, keepdims: bool) -> Array:
        """Arithmetic mean over ``axis``."""
        shape = self.shape(a)
        axes = range(len(shape)) if axis is None else axis
        count = 1
        for ax in axes:
            count *= shape[ax]
        return self.divide(self.sum(a, axis, keepdims), count)

    # ------------------------------------------------------------------ shape
    @abc.abstractmethod
    def reshape(self, a: Array, shape: Shape) -> Array:
        """Reshape (a view where possible); one dimension may be -1."""

    @abc.abstractmethod
    def transpose(self, a: Array, axes: Sequence[int]) -> Array:
        """Permute axes."""

    @abc.abstractmethod
    def broadcast_to(self, a: Array, shape: Shape) -> Array:
        """Broadcast to ``shape`` (read-only view allowed)."""

    @abc.abstractmethod
    def concatenate(self, arrays: Sequence[Array], axis: int) -> Array:
        """Join arrays along an existing axis."""

    @abc.abstractmethod
    def stack(self, arrays: Sequence[Array], axis: int) -> Array:
        """Join arrays along a new axis."""

    @abc.abstractmethod
    def pad(self, a: Array, pad_width: Sequence[tuple[int, int]], value: float) -> Array:
        """Constant-pad each axis by ``(before, after)``."""

    # --------------------------------------------------------------- indexing
    @abc.abstractmethod
    def getitem(self, a: Array, index: Index) -> Array:
        """``a[index]`` with NumPy basic and advanced indexing (index holds native arrays)."""

    @abc.abstractmethod
    def scatter_add(self, a: Array, index: Index, values: Array) -> Array:
        """Return ``a`` with ``values`` added at ``a[index]``; repeated indices accumulate.

        May modify ``a`` in place; callers pass a buffer they own.
        """

    # ---------------------------------------------------------- linear algebra
    @abc.abstractmethod
    def matmul(self, a: Array, b: Array) -> Array:
        """Matrix product with batch broadcasting (``a @ b``)."""

    # ============================================================ NN kernels
    # Reference implementations, composed from the required core only.

    def _windows(self, xp: Array, kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair):
        """Yield ``(tap, index)`` for each kernel tap: the strided slice it reads."""
        (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
        for i in range(kh):
            for j in range(kw):
                h0, w0 = i * dh, j * dw
                yield i * kw + j, (
                    slice(None),
                    slice(None),
                    slice(h0, h0 + sh * (ho - 1) + 1, sh),
                    slice(w0, w0 + sw * (wo - 1) + 1, sw),
                )

    @staticmethod
    def conv_output_size(size: int, k: int, s: int, p: int, d: int) -> int:
        """Spatial output length of a convolution or pooling window."""
        return (size + 2 * p - d * (k - 1) - 1) // s + 1

    def _im2col(self, x, kernel, stride, padding, dilation, out_hw, pad_value=0.0):
        """Stack the kernel taps of padded ``x``: ``(N, C, kh*kw, Ho, Wo)``."""
        ph, pw = padding
        if ph or pw:
            x = self.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), pad_value)
        windows = self._windows(x, kernel, stride, dilation, out_hw)
        taps = [self.getitem(x, idx) for _, idx in windows]
        return self.stack(taps, 2)

    def _col2im(self, cols, x_shape, kernel, stride, padding, dilation, out_hw):
        """Sum tap contributions ``(N, C, kh*kw, Ho, Wo)`` back into an ``x_shape`` array."""
        n, c, h, w = x_shape
        ph, pw = padding
        dtype = self.dtype_of(cols)
        gx = self.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype)
        for t, idx in self._windows(gx, kernel, stride, dilation, out_hw):
            gx = self.scatter_add(gx, idx, self.getitem(cols, (slice(None), slice(None), t)))
        if ph or pw:
            gx = self.getitem(gx, (slice(None), slice(None), slice(ph, ph + h), slice(pw, pw + w)))
        return gx

    def _conv_out_hw(self, x_shape, w_shape, stride, padding, dilation) -> Pair:
        return (
            self.conv_output_size(x_shape[2], w_shape[2], stride[0], padding[0], dilation[0]),
            self.conv_output_size(x_shape[3], w_shape[3], stride[1], padding[1], dilation[1]),
        )

    def conv2d(self, x: Array, w: Array, stride: Pair, padding: Pair, dilation: Pair,
               groups: int) -> Array:
        """2-D cross-correlation, NCHW input, ``(O, C/groups, kh, kw)`` weight, no bias."""
        n, c = self.shape(x)[:2]
        o, cg, kh, kw = self.shape(w)
        ho, wo = self._conv_out_hw(self.shape(x), (o, cg, kh, kw), stride, padding, dilation)
        cols = self._im2col(x, (kh, kw), stride, padding, dilation, (ho, wo))
        cols = self.reshape(cols, (n, groups, cg * kh * kw, ho * wo))
        wm = self.reshape(w, (1, groups, o // groups, cg * kh * kw))
        return self.reshape(self.matmul(wm, cols), (n, o, ho, wo))

    def conv2d_grad_input(self, gy: Array, w: Array, x_shape: Shape, stride: Pair,
                          padding: Pair, dilation: Pair, groups: int) -> Array:
        """Gradient of :meth:`conv2d` with respect to its input."""
        n, o, ho, wo = self.shape(gy)
        _, cg, kh, kw = self.shape(w)
        wm = self.transpose(self.reshape(w, (1, groups, o // groups, cg * kh * kw)), (0, 1, 3, 2))
        gcols = self.matmul(wm, self.reshape(gy, (n, groups, o // groups, ho * wo)))
        gcols = self.reshape(gcols, (n, groups * cg, kh * kw, ho, wo))
        return self._col2im(gcols, tuple(x_shape), (kh, kw), stride, padding, dilation, (ho, wo))

    def conv2d_grad_weight(self, gy: Array, x: Array, w_shape: Shape, stride: Pair,
                           padding: Pair, dilation: Pair, groups: int) -> Array:
        """Gradient of :meth:`conv2d` with respect to its weight."""
        n, o, ho, wo = self.shape(gy)
        _, cg, kh, kw = w_shape
        cols = self._im2col(x, (kh, kw), stride, padding, dilation, (ho, wo))
        cols = self.reshape(cols, (n, groups, cg * kh * kw, ho * wo))
        g = self.reshape(gy, (n, groups, o // groups, ho * wo))
        gw = self.sum(self.matmul(g, self.transpose(cols, (0, 1, 3, 2))), (0,), False)
        return self.reshape(gw, tuple(w_shape))

    def _pool_out_hw(self, x_shape, kernel, stride, padding) -> Pair:
        return (
            self.conv_output_size(x_shape[2], kernel[0], stride[0], padding[0], 1),
            self.conv_output_size(x_shape[3], kernel[1], stride[1], padding[1], 1),
        )

    def max_pool2d(self, x: Array, kernel: Pair, stride: Pair, padding: Pair):
        """Max pooling (padding counts as -inf); returns ``(y, argmax)`` for the backward."""
        out_hw = self._pool_out_hw(self.shape(x), kernel, stride, padding)
        cols = self._im2col(x, kernel, stride, padding, (1, 1), out_hw, float("-inf"))
        return self.max(cols, (2,), False), self.argmax(cols, 2, False)

    def max_pool2d_grad(self, gy: Array, argmax: Array, x_shape: Shape, kernel: Pair,
                        stride: Pair, padding: Pair) -> Array:
        """Gradient of :meth:`max_pool2d` with respect to its input."""
        out_hw = self.shape(gy)[2:]
        taps = [self.where(self.equal(argmax, t), gy, 0) for t in range(kernel[0] * kernel[1])]
        cols = self.stack(taps, 2)
        return self._col2im(cols, tuple(x_shape), kernel, stride, padding, (1, 1), out_hw)

    def avg_pool2d(self, x: Array, kernel: Pair, stride: Pair, padding: Pair) -> Array:
        """Average pooling; zero padding is counted in the average."""
        out_hw = self._pool_out_hw(self.shape(x), kernel, stride, padding)
        cols = self._im2col(x, kernel, stride, padding, (1, 1), out_hw)
        return self.divide(self.sum(cols, (2,), False), kernel[0] * kernel[1])

    def avg_pool2d_grad(self, gy: Array, x_shape: Shape, kernel: Pair, stride: Pair,
                        padding: Pair) -> Array:
        """Gradient of :meth:`avg_pool2d` with respect to its input."""
        n, c, ho, wo = self.shape(gy)
        kk = kernel[0] * kernel[1]
        g = self.divide(self.reshape(gy, (n, c, 1, ho, wo)), kk)
        cols = self.broadcast_to(g, (n, c, kk, ho, wo))
        return self._col2im(cols, tuple(x_shape), kernel, stride, padding, (1, 1), (ho, wo))

    def _bn_axes(self, x: Array) -> tuple[tuple[int, ...], Shape]:
        shape = self.shape(x)
        axes = (0,) + tuple(range(2, len(shape)))
        bshape = (1, shape[1]) + (1,) * (len(shape) - 2)
        return axes, bshape

    def batch_norm_train(self, x: Array, gamma: Array | None, beta: Array | None,
                         eps: float):
        """Normalise over every axis but 1 with batch statistics; returns ``(y, mean, invstd)``."""
        axes, bshape = self._bn_axes(x)
        mean = self.mean(x, axes, True)
        xc = self.subtract(x, mean)
        var = self.mean(self.multiply(xc, xc), axes, True)
        invstd = self.divide(1.0, self.sqrt(self.add(var, eps)))
        y = self.multiply(xc, invstd)
        if gamma is not None:
            y = self.multiply(y, self.reshape(gamma, bshape))
        if beta is not None:
            y = self.add(y, self.reshape(beta, bshape))
        return y, self.reshape(mean, (bshape[1],)), self.reshape(invstd, (bshape[1],))

    def batch_norm_grad(self, gy: Array, x: Array, gamma: Array | None, mean: Array,
                        invstd: Array):
        """Gradients ``(gx, ggamma, gbeta)`` of :meth:`batch_norm_train`."""
        axes, bshape = self._bn_axes(x)
        mean_b = self.reshape(mean, bshape)
        invstd_b = self.reshape(invstd, bshape)
        xhat = self.multiply(self.subtract(x, mean_b), invstd_b)
        gbeta = self.sum(gy, axes, False)
        ggamma = self.sum(self.multiply(gy, xhat), axes, False)
        scale = invstd_b if gamma is None else self.multiply(invstd_b, self.reshape(gamma, bshape))
        m = 1
        for ax in axes:
            m *= self.shape(x)[ax]
        inner = self.add(
            self.reshape(self.divide(gbeta, m), bshape),
            self.multiply(xhat, self.reshape(self.divide(ggamma, m), bshape)),
        )
        gx = self.multiply(self.subtract(gy, inner), scale)
        if gamma is None:
            return gx, None, None
        return gx, ggamma, gbeta

    def softmax(self, x: Array, axis: int) -> Array:
        """Numerically stable softmax along ``axis``."""
        e = self.exp(self.subtract(x, self.max(x, (axis,), True)))
        return self.divide(e, self.sum(e, (axis,), True))

    def log_softmax(self, x: Array, axis: int) -> Array:
        """Numerically stable log-softmax along ``axis``."""
        z = self.subtract(x, self.max(x, (axis,), True))
        return self.subtract(z, self.log(self.sum(self.exp(z), (axis,), True)))


#: The names of the neural-network kernels that have reference implementations.
NN_KERNELS = (
    "conv2d", "conv2d_grad_input", "conv2d_grad_weight", "max_pool2d", "max_pool2d_grad",
    "avg_pool2d", "avg_pool2d_grad", "batch_norm_train", "batch_norm_grad", "softmax",
    "log_softmax",
)


def use_reference_kernels(backend: Backend) -> Backend:
    """Make ``backend`` run the interface's reference NN kernels instead of its own (testing)."""
    for name in NN_KERNELS:
        setattr(backend, name, getattr(Backend, name).__get__(backend, type(backend)))
    return backend
