"""Element-wise functions of one tensor: exp, log, sqrt, abs, tanh, sigmoid, relu, clip."""

from __future__ import annotations

from typing import Any

from ..autograd.engine import Node
from ..autograd.function import Function


class Exp(Function):
    """``e ** x``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        y = ctx.backend.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        return ctx.backend.multiply(g, ctx.saved_tensors[0])


class Log(Function):
    """Natural logarithm."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        ctx.save_for_backward(x)
        return ctx.backend.log(x)

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        return ctx.backend.divide(g, ctx.saved_tensors[0])


class Sqrt(Function):
    """Square root."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        y = ctx.backend.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        return b.divide(b.multiply(g, 0.5), ctx.saved_tensors[0])


class Abs(Function):
    """Absolute value (gradient ``sign(x)``, 0 at 0)."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        ctx.save_for_backward(x)
        return ctx.backend.abs(x)

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        return b.multiply(g, b.sign(ctx.saved_tensors[0]))


class Tanh(Function):
    """Hyperbolic tangent."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        y = ctx.backend.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        y = ctx.saved_tensors[0]
        return b.multiply(g, b.subtract(1.0, b.multiply(y, y)))


class Sigmoid(Function):
    """Logistic function ``1 / (1 + e ** -x)``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        y = ctx.backend.sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        y = ctx.saved_tensors[0]
        return b.multiply(g, b.multiply(y, b.subtract(1.0, y)))


class ReLU(Function):
    """``max(x, 0)``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        y = ctx.backend.relu(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        return b.where(b.greater(ctx.saved_tensors[0], 0), g, 0)


class Clip(Function):
    """Clamp into ``[low, high]``; the gradient passes where the input was strictly inside."""

    @staticmethod
    def forward(ctx: Node, x: Any, low: float | None, high: float | None) -> Any:
        ctx.save_for_backward(x)
        ctx.bounds = (low, high)
        return ctx.backend.clip(x, low, high)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None, None]:
        b = ctx.backend
        (x,) = ctx.saved_tensors
        low, high = ctx.bounds
        inside = None  # strictly inside: PyTorch's gradient is 0 at a scalar bound
        if low is not None:
            inside = b.greater(x, low)
        if high is not None:
            upper = b.less(x, high)
            inside = upper if inside is None else b.logical_and(inside, upper)
        return (g if inside is None else b.where(inside, g, 0)), None, None


def exp(x: Any) -> Any:
    """Element-wise exponential."""
    return Exp.apply(x)


def log(x: Any) -> Any:
    """Element-wise natural logarithm."""
    return Log.apply(x)


def sqrt(x: Any) -> Any:
    """Element-wise square root."""
    return Sqrt.apply(x)


def abs(x: Any) -> Any:
    """Element-wise absolute value (gradient sign(x), 0 at 0)."""
    return Abs.apply(x)


def tanh(x: Any) -> Any:
    """Element-wise hyperbolic tangent."""
    return Tanh.apply(x)


def sigmoid(x: Any) -> Any:
    """Element-wise logistic function."""
    return Sigmoid.apply(x)


def relu(x: Any) -> Any:
    """Element-wise ``max(x, 0)``."""
    return ReLU.apply(x)


def clip(x: Any, min: float | None = None, max: float | None = None) -> Any:
    """Clamp into ``[min, max]``; the gradient passes where the input was inside."""
    return Clip.apply(x, min, max)


clamp = clip
