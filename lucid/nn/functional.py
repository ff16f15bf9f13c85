"""Stateless neural-network operations (the differentiable forms behind ``lucid.nn``).

Built only from public pieces: the op table (:mod:`lucid.ops`), the backend's NN kernels and
:class:`lucid.autograd.Function` for the ops with a kernel of their own (convolution,
pooling, batch norm) -- the same way a user writes a custom differentiable op.
"""

from __future__ import annotations

import math
from typing import Any

from .. import _dtype
from .._tensor import Tensor
from ..autograd import Function
from ..autograd.engine import Node
from ..backends import MixedBackendError
from ..backends.geometry import conv_output_hw, same_padding
from ..ops import (
    add,
    concatenate,
    div,
    getitem,
    log_softmax,
    matmul,
    mean,
    mul,
    pad,
    permute,
    relu,
    softmax,
    sqrt,
    sub,
)

__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "conv2d", "cross_entropy", "dropout",
    "linear", "log_softmax", "max_pool2d", "mse_loss", "nll_loss", "relu", "softmax",
    "global_avg_pool2d",
]

Pair = tuple[int, int]


def _pair(v: Any, name: str) -> Pair:
    if isinstance(v, int):
        out = (v, v)
    else:
        out = tuple(v)
        if len(out) != 2 or not all(isinstance(i, int) for i in out):
            raise TypeError(f"{name} must be an int or a pair of ints, got {v!r}")
    return out  # type: ignore[return-value]


def _check_dtypes(op: str, x: Tensor, weight: Tensor) -> None:
    """Input and weight must share one floating dtype (no silent promotion)."""
    if x.dtype != weight.dtype:
        raise TypeError(
            f"{op}: input dtype {x.dtype.name} does not match weight dtype "
            f"{weight.dtype.name}; convert the input (x.astype({weight.dtype.name!r})) or the "
            f"module (.to({x.dtype.name!r}))"
        )


def _check_4d(x: Tensor, op: str) -> None:
    if x.ndim != 4:
        raise ValueError(f"{op} expects a 4-D (N, C, H, W) input, got shape {x.shape}")


def _same_padding(x: Tensor, kernel: Pair, stride: Pair, dilation: Pair) -> tuple[Tensor, Pair]:
    """Pad so the output has the input's spatial size (stride 1), like PyTorch's 'same'."""
    if stride != (1, 1):
        raise ValueError("padding='same' supports only stride 1")
    rows, cols = same_padding(kernel[0], dilation[0]), same_padding(kernel[1], dilation[1])
    if rows[0] == rows[1] and cols[0] == cols[1]:
        return x, (rows[0], cols[0])
    return pad(x, ((0, 0), (0, 0), rows, cols)), (0, 0)


class Convolution(Function):
    """2-D cross-correlation through the backend's conv2d kernels (no bias)."""

    @staticmethod
    def forward(ctx: Node, x: Any, w: Any, stride: Pair, padding: Pair, dilation: Pair,
                groups: int) -> Any:
        b = ctx.backend
        ctx.save_for_backward(x, w)
        ctx.params = (stride, padding, dilation, groups)
        return b.conv2d(x, w, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, ...]:
        b = ctx.backend
        x, w = ctx.saved_tensors
        s, p, d, groups = ctx.params
        need_x, need_w = ctx.needs_input_grad[:2]
        gx = b.conv2d_grad_input(g, w, b.shape(x), s, p, d, groups) if need_x else None
        gw = b.conv2d_grad_weight(g, x, b.shape(w), s, p, d, groups) if need_w else None
        return gx, gw, None, None, None, None


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation of NCHW ``x`` with an ``(O, C/groups, kh, kw)`` weight."""
    _check_4d(x, "conv2d")
    if weight.ndim != 4:
        raise ValueError(f"conv2d weight must be 4-D (O, C/groups, kh, kw), got {weight.shape}")
    if x.backend is not weight.backend:
        raise MixedBackendError(
            f"conv2d: the input is on backend {x.backend.name!r} and the weight on "
            f"{weight.backend.name!r}; move one with .to({x.backend.name!r}) first")
    _check_dtypes("conv2d", x, weight)
    s, d = _pair(stride, "stride"), _pair(dilation, "dilation")
    kh, kw = weight.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            p = (0, 0)
        elif padding == "same":
            x, p = _same_padding(x, (kh, kw), s, d)
        else:
            raise ValueError(f"padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
    else:
        p = _pair(padding, "padding")
    n, c, h, w = x.shape
    o, cg = weight.shape[:2]
    if groups < 1 or c % groups or o % groups:
        raise ValueError(f"conv2d: groups={groups} must divide in_channels={c} and "
                         f"out_channels={o}")
    if cg * groups != c:
        raise ValueError(f"conv2d: input has {c} channels but the weight expects "
                         f"{cg * groups} (= {cg} per group x groups={groups})")
    ho, wo = conv_output_hw((h, w), (kh, kw), s, p, d)
    if ho <= 0 or wo <= 0:
        raise ValueError(f"conv2d: input {h}x{w} is too small for kernel {kh}x{kw} with "
                         f"padding {p}, dilation {d}, stride {s}")
    out = Convolution.apply(x, weight, s, p, d, groups)
    if bias is not None:
        out = add(out, bias.reshape(1, -1, 1, 1))
    return out


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
    _check_4d(x, "max_pool2d")
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None else _pair(stride, "stride")
    p = _pair(padding, "padding")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"max_pool2d: padding {p} must be at most half the kernel {k}")
    return MaxPool.apply(x, k, s, p)


def avg_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """2-D average pooling (zero padding counted, like PyTorch's default)."""
    _check_4d(x, "avg_pool2d")
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None else _pair(stride, "stride")
    p = _pair(padding, "padding")
    return AvgPool.apply(x, k, s, p)


def global_avg_pool2d(x: Tensor) -> Tensor:
    """Average over the spatial axes, keeping them as size 1: ``(N, C, 1, 1)``."""
    _check_4d(x, "global_avg_pool2d")
    return mean(x, (2, 3), keepdims=True)


def adaptive_avg_pool2d(x: Tensor, output_size: Any) -> Tensor:
    """Average-pool to a fixed spatial size (PyTorch's bin boundaries)."""
    _check_4d(x, "adaptive_avg_pool2d")
    oh, ow = _pair(output_size, "output_size") if output_size is not None else x.shape[2:]
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


class _RunningStats:
    """Batch norm's running-statistics buffers, updated by :class:`BatchNorm`'s forward."""

    def __init__(self, mean: Tensor, var: Tensor, momentum: float) -> None:
        self.mean, self.var, self.momentum = mean, var, momentum

    def update(self, b: Any, batch_mean: Any, invstd: Any, eps: float, count: int) -> None:
        """Blend in this batch's mean and unbiased variance (recovered from ``invstd``)."""
        m = self.momentum
        var = b.subtract(b.divide(1.0, b.multiply(invstd, invstd)), eps)
        unbiased = b.multiply(var, count / max(count - 1, 1))
        self.mean.data = b.add(b.multiply(self.mean.data, 1 - m), b.multiply(batch_mean, m))
        self.var.data = b.add(b.multiply(self.var.data, 1 - m), b.multiply(unbiased, m))


class BatchNorm(Function):
    """Batch normalisation with batch statistics through the backend's kernels."""

    @staticmethod
    def forward(ctx: Node, x: Any, gamma: Any, beta: Any, eps: float,
                running: _RunningStats | None) -> Any:
        b = ctx.backend
        y, mean, invstd = b.batch_norm_train(x, gamma, beta, eps)
        if running is not None:
            shape = b.shape(x)
            running.update(b, mean, invstd, eps, math.prod(shape) // shape[1])
        ctx.save_for_backward(x, gamma, mean, invstd)
        return y

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, ...]:
        x, gamma, mean, invstd = ctx.saved_tensors
        gx, ggamma, gbeta = ctx.backend.batch_norm_grad(g, x, gamma, mean, invstd)
        return gx, ggamma, gbeta, None, None


def batch_norm(x: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation over every axis but 1; updates the running statistics in training."""
    if x.ndim < 2:
        raise ValueError(f"batch_norm expects at least 2-D input (N, C, ...), got {x.shape}")
    c = x.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t.shape != (c,):
            raise ValueError(f"batch_norm: {name} has shape {t.shape}, expected ({c},) for an "
                             f"input with {c} channels")
    if training or running_mean is None or running_var is None:
        running = None
        if training and running_mean is not None and running_var is not None:
            running = _RunningStats(running_mean, running_var, momentum)
        return BatchNorm.apply(x, weight, bias, eps, running)
    # evaluation: a per-channel affine map with the running statistics
    shape = (1, c) + (1,) * (x.ndim - 2)
    inv = div(1.0, sqrt(add(running_var.detach(), eps)))
    scale = inv if weight is None else mul(weight, inv)
    shift = mul(running_mean.detach(), scale)
    if bias is not None:
        shift = sub(bias, shift)
    else:
        shift = mul(shift, -1)
    return add(mul(x, scale.reshape(shape)), shift.reshape(shape))


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ weight.T + bias`` with ``weight`` of shape ``(out_features, in_features)``."""
    if weight.ndim != 2 or x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} does not fit weight of shape "
                         f"{weight.shape}; expected a 2-D weight (out_features, in_features) "
                         f"and an input whose last axis has in_features entries")
    _check_dtypes("linear", x, weight)
    y = matmul(x, permute(weight, (1, 0)))
    return y if bias is None else add(y, bias)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero elements with probability ``p`` and rescale the rest by ``1/(1-p)`` (training only)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    b = x.backend
    if p == 1.0:
        return mul(x, 0.0)
    keep = b.less(b.random_uniform(x.shape, 0.0, 1.0, x.dtype), 1.0 - p)
    mask = b.multiply(b.astype(keep, x.dtype), 1.0 / (1.0 - p))
    return mul(x, mask)


def nll_loss(log_probs: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of integer class targets given log-probabilities ``(N, C)``."""
    b = log_probs.backend
    n = log_probs.shape[0]
    tgt = target.data if isinstance(target, Tensor) else b.asarray(target)
    rows = b.arange(0, n, 1, _dtype.int64)
    picked = getitem(log_probs, (rows, tgt))
    return _reduce(mul(picked, -1.0), reduction)


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return mean(loss)
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def cross_entropy(logits: Tensor, target: Any, label_smoothing: float = 0.0,
                  reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of ``(N, C)`` logits against int64 class indices ``(N,)``.

    With ``label_smoothing`` ε the target distribution is ``(1-ε)·onehot + ε/C``.
    """
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy expects (N, C) logits, got shape {logits.shape}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    if not isinstance(target, Tensor):
        target = Tensor(target, dtype=_dtype.int64, backend=logits.backend)
    if target.backend is not logits.backend:
        raise MixedBackendError(
            f"cross_entropy: the logits are on backend {logits.backend.name!r} and the target "
            f"on {target.backend.name!r}; move one with .to({logits.backend.name!r}) first")
    if target.dtype.is_floating or target.shape != logits.shape[:1]:
        raise ValueError(f"cross_entropy target must be int class indices of shape "
                         f"{logits.shape[:1]}, got {target.dtype} {target.shape}")
    logp = log_softmax(logits, 1)
    loss = nll_loss(logp, target, "none")
    if label_smoothing > 0.0:
        smooth = mul(mean(logp, 1), -1.0)
        loss = add(mul(loss, 1.0 - label_smoothing), mul(smooth, label_smoothing))
    return _reduce(loss, reduction)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error."""
    diff = sub(input, target)
    return _reduce(mul(diff, diff), reduction)
