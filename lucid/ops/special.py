"""``log1p``, ``expm1`` and ``erf``: functions accurate where the naive formula is not."""

from __future__ import annotations

import math
from typing import Any

from ._support import unary_function

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

Log1p = unary_function("Log1p", "log1p", lambda b, g, x, y: b.divide(g, b.add(x, 1.0)),
                       keep="x", doc="``log(1 + x)``; gradient ``1 / (1 + x)``.",
                       module=__name__)
Expm1 = unary_function("Expm1", "expm1", lambda b, g, x, y: b.multiply(g, b.add(y, 1.0)),
                       keep="y", doc="``exp(x) - 1``; gradient ``exp(x)``.", module=__name__)
Erf = unary_function(
    "Erf", "erf",
    lambda b, g, x, y: b.multiply(g, b.multiply(b.exp(b.negative(b.multiply(x, x))),
                                                _TWO_OVER_SQRT_PI)),
    keep="x", doc="The error function; gradient ``2 / sqrt(pi) * exp(-x^2)``.",
    module=__name__)


def log1p(x: Any) -> Any:
    """Element-wise ``log(1 + x)``, accurate for small ``x``."""
    return Log1p.apply(x)


def expm1(x: Any) -> Any:
    """Element-wise ``exp(x) - 1``, accurate for small ``x``."""
    return Expm1.apply(x)


def erf(x: Any) -> Any:
    """Element-wise error function (GELU's building block)."""
    return Erf.apply(x)
