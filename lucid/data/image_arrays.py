"""What MNIST-style and CIFAR-style readers share: images held as one uint8 array in memory."""

from __future__ import annotations

from typing import Any

import numpy as np

from .dataset import Dataset


class ImageArrayDataset(Dataset[tuple[np.ndarray, int]]):
    """A dataset read whole into ``data`` (images) and ``targets`` (class indices).

    Subclasses fill ``root``, ``train``, ``data``, ``targets``, ``transform`` and
    ``target_transform``; items are ``(image, int label)`` after the transforms, as in
    torchvision.
    """

    root: Any
    train: bool
    data: np.ndarray
    targets: Any
    transform: Any
    target_transform: Any

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
