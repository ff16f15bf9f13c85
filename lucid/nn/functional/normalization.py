"""Batch normalisation over the backend's fused kernels, with running statistics."""

from __future__ import annotations

import math
from typing import Any

from ..._tensor import Tensor
from ...autograd import Function
from ...autograd.engine import Node
from ...ops import add, div, mul, sqrt, sub


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
