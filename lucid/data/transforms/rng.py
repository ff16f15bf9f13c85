"""Where random transforms draw their randomness: one shared, seedable NumPy generator.

Every random transform takes ``generator=``: ``None`` (the default) draws from the shared
generator that :func:`seed` resets, an ``int`` gives the transform its own generator seeded
with it, and a ``numpy.random.Generator`` is used as it is. The shared generator plays the
role of PyTorch's global RNG: a whole pipeline becomes reproducible with one ``seed(n)``
call, and each DataLoader worker process reseeds it with its own worker seed, so workers
never repeat each other's augmentations.
"""

from __future__ import annotations

import numpy as np

from .._seeding import GeneratorLike

_shared = np.random.default_rng()


def seed(n: int) -> None:
    """Reseed the generator that random transforms share (those built without ``generator``)."""
    global _shared
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"seed must be a non-negative int, got {n!r}")
    _shared = np.random.default_rng(int(n))


def shared() -> np.random.Generator:
    """The shared generator (the current one: :func:`seed` replaces it)."""
    return _shared


def own(generator: GeneratorLike) -> np.random.Generator | None:
    """A transform's own generator for ``generator=`` (None: draw from the shared one)."""
    if generator is None or isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool) \
            and generator >= 0:
        return np.random.default_rng(int(generator))
    raise TypeError(f"generator must be a non-negative int seed, a numpy.random.Generator or "
                    f"None, got {generator!r}")


def pick(generator: np.random.Generator | None) -> np.random.Generator:
    """``generator`` if the transform has its own, else the shared one."""
    return generator if generator is not None else _shared
