"""Stateless neural-network operations (the differentiable forms behind ``lucid.nn``)."""

from __future__ import annotations

import math
from typing import Any

from .. import _dtype
from .._ops import (
    _mixed,
    _result,
    add,
    getitem,
    log_softmax,
    matmul,
    mean,
    mul,
    pad,
    permute,
    relu,
    softmax,
    sub,
)
from .._tensor import Tensor

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
    totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
    if all(t % 2 == 0 for t in totals):
        return x, (totals[0] // 2, totals[1] // 2)
    widths = ((0, 0), (0, 0), (totals[0] // 2, totals[0] - totals[0] // 2),
              (totals[1] // 2, totals[1] - totals[1] // 2))
    return pad(x, widths), (0, 0)


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation of NCHW ``x`` with an ``(O, C/groups, kh, kw)`` weight."""
    _check_4d(x, "conv2d")
    if weight.ndim != 4:
        raise ValueError(f"conv2d weight must be 4-D (O, C/groups, kh, kw), got {weight.shape}")
    if x.backend is not weight.backend:
        raise _mixed(x, weight, "conv2d")
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
    ho = (h + 2 * p[0] - d[0] * (kh - 1) - 1) // s[0] + 1
    wo = (w + 2 * p[1] - d[1] * (kw - 1) - 1) // s[1] + 1
    if ho <= 0 or wo <= 0:
        raise ValueError(f"conv2d: input {h}x{w} is too small for kernel {kh}x{kw} with "
                         f"padding {p}, dilation {d}, stride {s}")
    b = x.backend
    xd, wd = x.data, weight.data
    y = b.conv2d(xd, wd, s, p, d, groups)
    x_shape, w_shape = x.shape, weight.shape

    def backward(g):
        gx = b.conv2d_grad_input(g, wd, x_shape, s, p, d, groups) if x.requires_grad else None
        gw = b.conv2d_grad_weight(g, xd, w_shape, s, p, d, groups) \
            if weight.requires_grad else None
        return gx, gw

    out = _result(y, b, "Conv2d", (x, weight), backward)
    if bias is not None:
        out = add(out, bias.reshape(1, -1, 1, 1))
    return out


def max_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """2-D max pooling (stride defaults to the kernel size)."""
    _check_4d(x, "max_pool2d")
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None else _pair(stride, "stride")
    p = _pair(padding, "padding")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"max_pool2d: padding {p} must be at most half the kernel {k}")
    b = x.backend
    y, argmax = b.max_pool2d(x.data, k, s, p)
    shape = x.shape
    return _result(y, b, "MaxPool2d", (x,),
                   lambda g: (b.max_pool2d_grad(g, argmax, shape, k, s, p),))


def avg_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """2-D average pooling (zero padding counted, like PyTorch's default)."""
    _check_4d(x, "avg_pool2d")
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None else _pair(stride, "stride")
    p = _pair(padding, "padding")
    b = x.backend
    y = b.avg_pool2d(x.data, k, s, p)
    shape = x.shape
    return _result(y, b, "AvgPool2d", (x,), lambda g: (b.avg_pool2d_grad(g, shape, k, s, p),))


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
    from .._ops import concatenate

    rows = []
    for i in range(oh):
        h0, h1 = (i * h) // oh, math.ceil((i + 1) * h / oh)
        cols = [mean(getitem(x, (slice(None), slice(None), slice(h0, h1),
                                 slice((j * w) // ow, math.ceil((j + 1) * w / ow)))),
                     (2, 3), keepdims=True) for j in range(ow)]
        rows.append(concatenate(cols, 3))
    return concatenate(rows, 2)


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
    b = x.backend
    if training or running_mean is None or running_var is None:
        gd = weight.data if weight is not None else None
        bd = bias.data if bias is not None else None
        xd = x.data
        y, bmean, invstd = b.batch_norm_train(xd, gd, bd, eps)
        if training and running_mean is not None and running_var is not None:
            m = x.size // c
            var = b.subtract(b.divide(1.0, b.multiply(invstd, invstd)), eps)
            unbiased = b.multiply(var, m / max(m - 1, 1))
            running_mean.data = b.add(b.multiply(running_mean.data, 1 - momentum),
                                      b.multiply(bmean, momentum))
            running_var.data = b.add(b.multiply(running_var.data, 1 - momentum),
                                     b.multiply(unbiased, momentum))
        inputs = tuple(t for t in (x, weight, bias) if t is not None)

        def backward(g):
            gx, gg, gb = b.batch_norm_grad(g, xd, gd, bmean, invstd)
            grads = [gx]
            if weight is not None:
                grads.append(gg)
            if bias is not None:
                grads.append(gb)
            return tuple(grads)

        return _result(y, b, "BatchNorm", inputs, backward)
    # evaluation: a per-channel affine map with the running statistics
    shape = (1, c) + (1,) * (x.ndim - 2)
    inv = Tensor._wrap(b.divide(1.0, b.sqrt(b.add(running_var.data, eps))), b)
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
    return mul(x, Tensor._wrap(mask, b))


def nll_loss(log_probs: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of integer class targets given log-probabilities ``(N, C)``."""
    b = log_probs.backend
    n = log_probs.shape[0]
    tgt = target.data if isinstance(target, Tensor) else b.asarray(target)
    rows = b.arange(0, n, 1, _dtype.int64)
    picked = getitem(log_probs, (Tensor._wrap(rows, b), Tensor._wrap(tgt, b)))
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
        raise _mixed(logits, target, "cross_entropy")
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
