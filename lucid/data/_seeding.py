"""Where lucid.data's randomness comes from: a seed, a NumPy generator, or lucid's global RNG.

lucid has no ``torch.Generator``; wherever PyTorch takes ``generator=``, lucid.data takes an
``int`` seed or a :class:`numpy.random.Generator`. ``None`` draws a fresh seed from the
default backend's random generator, so ``lucid.manual_seed(n)`` makes it reproducible, as
``torch.manual_seed`` does for PyTorch's samplers.
"""

from __future__ import annotations

import numpy as np

#: What ``generator=`` accepts throughout lucid.data.
GeneratorLike = int | np.random.Generator | None


def fresh_seed() -> int:
    """A seed drawn from lucid's global random generator (seeded by ``lucid.manual_seed``)."""
    from .._creation import randint

    return int(randint(0, 2**62, ()).item())


def as_generator(generator: GeneratorLike, name: str = "generator") -> np.random.Generator:
    """A NumPy generator for ``generator``: a seed makes a new one, a Generator is used as is."""
    if generator is None:
        return np.random.default_rng(fresh_seed())
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        if generator < 0:
            raise ValueError(f"{name} seed must be non-negative, got {generator}")
        return np.random.default_rng(int(generator))
    raise TypeError(f"{name} must be an int seed, a numpy.random.Generator or None, got "
                    f"{type(generator).__name__}")
