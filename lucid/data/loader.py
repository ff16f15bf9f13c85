"""In-memory datasets on the host and a mini-batch loader that turns them into tensors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._creation import from_numpy
from .._tensor import Tensor


@dataclass
class Split:
    """Images ``(N, C, H, W)`` float32 and integer labels ``(N,)``."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


class DataLoader:
    """Iterate over ``(images, labels)`` tensors in mini-batches, optionally shuffled."""

    def __init__(self, split: Split, batch_size: int = 64, shuffle: bool = False,
                 seed: int = 0, drop_last: bool = False, backend: Any = None) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.split = split
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.backend = backend
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        n = len(self.split)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        n = len(self.split)
        order = self._rng.permutation(n) if self.shuffle else np.arange(n)
        for i in range(len(self)):
            idx = order[i * self.batch_size:(i + 1) * self.batch_size]
            yield (from_numpy(np.ascontiguousarray(self.split.images[idx]), self.backend),
                   from_numpy(self.split.labels[idx], self.backend))
