"""``log1p``, ``expm1`` and ``erf``: functions accurate where the naive formula is not."""

from __future__ import annotations

import math
from typing import Any

from ..autograd.engine import Node
from ..autograd.function import Function

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class Log1p(Function):
    """``log(1 + x)``; gradient ``1 / (1 + x)``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        ctx.save_for_backward(x)
        return ctx.backend.log1p(x)

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        return b.divide(g, b.add(ctx.saved_tensors[0], 1.0))


class Expm1(Function):
    """``exp(x) - 1``; gradient ``exp(x)``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        y = ctx.backend.expm1(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        return b.multiply(g, b.add(ctx.saved_tensors[0], 1.0))


class Erf(Function):
    """The error function; gradient ``2 / sqrt(pi) * exp(-x^2)``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        ctx.save_for_backward(x)
        return ctx.backend.erf(x)

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        x = ctx.saved_tensors[0]
        return b.multiply(g, b.multiply(b.exp(b.negative(b.multiply(x, x))), _TWO_OVER_SQRT_PI))


def log1p(x: Any) -> Any:
    """Element-wise ``log(1 + x)``, accurate for small ``x``."""
    return Log1p.apply(x)


def expm1(x: Any) -> Any:
    """Element-wise ``exp(x) - 1``, accurate for small ``x``."""
    return Expm1.apply(x)


def erf(x: Any) -> Any:
    """Element-wise error function (GELU's building block)."""
    return Erf.apply(x)
