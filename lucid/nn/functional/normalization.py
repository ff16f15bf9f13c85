"""Batch normalisation over the backend's fused kernels, with running statistics; layer, group
and instance normalisation."""

from __future__ import annotations

import math
from typing import Any

from ..._tensor import Tensor
from ...autograd import Function
from ...autograd.engine import Node
from ...ops import add, div, mean, mul, sqrt, sub
from ._args import check_float_input


class _RunningStats:
    """Batch norm's running-statistics buffers, updated by :class:`BatchNorm`'s forward."""

    def __init__(self, mean: Tensor, var: Tensor, momentum: float) -> None:
        self.mean, self.var, self.momentum = mean, var, momentum

    def update(self, b: Any, batch_mean: Any, invstd: Any, eps: float, count: int) -> None:
        """Blend in this batch's mean and unbiased variance (recovered from ``invstd``)."""
        m = self.momentum
        var = b.subtract(b.divide(1.0, b.multiply(invstd, invstd)), eps)
        unbiased = b.multiply(var, count / max(count - 1, 1))
        self.mean.data = b.add(b.multiply(self.mean._data, 1 - m), b.multiply(batch_mean, m))
        self.var.data = b.add(b.multiply(self.var._data, 1 - m), b.multiply(unbiased, m))


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


class BatchNormEval(Function):
    """Batch norm with the running statistics, optionally followed by ReLU:
    ``y = x * scale + shift`` per channel, ``scale = weight / sqrt(running_var + eps)``,
    ``shift = bias - running_mean * scale``.

    One recorded op and one backend kernel (:meth:`Backend.batch_norm_eval`) instead of ten
    Tensor ops and three full passes: the scale and shift are computed on ``(C,)`` arrays.
    The running statistics get no gradient (they are buffers, as in PyTorch).
    """

    @staticmethod
    def forward(ctx: Node, x: Any, weight: Any, bias: Any, running_mean: Any,
                running_var: Any, eps: float, relu: bool) -> Any:
        b = ctx.backend
        inv = b.divide(1.0, b.sqrt(b.add(running_var, eps)))
        scale = inv if weight is None else b.multiply(weight, inv)
        shift = b.multiply(running_mean, scale)
        shift = b.negative(shift) if bias is None else b.subtract(bias, shift)
        y = b.batch_norm_eval(x, scale, shift, relu)
        if any(ctx.needs_input_grad[:3]):
            ctx.save_for_backward(x, running_mean, inv, scale, y if relu else None)
        return y

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, ...]:
        x, running_mean, inv, scale, y = ctx.saved_tensors
        b = ctx.backend
        needs = ctx.needs_input_grad
        if y is not None:  # through the ReLU first (zero gradient where it clipped)
            g = b.where(b.greater(y, 0), g, 0)
        ndim = len(b.shape(g))
        axes = (0,) + tuple(range(2, ndim))
        channel = (1, b.shape(scale)[0]) + (1,) * (ndim - 2)
        gx = b.multiply(g, b.reshape(scale, channel)) if needs[0] else None
        gsum = b.sum(g, axes, False) if needs[1] or needs[2] else None
        gweight = None
        if needs[1]:  # d/dweight of x*w*inv - mean*w*inv
            gxsum = b.sum(b.multiply(g, x), axes, False)
            gweight = b.multiply(b.subtract(gxsum, b.multiply(running_mean, gsum)), inv)
        gbias = gsum if needs[2] else None
        return gx, gweight, gbias, None, None, None, None


def _check_batch_norm(x: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
                      weight: Tensor | None, bias: Tensor | None) -> None:
    check_float_input("batch_norm", x, weight=weight, bias=bias, running_mean=running_mean,
                      running_var=running_var)
    if x.ndim < 2:
        raise ValueError(f"batch_norm expects at least 2-D input (N, C, ...), got {x.shape}")
    c = x.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t.shape != (c,):
            raise ValueError(f"batch_norm: {name} has shape {t.shape}, expected ({c},) for an "
                             f"input with {c} channels")


def batch_norm(x: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation over every axis but 1; updates the running statistics in training."""
    _check_batch_norm(x, running_mean, running_var, weight, bias)
    c = x.shape[1]
    if training and math.prod(x.shape) // max(c, 1) <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {x.shape}")
    if training or running_mean is None or running_var is None:
        running = None
        if training and running_mean is not None and running_var is not None:
            running = _RunningStats(running_mean, running_var, momentum)
        return BatchNorm.apply(x, weight, bias, eps, running)
    # evaluation: a per-channel affine map with the running statistics
    return BatchNormEval.apply(x, weight, bias, running_mean, running_var, eps, False)


def batch_norm_relu_eval(x: Tensor, running_mean: Tensor, running_var: Tensor,
                         weight: Tensor | None = None, bias: Tensor | None = None,
                         eps: float = 1e-5) -> Tensor:
    """``relu(batch_norm(x, running_mean, running_var, weight, bias, False, eps=eps))`` in
    one kernel: what :class:`lucid.nn.ConvBNReLU2d` runs in evaluation."""
    _check_batch_norm(x, running_mean, running_var, weight, bias)
    return BatchNormEval.apply(x, weight, bias, running_mean, running_var, eps, True)


def _affine(y: Tensor, weight: Tensor | None, bias: Tensor | None, shape: tuple[int, ...]
            ) -> Tensor:
    if weight is not None:
        y = mul(y, weight.reshape(shape))
    if bias is not None:
        y = add(y, bias.reshape(shape))
    return y


def _standardize(x: Tensor, axes: tuple[int, ...], eps: float) -> Tensor:
    """``(x - mean) / sqrt(var + eps)`` over ``axes`` with the biased variance."""
    centered = sub(x, mean(x, axes, keepdims=True))
    var = mean(mul(centered, centered), axes, keepdims=True)
    return div(centered, sqrt(add(var, eps)))


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` axes, then scale and shift."""
    check_float_input("layer_norm", input, weight=weight, bias=bias)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[-k:]) != shape:
        raise ValueError(f"layer_norm: normalized_shape {shape} must match the trailing axes "
                         f"of the input, got input shape {input.shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.shape != shape:
            raise ValueError(f"layer_norm: {name} has shape {t.shape}, expected {shape}")
    y = _standardize(input, tuple(range(input.ndim - k, input.ndim)), eps)
    return _affine(y, weight, bias, shape)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each group of ``C / num_groups`` channels per sample, then scale and shift."""
    check_float_input("group_norm", input, weight=weight, bias=bias)
    if input.ndim < 2:
        raise ValueError(f"group_norm expects at least 2-D input (N, C, ...), got {input.shape}")
    n, c = input.shape[:2]
    if not isinstance(num_groups, int) or num_groups < 1 or c % num_groups:
        raise ValueError(f"group_norm: num_groups={num_groups!r} must be a positive int that "
                         f"divides the {c} channels of the input")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (c,):
            raise ValueError(f"group_norm: {name} has shape {t.shape}, expected ({c},)")
    grouped = input.reshape(n, num_groups, -1)
    y = _standardize(grouped, (2,), eps).reshape(input.shape)
    return _affine(y, weight, bias, (1, c) + (1,) * (input.ndim - 2))


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample over its spatial axes (PyTorch's semantics).

    With ``use_input_stats`` the running statistics, when given, are updated with the
    instances' mean and unbiased variance averaged over the batch; without it they are used.
    """
    check_float_input("instance_norm", input, weight=weight, bias=bias,
                      running_mean=running_mean, running_var=running_var)
    if input.ndim < 3:
        raise ValueError(f"instance_norm expects at least 3-D input (N, C, ...), got "
                         f"{input.shape}")
    n, c = input.shape[:2]
    spatial = math.prod(input.shape[2:])
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t.shape != (c,):
            raise ValueError(f"instance_norm: {name} has shape {t.shape}, expected ({c},)")
    shape = (1, c) + (1,) * (input.ndim - 2)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: use_input_stats=False needs running_mean and "
                             "running_var")
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    if spatial <= 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input "
                         f"size {input.shape}")
    axes = tuple(range(2, input.ndim))
    if running_mean is not None and running_var is not None:
        b = input.backend
        x = input._data
        inst_mean = b.mean(x, axes, False)
        centered = b.subtract(x, b.reshape(inst_mean, (n, c) + (1,) * (input.ndim - 2)))
        inst_var = b.divide(b.sum(b.multiply(centered, centered), axes, False), spatial - 1)
        m = momentum
        running_mean.data = b.add(b.multiply(running_mean._data, 1 - m),
                                  b.multiply(b.mean(inst_mean, (0,), False), m))
        running_var.data = b.add(b.multiply(running_var._data, 1 - m),
                                 b.multiply(b.mean(inst_var, (0,), False), m))
    flat = input.reshape((1, n * c) + tuple(input.shape[2:]))
    y = BatchNorm.apply(flat, None, None, eps, None).reshape(input.shape)
    return _affine(y, weight, bias, shape)
