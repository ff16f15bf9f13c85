"""Fast neural-network kernels over NCHW arrays, for any module with NumPy's API.

:class:`~lucid.backends.ArrayModuleBackend` runs these for NumPy, CuPy and any other
NumPy-like library. Every public function is pure and takes a :class:`Passes` object as its
first argument: the array module ``p.xp`` plus how large copies and element-wise passes are
run (see below), so the same code runs on the CPU and on the GPU. Only functions that exist
in both NumPy and CuPy are used, and outputs keep the dtype of the inputs (float32 stays
float32). There are no Python loops over pixels, images or channels; the only loops run over
the ``kh*kw`` kernel taps, over stride phases, or over a few cache-sized blocks.

How the heavy lifting is done:

* **Convolution** is lowered to matrix products ("im2col").  A strided *view* of the
  padded input exposes every receptive field without copying (stride and dilation are folded
  into the view's strides); that view is copied once into a contiguous column matrix of
  shape ``(C*kh*kw, N*Ho*Wo)`` so that one large GEMM ``W @ cols`` does all the arithmetic
  for all images at once.  Grouped convolution is the same GEMM batched over the groups, and
  an unpadded 1x1 convolution is a plain matrix product with no im2col at all.  When
  :attr:`Passes.block_bytes` is set (the NumPy backend: CPU caches), the output is cut into a
  few blocks (several images, or bands of rows of one image) whose columns fit in the cache.
* **Gradients** of a convolution are GEMMs too.  The weight gradient is ``cols @ gy^T``.
  The input gradient is ``W^T @ gy`` followed by "col2im" (a loop over the kernel taps that
  adds strided slices back into the input gradient); with stride 1 it is computed instead as
  a convolution of ``gy`` with the flipped kernel, which is the same maths but faster.
* **Pooling** loops over the kernel taps, each a whole-array elementwise operation.  Strided
  pooling first regroups the input by stride phase so that every tap is a unit-stride slice.
* **Passes**: the large copies and element-wise passes (im2col, col2im, pooling taps) go
  through :meth:`Passes.contiguous`, :meth:`Passes.assign` and :meth:`Passes.split`.  The
  default runs each as one plain call; the NumPy backend's version cuts them into per-thread
  chunks.  Every element gets the same operations either way, so results are bit-identical.
  :meth:`Passes.blocks` runs a convolution's cache blocks (or batch norm's channel blocks);
  the NumPy backend shares them out over its threads, each block computing exactly what it
  computes alone (weight-gradient shares are added in block order afterwards).
* **Batch norm** uses two-pass statistics (mean, then the variance of the centred values),
  per-channel reductions via ``einsum`` or batched BLAS dot products, and in-place updates.

This module imports no array library: it only uses ``p.xp``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

from .geometry import conv_output_hw, conv_output_size

Array = Any  #: a native array of the module ``Passes.xp``
Pair = tuple[int, int]
Shape = tuple[int, ...]


class Passes:
    """The array module the kernels run on, and how they run large copies and passes.

    The default runs every pass as one plain call of ``xp`` and convolves the whole batch in
    one GEMM. A backend substitutes a subclass (``ArrayModuleBackend.passes``) to split the
    passes over threads or to block convolutions for a cache; an override must do exactly
    the same element-wise work as the default, so that results stay bit-identical.
    """

    #: Bytes of im2col columns per GEMM, or None for the whole batch in one GEMM. On a CPU,
    #: blocks (a few images, or a band of output rows of one image) whose columns fit in the
    #: cache let the GEMM read them from the cache right after im2col wrote them; that is up
    #: to 2x faster than one batch-wide matrix that has to go through main memory.
    block_bytes: int | None = None

    def __init__(self, xp: Any) -> None:
        self.xp = xp

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({getattr(self.xp, '__name__', self.xp)!s}, "
                f"block_bytes={self.block_bytes})")

    def contiguous(self, a: Array) -> Array:
        """Return ``xp.ascontiguousarray(a)``."""
        return self.xp.ascontiguousarray(a)

    def assign(self, dst: Array, src: Array) -> None:
        """Do ``dst[...] = src`` (``src`` broadcast to ``dst``)."""
        dst[...] = src

    def split(self, length: int, elements: int, body: Callable[[int, int], object]) -> None:
        """Run ``body(lo, hi)`` over chunks of ``range(length)`` covering it (here: once).

        ``elements`` is the size of the pass; ``body`` writes disjoint outputs per chunk and
        does exactly the same element-wise work as ``body(0, length)``.
        """
        body(0, length)

    def blocks(self, count: int, body: Callable[[int], object]) -> None:
        """Run ``body(k)`` for every ``k`` in ``range(count)`` (here: in order).

        Each block is a convolution's share of work (its im2col copy and its GEMM) that
        writes outputs no other block writes; an override may run blocks concurrently.
        """
        for k in range(count):
            body(k)

    def image_step(self, n: int) -> int:
        """Images per GEMM call of an unpadded 1x1 convolution (here: all ``n`` in one)."""
        return n


# ----------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------


def _pad(p: Passes, x: Array, padding: Pair, value: float = 0.0) -> Array:
    """Pad the two spatial axes of ``x`` with ``value`` (no copy when there is no padding)."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    n, c, h, w = x.shape
    if value == 0.0:
        out = p.xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
    else:
        out = p.xp.full((n, c, h + 2 * ph, w + 2 * pw), value, dtype=x.dtype)
    p.assign(out[:, :, ph : ph + h, pw : pw + w], x)
    return out


def _windows(xp: Any, x: Array, kernel: Pair, stride: Pair, dilation: Pair,
             out_hw: Pair) -> Array:
    """A read-only view ``(N, C, kh, kw, Ho, Wo)`` of every kernel tap of (padded) ``x``.

    ``view[n, c, i, j, oh, ow] == x[n, c, oh*sh + i*dh, ow*sw + j*dw]``; nothing is copied.
    """
    sn, sc, s_h, s_w = x.strides
    return xp.lib.stride_tricks.as_strided(
        x,
        shape=x.shape[:2] + tuple(kernel) + tuple(out_hw),
        strides=(sn, sc, s_h * dilation[0], s_w * dilation[1], s_h * stride[0], s_w * stride[1]),
    )


def _tap_range(size: int, out: int, offset: int, stride: int) -> tuple[slice, slice] | None:
    """Slices (input, output) of the outputs whose tap lands inside ``[0, size)``.

    Output position ``o`` of a tap reads input position ``o * stride + offset`` (``offset``
    already includes the padding shift).  Returns ``None`` when no output lands inside.
    """
    lo = max(0, -(offset // stride))  # ceil(-offset / stride), clamped at 0
    hi = min(out, (size - 1 - offset) // stride + 1)
    if hi <= lo:
        return None
    start = lo * stride + offset
    return slice(start, start + (hi - lo - 1) * stride + 1, stride), slice(lo, hi)


def _tap_slices(x_hw: Pair, out_hw: Pair, kernel: Pair, stride: Pair, padding: Pair,
                dilation: Pair) -> Iterator[tuple[int, int, tuple, tuple]]:
    """Yield ``(i, j, x_index, y_index)`` for every kernel tap that touches the input.

    ``x[x_index]`` and ``y[y_index]`` are the matching strided regions of the *unpadded*
    input and of the output for tap ``(i, j)``, which lets backward passes scatter straight
    into the input gradient without a padded buffer.
    """
    for i in range(kernel[0]):
        rows = _tap_range(x_hw[0], out_hw[0], i * dilation[0] - padding[0], stride[0])
        if rows is None:
            continue
        for j in range(kernel[1]):
            cols = _tap_range(x_hw[1], out_hw[1], j * dilation[1] - padding[1], stride[1])
            if cols is None:
                continue
            all_ = slice(None)
            yield (i, j, (all_, all_, rows[0], cols[0]), (all_, all_, rows[1], cols[1]))


def _is_pointwise(w_shape: Shape, padding: Pair) -> bool:
    """True for an unpadded 1x1 convolution (dilation is then irrelevant)."""
    return w_shape[2] == 1 and w_shape[3] == 1 and padding[0] == 0 and padding[1] == 0


def _blocks(budget: int | None, n: int, ho: int, bytes_per_row: int, split_rows: bool = True,
            max_images: int | None = None) -> Iterator[tuple[slice, slice]]:
    """Yield ``(images, rows)`` slices tiling an ``(n, ., ho, .)`` output into cache blocks.

    ``bytes_per_row`` is the size of the im2col columns for one output row of one image.
    Whole images are grouped while they fit in ``budget`` bytes (:attr:`Passes.block_bytes`;
    None: the whole batch in one block); a larger image is cut into bands of output rows
    (unless ``split_rows`` is false).  ``max_images`` caps the number of images per block.
    """
    per_image = max(1, bytes_per_row * ho)
    if n == 0 or ho == 0:
        return
    if budget is None:
        yield slice(0, n), slice(0, ho)
    elif per_image <= budget or not split_rows:
        step = max(1, min(n, budget // per_image, max_images or n))
        for lo in range(0, n, step):
            yield slice(lo, min(n, lo + step)), slice(0, ho)
    else:
        band = max(1, budget // max(1, bytes_per_row))
        for i in range(n):
            for r0 in range(0, ho, band):
                yield slice(i, i + 1), slice(r0, min(ho, r0 + band))


def _im2col(p: Passes, xpad: Array, kernel: Pair, stride: Pair, dilation: Pair,
            out_hw: Pair, groups: int) -> Array:
    """Copy every receptive field of padded ``xpad`` into ``(G, C/G*kh*kw, N*Ho*Wo)``.

    Row ``(c, i, j)`` of group ``g`` holds tap ``(i, j)`` of channel ``c`` for every output
    pixel of every image, so ``W.reshape(G, O/G, -1) @ cols`` convolves the whole block.
    """
    n, c = xpad.shape[:2]
    win = _windows(p.xp, xpad, kernel, stride, dilation, out_hw)  # (N, C, kh, kw, Ho, Wo)
    cols = p.contiguous(win.transpose(1, 2, 3, 0, 4, 5))  # the one big copy
    return cols.reshape(groups, -1, n * out_hw[0] * out_hw[1])


def _to_channel_major(p: Passes, gy: Array, groups: int) -> Array:
    """Turn an NCHW ``(N, O, Ho, Wo)`` into ``(groups, O/groups, N*Ho*Wo)`` (rows contiguous)."""
    n, o = gy.shape[:2]
    if n == 1:  # one image (or a band of its rows) is channel-major already: a view
        return gy.reshape(groups, o // groups, -1)
    gy_t = p.contiguous(gy.reshape(n, o, -1).transpose(1, 0, 2))
    return gy_t.reshape(groups, o // groups, -1)


# ----------------------------------------------------------------------------------------
# Convolution
# ----------------------------------------------------------------------------------------


def conv2d(p: Passes, x: Array, w: Array, stride: Pair, padding: Pair, dilation: Pair,
           groups: int) -> Array:
    """2-D cross-correlation of NCHW ``x`` with ``(O, C/groups, kh, kw)`` ``w``; no bias."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    ho = conv_output_size(h, kh, stride[0], padding[0], dilation[0])
    wo = conv_output_size(wd, kw, stride[1], padding[1], dilation[1])
    w3 = w.reshape(groups, o // groups, cg * kh * kw)
    if _is_pointwise(w.shape, padding):
        # A 1x1 convolution is a plain matrix product per image, no im2col:
        # (G, O/G, C/G) @ (N, G, C/G, L) -> (N, G, O/G, L), which is already NCHW.
        if tuple(stride) != (1, 1):
            x = p.contiguous(x[:, :, :: stride[0], :: stride[1]])
        return _per_image_matmul(p, w3, x.reshape(n, groups, cg, ho * wo)).reshape(
            n, o, ho, wo)
    xpad = _pad(p, x, padding)
    y = p.xp.empty((n, o, ho, wo), dtype=x.dtype)
    blocks = list(_blocks(p.block_bytes, n, ho, c * kh * kw * wo * x.itemsize))

    def block(k: int) -> None:
        imgs, rows = blocks[k]
        nb, nr = imgs.stop - imgs.start, rows.stop - rows.start
        xb = xpad[imgs, :, rows.start * stride[0] :]  # the input rows this band reads
        cols = _im2col(p, xb, (kh, kw), stride, dilation, (nr, wo), groups)
        if nb == 1:  # the GEMM writes straight into the image's band of rows (a view)
            p.xp.matmul(w3, cols, out=y[imgs.start, :, rows].reshape(groups, o // groups,
                                                                    nr * wo))
            return
        yb = w3 @ cols  # (G, O/G, nb*nr*Wo): one GEMM per group for the whole block
        p.assign(y[imgs, :, rows], yb.reshape(o, nb, nr, wo).transpose(1, 0, 2, 3))

    p.blocks(len(blocks), block)
    return y


def _per_image_matmul(p: Passes, a: Array, b: Array) -> Array:
    """``a @ b`` for ``b`` of shape ``(N, ...)``: NumPy's matmul runs one GEMM per image,
    here spread over :meth:`Passes.blocks` in groups of :meth:`Passes.image_step` images."""
    n = b.shape[0]
    step = p.image_step(n)
    if step >= n:
        return a @ b
    out = p.xp.empty((n,) + a.shape[:-1] + b.shape[-1:], dtype=p.xp.result_type(a, b))
    p.blocks(-(-n // step), lambda k: p.xp.matmul(a, b[k * step : (k + 1) * step],
                                                 out=out[k * step : (k + 1) * step]))
    return out


def conv2d_grad_input(p: Passes, gy: Array, w: Array, x_shape: Shape, stride: Pair,
                      padding: Pair, dilation: Pair, groups: int) -> Array:
    """Gradient of :func:`conv2d` with respect to its input ``x``."""
    xp = p.xp
    n, c, h, wd = x_shape
    o, cg, kh, kw = w.shape
    ho, wo = gy.shape[2:]
    w3t = w.reshape(groups, o // groups, cg * kh * kw).transpose(0, 2, 1)  # (G, CgKK, O/G)
    if _is_pointwise(w.shape, padding):
        g = _per_image_matmul(p, w3t, gy.reshape(n, groups, o // groups, ho * wo)).reshape(
            n, c, ho, wo)
        if tuple(stride) == (1, 1):
            return g
        gx = xp.zeros(x_shape, dtype=gy.dtype)
        gx[:, :, :: stride[0], :: stride[1]] = g
        return gx
    full_pad = (dilation[0] * (kh - 1) - padding[0], dilation[1] * (kw - 1) - padding[1])
    if tuple(stride) == (1, 1) and min(full_pad) >= 0:
        # With stride 1 the input gradient is itself a convolution: a "full" convolution of
        # gy with the spatially flipped kernel whose in/out channels are swapped per group.
        # That reuses the im2col + GEMM forward path and avoids the slower col2im scatter.
        wt = w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 2, 1, 3, 4)
        wt = p.contiguous(wt[:, :, :, ::-1, ::-1]).reshape(c, o // groups, kh, kw)
        return conv2d(p, gy, wt, (1, 1), full_pad, dilation, groups)
    gx = xp.zeros(x_shape, dtype=gy.dtype)
    taps = list(_tap_slices((h, wd), (ho, wo), (kh, kw), stride, padding, dilation))
    blocks = [imgs for imgs, _ in _blocks(p.block_bytes, n, ho,
                                          c * kh * kw * wo * gy.itemsize, split_rows=False)]

    def block(k: int) -> None:
        imgs = blocks[k]
        # (G, CgKK, O/G) @ (G, O/G, nb*L): the gradient of every im2col entry.
        gcols = (w3t @ _to_channel_major(p, gy[imgs], groups)).reshape(
            c, kh, kw, imgs.stop - imgs.start, ho, wo)
        # col2im: add each tap's slice straight into the (unpadded) input gradient; the
        # channels are independent, so threads can take a share of them each.
        gxb = gx[imgs]

        def col2im(lo: int, hi: int) -> None:
            gxc = gxb[:, lo:hi]
            for i, j, x_idx, y_idx in taps:
                gxc[x_idx] += gcols[lo:hi, i, j].transpose(1, 0, 2, 3)[y_idx]

        p.split(c, gcols.size, col2im)

    p.blocks(len(blocks), block)
    return gx


def conv2d_grad_weight(p: Passes, gy: Array, x: Array, w_shape: Shape, stride: Pair,
                       padding: Pair, dilation: Pair, groups: int) -> Array:
    """Gradient of :func:`conv2d` with respect to its weight ``w``.

    ``gw[g] = gy[g] @ cols[g]^T``, cut into cache blocks one of two ways. By images: each
    block's share is summed, in block order. When the weight itself is larger than a block
    (deep layers: many channels, few pixels), summing a weight-sized share per block and
    transposing the sum (a strided copy as slow as the GEMM) would dominate; there the blocks
    are input channels instead, each GEMM has the whole batch as its inner dimension and
    writes its own columns of ``gw`` in place, with no sum and no transpose.
    """
    n, c = x.shape[:2]
    o, cg, kh, kw = w_shape
    ho, wo = gy.shape[2:]
    xp = p.xp
    if gy.size == 0:  # an empty batch (or output): no pixel contributes
        return xp.zeros(w_shape, dtype=xp.result_type(gy, x))
    xpad = _pad(p, x, padding)
    budget = p.block_bytes
    if budget is not None and o * cg * kh * kw * x.itemsize > budget:
        gw = xp.empty((groups, o // groups, cg * kh * kw), dtype=xp.result_type(gy, x))
        _grad_weight_by_channels(p, gy, xpad, gw, (kh, kw), stride, dilation, budget)
        return gw.reshape(w_shape)
    # For a 1x1 stride-1 convolution, the "im2col" of a single image is a free reshape, while
    # a block of several images costs a transposing copy: only group enough images to give
    # the GEMM a reasonably long inner dimension.
    pointwise = _is_pointwise(w_shape, padding) and tuple(stride) == (1, 1)
    max_images = -(-1024 // max(1, ho * wo)) if pointwise else None
    blocks = list(_blocks(budget, n, ho, c * kh * kw * wo * x.itemsize, True, max_images))
    parts: list[Array] = [None] * len(blocks)

    def block(k: int) -> None:
        imgs, rows = blocks[k]
        xb = xpad[imgs, :, rows.start * stride[0] :]
        cols = _im2col(p, xb, (kh, kw), stride, dilation, (rows.stop - rows.start, wo), groups)
        # gw[g] = sum over blocks of gy[g] @ cols[g]^T, computed as (cols[g] @ gy[g]^T)^T:
        # with few output channels, OpenBLAS is faster with the long side as the rows (and
        # the result is small, so transposing it at the end is cheap).
        parts[k] = cols @ _to_channel_major(p, gy[imgs, :, rows], groups).transpose(0, 2, 1)

    p.blocks(len(blocks), block)
    # The blocks' shares are added in block order, whichever thread computed them, so the
    # result does not depend on the thread count.
    gw_t = parts[0]
    for part in parts[1:]:
        gw_t += part
    return p.contiguous(gw_t.transpose(0, 2, 1)).reshape(w_shape)


def _grad_weight_by_channels(p: Passes, gy: Array, xpad: Array, gw: Array, kernel: Pair,
                             stride: Pair, dilation: Pair, budget: int) -> None:
    """Fill ``gw`` ``(G, O/G, C/G*kh*kw)`` block by block of input channels (see above).

    The blocks are equal shares of each group's channels, their number fixed by the sizes
    alone, so the thread count never changes what a block computes.
    """
    groups = gw.shape[0]
    n, c = xpad.shape[:2]
    cg, taps = c // groups, kernel[0] * kernel[1]
    ho, wo = gy.shape[2:]
    gyc = _to_channel_major(p, gy, groups)  # (G, O/G, N*Ho*Wo)
    per_channel = taps * n * ho * wo * xpad.itemsize  # im2col columns of one channel
    count = min(cg, -(-cg * per_channel // budget))
    bounds = [cg * k // count for k in range(count + 1)]
    blocks = [(g, bounds[k], bounds[k + 1]) for g in range(groups) for k in range(count)]

    def block(k: int) -> None:
        g, lo, hi = blocks[k]
        xb = xpad[:, g * cg + lo : g * cg + hi]
        cols = _im2col(p, xb, kernel, stride, dilation, (ho, wo), 1)[0]  # (cb*kh*kw, L)
        p.xp.matmul(gyc[g], cols.T, out=gw[g, :, lo * taps : hi * taps])

    p.blocks(len(blocks), block)


# ----------------------------------------------------------------------------------------
# Pooling
# ----------------------------------------------------------------------------------------


def _phases_shape(x_shape: Shape, stride: Pair, padding: Pair) -> Shape:
    """Shape ``(sh, sw, N, C, Hq, Wq)`` of :func:`_phases` for an input of ``x_shape``."""
    n, c, h, w = x_shape
    sh, sw = stride
    hq, wq = -(-(h + 2 * padding[0]) // sh), -(-(w + 2 * padding[1]) // sw)  # ceil division
    return (sh, sw, n, c, hq, wq)


def _phase_regions(x_hw: Pair, stride: Pair,
                   padding: Pair) -> Iterator[tuple[int, int, tuple, tuple]]:
    """Yield ``(p, q, x_index, phase_index)``: where phase ``(p, q)``'s pixels sit in both.

    Padded row ``R`` is input row ``R - ph`` and lives in phase ``R % sh`` at row ``R // sh``
    (the same for columns).
    """
    spans = []
    for size, s, pad in zip(x_hw, stride, padding):
        axis = []
        for p in range(s):
            first = (p - pad) % s  # first input row (or column) of phase p
            count = len(range(first, size, s))
            start = (first + pad) // s  # its index inside the phase
            axis.append((slice(first, size, s), slice(start, start + count)))
        spans.append(axis)
    all_ = slice(None)
    for p, (x_rows, ph_rows) in enumerate(spans[0]):
        for q, (x_cols, ph_cols) in enumerate(spans[1]):
            yield p, q, (all_, all_, x_rows, x_cols), (all_, all_, ph_rows, ph_cols)


def _phases(p: Passes, x: Array, stride: Pair, padding: Pair, fill: float) -> Array:
    """Pad ``x`` with ``fill`` and regroup it by stride phase: ``(sh, sw, N, C, Hq, Wq)``.

    ``phases[p, q, n, c, a, b] == padded[n, c, a*sh + p, b*sw + q]``, so every pooling tap
    becomes a slice with unit inner stride (see :func:`_phase_tap`).  Elementwise NumPy
    loops are several times faster on such slices than on ones that skip elements.
    """
    if tuple(stride) == (1, 1):
        return _pad(p, x, padding, fill)[None, None]
    phases = p.xp.full(_phases_shape(x.shape, stride, padding), fill, dtype=x.dtype)
    regions = list(_phase_regions(x.shape[2:], stride, padding))

    def copy(lo: int, hi: int) -> None:  # images lo:hi
        for r, q, x_idx, ph_idx in regions:
            phases[r, q, lo:hi][ph_idx] = x[lo:hi][x_idx]

    p.split(x.shape[0], x.size, copy)
    return phases


def _unphase(p: Passes, phases: Array, x_shape: Shape, padding: Pair) -> Array:
    """Inverse of :func:`_phases`: interleave the phases back and drop the padding."""
    x = p.xp.empty(x_shape, dtype=phases.dtype)
    regions = list(_phase_regions((x_shape[2], x_shape[3]),
                                  (phases.shape[0], phases.shape[1]), padding))

    def copy(lo: int, hi: int) -> None:  # images lo:hi
        for r, q, x_idx, ph_idx in regions:
            x[lo:hi][x_idx] = phases[r, q, lo:hi][ph_idx]

    p.split(x_shape[0], x.size, copy)
    return x


def _phase_tap(phases: Array, i: int, j: int, stride: Pair, out_hw: Pair) -> Array:
    """View ``(N, C, Ho, Wo)`` of kernel tap ``(i, j)``: ``padded[:, :, oh*sh + i, ow*sw + j]``."""
    sh, sw = stride
    a, b = i // sh, j // sw
    return phases[i % sh, j % sw, :, :, a : a + out_hw[0], b : b + out_hw[1]]


def max_pool2d(p: Passes, x: Array, kernel: Pair, stride: Pair,
               padding: Pair) -> tuple[Array, Array]:
    """Max pooling with -inf padding; returns ``(y, argmax)`` (argmax = tap index i*kw+j)."""
    xp = p.xp
    out_hw = conv_output_hw(x.shape[2:], kernel, stride, padding)
    phases = _phases(p, x, stride, padding, float("-inf"))
    taps = kernel[0] * kernel[1]
    y = xp.empty(x.shape[:2] + tuple(out_hw), dtype=x.dtype)
    # Tap numbers fit in uint8 for any window up to 16x16.
    argmax = xp.zeros(y.shape, dtype=xp.uint8 if taps <= 256 else xp.int32)

    def pool(lo: int, hi: int) -> None:  # images lo:hi
        yb, ab = y[lo:hi], argmax[lo:hi]
        yb[...] = _phase_tap(phases, 0, 0, stride, out_hw)[lo:hi]
        for t in range(1, taps):
            v = _phase_tap(phases, t // kernel[1], t % kernel[1], stride, out_hw)[lo:hi]
            better = v > yb  # strict, so the first maximum wins ties (like PyTorch)
            xp.maximum(yb, v, out=yb)
            # argmax < t everywhere, so max(argmax, t * better) == where(better, t, argmax)
            # but without the slow masked-assignment loop.
            xp.maximum(ab, better * ab.dtype.type(t), out=ab)

    p.split(y.shape[0], y.size * taps, pool)
    return y, argmax


def max_pool2d_grad(p: Passes, gy: Array, argmax: Array, x_shape: Shape, kernel: Pair,
                    stride: Pair, padding: Pair) -> Array:
    """Gradient of :func:`max_pool2d`: each ``gy`` goes back to the input its window picked."""
    out_hw = gy.shape[2:]
    gphases = p.xp.zeros(_phases_shape(x_shape, stride, padding), dtype=gy.dtype)
    taps = kernel[0] * kernel[1]

    def scatter(lo: int, hi: int) -> None:  # images lo:hi
        g, am = gy[lo:hi], argmax[lo:hi]
        for t in range(taps):
            tap = _phase_tap(gphases, t // kernel[1], t % kernel[1], stride, out_hw)[lo:hi]
            tap += g * (am == t)  # (a multiply by the mask is much faster than where())

    p.split(gy.shape[0], gy.size * taps, scatter)
    return _unphase(p, gphases, x_shape, padding)


def avg_pool2d(p: Passes, x: Array, kernel: Pair, stride: Pair, padding: Pair) -> Array:
    """Average pooling; zero padding counts in the average (``count_include_pad=True``)."""
    n, c = x.shape[:2]
    kh, kw = kernel
    ho, wo = conv_output_hw(x.shape[2:], kernel, stride, padding)
    if tuple(kernel) == tuple(stride) and tuple(padding) == (0, 0):
        # Non-overlapping tiles: a reshape, then the mean of each tile, computed as a sum over
        # the kh rows of a tile (unit-stride adds) followed by a sum over its kw columns.
        if wo == 1:  # each tile spans whole rows (e.g. global pooling): one mean per tile
            tiles = x[:, :, : ho * kh, :kw].reshape(n, c, ho, kh * kw)
            return tiles.mean(axis=-1, keepdims=True, dtype=x.dtype)
        tiles = x[:, :, : ho * kh, : wo * kw].reshape(n, c, ho, kh, wo, kw)
        rows = tiles.sum(axis=3)  # (N, C, Ho, Wo, kw)
        y = rows[..., 0].copy()
        for j in range(1, kw):
            y += rows[..., j]
    else:
        phases = _phases(p, x, stride, padding, 0.0)
        y = _phase_tap(phases, 0, 0, stride, (ho, wo)).copy()
        for t in range(1, kh * kw):
            y += _phase_tap(phases, t // kw, t % kw, stride, (ho, wo))
    y *= 1.0 / (kh * kw)
    return y


def avg_pool2d_grad(p: Passes, gy: Array, x_shape: Shape, kernel: Pair, stride: Pair,
                    padding: Pair) -> Array:
    """Gradient of :func:`avg_pool2d`: each input gets ``gy / (kh*kw)`` from every window."""
    xp = p.xp
    n, c, h, w = x_shape
    kh, kw = kernel
    ho, wo = gy.shape[2:]
    g = gy * (1.0 / (kh * kw))
    if tuple(kernel) == tuple(stride) and tuple(padding) == (0, 0):
        # Every input pixel lies in at most one tile: broadcast each g over its tile.
        tiles = xp.broadcast_to(g[:, :, :, None, :, None], (n, c, ho, kh, wo, kw))
        tiles = tiles.reshape(n, c, ho * kh, wo * kw)  # one copy
        if (ho * kh, wo * kw) == (h, w):
            return tiles
        gx = xp.zeros(x_shape, dtype=gy.dtype)
        gx[:, :, : ho * kh, : wo * kw] = tiles
        return gx
    gphases = xp.zeros(_phases_shape(x_shape, stride, padding), dtype=gy.dtype)
    for t in range(kh * kw):
        tap = _phase_tap(gphases, t // kw, t % kw, stride, (ho, wo))
        tap += g
    return _unphase(p, gphases, x_shape, padding)


# ----------------------------------------------------------------------------------------
# Batch normalisation
# ----------------------------------------------------------------------------------------


def _channel_sum(xp: Any, a3: Array) -> Array:
    """Per-channel sum of an ``(N, C, L)`` array over axes 0 and 2."""
    return xp.einsum("ncl->c", a3)


def _channel_dot(xp: Any, a3: Array, b3: Array) -> Array:
    """Per-channel ``sum(a * b)`` over axes 0 and 2 of two ``(N, C, L)`` arrays, no temporary.

    Long rows go through BLAS as one batch of dot products (row-by-row ``(1, L) @ (L, 1)``);
    for short rows the per-call overhead dominates and ``einsum`` is faster.
    """
    n, c, ell = a3.shape
    if ell < 128:
        return xp.einsum("ncl,ncl->c", a3, b3)
    return (a3.reshape(n, c, 1, ell) @ b3.reshape(n, c, ell, 1)).sum(axis=(0, 2, 3))


def _channel_blocks(p: Passes, c: int, bytes_per_channel: int) -> list[tuple[int, int]]:
    """``(lo, hi)`` channel ranges of about :attr:`Passes.block_bytes` / 4 each (one: all).

    The ranges depend only on the sizes, never on the thread count, so a per-channel kernel
    run block by block gives the same bits however many threads share the blocks.
    """
    if p.block_bytes is None or c == 0:
        return [(0, c)]
    # A quarter of the convolutions' budget: every pass after the first over a block then
    # reads it from L2 rather than L3 (measured ~25% faster on 256 channels at 56x56).
    step = max(1, min(c, (p.block_bytes // 4) // max(1, bytes_per_channel)))
    return [(lo, min(c, lo + step)) for lo in range(0, c, step)]


def batch_norm_train(p: Passes, x: Array, gamma: Array | None, beta: Array | None,
                     eps: float) -> tuple[Array, Array, Array]:
    """Batch norm with batch statistics over every axis but 1; returns ``(y, mean, invstd)``.

    Channels are independent: the work is cut into cache-sized channel blocks (each read
    while it is still in the cache) that :meth:`Passes.blocks` may share out over threads.
    """
    xp = p.xp
    n, c = x.shape[:2]
    x3 = p.contiguous(x).reshape(n, c, -1)
    count = x3.shape[0] * x3.shape[2]
    y = xp.empty_like(x3)
    mean = xp.empty(c, dtype=x.dtype)
    invstd = xp.empty(c, dtype=x.dtype)
    blocks = _channel_blocks(p, c, count * x3.itemsize)

    def block(k: int) -> None:
        lo, hi = blocks[k]
        xs, ys = x3[:, lo:hi], y[:, lo:hi]
        m = _channel_sum(xp, xs) / count
        xp.subtract(xs, m[:, None], out=ys)  # centred copy; becomes the output in place
        var = _channel_dot(xp, ys, ys) / count  # biased variance, from centred values
        inv = 1.0 / xp.sqrt(var + eps)
        ys *= (inv if gamma is None else gamma[lo:hi] * inv)[:, None]
        if beta is not None:
            ys += beta[lo:hi, None]
        mean[lo:hi] = m
        invstd[lo:hi] = inv

    p.blocks(len(blocks), block)
    return y.reshape(x.shape), mean, invstd


def batch_norm_eval(p: Passes, x: Array, scale: Array, shift: Array, relu: bool) -> Array:
    """``x * scale + shift`` per channel (axis 1), then ``max(., 0)`` when ``relu``.

    Written block by block into one new array: each cache-sized channel block is scaled,
    shifted (and clipped) in place while it is in the cache, instead of one pass (and one new
    array) per operation. The element-wise operations are exactly those of
    ``maximum(x * scale + shift, 0)``, so the result has the same bits.
    """
    xp = p.xp
    n, c = x.shape[:2]
    x3 = x.reshape(n, c, math.prod(x.shape[2:]))  # not -1: an empty batch has no size to infer
    y = xp.empty(x3.shape, dtype=xp.result_type(x, scale, shift))
    blocks = _channel_blocks(p, c, n * x3.shape[2] * x3.itemsize)

    def block(k: int) -> None:
        lo, hi = blocks[k]
        ys = y[:, lo:hi]
        xp.multiply(x3[:, lo:hi], scale[lo:hi, None], out=ys)
        xp.add(ys, shift[lo:hi, None], out=ys)
        if relu:
            xp.maximum(ys, 0, out=ys)

    p.blocks(len(blocks), block)
    return y.reshape(x.shape)


def batch_norm_grad(p: Passes, gy: Array, x: Array, gamma: Array | None, mean: Array,
                    invstd: Array) -> tuple[Array, Array | None, Array | None]:
    """Gradients ``(gx, ggamma, gbeta)`` of :func:`batch_norm_train` (None without gamma).

    With ``xhat = (x - mean) * invstd`` and ``M`` values per channel:
    ``gx = gamma * invstd * (gy - sum(gy)/M - xhat * sum(gy * xhat)/M)``, computed in
    cache-sized channel blocks like the forward pass.
    """
    xp = p.xp
    n, c = x.shape[:2]
    gy3 = p.contiguous(gy).reshape(n, c, -1)
    x3 = p.contiguous(x).reshape(n, c, -1)
    count = x3.shape[0] * x3.shape[2]
    gx = xp.empty(gy3.shape, dtype=xp.result_type(gy3, x3, mean, invstd))
    gbeta = xp.empty(c, dtype=gy3.dtype)
    ggamma = xp.empty(c, dtype=xp.result_type(gy3, x3, mean, invstd))
    blocks = _channel_blocks(p, c, count * (gy3.itemsize + 2 * x3.itemsize))

    def block(k: int) -> None:
        lo, hi = blocks[k]
        gys, inv = gy3[:, lo:hi], invstd[lo:hi]
        xc = x3[:, lo:hi] - mean[lo:hi, None]  # x - mean
        gb = _channel_sum(xp, gys)
        gg = _channel_dot(xp, gys, xc) * inv  # sum(gy * xhat)
        scale = inv if gamma is None else gamma[lo:hi] * inv
        # gx = scale*gy - scale*gbeta/M - (scale*invstd*ggamma/M) * xc, built in place in xc.
        xc *= (-scale * inv * gg / count)[:, None]
        xc -= (scale * gb / count)[:, None]
        gxs = gx[:, lo:hi]
        xp.multiply(gys, scale[:, None], out=gxs)
        gxs += xc
        gbeta[lo:hi] = gb
        ggamma[lo:hi] = gg

    p.blocks(len(blocks), block)
    gx = gx.reshape(x.shape)
    if gamma is None:
        return gx, None, None
    return gx, ggamma, gbeta


# ----------------------------------------------------------------------------------------
# Softmax
# ----------------------------------------------------------------------------------------


def softmax(p: Passes, x: Array, axis: int) -> Array:
    """Numerically stable softmax along ``axis`` (the max is subtracted first)."""
    e = x - x.max(axis=axis, keepdims=True)
    p.xp.exp(e, out=e)
    e /= e.sum(axis=axis, keepdims=True)
    return e


def log_softmax(p: Passes, x: Array, axis: int) -> Array:
    """Numerically stable log-softmax along ``axis`` (log-sum-exp with the max factored out)."""
    xp = p.xp
    z = x - x.max(axis=axis, keepdims=True)
    z -= xp.log(xp.exp(z).sum(axis=axis, keepdims=True))
    return z


__all__ = ["Passes", "avg_pool2d", "avg_pool2d_grad", "batch_norm_grad", "batch_norm_train",
           "conv2d", "conv2d_grad_input", "conv2d_grad_weight", "log_softmax", "max_pool2d",
           "max_pool2d_grad", "softmax"]
