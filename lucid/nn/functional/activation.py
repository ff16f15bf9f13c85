"""Activation functions beyond the op table's ``relu``/``sigmoid``/``tanh``/``softmax``.

Each is a :class:`lucid.autograd.Function` over the backend's element-wise core (or, for
``prelu`` and ``mish``, a composition of differentiable ops), with PyTorch's formulas and
PyTorch's choice of gradient at the kinks.
"""

from __future__ import annotations

import math
from typing import Any

from ..._tensor import Tensor
from ...autograd import Function
from ...autograd.engine import Node
from ...ops import mul, tanh, where
from ._args import check_dtypes

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class GELU(Function):
    """``x * Phi(x)`` (exact, through the backend's erf) or its tanh approximation."""

    @staticmethod
    def forward(ctx: Node, x: Any, approximate: str) -> Any:
        b = ctx.backend
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            inner = b.multiply(b.add(x, b.multiply(b.multiply(b.multiply(x, x), x), 0.044715)),
                               _SQRT_2_OVER_PI)
            return b.multiply(b.multiply(x, 0.5), b.add(b.tanh(inner), 1.0))
        cdf = b.multiply(b.add(b.erf(b.multiply(x, 1.0 / math.sqrt(2.0))), 1.0), 0.5)
        return b.multiply(x, cdf)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None]:
        b = ctx.backend
        (x,) = ctx.saved_tensors
        x2 = b.multiply(x, x)
        if ctx.approximate == "tanh":
            inner = b.multiply(b.add(x, b.multiply(b.multiply(x2, x), 0.044715)),
                               _SQRT_2_OVER_PI)
            t = b.tanh(inner)
            dinner = b.multiply(b.add(b.multiply(x2, 3 * 0.044715), 1.0), _SQRT_2_OVER_PI)
            d = b.add(b.multiply(b.add(t, 1.0), 0.5),
                      b.multiply(b.multiply(x, 0.5),
                                 b.multiply(b.subtract(1.0, b.multiply(t, t)), dinner)))
            return b.multiply(g, d), None
        cdf = b.multiply(b.add(b.erf(b.multiply(x, 1.0 / math.sqrt(2.0))), 1.0), 0.5)
        pdf = b.multiply(b.exp(b.multiply(x2, -0.5)), 1.0 / math.sqrt(2.0 * math.pi))
        return b.multiply(g, b.add(cdf, b.multiply(x, pdf))), None


class SiLU(Function):
    """``x * sigmoid(x)``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        b = ctx.backend
        s = b.sigmoid(x)
        ctx.save_for_backward(x, s)
        return b.multiply(x, s)

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        x, s = ctx.saved_tensors
        return b.multiply(g, b.multiply(s, b.add(b.multiply(x, b.subtract(1.0, s)), 1.0)))


class LeakyReLU(Function):
    """``x`` where positive, ``slope * x`` elsewhere (gradient ``slope`` at 0, as PyTorch)."""

    @staticmethod
    def forward(ctx: Node, x: Any, slope: float) -> Any:
        b = ctx.backend
        pos = b.greater(x, 0.0)
        ctx.save_for_backward(pos)
        ctx.slope = slope
        return b.where(pos, x, b.multiply(x, slope))

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None]:
        b = ctx.backend
        (pos,) = ctx.saved_tensors
        return b.where(pos, g, b.multiply(g, ctx.slope)), None


class ELU(Function):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere, times ``scale`` (SELU)."""

    @staticmethod
    def forward(ctx: Node, x: Any, alpha: float, scale: float) -> Any:
        b = ctx.backend
        pos = b.greater(x, 0.0)
        e = b.exp(b.minimum(x, 0.0))
        ctx.save_for_backward(pos, e)
        ctx.coef = (alpha, scale)
        return b.multiply(b.where(pos, x, b.multiply(b.subtract(e, 1.0), alpha)), scale)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None, None]:
        b = ctx.backend
        pos, e = ctx.saved_tensors
        alpha, scale = ctx.coef
        return b.multiply(g, b.where(pos, scale, b.multiply(e, alpha * scale))), None, None


class Softplus(Function):
    """``log(1 + exp(beta x)) / beta``; linear where ``beta x > threshold``."""

    @staticmethod
    def forward(ctx: Node, x: Any, beta: float, threshold: float) -> Any:
        b = ctx.backend
        bx = b.multiply(x, beta)
        linear = b.greater(bx, threshold)
        soft = b.add(b.maximum(bx, 0.0), b.log(b.add(b.exp(b.negative(b.abs(bx))), 1.0)))
        ctx.save_for_backward(bx, linear)
        return b.where(linear, x, b.divide(soft, beta))

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None, None]:
        b = ctx.backend
        bx, linear = ctx.saved_tensors
        return b.where(linear, g, b.multiply(g, b.sigmoid(bx))), None, None


class Hardswish(Function):
    """``x * relu6(x + 3) / 6``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        b = ctx.backend
        ctx.save_for_backward(x)
        return b.multiply(x, b.divide(b.clip(b.add(x, 3.0), 0.0, 6.0), 6.0))

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        (x,) = ctx.saved_tensors
        mid = b.multiply(g, b.add(b.divide(x, 3.0), 0.5))
        return b.where(b.less(x, -3.0), 0.0, b.where(b.less_equal(x, 3.0), mid, g))


class Hardsigmoid(Function):
    """``relu6(x + 3) / 6``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        b = ctx.backend
        ctx.save_for_backward(x)
        return b.divide(b.clip(b.add(x, 3.0), 0.0, 6.0), 6.0)

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        (x,) = ctx.saved_tensors
        inside = b.logical_and(b.greater(x, -3.0), b.less(x, 3.0))
        return b.where(inside, b.divide(g, 6.0), 0.0)


def _number(value: Any, name: str, op: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{op}: {name} must be a number, got {value!r}")
    return float(value)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit; ``approximate="tanh"`` uses the tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """Sigmoid-weighted linear unit ``x * sigmoid(x)`` (``inplace`` is ignored)."""
    return SiLU.apply(input)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))`` (``inplace`` is ignored)."""
    return mul(input, tanh(softplus(input)))


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    return LeakyReLU.apply(input, _number(negative_slope, "negative_slope", "leaky_relu"))


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """Leaky ReLU with a learned slope: one for all channels or one per channel (axis 1)."""
    check_dtypes("prelu", input, weight)
    n = weight.numel()
    if weight.ndim > 1:
        raise ValueError(f"prelu: weight must be 0-D or 1-D, got shape {weight.shape}")
    if n != 1:
        if input.ndim < 2 or input.shape[1] != n:
            raise ValueError(f"prelu: weight has {n} entries but the input of shape "
                             f"{input.shape} has {input.shape[1] if input.ndim > 1 else 1} "
                             f"channels (axis 1); expected 1 or that many")
        weight = weight.reshape((1, n) + (1,) * (input.ndim - 2))
    elif weight.ndim == 1:
        weight = weight.reshape(())
    return where(input > 0, input, mul(weight, input))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    return ELU.apply(input, _number(alpha, "alpha", "elu"), 1.0)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """Scaled ELU with the self-normalising constants of Klambauer et al."""
    return ELU.apply(input, _SELU_ALPHA, _SELU_SCALE)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, the identity where ``beta x > threshold``."""
    beta = _number(beta, "beta", "softplus")
    if beta == 0:
        raise ValueError("softplus: beta must be non-zero, got 0")
    return Softplus.apply(input, beta, _number(threshold, "threshold", "softplus"))


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6`` (MobileNetV3)."""
    return Hardswish.apply(input)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``."""
    return Hardsigmoid.apply(input)
