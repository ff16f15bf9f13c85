"""Reference implementations, composed only from the required core of the op interface.

:class:`ReferenceKernels` is an opt-in mixin: a backend that implements the required core of
:class:`~lucid.backends.Backend` gets every NN kernel (convolution, pooling, batch norm,
softmax) and the small conveniences (``ones``, ``clip``, ``sigmoid``, ``relu``, ``mean``) by
listing it first among its bases::

    class MyBackend(ReferenceKernels, Backend):
        ...   # the required core only

The kernels are written for clarity, not speed: a backend overrides the ones it can do
faster. :func:`with_reference_kernels` goes the other way for testing: it derives, from any
backend class, a subclass whose NN kernels are these reference ones
(``LUCID_REFERENCE_KERNELS=1`` makes the registry instantiate that subclass).

This module imports no array library.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .geometry import conv_output_hw
from .interface import Backend

Array = Any
Shape = tuple[int, ...]
Pair = tuple[int, int]

#: The neural-network kernels of the interface (the methods :func:`with_reference_kernels`
#: replaces).
NN_KERNELS = (
    "conv2d", "conv2d_grad_input", "conv2d_grad_weight", "max_pool2d", "max_pool2d_grad",
    "avg_pool2d", "avg_pool2d_grad", "batch_norm_train", "batch_norm_grad", "softmax",
    "log_softmax",
)
#: Environment variable that makes every backend loaded by the registry (and every class of
#: the conformance kit) run the reference NN kernels.
REFERENCE_KERNELS_ENV = "LUCID_REFERENCE_KERNELS"


def reference_kernels_forced() -> bool:
    """True when ``LUCID_REFERENCE_KERNELS`` asks every backend to run the reference kernels."""
    return os.environ.get(REFERENCE_KERNELS_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


# ---------------------------------------------------------------- helpers (core only)
def _windows(kernel: Pair, stride: Pair, dilation: Pair,
             out_hw: Pair) -> Iterator[tuple[int, tuple[slice, ...]]]:
    """Yield ``(tap, index)`` for each kernel tap: the strided slice of the input it reads."""
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


def _im2col(b: Backend, x: Array, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
            out_hw: Pair, pad_value: float = 0.0) -> Array:
    """Stack the kernel taps of padded ``x``: ``(N, C, kh*kw, Ho, Wo)``."""
    ph, pw = padding
    if ph or pw:
        x = b.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), pad_value)
    taps = [b.getitem(x, idx) for _, idx in _windows(kernel, stride, dilation, out_hw)]
    return b.stack(taps, 2)


def _col2im(b: Backend, cols: Array, x_shape: Shape, kernel: Pair, stride: Pair,
            padding: Pair, dilation: Pair, out_hw: Pair) -> Array:
    """Sum tap contributions ``(N, C, kh*kw, Ho, Wo)`` back into an ``x_shape`` array."""
    n, c, h, w = x_shape
    ph, pw = padding
    gx = b.zeros((n, c, h + 2 * ph, w + 2 * pw), b.dtype_of(cols))
    for t, idx in _windows(kernel, stride, dilation, out_hw):
        gx = b.scatter_add(gx, idx, b.getitem(cols, (slice(None), slice(None), t)))
    if ph or pw:
        gx = b.getitem(gx, (slice(None), slice(None), slice(ph, ph + h), slice(pw, pw + w)))
    return gx


def _bn_axes(b: Backend, x: Array) -> tuple[tuple[int, ...], Shape]:
    """The reduced axes of batch norm (all but 1) and the broadcast shape of a channel vector."""
    shape = b.shape(x)
    axes = (0,) + tuple(range(2, len(shape)))
    bshape = (1, shape[1]) + (1,) * (len(shape) - 2)
    return axes, bshape


if TYPE_CHECKING:  # the mixin is written against Backend's methods
    _MixinBase = Backend
else:
    _MixinBase = object


class ReferenceKernels(_MixinBase):
    """Mixin: NN kernels and conveniences composed only from the interface's required core.

    Put it *before* your backend base class: ``class MyBackend(ReferenceKernels, Backend)``.
    Every method here calls only required-core methods of ``self``.
    """

    # ------------------------------------------------------------ conveniences
    def ones(self, shape: Shape, dtype: Any) -> Array:
        """Return a new array of ones (``full(shape, 1, dtype)``)."""
        return self.full(shape, 1, dtype)

    def clip(self, a: Array, low: float | None, high: float | None) -> Array:
        """Return ``a`` clamped into ``[low, high]`` (either bound may be None)."""
        if low is not None:
            a = self.maximum(a, low)
        if high is not None:
            a = self.minimum(a, high)
        return a

    def sigmoid(self, a: Array) -> Array:
        """Return the logistic function, computed stably as ``(tanh(a / 2) + 1) / 2``."""
        return self.multiply(self.add(self.tanh(self.multiply(a, 0.5)), 1.0), 0.5)

    def relu(self, a: Array) -> Array:
        """Return ``max(a, 0)``."""
        return self.maximum(a, 0)

    def mean(self, a: Array, axis: tuple[int, ...] | None, keepdims: bool) -> Array:
        """Return the arithmetic mean over ``axis`` (the sum divided by the count)."""
        shape = self.shape(a)
        axes = range(len(shape)) if axis is None else axis
        count = 1
        for ax in axes:
            count *= shape[ax]
        return self.divide(self.sum(a, axis, keepdims), count)

    # -------------------------------------------------------------- convolution
    def conv2d(self, x: Array, w: Array, stride: Pair, padding: Pair, dilation: Pair,
               groups: int) -> Array:
        """Return the 2-D cross-correlation of NCHW ``x`` with ``(O, C/groups, kh, kw)`` ``w``."""
        x_shape = self.shape(x)
        n = x_shape[0]
        o, cg, kh, kw = self.shape(w)
        ho, wo = conv_output_hw(x_shape[2:], (kh, kw), stride, padding, dilation)
        cols = _im2col(self, x, (kh, kw), stride, padding, dilation, (ho, wo))
        cols = self.reshape(cols, (n, groups, cg * kh * kw, ho * wo))
        wm = self.reshape(w, (1, groups, o // groups, cg * kh * kw))
        return self.reshape(self.matmul(wm, cols), (n, o, ho, wo))

    def conv2d_grad_input(self, gy: Array, w: Array, x_shape: Shape, stride: Pair,
                          padding: Pair, dilation: Pair, groups: int) -> Array:
        """Return the gradient of :meth:`conv2d` with respect to its input."""
        n, o, ho, wo = self.shape(gy)
        _, cg, kh, kw = self.shape(w)
        wm = self.transpose(self.reshape(w, (1, groups, o // groups, cg * kh * kw)), (0, 1, 3, 2))
        gcols = self.matmul(wm, self.reshape(gy, (n, groups, o // groups, ho * wo)))
        gcols = self.reshape(gcols, (n, groups * cg, kh * kw, ho, wo))
        return _col2im(self, gcols, tuple(x_shape), (kh, kw), stride, padding, dilation,
                       (ho, wo))

    def conv2d_grad_weight(self, gy: Array, x: Array, w_shape: Shape, stride: Pair,
                           padding: Pair, dilation: Pair, groups: int) -> Array:
        """Return the gradient of :meth:`conv2d` with respect to its weight."""
        n, o, ho, wo = self.shape(gy)
        _, cg, kh, kw = w_shape
        cols = _im2col(self, x, (kh, kw), stride, padding, dilation, (ho, wo))
        cols = self.reshape(cols, (n, groups, cg * kh * kw, ho * wo))
        g = self.reshape(gy, (n, groups, o // groups, ho * wo))
        gw = self.sum(self.matmul(g, self.transpose(cols, (0, 1, 3, 2))), (0,), False)
        return self.reshape(gw, tuple(w_shape))

    # ------------------------------------------------------------------ pooling
    def max_pool2d(self, x: Array, kernel: Pair, stride: Pair,
                   padding: Pair) -> tuple[Array, Array]:
        """Return ``(y, argmax)`` of max pooling (padding counts as -inf; int64 tap indices)."""
        out_hw = conv_output_hw(self.shape(x)[2:], kernel, stride, padding)
        cols = _im2col(self, x, kernel, stride, padding, (1, 1), out_hw, float("-inf"))
        return self.max(cols, (2,), False), self.argmax(cols, 2, False)

    def max_pool2d_grad(self, gy: Array, argmax: Array, x_shape: Shape, kernel: Pair,
                        stride: Pair, padding: Pair) -> Array:
        """Return the gradient of :meth:`max_pool2d` with respect to its input."""
        _, _, ho, wo = self.shape(gy)
        taps = [self.where(self.equal(argmax, t), gy, 0) for t in range(kernel[0] * kernel[1])]
        cols = self.stack(taps, 2)
        return _col2im(self, cols, tuple(x_shape), kernel, stride, padding, (1, 1), (ho, wo))

    def avg_pool2d(self, x: Array, kernel: Pair, stride: Pair, padding: Pair) -> Array:
        """Return average pooling; zero padding is counted in the average."""
        out_hw = conv_output_hw(self.shape(x)[2:], kernel, stride, padding)
        cols = _im2col(self, x, kernel, stride, padding, (1, 1), out_hw)
        return self.divide(self.sum(cols, (2,), False), kernel[0] * kernel[1])

    def avg_pool2d_grad(self, gy: Array, x_shape: Shape, kernel: Pair, stride: Pair,
                        padding: Pair) -> Array:
        """Return the gradient of :meth:`avg_pool2d` with respect to its input."""
        n, c, ho, wo = self.shape(gy)
        kk = kernel[0] * kernel[1]
        g = self.divide(self.reshape(gy, (n, c, 1, ho, wo)), kk)
        cols = self.broadcast_to(g, (n, c, kk, ho, wo))
        return _col2im(self, cols, tuple(x_shape), kernel, stride, padding, (1, 1), (ho, wo))

    # --------------------------------------------------------------- batch norm
    def batch_norm_train(self, x: Array, gamma: Array | None, beta: Array | None,
                         eps: float) -> tuple[Array, Array, Array]:
        """Return ``(y, mean, invstd)``: batch norm over every axis but 1, batch statistics."""
        axes, bshape = _bn_axes(self, x)
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
                        invstd: Array) -> tuple[Array, Array | None, Array | None]:
        """Return the gradients ``(gx, ggamma, gbeta)`` of :meth:`batch_norm_train`."""
        axes, bshape = _bn_axes(self, x)
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

    # ------------------------------------------------------------------ softmax
    def softmax(self, x: Array, axis: int) -> Array:
        """Return the numerically stable softmax along ``axis``."""
        e = self.exp(self.subtract(x, self.max(x, (axis,), True)))
        return self.divide(e, self.sum(e, (axis,), True))

    def log_softmax(self, x: Array, axis: int) -> Array:
        """Return the numerically stable log-softmax along ``axis``."""
        z = self.subtract(x, self.max(x, (axis,), True))
        return self.subtract(z, self.log(self.sum(self.exp(z), (axis,), True)))


# ------------------------------------------------------------ the reference switch
_lock = threading.Lock()
_derived: dict[type, type] = {}


def uses_reference_kernels(backend: Backend | type) -> bool:
    """True when every NN kernel of ``backend`` (an instance or a class) is the reference one."""
    cls = backend if isinstance(backend, type) else type(backend)
    own = {} if isinstance(backend, type) else getattr(backend, "__dict__", {})
    return all(getattr(cls, name, None) is getattr(ReferenceKernels, name)
               and name not in own for name in NN_KERNELS)


def with_reference_kernels(cls: type[Backend]) -> type[Backend]:
    """Return a subclass of ``cls`` whose NN kernels are :class:`ReferenceKernels`' ones.

    Everything else (the required core, the conveniences, ``__init__``, availability) is
    ``cls``'s. The subclass is created once per class and cached; it adds no instance
    attributes (``__slots__ = ()``), so an existing instance's ``__class__`` can be set to it.
    A class that already runs every reference kernel is returned unchanged.
    """
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        raise TypeError(f"with_reference_kernels() expects a lucid.backends.Backend subclass, "
                        f"got {cls!r}")
    if uses_reference_kernels(cls):
        return cls
    with _lock:
        derived = _derived.get(cls)
        if derived is None:
            namespace: dict[str, Any] = {name: vars(ReferenceKernels)[name] for name in NN_KERNELS}
            namespace.update(__slots__=(), __module__=cls.__module__,
                             __qualname__=f"{cls.__qualname__}WithReferenceKernels",
                             __doc__=f"{cls.__name__} running lucid's reference NN kernels.")
            derived = type(f"{cls.__name__}WithReferenceKernels", (cls,), namespace)
            _derived[cls] = derived
        return derived


__all__ = ["NN_KERNELS", "REFERENCE_KERNELS_ENV", "ReferenceKernels", "reference_kernels_forced",
           "uses_reference_kernels", "with_reference_kernels"]
