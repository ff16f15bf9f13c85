"""CIFAR-10 and CIFAR-100 read from their *binary* distributions (never the pickled ones).

lucid never unpickles files, so these readers take the "binary version" archives:
``cifar-10-binary.tar.gz`` unpacks to ``cifar-10-batches-bin/`` with ``data_batch_1.bin`` ..
``data_batch_5.bin`` and ``test_batch.bin`` (records of 1 label byte + 3072 pixel bytes);
``cifar-100-binary.tar.gz`` unpacks to ``cifar-100-binary/`` with ``train.bin`` and
``test.bin`` (records of 1 coarse + 1 fine label byte + 3072 pixel bytes). Pixels are
stored red plane, green plane, blue plane, each 32x32 row-major. A file whose length is not
a whole number of records, or with a label out of range, raises ``ValueError``. Samples
are ``(image, label)``: a ``(32, 32, 3)`` uint8 NumPy array (torchvision gives a PIL
image; lucid's transforms take either) and an int (CIFAR-100: the fine label).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .download import download_url, extract_tar
from .image_arrays import ImageArrayDataset

_PIXELS = 3 * 32 * 32


def read_cifar_records(path: str | os.PathLike[str], label_bytes: int,
                       label_limits: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``(images (N, 32, 32, 3) uint8, labels (N, label_bytes) int64)`` of a CIFAR ``.bin``."""
    path = Path(path)
    raw = np.fromfile(path, dtype=np.uint8)
    record = label_bytes + _PIXELS
    if raw.size == 0 or raw.size % record:
        raise ValueError(f"{path}: {raw.size} bytes is not a whole number of {record}-byte "
                         "CIFAR records; the file is truncated or not a CIFAR binary batch")
    rows = raw.reshape(-1, record)
    labels = rows[:, :label_bytes].astype(np.int64)
    for k, limit in enumerate(label_limits):
        if labels.size and int(labels[:, k].max()) >= limit:
            raise ValueError(f"{path}: label {int(labels[:, k].max())} in label byte {k} is out "
                             f"of range (< {limit}); the file is damaged or of another kind")
    images = rows[:, label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def _names(path: Path, fallback: list[str]) -> list[str]:
    if path.is_file():
        names = [line.strip() for line in path.read_text("utf-8").splitlines() if line.strip()]
        if len(names) == len(fallback):
            return names
    return list(fallback)


class CIFAR10(ImageArrayDataset):
    """CIFAR-10: 50,000 training and 10,000 test 32x32 color images in 10 classes.

    ``root`` holds ``cifar-10-batches-bin/`` (the unpacked binary archive);
    ``download=True`` fetches and unpacks ``cifar-10-binary.tar.gz`` (MD5-checked).
    """

    base_folder = "cifar-10-batches-bin"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
    filename = "cifar-10-binary.tar.gz"
    tgz_md5 = "c32a1d4ab5d03f1284b67883e8d87530"
    train_list = [f"data_batch_{i}.bin" for i in range(1, 6)]
    test_list = ["test_batch.bin"]
    meta_file = "batches.meta.txt"
    label_bytes = 1
    default_classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                       "ship", "truck"]

    def __init__(self, root: str | os.PathLike[str], train: bool = True,
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None,
                 download: bool = False) -> None:
        super().__init__(root, train, transform, target_transform, download)
        folder = self.root / self.base_folder
        files = self.train_list if train else self.test_list
        missing = [f for f in files if not (folder / f).is_file()]
        if missing:
            raise RuntimeError(f"{type(self).__name__} not found: {', '.join(missing)} missing "
                               f"in {folder}. Use download=True to download it (the binary "
                               f"version, {self.filename}).")
        self.classes = _names(folder / self.meta_file, self.default_classes)
        parts = [read_cifar_records(folder / f, self.label_bytes, self._limits())
                 for f in files]
        self.data = np.concatenate([p[0] for p in parts])
        labels = np.concatenate([p[1] for p in parts])
        self._set_targets(labels)

    def _limits(self) -> tuple[int, ...]:
        return (len(self.default_classes),)

    def _set_targets(self, labels: np.ndarray) -> None:
        self.targets = labels[:, 0].copy()

    @property
    def class_to_idx(self) -> dict[str, int]:
        """Class name -> label."""
        return {name: i for i, name in enumerate(self.classes)}

    def download(self) -> None:
        """Fetch and unpack the binary archive unless its files are there already."""
        folder = self.root / self.base_folder
        if all((folder / f).is_file() for f in self.train_list + self.test_list):
            return
        archive = download_url(self.url, self.root, self.filename, md5=self.tgz_md5)
        extract_tar(archive, self.root)


class CIFAR100(CIFAR10):
    """CIFAR-100: 100 fine classes grouped into 20 coarse ones; ``targets`` are the fine
    labels (as torchvision's), ``coarse_targets`` the coarse ones."""

    base_folder = "cifar-100-binary"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"
    filename = "cifar-100-binary.tar.gz"
    tgz_md5 = "03b5dce01913d631647c71ecec9e9cb8"
    train_list = ["train.bin"]
    test_list = ["test.bin"]
    meta_file = "fine_label_names.txt"
    label_bytes = 2
    default_classes = ["apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee",
                       "beetle", "bicycle", "bottle", "bowl", "boy", "bridge", "bus",
                       "butterfly", "camel", "can", "castle", "caterpillar", "cattle", "chair",
                       "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab",
                       "crocodile", "cup", "dinosaur", "dolphin", "elephant", "flatfish",
                       "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
                       "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man",
                       "maple_tree", "motorcycle", "mountain", "mouse", "mushroom", "oak_tree",
                       "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck",
                       "pine_tree", "plain", "plate", "poppy", "porcupine", "possum", "rabbit",
                       "raccoon", "ray", "road", "rocket", "rose", "sea", "seal", "shark",
                       "shrew", "skunk", "skyscraper", "snail", "snake", "spider", "squirrel",
                       "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone",
                       "television", "tiger", "tractor", "train", "trout", "tulip", "turtle",
                       "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm"]

    def _limits(self) -> tuple[int, ...]:
        return (20, 100)

    def _set_targets(self, labels: np.ndarray) -> None:
        self.coarse_targets = labels[:, 0].copy()
        self.targets = labels[:, 1].copy()
