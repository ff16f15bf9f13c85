"""Small datasets and a mini-batch loader."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._creation import from_numpy
from ._tensor import Tensor
from .transforms import resize


@dataclass
class Split:
    """Images ``(N, C, H, W)`` float32 and integer labels ``(N,)``."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


def load_digits(image_size: int = 16, test_fraction: float = 0.2,
                seed: int = 0) -> tuple[Split, Split]:
    """scikit-learn's bundled 8×8 handwritten digits (1797 images, 10 classes), resized.

    Returns a fixed, stratified ``(train, test)`` split; pixel values are scaled to [0, 1]
    and standardised with the training set's mean and standard deviation.
    """
    try:
        from sklearn.datasets import load_digits as sk_load_digits
        from sklearn.model_selection import train_test_split
    except ImportError as exc:
        raise ImportError("the digits dataset needs scikit-learn: "
                          "pip install 'lucid[examples]' (or pip install scikit-learn)") from exc
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    digits = sk_load_digits()
    images = digits.images.astype(np.float32) / 16.0
    if image_size != 8:
        images = resize(images, image_size)
    images = images[:, None, :, :].astype(np.float32)
    labels = digits.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(images, labels, test_size=test_fraction,
                                              random_state=seed, stratify=labels)
    mean, std = float(x_tr.mean()), float(x_tr.std())
    x_tr = ((x_tr - mean) / std).astype(np.float32)
    x_te = ((x_te - mean) / std).astype(np.float32)
    return Split(x_tr, y_tr), Split(x_te, y_te)


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
