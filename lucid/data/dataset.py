"""Datasets as PyTorch defines them: indexable (map-style) or iterable, and ways to combine them.

A map-style :class:`Dataset` has ``__getitem__`` (and usually ``__len__``); an
:class:`IterableDataset` has ``__iter__``. :class:`TensorDataset`, :class:`Subset`,
:class:`ConcatDataset`, :class:`ChainDataset` and :func:`random_split` behave as their
``torch.utils.data`` namesakes.
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import numpy as np

from ._seeding import GeneratorLike, as_generator

T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """A map-style dataset: ``dataset[i]`` is sample ``i``; subclasses define ``__getitem__``."""

    def __getitem__(self, index: Any) -> T_co:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other: Dataset[T_co]) -> ConcatDataset[T_co]:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co]):
    """A dataset read as a stream: subclasses define ``__iter__``.

    With ``num_workers > 0`` every worker process iterates its own copy; use
    :func:`lucid.data.get_worker_info` inside ``__iter__`` to give each worker its own share.
    """

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other: Dataset[T_co]) -> ChainDataset[T_co]:  # type: ignore[override]
        return ChainDataset([self, other])


def _length(array: Any) -> int:
    shape = getattr(array, "shape", None)
    if shape is None or len(shape) == 0:
        raise ValueError(f"TensorDataset takes tensors or arrays with a first dimension, got "
                         f"{type(array).__name__} of shape {shape}")
    return int(shape[0])


class TensorDataset(Dataset[tuple[Any, ...]]):
    """Sample ``i`` is ``tuple(t[i] for t in tensors)``; lucid tensors or NumPy arrays."""

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        sizes = [_length(t) for t in tensors]
        if any(s != sizes[0] for s in sizes):
            raise ValueError(f"Size mismatch between tensors: first dimensions {sizes}")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Any, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return _length(self.tensors[0])


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset[T_co], indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]  # type: ignore[index]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list[int]) -> list[T_co]:
        inner = getattr(self.dataset, "__getitems__", None)
        if callable(inner):
            return list(inner([self.indices[i] for i in indices]))
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset[T_co]):
    """Several map-style datasets one after the other."""

    datasets: list[Dataset[T_co]]
    cumulative_sizes: list[int]

    def __init__(self, datasets: Iterable[Dataset[T_co]]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset "
                                "(use ChainDataset)")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)  # type: ignore[arg-type]
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> T_co:
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise ValueError(f"absolute value of index should not exceed dataset length "
                                 f"({n}), got {idx}")
            idx = n + idx
        if idx >= n:
            raise IndexError(f"index {idx} is out of range for a ConcatDataset of length {n}")
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - start]


class ChainDataset(IterableDataset[T_co]):
    """Several iterable datasets read one after the other."""

    def __init__(self, datasets: Iterable[Dataset[T_co]]) -> None:
        self.datasets = list(datasets)

    def __iter__(self) -> Iterator[T_co]:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset only chains IterableDatasets, got "
                                f"{type(d).__name__}")
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)  # type: ignore[arg-type, misc]


def _split_lengths(n: int, lengths: Sequence[int | float]) -> list[int]:
    """Integer lengths: fractions are floored, the remainder dealt round-robin (PyTorch)."""
    if not lengths:
        raise ValueError("random_split needs at least one length")
    if any(isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating))
           for x in lengths):
        raise TypeError(f"random_split lengths must be ints or fractions, got {list(lengths)}")
    if any(x < 0 for x in lengths):
        raise ValueError(f"random_split lengths must be non-negative, got {list(lengths)}")
    total = float(sum(lengths))
    # PyTorch also demands total <= 1, so [0.05] * 20 (summing to 1.0000000000000002 in
    # floating point) fails there with a confusing error; lucid accepts it
    if math.isclose(total, 1):
        out = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(out)):
            out[i % len(out)] += 1
        for i, length in enumerate(out):
            if length == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an "
                              "empty dataset.", stacklevel=3)
        return out
    if any(not float(x).is_integer() for x in lengths):
        raise ValueError(f"random_split lengths must be ints summing to {n} or fractions "
                         f"summing to 1, got {list(lengths)}")
    out = [int(x) for x in lengths]
    if sum(out) != n:
        raise ValueError(f"Sum of input lengths ({sum(out)}) does not equal the length of the "
                         f"input dataset ({n})!")
    return out


def random_split(dataset: Dataset[T_co], lengths: Sequence[int | float],
                 generator: GeneratorLike = None) -> list[Subset[T_co]]:
    """Split ``dataset`` into disjoint random subsets of the given lengths or fractions.

    Fractions summing to 1 become ``floor(n * f)`` samples each, and the leftover samples
    go one each to the first splits (PyTorch's rule). ``generator`` is an int seed or a
    ``numpy.random.Generator`` (lucid has no ``torch.Generator``); ``None`` draws from
    lucid's global generator (``lucid.manual_seed``).
    """
    n = len(dataset)  # type: ignore[arg-type]
    sizes = _split_lengths(n, lengths)
    order = as_generator(generator).permutation(n).tolist()
    out, offset = [], 0
    for size in sizes:
        out.append(Subset(dataset, order[offset:offset + size]))
        offset += size
    return out
