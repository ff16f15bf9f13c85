"""The datasets ``lucid train --data`` knows by name, and a folder of the user's images."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: --data name -> (dataset class name in lucid.data, channels, native size, mean, std)
NAMED: dict[str, tuple[str, int, int, tuple[float, ...], tuple[float, ...]]] = {
    "mnist": ("MNIST", 1, 28, (0.1307,), (0.3081,)),
    "fashion-mnist": ("FashionMNIST", 1, 28, (0.2860,), (0.3530,)),
    "cifar10": ("CIFAR10", 3, 32, (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "cifar100": ("CIFAR100", 3, 32, (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
}
CHOICES = ("digits", *NAMED)


@dataclass
class TrainData:
    """What the training command needs to know about its data."""

    name: str
    train: Any
    test: Any
    num_classes: int
    in_channels: int
    image_size: int
    classes: tuple[str, ...]


def check_data_argument(data: str) -> None:
    """Raise ValueError unless ``data`` names a known dataset or an existing folder."""
    if data.lower() in CHOICES:
        return
    if Path(data).is_dir():
        return
    raise ValueError(f"--data {data!r} is neither one of {', '.join(CHOICES)} nor an existing "
                     "folder of images")


def default_data_dir() -> Path:
    """``$LUCID_HOME/datasets``, else ``$XDG_CACHE_HOME/lucid/datasets`` or ~/.cache/lucid/..."""
    home = os.environ.get("LUCID_HOME")
    if home:
        return Path(home) / "datasets"
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(cache) / "lucid" / "datasets"


def load_data(args: argparse.Namespace) -> TrainData:
    """Build the train and test datasets ``args`` asks for, with their transforms."""
    name = args.data.lower()
    if name == "digits":
        return _digits(args)
    if name in NAMED:
        return _named(name, args)
    return _folder(Path(args.data), args)


def _digits(args: argparse.Namespace) -> TrainData:
    from lucid.data import load_digits

    size = args.image_size or 16
    train: Any
    train, test = load_digits(image_size=size, seed=args.seed)
    if args.augment:
        from lucid.data import transforms as T

        train = _Mapped(train, _ChannelsLast(T.RandomCrop(size, padding=max(1, size // 8))))
    return TrainData("digits", train, test, 10, 1, size, tuple(str(i) for i in range(10)))


def _named(name: str, args: argparse.Namespace) -> TrainData:
    import lucid.data as data
    from lucid.data import transforms as T

    cls_name, channels, native, mean, std = NAMED[name]
    size = args.image_size or native
    root = Path(args.data_dir) if args.data_dir else default_data_dir()
    resize = [] if size == native else [T.Resize(size)]
    augment = [T.RandomCrop(size, padding=size // 8)] + \
        ([T.RandomHorizontalFlip()] if channels == 3 else []) if args.augment else []
    tail = [T.ToTensor(), T.Normalize(mean, std)]
    cls = getattr(data, cls_name)
    try:
        train = cls(root, train=True, download=args.download,
                    transform=T.Compose([*resize, *augment, *tail]))
        test = cls(root, train=False, download=args.download,
                   transform=T.Compose([*resize, *tail]))
    except (RuntimeError, OSError) as exc:  # files missing or damaged, download failed
        hint = "" if args.download else " (--download fetches missing files)"
        raise ValueError(f"--data {name}: {exc}{hint}") from exc
    classes = tuple(getattr(train, "classes", ())) or tuple(str(i) for i in range(10))
    return TrainData(name, train, test, len(classes), channels, size, classes)


def _folder(root: Path, args: argparse.Namespace) -> TrainData:
    from lucid.data import ImageFolder, Subset, random_split
    from lucid.data import transforms as T

    size = args.image_size or 224
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    if args.augment:
        train_tf = T.Compose([T.RandomResizedCrop(size), T.RandomHorizontalFlip(),
                              T.ToTensor(), T.Normalize(mean, std)])
    else:
        train_tf = T.Compose([T.Resize(size), T.CenterCrop(size), T.ToTensor(),
                              T.Normalize(mean, std)])
    test_tf = T.Compose([T.Resize(int(size / 0.875)), T.CenterCrop(size), T.ToTensor(),
                         T.Normalize(mean, std)])
    if (root / "train").is_dir() and (root / "val").is_dir():
        train: Any = ImageFolder(root / "train", transform=train_tf)
        test: Any = ImageFolder(root / "val", transform=test_tf)
        if train.classes != test.classes:
            raise ValueError(f"--data {str(root)!r}: train/ has classes {train.classes} but "
                             f"val/ has {test.classes}; they must be the same")
        classes = tuple(train.classes)
    else:
        plain = ImageFolder(root, transform=train_tf)
        n_val = max(1, round(len(plain) * args.val_fraction))
        if n_val >= len(plain):
            raise ValueError(f"--data {str(root)!r} has {len(plain)} images: too few to hold "
                             f"out a {args.val_fraction} share for testing")
        train_part, val_part = random_split(plain, [len(plain) - n_val, n_val],
                                            generator=args.seed)
        train = train_part
        test = Subset(ImageFolder(root, transform=test_tf), val_part.indices)
        classes = tuple(plain.classes)
    return TrainData(root.resolve().name or "folder", train, test, len(classes), 3, size,
                     classes)


class _ChannelsLast:
    """Apply an image transform to a (C, H, W) array through its (H, W, C) view."""

    def __init__(self, transform: Any) -> None:
        self.transform = transform

    def __call__(self, image: Any) -> Any:
        return self.transform(image.transpose(1, 2, 0)).transpose(2, 0, 1)


class _Mapped:
    """A dataset whose images pass through ``transform`` (labels unchanged)."""

    def __init__(self, dataset: Any, transform: Any) -> None:
        self.dataset, self.transform = dataset, transform

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image, label = self.dataset[index]
        return self.transform(image), label
