"""Pooling: max and average pooling over the backend's kernels, adaptive and global forms."""

from __future__ import annotations

import math
from typing import Any

from ..._dtype import int64
from ..._tensor import Tensor
from ...autograd import Function
from ...autograd.engine import Node
from ...backends.geometry import GeometryError, int_pair, pool_output_hw
from ...ops import broadcast_to, concatenate, getitem, mean, mul, pad, squeeze, stack, unsqueeze
from ._args import Pair, check_4d


class MaxPool(Function):
    """2-D max pooling through the backend's kernels (the argmax is kept for backward)."""

    @staticmethod
    def forward(ctx: Node, x: Any, kernel: Pair, stride: Pair, padding: Pair) -> Any:
        b = ctx.backend
        y, argmax = b.max_pool2d(x, kernel, stride, padding)
        ctx.save_for_backward(argmax)
        ctx.params = (tuple(b.shape(x)), kernel, stride, padding)
        return y

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None, None, None]:
        (argmax,) = ctx.saved_tensors
        return ctx.backend.max_pool2d_grad(g, argmax, *ctx.params), None, None, None


class AvgPool(Function):
    """2-D average pooling through the backend's kernels."""

    @staticmethod
    def forward(ctx: Node, x: Any, kernel: Pair, stride: Pair, padding: Pair) -> Any:
        b = ctx.backend
        ctx.params = (tuple(b.shape(x)), kernel, stride, padding)
        return b.avg_pool2d(x, kernel, stride, padding)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None, None, None]:
        return ctx.backend.avg_pool2d_grad(g, *ctx.params), None, None, None


def _pool_geometry(op: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any,
                   dilation: Any, ceil_mode: bool
                   ) -> tuple[Tensor, bool, Pair, Pair, Pair, Pair, Pair, Pair]:
    """Checked ``(4-D input, unbatched?, kernel, stride, padding, dilation, output size, extra
    end padding)``: argument types first, then the input's rank, then values (PyTorch's order).

    The output size is PyTorch's (:func:`lucid.backends.geometry.pool_output_hw`); the extra
    end padding is what the window grid reaches past the padded input, so the kernels can run
    on an input padded that much more.
    """
    k = int_pair(kernel_size, "kernel_size", op)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) \
        else int_pair(stride, "stride", op)
    p = int_pair(padding, "padding", op)
    d = int_pair(dilation, "dilation", op)
    x, unbatched = _batched(x, op)
    if x.shape[1] == 0:
        raise GeometryError(f"{op}: the input has no channels (shape {x.shape}); only the "
                            f"batch axis may be empty")
    out = pool_output_hw(op, x.shape[2:], k, s, p, d, bool(ceil_mode))
    extra = tuple(max((out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 - (x.shape[2 + i] + 2 * p[i]),
                      0) for i in range(2))
    return x, unbatched, k, s, p, d, out, extra  # type: ignore[return-value]


def _batched(x: Any, op: str) -> tuple[Tensor, bool]:
    """``x`` as a 4-D batch, and whether it was an unbatched ``(C, H, W)`` input."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a lucid Tensor, got {type(x).__name__}")
    if x.ndim == 3:
        return unsqueeze(x, 0), True
    if x.ndim != 4:
        raise GeometryError(f"{op} expects a 3-D (unbatched C, H, W) or 4-D (batched N, C, H, "
                            f"W) input, got shape {x.shape}")
    return x, False


def _unbatch(result: Any, unbatched: bool) -> Any:
    """Drop the batch axis :func:`_batched` added (from each output of a tuple too)."""
    if not unbatched:
        return result
    if isinstance(result, tuple):
        return tuple(squeeze(r, 0) for r in result)
    return squeeze(result, 0)


def _flat_indices(b: Any, taps: Any, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
                  width: int) -> Any:
    """Turn per-output window taps ``i * kw + j`` into PyTorch's flat ``row * W + col``."""
    taps = b.astype(taps, int64)
    ho, wo = b.shape(taps)[2:]
    i = b.astype(b.divide(b.subtract(taps, _mod(b, taps, kernel[1])), kernel[1]), int64)
    j = _mod(b, taps, kernel[1])
    rows = b.reshape(b.arange(0, ho, 1, int64), (ho, 1))
    cols = b.reshape(b.arange(0, wo, 1, int64), (1, wo))
    r = b.add(b.subtract(b.multiply(rows, stride[0]), padding[0]), b.multiply(i, dilation[0]))
    c = b.add(b.subtract(b.multiply(cols, stride[1]), padding[1]), b.multiply(j, dilation[1]))
    return b.add(b.multiply(r, width), c)


def _mod(b: Any, a: Any, m: int) -> Any:
    """``a % m`` for non-negative integer arrays, from the contract's arithmetic."""
    q = b.astype(b.divide(a, m), int64)  # true division then truncation: floor for a >= 0
    return b.astype(b.subtract(a, b.multiply(q, m)), int64)


class FirstMax(Function):
    """Maximum along one axis whose gradient goes to the first maximum, as PyTorch's pooling
    (a plain ``max`` shares it among ties, and ties are common after a ReLU)."""

    @staticmethod
    def forward(ctx: Node, x: Any, axis: int) -> Any:
        b = ctx.backend
        shape = tuple(b.shape(x))
        first = b.argmax(x, axis, True)
        taps = b.reshape(b.arange(0, shape[axis], 1, int64),
                         tuple(n if i == axis else 1 for i, n in enumerate(shape)))
        mask = b.equal(taps, first)
        ctx.save_for_backward(mask)
        ctx.axis = axis
        return b.sum(b.where(mask, x, 0.0), (axis,), False)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None]:
        b = ctx.backend
        (mask,) = ctx.saved_tensors
        shape = list(b.shape(g))
        shape.insert(ctx.axis, 1)
        return b.where(mask, b.reshape(g, tuple(shape)), 0.0), None


def _windows(x: Tensor, k: Pair, s: Pair, d: Pair, out: Pair) -> Tensor:
    """Every window tap as a new axis 2: ``(N, C, kh * kw, Ho, Wo)`` (input already padded)."""
    taps = []
    for i in range(k[0]):
        for j in range(k[1]):
            taps.append(getitem(x, (slice(None), slice(None),
                                    slice(i * d[0], i * d[0] + s[0] * (out[0] - 1) + 1, s[0]),
                                    slice(j * d[1], j * d[1] + s[1] * (out[1] - 1) + 1, s[1]))))
    return stack(taps, 2)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False
               ) -> Any:
    """2-D max pooling (stride defaults to the kernel size), with PyTorch's options.

    ``return_indices=True`` also returns, per output, the flat index ``row * W + col`` of the
    maximum in its input plane (int64), as PyTorch does.
    """
    input, unbatched, k, s, p, d, out, extra = _pool_geometry(
        "max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode)
    return _unbatch(_max_pool2d(input, k, s, p, d, out, extra, return_indices), unbatched)


def _max_pool2d(input: Tensor, k: Pair, s: Pair, p: Pair, d: Pair, out: Pair, extra: Pair,
                return_indices: bool) -> Any:
    """max_pool2d of a 4-D input with checked arguments."""
    x = input
    if d == (1, 1):
        if extra != (0, 0):
            x = pad(x, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])), -math.inf)
        y = MaxPool.apply(x, k, s, p)
        if not return_indices:
            return y
        taps = x.backend.max_pool2d(x.data, k, s, p)[1]
    else:
        x = pad(x, ((0, 0), (0, 0), (p[0], p[0] + extra[0]), (p[1], p[1] + extra[1])),
                -math.inf)
        windows = _windows(x, k, s, d, out)
        y = FirstMax.apply(windows, 2)
        if not return_indices:
            return y
        taps = x.backend.argmax(windows.data, 2, False)
    b = input.backend
    return y, Tensor._wrap(_flat_indices(b, taps, k, s, p, d, input.shape[3]), b)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """2-D average pooling with PyTorch's options (zero padding counted by default)."""
    if divisor_override is not None and (isinstance(divisor_override, bool)
                                         or not isinstance(divisor_override, int)):
        raise TypeError(f"avg_pool2d: divisor_override must be an int or None, got "
                        f"{divisor_override!r}")
    input, unbatched, k, s, p, _, out, extra = _pool_geometry(
        "avg_pool2d", input, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None:
        if divisor_override == 0:
            raise GeometryError("avg_pool2d: divisor_override must be non-zero, got 0")
    return _unbatch(_avg_pool2d(input, k, s, p, out, extra, count_include_pad,
                                divisor_override), unbatched)


def _avg_pool2d(input: Tensor, k: Pair, s: Pair, p: Pair, out: Pair, extra: Pair,
                count_include_pad: bool, divisor_override: int | None) -> Tensor:
    """avg_pool2d of a 4-D input with checked arguments."""
    x = input
    if extra != (0, 0):
        x = pad(x, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))
    y = AvgPool.apply(x, k, s, p)
    if extra == (0, 0) and count_include_pad and divisor_override is None:
        return y
    h, w = input.shape[2:]
    divisors = []
    for axis, size in ((0, h), (1, w)):
        row = []
        for o in range(out[axis]):
            start = o * s[axis] - p[axis]
            end = min(start + k[axis], size + p[axis])
            if count_include_pad:
                row.append(end - start)
            else:
                row.append(min(end, size) - max(start, 0))
        divisors.append(row)
    kk = k[0] * k[1]
    if divisor_override is not None:
        scale = [[kk / divisor_override] * out[1] for _ in range(out[0])]
    else:
        scale = [[kk / (a * c) for c in divisors[1]] for a in divisors[0]]
    b = input.backend
    return mul(y, Tensor._wrap(b.asarray(scale, input.dtype), b))


def global_avg_pool2d(x: Tensor) -> Tensor:
    """Average over the spatial axes, keeping them as size 1: ``(N, C, 1, 1)``."""
    check_4d(x, "global_avg_pool2d")
    return mean(x, (2, 3), keepdims=True)


def adaptive_avg_pool2d(x: Tensor, output_size: Any) -> Tensor:
    """Average-pool to a fixed spatial size (PyTorch's bin boundaries); 0 gives an empty axis."""
    sizes = _adaptive_sizes(output_size, "adaptive_avg_pool2d")
    x, unbatched = _batched(x, "adaptive_avg_pool2d")
    oh, ow = adaptive_size(sizes, x, "adaptive_avg_pool2d")
    return _unbatch(_adaptive_avg_pool2d(x, oh, ow), unbatched)


def _adaptive_avg_pool2d(x: Tensor, oh: int, ow: int) -> Tensor:
    h, w = x.shape[2:]
    if oh == 0 or ow == 0 or x.shape[1] == 0:  # (PyTorch allows no channels here)
        return _empty_output(x, oh, ow)
    if (oh, ow) == (1, 1):
        return global_avg_pool2d(x)
    if h % oh == 0 and w % ow == 0:
        k = (h // oh, w // ow)
        return avg_pool2d(x, k, k)
    rows = []
    for i in range(oh):
        h0, h1 = (i * h) // oh, math.ceil((i + 1) * h / oh)
        cols = [mean(getitem(x, (slice(None), slice(None), slice(h0, h1),
                                 slice((j * w) // ow, math.ceil((j + 1) * w / ow)))),
                     (2, 3), keepdims=True) for j in range(ow)]
        rows.append(concatenate(cols, 3))
    return concatenate(rows, 2)


def _empty_output(x: Tensor, oh: int, ow: int) -> Tensor:
    """An ``(N, C, oh, ow)`` result with no elements that still belongs to ``x``'s graph."""
    corner = getitem(x, (slice(None), slice(None), slice(0, min(oh, 1)), slice(0, min(ow, 1))))
    return broadcast_to(corner, (x.shape[0], x.shape[1], oh, ow))


def _adaptive_sizes(output_size: Any, op: str) -> tuple[int | None, int | None]:
    """``output_size`` parsed: an int, None, or one or two entries each an int or None."""
    if output_size is None:
        sizes: tuple[Any, ...] = (None, None)
    elif isinstance(output_size, (list, tuple)):
        sizes = tuple(output_size)
        if len(sizes) == 1:
            sizes *= 2
    else:
        sizes = (output_size, output_size)
    if not all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in sizes):
        raise TypeError(f"{op}: output_size must be an int, None or a pair of ints or None, "
                        f"got {output_size!r}")
    if len(sizes) != 2:
        raise GeometryError(f"{op}: output_size must be an int or a pair, got {output_size!r} "
                            f"({len(sizes)} entries)")
    if any(v is not None and v < 0 for v in sizes):
        raise GeometryError(f"{op}: output_size must be non-negative, got {output_size!r}")
    return sizes  # type: ignore[return-value]


def adaptive_size(output_size: Any, x: Tensor, op: str) -> Pair:
    """``output_size`` as ``(h, w)``; a None entry (or None) keeps the input's size there.

    Sizes may be 0 (an empty output, as in PyTorch); the input's H and W may not.
    """
    sizes = _adaptive_sizes(output_size, op)
    if 0 in x.shape[2:]:
        raise GeometryError(f"{op}: the input's spatial axes must be non-empty, got shape "
                            f"{x.shape}")
    return (x.shape[2] if sizes[0] is None else sizes[0],
            x.shape[3] if sizes[1] is None else sizes[1])


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max-pool to a fixed spatial size over PyTorch's bins; optionally with flat indices."""
    sizes = _adaptive_sizes(output_size, "adaptive_max_pool2d")
    input, unbatched = _batched(input, "adaptive_max_pool2d")
    if input.shape[1] == 0:  # (PyTorch refuses it here, though not in average pooling)
        raise GeometryError(f"adaptive_max_pool2d: the input has no channels (shape "
                            f"{input.shape}); only the batch axis may be empty")
    oh, ow = adaptive_size(sizes, input, "adaptive_max_pool2d")
    return _unbatch(_adaptive_max_pool2d(input, oh, ow, return_indices), unbatched)


def _adaptive_max_pool2d(input: Tensor, oh: int, ow: int, return_indices: bool) -> Any:
    h, w = input.shape[2:]
    if oh == 0 or ow == 0:
        y = _empty_output(input, oh, ow)
        if not return_indices:
            return y
        b = input.backend
        return y, Tensor._wrap(b.zeros((input.shape[0], input.shape[1], oh, ow), int64), b)
    if h % oh == 0 and w % ow == 0:
        k = (h // oh, w // ow)
        return max_pool2d(input, k, k, return_indices=return_indices)
    b = input.backend
    n, c = input.shape[:2]
    rows, index_rows = [], []
    for i in range(oh):
        h0, h1 = (i * h) // oh, math.ceil((i + 1) * h / oh)
        cols, index_cols = [], []
        for j in range(ow):
            w0, w1 = (j * w) // ow, math.ceil((j + 1) * w / ow)
            window = getitem(input, (slice(None), slice(None), slice(h0, h1), slice(w0, w1)))
            flat = window.reshape(n, c, (h1 - h0) * (w1 - w0))
            cols.append(FirstMax.apply(flat, 2).reshape(n, c, 1, 1))
            if return_indices:
                local = b.argmax(b.reshape(window.data, (n, c, (h1 - h0) * (w1 - w0))), 2,
                                 True)
                r = b.astype(b.divide(b.subtract(local, _mod(b, local, w1 - w0)), w1 - w0),
                             int64)
                flat = b.add(b.multiply(b.add(r, h0), w),
                             b.add(_mod(b, local, w1 - w0), w0))
                index_cols.append(b.reshape(flat, (n, c, 1, 1)))
        rows.append(concatenate(cols, 3))
        if return_indices:
            index_rows.append(b.concatenate(index_cols, 3))
    y = concatenate(rows, 2)
    if not return_indices:
        return y
    return y, Tensor._wrap(b.concatenate(index_rows, 2), b)
