"""MNIST and Fashion-MNIST read from their IDX files, in torchvision's folder layout.

Files live in ``root/<ClassName>/raw/`` (``root/MNIST/raw/train-images-idx3-ubyte`` ...),
plain or gzipped (``.gz``), exactly where torchvision keeps them. The IDX header is
checked (magic number, element type, number of dimensions, sizes against the file length)
and a damaged file raises ``ValueError`` naming the file and the fault. Samples are
``(image, label)`` with ``image`` a ``(28, 28)`` uint8 NumPy array (torchvision gives a PIL
image; lucid's transforms take either, and no Pillow is needed), ``label`` an int.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .download import download_url
from .image_arrays import ImageArrayDataset

#: IDX element-type codes -> big-endian NumPy dtypes.
_IDX_TYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """An IDX file (plain or gzipped) as a NumPy array, its header validated."""
    path = Path(path)
    opener: Any = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as exc:
        raise ValueError(f"{path}: cannot read the file ({exc})") from exc
    if len(data) < 4:
        raise ValueError(f"{path}: too short for an IDX header ({len(data)} bytes)")
    if data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f"{path}: not an IDX file (magic bytes {data[:4].hex()}; expected "
                         "00 00, a type code in 08 09 0b 0c 0d 0e, and the number of dims)")
    dtype, ndim = _IDX_TYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise ValueError(f"{path}: IDX header declares {ndim} dimensions but the file has "
                         f"{len(data)} bytes")
    shape = tuple(int(v) for v in np.frombuffer(data, ">u4", ndim, 4))
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(f"{path}: IDX header says shape {shape} ({expected} bytes in all) but "
                         f"the file has {len(data)} bytes; it is truncated or damaged")
    return np.frombuffer(data, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder(
        "="))


class MNIST(ImageArrayDataset):
    """The MNIST digits (60,000 training and 10,000 test images of 28x28, 10 classes).

    ``root`` holds ``MNIST/raw/`` as torchvision lays it out; ``train`` picks the split;
    ``transform`` / ``target_transform`` apply to the image / label; ``download=True``
    fetches missing files from the official mirrors (MD5-checked).
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike[str], train: bool = True,
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None,
                 download: bool = False) -> None:
        super().__init__(root, train, transform, target_transform, download)
        prefix = "train" if train else "t10k"
        images = read_idx(self._find(f"{prefix}-images-idx3-ubyte"))
        labels = read_idx(self._find(f"{prefix}-labels-idx1-ubyte"))
        self._check(images, labels, prefix)
        self.data = np.ascontiguousarray(images, dtype=np.uint8)
        self.targets = labels.astype(np.int64)

    @property
    def raw_folder(self) -> Path:
        """``root/<ClassName>/raw``, where the IDX files are."""
        return self.root / type(self).__name__ / "raw"

    @property
    def class_to_idx(self) -> dict[str, int]:
        """Class name -> label."""
        return {name: i for i, name in enumerate(self.classes)}

    def _find(self, stem: str) -> Path:
        for name in (stem, stem + ".gz"):
            if (self.raw_folder / name).is_file():
                return self.raw_folder / name
        raise RuntimeError(f"{type(self).__name__} not found: expected {stem}(.gz) in "
                           f"{self.raw_folder}. Use download=True to download it.")

    def _check(self, images: np.ndarray, labels: np.ndarray, prefix: str) -> None:
        where = f"{self.raw_folder}/{prefix}-*"
        if images.dtype != np.uint8 or images.ndim != 3:
            raise ValueError(f"{where}: images must be a uint8 (N, rows, cols) IDX array, got "
                             f"{images.dtype} of shape {images.shape}")
        if labels.dtype != np.uint8 or labels.ndim != 1:
            raise ValueError(f"{where}: labels must be a uint8 (N,) IDX array, got "
                             f"{labels.dtype} of shape {labels.shape}")
        if len(images) != len(labels):
            raise ValueError(f"{where}: {len(images)} images but {len(labels)} labels")
        if labels.size and int(labels.max()) >= len(self.classes):
            raise ValueError(f"{where}: label {int(labels.max())} is out of range for "
                             f"{len(self.classes)} classes")

    def download(self) -> None:
        """Fetch the four ``.gz`` files that are not there yet (checksums verified)."""
        for filename, md5 in self.resources:
            stem = filename[:-3]
            if (self.raw_folder / stem).is_file() or (self.raw_folder / filename).is_file():
                continue
            download_url([m + filename for m in self.mirrors], self.raw_folder, filename,
                         md5=md5)


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (28x28 gray clothing images, 10 classes), MNIST's format."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
