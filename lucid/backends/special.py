"""Special functions composed from the backend contract, for libraries that lack them.

NumPy and the array API standard have no error function, so ``erf`` is written here once in
terms of the contract's elementwise core (``abs``, ``exp``, ``where``, ...). Any backend can
call it: :class:`~lucid.backends.ArrayModuleBackend` and the array-API plugin do.
"""

from __future__ import annotations

import math
from typing import Any

from .._dtype import float64
from .interface import Backend

#: Below this |x| the positive series is used, above it the continued fraction of erfc.
_SPLIT = 2.5
_SERIES_TERMS = 45
_FRACTION_DEPTH = 36


def erf(b: Backend, a: Any) -> Any:
    """The error function of ``a``, to ~1e-15 relative in float64 (integers as float64).

    For ``|x| < 2.5``: ``2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (2n+1)!!`` (every
    term positive: no cancellation). Above: ``1 - erfc(x)`` with erfc's continued fraction
    ``exp(-x^2) / sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))``.
    """
    if not b.dtype_of(a).is_floating:
        a = b.astype(a, float64)
    x = b.abs(a)
    xs = b.minimum(x, _SPLIT)
    x2 = b.multiply(xs, xs)
    term = total = xs
    for n in range(1, _SERIES_TERMS):
        term = b.multiply(term, b.multiply(x2, 2.0 / (2 * n + 1)))
        total = b.add(total, term)
    series = b.multiply(b.multiply(total, b.exp(b.negative(x2))), 2.0 / math.sqrt(math.pi))
    xl = b.maximum(x, _SPLIT)
    frac = xl
    for k in range(_FRACTION_DEPTH, 0, -1):
        frac = b.add(xl, b.divide(k / 2.0, frac))
    tail = b.subtract(1.0, b.divide(b.exp(b.negative(b.multiply(xl, xl))),
                                    b.multiply(frac, math.sqrt(math.pi))))
    return b.multiply(b.sign(a), b.where(b.less(x, _SPLIT), series, tail))


__all__ = ["erf"]
