"""What MNIST-style and CIFAR-style readers share: images held as one uint8 array in memory."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .dataset import Dataset


class ImageArrayDataset(Dataset[tuple[np.ndarray, int]]):
    """A dataset read whole into ``data`` (images) and ``targets`` (class indices).

    The constructor stores torchvision's arguments and fetches missing files with the
    subclass's ``download()`` when asked; the subclass then fills ``data`` and ``targets``.
    Items are ``(image, int label)`` after the transforms, as in torchvision.
    """

    root: Any
    train: bool
    data: np.ndarray
    targets: Any
    transform: Any
    target_transform: Any

    def __init__(self, root: str | os.PathLike[str], train: bool = True,
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None,
                 download: bool = False) -> None:
        self.root = Path(root)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        if download:
            self.download()

    def download(self) -> None:
        """Fetch the files this dataset reads (each reader knows its sources)."""
        raise NotImplementedError(f"{type(self).__name__} cannot download its files")

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img: Any = self.data[index]
        target: Any = int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(root={str(self.root)!r}, "
                f"split={'train' if self.train else 'test'}, {len(self)} images)")
