"""Samplers: which indices a DataLoader reads, in which order, grouped into which batches.

PyTorch's samplers under PyTorch's names. Where PyTorch takes a ``torch.Generator``, these
take an int seed or a ``numpy.random.Generator``: a seed makes one generator for the
sampler's lifetime, so every epoch (every ``iter()``) has a new order and the sequence of
orders is reproducible from the seed (``set_epoch(e)`` makes an epoch's order depend on
``(seed, e)`` alone, for resuming). ``None`` draws a fresh seed from lucid's global
generator each epoch (reproducible under ``lucid.manual_seed``), as PyTorch does.
The order of an epoch is drawn when ``iter()`` is called, not lazily, so a loader's
background thread never races the caller for the generator.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any, Generic, TypeVar

import numpy as np

from ._seeding import GeneratorLike, as_generator

T_co = TypeVar("T_co", covariant=True)


class Sampler(Generic[T_co]):
    """Base class: an iterable of indices (or of lists of indices, for batch samplers)."""

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


def _check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value!r}")
    return int(value)


class _Seeded:
    """The generator a sampler draws each epoch's order from."""

    def __init__(self, generator: GeneratorLike) -> None:
        self.generator = generator
        self._rng = None if generator is None else as_generator(generator)
        self._seed = None if generator is None or isinstance(generator, np.random.Generator) \
            else int(generator)

    def _epoch_rng(self) -> np.random.Generator:
        return self._rng if self._rng is not None else as_generator(None)

    def set_epoch(self, epoch: int) -> None:
        """With an int seed, make the next order a function of ``(seed, epoch)`` alone, so a
        resumed run sees the same epochs (a no-op for other generators)."""
        if self._seed is not None:
            self._rng = np.random.default_rng([self._seed, int(epoch)])


class SequentialSampler(Sampler[int]):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(_Seeded, Sampler[int]):
    """A random order of ``data_source``'s indices, or ``num_samples`` draws with replacement.

    Without replacement and ``num_samples > len(data_source)`` it yields whole permutations
    one after another, as PyTorch does. ``generator``: an int seed, a
    ``numpy.random.Generator`` or ``None`` (see the module docstring).
    """

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None, generator: GeneratorLike = None) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got "
                            f"replacement={replacement!r}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        _check_positive_int("num_samples", self.num_samples)
        _Seeded.__init__(self, generator)

    @property
    def num_samples(self) -> int:
        """How many indices one epoch yields (the dataset's length unless given)."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, k, rng = len(self.data_source), self.num_samples, self._epoch_rng()
        if self.replacement:
            order = rng.integers(0, n, size=k)
        else:
            parts = [rng.permutation(n) for _ in range(k // n)]
            if k % n:
                parts.append(rng.permutation(n)[:k % n])
            order = np.concatenate(parts)
        return iter(order.tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(_Seeded, Sampler[int]):
    """The given ``indices`` in a random order (no replacement)."""

    def __init__(self, indices: Sequence[int], generator: GeneratorLike = None) -> None:
        self.indices = indices
        _Seeded.__init__(self, generator)

    def __iter__(self) -> Iterator[int]:
        order = self._epoch_rng().permutation(len(self.indices))
        return iter([self.indices[i] for i in order.tolist()])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(_Seeded, Sampler[int]):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``."""

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: GeneratorLike = None) -> None:
        _check_positive_int("num_samples", num_samples)
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got "
                             f"replacement={replacement!r}")
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(w.shape)}")
        if w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution: weights must be finite, "
                               f"non-negative and not all zero, got {w.tolist()}")
        if not replacement and num_samples > int(np.count_nonzero(w)):
            raise RuntimeError(f"cannot draw {num_samples} samples without replacement from "
                               f"{int(np.count_nonzero(w))} non-zero weights")
        self.weights = w
        self.num_samples = int(num_samples)
        self.replacement = replacement
        _Seeded.__init__(self, generator)

    def __iter__(self) -> Iterator[int]:
        p = self.weights / self.weights.sum()
        draws = self._epoch_rng().choice(len(p), size=self.num_samples,
                                         replace=self.replacement, p=p)
        return iter(draws.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Group another sampler's indices into lists of ``batch_size`` (the last one shorter
    unless ``drop_last``)."""

    def __init__(self, sampler: Sampler[int] | Iterable[int], batch_size: int,
                 drop_last: bool) -> None:
        self.batch_size = _check_positive_int("batch_size", batch_size)
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got "
                             f"drop_last={drop_last!r}")
        self.sampler = sampler
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        return self._batches(iter(self.sampler))  # the epoch's order is drawn here

    def _batches(self, indices: Iterator[int]) -> Iterator[list[int]]:
        batch: list[int] = []
        for i in indices:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
