"""Trigonometric and hyperbolic functions and their inverses, element-wise."""

from __future__ import annotations

from typing import Any

from ._support import unary_function


def _reciprocal_sqrt(b: Any, g: Any, radicand: Any) -> Any:
    return b.divide(g, b.sqrt(radicand))


Sin = unary_function("Sin", "sin", lambda b, g, x, y: b.multiply(g, b.cos(x)), keep="x",
                     doc="``sin(x)``; gradient ``cos(x)``.", module=__name__)
Cos = unary_function("Cos", "cos", lambda b, g, x, y: b.negative(b.multiply(g, b.sin(x))),
                     keep="x", doc="``cos(x)``; gradient ``-sin(x)``.", module=__name__)
Tan = unary_function("Tan", "tan", lambda b, g, x, y: b.multiply(g, b.add(b.multiply(y, y), 1.0)),
                     keep="y", doc="``tan(x)``; gradient ``1 + tan(x)^2``.", module=__name__)
Asin = unary_function(
    "Asin", "asin", lambda b, g, x, y: _reciprocal_sqrt(b, g, b.subtract(1.0, b.multiply(x, x))),
    keep="x", doc="``asin(x)``; gradient ``1 / sqrt(1 - x^2)``.", module=__name__)
Acos = unary_function(
    "Acos", "acos",
    lambda b, g, x, y: b.negative(_reciprocal_sqrt(b, g, b.subtract(1.0, b.multiply(x, x)))),
    keep="x", doc="``acos(x)``; gradient ``-1 / sqrt(1 - x^2)``.", module=__name__)
Atan = unary_function(
    "Atan", "atan", lambda b, g, x, y: b.divide(g, b.add(b.multiply(x, x), 1.0)),
    keep="x", doc="``atan(x)``; gradient ``1 / (1 + x^2)``.", module=__name__)
Sinh = unary_function("Sinh", "sinh", lambda b, g, x, y: b.multiply(g, b.cosh(x)), keep="x",
                      doc="``sinh(x)``; gradient ``cosh(x)``.", module=__name__)
Cosh = unary_function("Cosh", "cosh", lambda b, g, x, y: b.multiply(g, b.sinh(x)), keep="x",
                      doc="``cosh(x)``; gradient ``sinh(x)``.", module=__name__)
Asinh = unary_function(
    "Asinh", "asinh", lambda b, g, x, y: _reciprocal_sqrt(b, g, b.add(b.multiply(x, x), 1.0)),
    keep="x", doc="``asinh(x)``; gradient ``1 / sqrt(x^2 + 1)``.", module=__name__)
Acosh = unary_function(
    "Acosh", "acosh",
    lambda b, g, x, y: _reciprocal_sqrt(b, g, b.subtract(b.multiply(x, x), 1.0)),
    keep="x", doc="``acosh(x)``; gradient ``1 / sqrt(x^2 - 1)``.", module=__name__)
Atanh = unary_function(
    "Atanh", "atanh", lambda b, g, x, y: b.divide(g, b.subtract(1.0, b.multiply(x, x))),
    keep="x", doc="``atanh(x)``; gradient ``1 / (1 - x^2)``.", module=__name__)


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
