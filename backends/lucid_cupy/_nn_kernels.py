"""The CuPy backend's neural-network kernels: cuBLAS-shaped GEMMs plus hand-written CUDA.

Every NN function takes the backend's :class:`~lucid.backends.Passes` (whose ``xp`` is the
array module) and a kernel *launcher* (see :mod:`lucid_cupy._launch`) as its first two
arguments. On a GPU they are over ``cupy`` and the NVRTC-compiled kernels; in CPU tests they
are over ``numpy`` and the emulator, which runs the same CUDA source, so this glue is
exercised without a GPU.

Where the work goes:

* **Convolution** is im2col + one GEMM. ``lucid_im2col`` writes the ``(C*kh*kw, N*Ho*Wo)``
  patch matrix straight from the unpadded input (zeros outside), and the GEMMs are arranged
  so that cuBLAS never needs a transposed *batched* operand: ``cupy.matmul`` copies a
  non-contiguous operand of a batched product, but takes a transposed 2-D operand for free.
  Grouped convolution is one strided-batched GEMM over the groups; 1x1 convolution skips
  im2col. The input gradient is a GEMM followed by ``lucid_col2im``, a gather kernel (one
  thread per input element, no atomics), instead of a Python loop over the kernel taps.
* **Pooling** forward and backward are one kernel each; max pooling records the tap index of
  each window's maximum, and its backward gathers through it.
* **Batch norm** is three launches each way: per-channel partial sums (accumulated in
  double, reduced in shared memory), a per-channel finalisation, and one fused element-wise
  pass. Nothing is cached between calls: scratch buffers come from CuPy's memory pool and go
  back to it when the call returns.
* **Softmax** is lucid's generic array-module kernel.

The kernels handle float32 and float64 with 32-bit indices; other dtypes, arrays of
:data:`INDEX_LIMIT` elements or more, and a launcher of None take lucid's generic
array-module path (:mod:`lucid.backends.array_kernels`), which CuPy runs too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid.backends import Passes
from lucid.backends import array_kernels as shared
from lucid.backends.geometry import conv_output_hw

from ._cuda_source import BLOCK, CTYPES
from ._launch import launch, launch_grid

Array = Any
Pair = tuple[int, int]
Shape = tuple[int, ...]

#: Arrays with at least this many elements use the array-module path (32-bit kernel indices,
#: with headroom for the reductions' grid-stride increments).
INDEX_LIMIT = 2**31 - 2**20

_i32 = np.int32
_f64 = np.float64


def _kernel_ok(kernels: Any, dtype: Any, *sizes: int) -> bool:
    """True when there are hand-written kernels and they handle this dtype and these sizes."""
    return (kernels is not None and np.dtype(dtype).name in CTYPES
            and all(s < INDEX_LIMIT for s in sizes))


def _prod(shape: Shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


# ------------------------------------------------------------------------ convolution
def _is_pointwise(w_shape: Shape, padding: Pair) -> bool:
    """An unpadded 1x1 convolution: a plain matrix product per image (dilation is moot)."""
    return w_shape[2] == 1 and w_shape[3] == 1 and padding == (0, 0)


def _sampled(xp: Any, x: Array, stride: Pair) -> Array:
    """The pixels a 1x1 convolution with ``stride`` reads, as a contiguous NCHW array."""
    if stride != (1, 1):
        x = x[:, :, :: stride[0], :: stride[1]]
    return xp.ascontiguousarray(x)


def _channel_major(xp: Any, a: Array) -> Array:
    """NCHW ``(N, C, H, W)`` to a contiguous ``(C, N*H*W)`` matrix."""
    n, c = a.shape[:2]
    return xp.ascontiguousarray(a.reshape(n, c, -1).transpose(1, 0, 2)).reshape(c, -1)


def im2col(xp: Any, kernels: Any, x: Array, kernel: Pair, stride: Pair, padding: Pair,
           dilation: Pair, out_hw: Pair) -> Array:
    """The ``(C*kh*kw, N*Ho*Wo)`` patch matrix of NCHW ``x`` (rows ``(c, i, j)``)."""
    x = xp.ascontiguousarray(x)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (ho, wo) = kernel, stride, padding, dilation, out_hw
    cols = xp.empty((c * kh * kw, n * ho * wo), dtype=x.dtype)
    launch(kernels, "lucid_im2col", x.dtype, cols.size,
           (x, cols, _i32(n), _i32(c), _i32(h), _i32(w), _i32(kh), _i32(kw), _i32(sh),
            _i32(sw), _i32(ph), _i32(pw), _i32(dh), _i32(dw), _i32(ho), _i32(wo),
            _i32(cols.size)))
    return cols


def col2im(xp: Any, kernels: Any, cols: Array, x_shape: Shape, kernel: Pair, stride: Pair,
           padding: Pair, dilation: Pair, out_hw: Pair) -> Array:
    """The adjoint of :func:`im2col`: sum patch-matrix entries back into an NCHW array."""
    cols = xp.ascontiguousarray(cols)
    n, c, h, w = x_shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (ho, wo) = kernel, stride, padding, dilation, out_hw
    gx = xp.empty(tuple(x_shape), dtype=cols.dtype)
    launch(kernels, "lucid_col2im", cols.dtype, gx.size,
           (cols, gx, _i32(n), _i32(c), _i32(h), _i32(w), _i32(kh), _i32(kw), _i32(sh),
            _i32(sw), _i32(ph), _i32(pw), _i32(dh), _i32(dw), _i32(ho), _i32(wo),
            _i32(gx.size)))
    return gx


def conv2d(p: Passes, kernels: Any, x: Array, w: Array, stride: Pair, padding: Pair,
           dilation: Pair, groups: int) -> Array:
    """2-D cross-correlation of NCHW ``x`` with ``(O, C/groups, kh, kw)`` ``w``; no bias."""
    xp = p.xp
    n, c = x.shape[:2]
    o, cg, kh, kw = w.shape
    ho, wo = conv_output_hw(x.shape[2:], w.shape[2:], stride, padding, dilation)
    if _is_pointwise(w.shape, padding):
        xs = _sampled(xp, x, stride).reshape(n, groups, cg, ho * wo)
        # (G, O/G, C/G) @ (N, G, C/G, L): one batched GEMM, the weight broadcast (not copied)
        y = xp.matmul(w.reshape(groups, o // groups, cg), xs)
        return y.reshape(n, o, ho, wo)
    if not _kernel_ok(kernels, x.dtype, x.size, c * kh * kw * n * ho * wo):
        return shared.conv2d(p, x, w, stride, padding, dilation, groups)
    cols = im2col(xp, kernels, x, (kh, kw), stride, padding, dilation, (ho, wo))
    if groups == 1:
        y = xp.matmul(w.reshape(o, -1), cols)  # (O, N*L): a single GEMM
    else:
        y = xp.matmul(w.reshape(groups, o // groups, cg * kh * kw),
                      cols.reshape(groups, cg * kh * kw, -1))  # (G, O/G, N*L), strided batch
    y = y.reshape(o, n, ho * wo).transpose(1, 0, 2)
    return xp.ascontiguousarray(y).reshape(n, o, ho, wo)


def conv2d_grad_input(p: Passes, kernels: Any, gy: Array, w: Array, x_shape: Shape,
                      stride: Pair, padding: Pair, dilation: Pair, groups: int) -> Array:
    """Gradient of :func:`conv2d` with respect to its input."""
    xp = p.xp
    n, c, h, wd = x_shape
    o, cg, kh, kw = w.shape
    ho, wo = gy.shape[2:]
    gy = xp.ascontiguousarray(gy)
    if _is_pointwise(w.shape, padding):
        wt = w.reshape(groups, o // groups, cg).transpose(0, 2, 1)  # small: copied by matmul
        g = xp.matmul(wt, gy.reshape(n, groups, o // groups, ho * wo)).reshape(n, c, ho, wo)
        if (ho, wo) == (h, wd):
            return g
        gx = xp.zeros(tuple(x_shape), dtype=gy.dtype)
        gx[:, :, :: stride[0], :: stride[1]] = g
        return gx
    if not _kernel_ok(kernels, gy.dtype, n * c * h * wd, c * kh * kw * n * ho * wo):
        return shared.conv2d_grad_input(p, gy, w, tuple(x_shape), stride, padding, dilation,
                                        groups)
    g = _channel_major(xp, gy)  # (O, N*L)
    if groups == 1:
        gcols = xp.matmul(w.reshape(o, -1).T, g)  # the transposed 2-D operand costs nothing
    else:
        wt = w.reshape(groups, o // groups, cg * kh * kw).transpose(0, 2, 1)
        gcols = xp.matmul(wt, g.reshape(groups, o // groups, -1))
    gcols = gcols.reshape(c * kh * kw, n * ho * wo)
    return col2im(xp, kernels, gcols, x_shape, (kh, kw), stride, padding, dilation, (ho, wo))


def conv2d_grad_weight(p: Passes, kernels: Any, gy: Array, x: Array, w_shape: Shape,
                       stride: Pair, padding: Pair, dilation: Pair, groups: int) -> Array:
    """Gradient of :func:`conv2d` with respect to its weight."""
    xp = p.xp
    n, c = x.shape[:2]
    o, cg, kh, kw = w_shape
    ho, wo = gy.shape[2:]
    w_shape = tuple(w_shape)
    if _is_pointwise(w_shape, padding):
        xs = _sampled(xp, x, stride)
        if groups == 1:
            return xp.matmul(_channel_major(xp, gy), _channel_major(xp, xs).T).reshape(w_shape)
        g = _channel_major(xp, gy).reshape(groups, o // groups, -1)  # (G, O/G, N*L)
        xt = xs.reshape(n, groups, cg, ho * wo).transpose(1, 0, 3, 2)  # (G, N, L, C/G)
        xt = xp.ascontiguousarray(xt).reshape(groups, n * ho * wo, cg)
        return xp.matmul(g, xt).reshape(w_shape)
    if not _kernel_ok(kernels, x.dtype, x.size, c * kh * kw * n * ho * wo):
        return shared.conv2d_grad_weight(p, gy, x, w_shape, stride, padding, dilation, groups)
    cols = im2col(xp, kernels, x, (kh, kw), stride, padding, dilation, (ho, wo))
    if groups == 1:
        return xp.matmul(_channel_major(xp, gy), cols.T).reshape(w_shape)
    # gw^T = cols @ gy^T per group: transposing gy (small) instead of cols (kh*kw times larger)
    gyt = gy.reshape(n, groups, o // groups, ho * wo).transpose(1, 0, 3, 2)  # (G, N, L, O/G)
    gyt = xp.ascontiguousarray(gyt).reshape(groups, n * ho * wo, o // groups)
    gwt = xp.matmul(cols.reshape(groups, cg * kh * kw, -1), gyt)  # (G, C/G*kh*kw, O/G)
    return xp.ascontiguousarray(gwt.transpose(0, 2, 1)).reshape(w_shape)


# ---------------------------------------------------------------------------- pooling
def _pool_args(x_shape: Shape, kernel: Pair, stride: Pair, padding: Pair, out_hw: Pair
               ) -> tuple:
    return (_i32(x_shape[2]), _i32(x_shape[3]), _i32(kernel[0]), _i32(kernel[1]),
            _i32(stride[0]), _i32(stride[1]), _i32(padding[0]), _i32(padding[1]),
            _i32(out_hw[0]), _i32(out_hw[1]))


def max_pool2d(p: Passes, kernels: Any, x: Array, kernel: Pair, stride: Pair,
               padding: Pair) -> tuple[Array, Array]:
    """Max pooling (padding is minus infinity); returns ``(y, argmax)`` with int32 tap indices."""
    xp = p.xp
    if not _kernel_ok(kernels, x.dtype, x.size):
        return shared.max_pool2d(p, x, kernel, stride, padding)
    x = xp.ascontiguousarray(x)
    out_hw = conv_output_hw(x.shape[2:], kernel, stride, padding)
    y = xp.empty(x.shape[:2] + out_hw, dtype=x.dtype)
    argmax = xp.empty(y.shape, dtype=np.int32)
    launch(kernels, "lucid_max_pool_fwd", x.dtype, y.size,
           (x, y, argmax, *_pool_args(x.shape, kernel, stride, padding, out_hw),
            x.dtype.type(-np.inf), _i32(y.size)))
    return y, argmax


def max_pool2d_grad(p: Passes, kernels: Any, gy: Array, argmax: Array, x_shape: Shape,
                    kernel: Pair, stride: Pair, padding: Pair) -> Array:
    """Gradient of :func:`max_pool2d`: each ``gy`` goes to the input its window picked."""
    xp = p.xp
    if argmax.dtype != np.int32 or not _kernel_ok(kernels, gy.dtype, _prod(x_shape)):
        return shared.max_pool2d_grad(p, gy, argmax, tuple(x_shape), kernel, stride, padding)
    gy = xp.ascontiguousarray(gy)
    argmax = xp.ascontiguousarray(argmax)
    gx = xp.empty(tuple(x_shape), dtype=gy.dtype)
    launch(kernels, "lucid_max_pool_bwd", gy.dtype, gx.size,
           (gy, argmax, gx, *_pool_args(x_shape, kernel, stride, padding, gy.shape[2:]),
            _i32(gx.size)))
    return gx


def avg_pool2d(p: Passes, kernels: Any, x: Array, kernel: Pair, stride: Pair,
               padding: Pair) -> Array:
    """Average pooling; zero padding counts in the average."""
    xp = p.xp
    if not _kernel_ok(kernels, x.dtype, x.size):
        return shared.avg_pool2d(p, x, kernel, stride, padding)
    x = xp.ascontiguousarray(x)
    out_hw = conv_output_hw(x.shape[2:], kernel, stride, padding)
    y = xp.empty(x.shape[:2] + out_hw, dtype=x.dtype)
    launch(kernels, "lucid_avg_pool_fwd", x.dtype, y.size,
           (x, y, *_pool_args(x.shape, kernel, stride, padding, out_hw), _i32(y.size)))
    return y


def avg_pool2d_grad(p: Passes, kernels: Any, gy: Array, x_shape: Shape, kernel: Pair,
                    stride: Pair, padding: Pair) -> Array:
    """Gradient of :func:`avg_pool2d`."""
    xp = p.xp
    if not _kernel_ok(kernels, gy.dtype, _prod(x_shape)):
        return shared.avg_pool2d_grad(p, gy, tuple(x_shape), kernel, stride, padding)
    gy = xp.ascontiguousarray(gy)
    gx = xp.empty(tuple(x_shape), dtype=gy.dtype)
    launch(kernels, "lucid_avg_pool_bwd", gy.dtype, gx.size,
           (gy, gx, *_pool_args(x_shape, kernel, stride, padding, gy.shape[2:]),
            _i32(gx.size)))
    return gx


# ---------------------------------------------------------------- batch normalisation
#: Aim for about this many blocks in a reduction (enough to fill a large GPU) ...
_TARGET_BLOCKS = 1024
#: ... but give each block at least this many values, so the block sums stay worthwhile.
_MIN_PER_BLOCK = 16 * BLOCK


def reduction_slices(count: int, channels: int) -> int:
    """How many blocks share one channel's ``count`` values in the per-channel reductions."""
    by_work = -(-count // _MIN_PER_BLOCK)
    by_occupancy = -(-_TARGET_BLOCKS // channels)
    return max(1, min(by_work, by_occupancy, 65535))


def _bn_view(xp: Any, x: Array) -> tuple[Array, int, int, int]:
    """``x`` as a contiguous array with its ``(N, C, L)`` sizes (L = product of the rest)."""
    n, c = x.shape[:2]
    return xp.ascontiguousarray(x), n, c, _prod(x.shape[2:])


def _param(xp: Any, p: Array | None, like: Array) -> tuple[Array, int]:
    """A per-channel parameter as a contiguous array of ``like``'s dtype, and 'is present'."""
    if p is None:
        return like, 0  # a placeholder pointer the kernel never reads
    return xp.ascontiguousarray(p, dtype=like.dtype), 1


def batch_norm_train(p: Passes, kernels: Any, x: Array, gamma: Array | None, beta: Array | None,
                     eps: float) -> tuple[Array, Array, Array]:
    """Normalise over every axis but 1 with batch statistics; returns ``(y, mean, invstd)``."""
    xp = p.xp
    if not _kernel_ok(kernels, x.dtype, x.size) or x.shape[1] > 65535 or x.size == 0:
        return shared.batch_norm_train(p, x, gamma, beta, eps)
    xc, n, c, ell = _bn_view(xp, x)
    slices = reduction_slices(n * ell, c)
    partial = xp.empty((c, slices, 2), dtype=np.float64)
    launch_grid(kernels, "lucid_bn_stats", x.dtype, (slices, c, 1),
                (xc, partial, _i32(n), _i32(c), _i32(ell)))
    stats = xp.empty((4, c), dtype=x.dtype)  # mean, invstd, scale, shift
    mean, invstd, scale, shift = stats[0], stats[1], stats[2], stats[3]
    g, has_g = _param(xp, gamma, mean)
    b, has_b = _param(xp, beta, mean)
    launch(kernels, "lucid_bn_finalize", x.dtype, c,
           (partial, g, b, mean, invstd, scale, shift, _i32(c), _i32(slices),
            _f64(n * ell), _f64(eps), _i32(has_g), _i32(has_b)))
    y = xp.empty(xc.shape, dtype=x.dtype)
    launch(kernels, "lucid_bn_apply", x.dtype, y.size,
           (xc, mean, scale, shift, y, _i32(c), _i32(ell), _i32(y.size)))
    return y, mean, invstd


def batch_norm_grad(p: Passes, kernels: Any, gy: Array, x: Array, gamma: Array | None,
                    mean: Array, invstd: Array) -> tuple[Array, Array | None, Array | None]:
    """Gradients ``(gx, ggamma, gbeta)`` of :func:`batch_norm_train` (None without gamma)."""
    xp = p.xp
    if not _kernel_ok(kernels, x.dtype, x.size) or x.shape[1] > 65535 or x.size == 0:
        return shared.batch_norm_grad(p, gy, x, gamma, mean, invstd)
    xc, n, c, ell = _bn_view(xp, x)
    gyc = xp.ascontiguousarray(gy, dtype=x.dtype)
    mean = xp.ascontiguousarray(mean, dtype=x.dtype)
    invstd = xp.ascontiguousarray(invstd, dtype=x.dtype)
    slices = reduction_slices(n * ell, c)
    partial = xp.empty((c, slices, 2), dtype=np.float64)
    launch_grid(kernels, "lucid_bn_grad_stats", x.dtype, (slices, c, 1),
                (gyc, xc, mean, partial, _i32(n), _i32(c), _i32(ell)))
    out = xp.empty((5, c), dtype=x.dtype)  # ggamma, gbeta and the three gx coefficients
    ggamma, gbeta, k_gy, k_xc, k_0 = out[0], out[1], out[2], out[3], out[4]
    g, has_g = _param(xp, gamma, mean)
    launch(kernels, "lucid_bn_grad_finalize", x.dtype, c,
           (partial, g, invstd, ggamma, gbeta, k_gy, k_xc, k_0, _i32(c), _i32(slices),
            _f64(n * ell), _i32(has_g)))
    gx = xp.empty(xc.shape, dtype=x.dtype)
    launch(kernels, "lucid_bn_grad_apply", x.dtype, gx.size,
           (gyc, xc, mean, k_gy, k_xc, k_0, gx, _i32(c), _i32(ell), _i32(gx.size)))
    if gamma is None:
        return gx, None, None
    return gx, ggamma, gbeta


# ---------------------------------------------------------------------------- softmax
def softmax(p: Passes, kernels: Any, x: Array, axis: int) -> Array:
    """Numerically stable softmax along ``axis`` (shared array-module kernel)."""
    return shared.softmax(p, x, axis)


def log_softmax(p: Passes, kernels: Any, x: Array, axis: int) -> Array:
    """Numerically stable log-softmax along ``axis`` (shared array-module kernel)."""
    return shared.log_softmax(p, x, axis)
