"""``DatasetFolder`` and ``ImageFolder``: one sub-folder per class, as torchvision reads them.

``root/dog/xxx.png``, ``root/cat/123.jpg`` ...: classes are the sub-folder names sorted,
``class_to_idx`` maps them to labels, ``samples`` lists ``(path, label)`` in sorted order
(folders walked recursively, symlinks followed) and ``targets`` the labels. A class with no
valid file, or a root with no class folder, raises ``FileNotFoundError``; an image Pillow
cannot read raises ``OSError`` naming the file. Pillow is imported only when an image is
loaded (``pip install "lucid[vision]"``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .dataset import Dataset
from .transforms.image import pil_image_module

#: The file endings :class:`ImageFolder` takes for images (compared lower-cased).
IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def has_file_allowed_extension(filename: str, extensions: str | tuple[str, ...]) -> bool:
    """Whether ``filename`` ends with one of ``extensions`` (case-insensitive)."""
    exts = (extensions,) if isinstance(extensions, str) else tuple(extensions)
    return filename.lower().endswith(tuple(e.lower() for e in exts))


def find_classes(directory: str | os.PathLike[str]) -> tuple[list[str], dict[str, int]]:
    """The sorted class folder names of ``directory`` and their labels."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"dataset folder {str(directory)!r} does not exist")
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}: expected one "
                                "sub-folder per class (root/<class>/<file>)")
    return classes, {name: i for i, name in enumerate(classes)}


def make_dataset(directory: str | os.PathLike[str], class_to_idx: dict[str, int],
                 extensions: str | tuple[str, ...] | None = None,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> list[tuple[str, int]]:
    """``(path, label)`` of every valid file under each class folder, in sorted order."""
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the "
                         "same time")
    valid = is_valid_file if is_valid_file is not None else \
        (lambda p: has_file_allowed_extension(p, extensions))  # type: ignore[arg-type]
    samples: list[tuple[str, int]] = []
    empty = []
    for name in sorted(class_to_idx):
        label = class_to_idx[name]
        folder = os.path.join(directory, name)
        if not os.path.isdir(folder):
            continue
        found = 0
        for dirpath, _, filenames in sorted(os.walk(folder, followlinks=True)):
            for fname in sorted(filenames):
                path = os.path.join(dirpath, fname)
                if valid(path):
                    samples.append((path, label))
                    found += 1
        if not found:
            empty.append(name)
    if empty and not allow_empty:
        if extensions is None:
            what = "is_valid_file accepted none of the files"
        else:
            exts = (extensions,) if isinstance(extensions, str) else extensions
            what = f"Supported extensions are: {', '.join(exts)}"
        raise FileNotFoundError(f"Found no valid file for the classes {', '.join(empty)} in "
                                f"{directory}. {what}")
    return samples


def pil_loader(path: str) -> Any:
    """Open ``path`` with Pillow as an RGB image (fully read, file closed)."""
    Image = pil_image_module()
    try:
        with open(path, "rb") as f:
            img = Image.open(f)
            return img.convert("RGB")
    except (OSError, SyntaxError, ValueError) as exc:
        raise OSError(f"cannot read the image file {path!r}: {exc}") from exc


def default_loader(path: str) -> Any:
    """torchvision's default image loader: Pillow, RGB."""
    return pil_loader(path)


class DatasetFolder(Dataset[tuple[Any, int]]):
    """Files in per-class folders, loaded with ``loader``; sample ``i`` is
    ``(transform(loader(path)), target_transform(label))``."""

    def __init__(self, root: str | os.PathLike[str], loader: Callable[[str], Any],
                 extensions: str | tuple[str, ...] | None = None,
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> None:
        self.root = str(root)
        self.loader = loader
        self.extensions = extensions
        self.transform = transform
        self.target_transform = target_transform
        self.classes, self.class_to_idx = self.find_classes(self.root)
        self.samples = make_dataset(self.root, self.class_to_idx, extensions, is_valid_file,
                                    allow_empty)
        self.imgs = self.samples
        self.targets = [label for _, label in self.samples]

    def find_classes(self, directory: str) -> tuple[list[str], dict[str, int]]:
        """The class names and their labels (override to use another layout)."""
        return find_classes(directory)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        path, target = self.samples[index]
        sample = self.loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def __len__(self) -> int:
        return len(self.samples)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(root={self.root!r}, {len(self)} samples, "
                f"{len(self.classes)} classes)")


class ImageFolder(DatasetFolder):
    """Images in per-class folders (the extensions of ``IMG_EXTENSIONS`` unless
    ``is_valid_file`` decides), loaded as RGB Pillow images by default."""

    def __init__(self, root: str | os.PathLike[str],
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None,
                 loader: Callable[[str], Any] = default_loader,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> None:
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform, target_transform, is_valid_file, allow_empty)
