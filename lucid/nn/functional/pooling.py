"""Pooling: max and average pooling over the backend's kernels, adaptive and global forms."""

from __future__ import annotations

import math
from typing import Any

from ..._tensor import Tensor
from ...autograd import Function
from ...autograd.engine import Node
from ...ops import concatenate, getitem, mean
from ._args import Pair, check_4d, pair


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


def max_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """2-D max pooling (stride defaults to the kernel size)."""
    check_4d(x, "max_pool2d")
    k = pair(kernel_size, "kernel_size")
    s = k if stride is None else pair(stride, "stride")
    p = pair(padding, "padding")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"max_pool2d: padding {p} must be at most half the kernel {k}")
    return MaxPool.apply(x, k, s, p)


def avg_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """2-D average pooling (zero padding counted, like PyTorch's default)."""
    check_4d(x, "avg_pool2d")
    k = pair(kernel_size, "kernel_size")
    s = k if stride is None else pair(stride, "stride")
    p = pair(padding, "padding")
    return AvgPool.apply(x, k, s, p)


def global_avg_pool2d(x: Tensor) -> Tensor:
    """Average over the spatial axes, keeping them as size 1: ``(N, C, 1, 1)``."""
    check_4d(x, "global_avg_pool2d")
    return mean(x, (2, 3), keepdims=True)


def adaptive_avg_pool2d(x: Tensor, output_size: Any) -> Tensor:
    """Average-pool to a fixed spatial size (PyTorch's bin boundaries)."""
    check_4d(x, "adaptive_avg_pool2d")
    oh, ow = pair(output_size, "output_size") if output_size is not None else x.shape[2:]
    h, w = x.shape[2:]
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
