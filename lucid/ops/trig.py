"""Trigonometric and hyperbolic functions and their inverses, element-wise."""

from __future__ import annotations

from typing import Any

from ..autograd.engine import Node
from ..autograd.function import Function


class Sin(Function):
    """``sin(x)``; gradient ``cos(x)``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        ctx.save_for_backward(x)
        return ctx.backend.sin(x)

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        return b.multiply(g, b.cos(ctx.saved_tensors[0]))


class Cos(Function):
    """``cos(x)``; gradient ``-sin(x)``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        ctx.save_for_backward(x)
        return ctx.backend.cos(x)

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        return b.negative(b.multiply(g, b.sin(ctx.saved_tensors[0])))


class Tan(Function):
    """``tan(x)``; gradient ``1 + tan(x)^2``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        y = ctx.backend.tan(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        y = ctx.saved_tensors[0]
        return b.multiply(g, b.add(b.multiply(y, y), 1.0))


class Asin(Function):
    """``asin(x)``; gradient ``1 / sqrt(1 - x^2)``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        ctx.save_for_backward(x)
        return ctx.backend.asin(x)

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        x = ctx.saved_tensors[0]
        return b.divide(g, b.sqrt(b.subtract(1.0, b.multiply(x, x))))


class Acos(Function):
    """``acos(x)``; gradient ``-1 / sqrt(1 - x^2)``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        ctx.save_for_backward(x)
        return ctx.backend.acos(x)

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        x = ctx.saved_tensors[0]
        return b.negative(b.divide(g, b.sqrt(b.subtract(1.0, b.multiply(x, x)))))


class Atan(Function):
    """``atan(x)``; gradient ``1 / (1 + x^2)``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        ctx.save_for_backward(x)
        return ctx.backend.atan(x)

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        x = ctx.saved_tensors[0]
        return b.divide(g, b.add(b.multiply(x, x), 1.0))


class Sinh(Function):
    """``sinh(x)``; gradient ``cosh(x)``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        ctx.save_for_backward(x)
        return ctx.backend.sinh(x)

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        return b.multiply(g, b.cosh(ctx.saved_tensors[0]))


class Cosh(Function):
    """``cosh(x)``; gradient ``sinh(x)``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        ctx.save_for_backward(x)
        return ctx.backend.cosh(x)

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        return b.multiply(g, b.sinh(ctx.saved_tensors[0]))


class Asinh(Function):
    """``asinh(x)``; gradient ``1 / sqrt(x^2 + 1)``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        ctx.save_for_backward(x)
        return ctx.backend.asinh(x)

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        x = ctx.saved_tensors[0]
        return b.divide(g, b.sqrt(b.add(b.multiply(x, x), 1.0)))


class Acosh(Function):
    """``acosh(x)``; gradient ``1 / sqrt(x^2 - 1)``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        ctx.save_for_backward(x)
        return ctx.backend.acosh(x)

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        x = ctx.saved_tensors[0]
        return b.divide(g, b.sqrt(b.subtract(b.multiply(x, x), 1.0)))


class Atanh(Function):
    """``atanh(x)``; gradient ``1 / (1 - x^2)``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        ctx.save_for_backward(x)
        return ctx.backend.atanh(x)

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        x = ctx.saved_tensors[0]
        return b.divide(g, b.subtract(1.0, b.multiply(x, x)))


def sin(x: Any) -> Any:
    """Element-wise sine."""
    return Sin.apply(x)


def cos(x: Any) -> Any:
    """Element-wise cosine."""
    return Cos.apply(x)


def tan(x: Any) -> Any:
    """Element-wise tangent."""
    return Tan.apply(x)


def asin(x: Any) -> Any:
    """Element-wise inverse sine."""
    return Asin.apply(x)


def acos(x: Any) -> Any:
    """Element-wise inverse cosine."""
    return Acos.apply(x)


def atan(x: Any) -> Any:
    """Element-wise inverse tangent."""
    return Atan.apply(x)


def sinh(x: Any) -> Any:
    """Element-wise hyperbolic sine."""
    return Sinh.apply(x)


def cosh(x: Any) -> Any:
    """Element-wise hyperbolic cosine."""
    return Cosh.apply(x)


def asinh(x: Any) -> Any:
    """Element-wise inverse hyperbolic sine."""
    return Asinh.apply(x)


def acosh(x: Any) -> Any:
    """Element-wise inverse hyperbolic cosine."""
    return Acosh.apply(x)


def atanh(x: Any) -> Any:
    """Element-wise inverse hyperbolic tangent."""
    return Atanh.apply(x)
