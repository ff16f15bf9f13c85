"""Element-wise functions of one tensor: exp, log, sqrt, abs, tanh, sigmoid, relu, clip."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from ..autograd.engine import Node
from ..autograd.function import Function
from ._support import unary_function

Exp = unary_function("Exp", "exp", lambda b, g, x, y: b.multiply(g, y), keep="y",
                     doc="``e ** x``.", module=__name__)
Log = unary_function("Log", "log", lambda b, g, x, y: b.divide(g, x), keep="x",
                     doc="Natural logarithm.", module=__name__)
Sqrt = unary_function("Sqrt", "sqrt", lambda b, g, x, y: b.divide(b.multiply(g, 0.5), y),
                      keep="y", doc="Square root.", module=__name__)
Abs = unary_function("Abs", "abs", lambda b, g, x, y: b.multiply(g, b.sign(x)), keep="x",
                     doc="Absolute value (gradient ``sign(x)``, 0 at 0).", module=__name__)
Tanh = unary_function("Tanh", "tanh",
                      lambda b, g, x, y: b.multiply(g, b.subtract(1.0, b.multiply(y, y))),
                      keep="y", doc="Hyperbolic tangent.", module=__name__)
Sigmoid = unary_function("Sigmoid", "sigmoid",
                         lambda b, g, x, y: b.multiply(g, b.multiply(y, b.subtract(1.0, y))),
                         keep="y", doc="Logistic function ``1 / (1 + e ** -x)``.",
                         module=__name__)
ReLU = unary_function("ReLU", "relu", lambda b, g, x, y: b.where(b.greater(y, 0), g, 0),
                      keep="y", doc="``max(x, 0)``.", module=__name__)


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
    for name, bound in (("min", min), ("max", max)):
        if bound is not None and not isinstance(bound, (int, float, Tensor)):
            raise TypeError(f"clamp: {name} must be a number or a tensor, got "
                            f"{type(bound).__name__} {bound!r}")
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    return Clip.apply(x, min, max)


#: The same function as :func:`clip` (PyTorch has both names).
clamp = clip
