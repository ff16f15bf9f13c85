"""Rounding and sign: piecewise-constant functions whose gradient is zero, as in PyTorch."""

from __future__ import annotations

from typing import Any

from ..autograd.engine import Node
from ..autograd.function import Function


class _Flat(Function):
    """Shared backward of piecewise-constant ops: a zero gradient shaped like the input."""

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        b = ctx.backend
        return b.zeros(tuple(b.shape(g)), b.dtype_of(g))


class Floor(_Flat):
    """Largest integer not above ``x``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        return ctx.backend.floor(x)


class Ceil(_Flat):
    """Smallest integer not below ``x``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        return ctx.backend.ceil(x)


class Trunc(_Flat):
    """``x`` rounded toward zero."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        return ctx.backend.trunc(x)


class Round(Function):
    """``x`` rounded to ``decimals`` places, halves to even; zero gradient."""

    @staticmethod
    def forward(ctx: Node, x: Any, decimals: int) -> Any:
        b = ctx.backend
        if decimals == 0:
            return b.round(x)
        scale = 10.0 ** decimals
        return b.divide(b.round(b.multiply(x, scale)), scale)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None]:
        b = ctx.backend
        return b.zeros(tuple(b.shape(g)), b.dtype_of(g)), None


class Sign(_Flat):
    """-1, 0 or 1."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        return ctx.backend.sign(x)


def floor(x: Any) -> Any:
    """Element-wise floor (zero gradient)."""
    return Floor.apply(x)


def ceil(x: Any) -> Any:
    """Element-wise ceiling (zero gradient)."""
    return Ceil.apply(x)


def trunc(x: Any) -> Any:
    """Element-wise rounding toward zero (zero gradient)."""
    return Trunc.apply(x)


def round(x: Any, *, decimals: int = 0) -> Any:
    """Element-wise rounding to ``decimals`` places, halves to even (zero gradient)."""
    if not isinstance(decimals, int) or isinstance(decimals, bool):
        raise TypeError(f"round(): decimals must be an int, got {decimals!r}")
    return Round.apply(x, decimals)


def sign(x: Any) -> Any:
    """Element-wise sign: -1, 0 or 1 (zero gradient)."""
    return Sign.apply(x)
