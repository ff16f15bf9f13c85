"""Image transforms: torchvision's classes, timm's evaluation helpers, lucid's array functions.

torchvision's names and rules, on Pillow images, ``(H, W[, C])`` NumPy arrays or
``(C, H, W)`` lucid tensors (each returns the kind it was given; ``ToTensor`` makes the
tensor)::

    from lucid.data import transforms as T
    train_tf = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(),
                          T.ColorJitter(0.4, 0.4, 0.4), T.ToTensor(),
                          T.Normalize(T.IMAGENET_MEAN, T.IMAGENET_STD)])
    T.seed(0)                                     # random transforms become reproducible
    eval_tf = T.create_transform(**T.resolve_data_config(model=model))

Random transforms draw from a shared generator (:func:`seed`) unless given their own
``generator=`` (an int or ``numpy.random.Generator``); DataLoader workers reseed the shared
one per worker. The torchvision-style functions live in :mod:`.functional`
(``transforms.functional.resize`` etc.). The array functions lucid had before
(:func:`resize`, :func:`resize_shorter`, :func:`center_crop`, :func:`normalize`,
:func:`preprocess_imagenet`, :func:`classify`, the ImageNet labels) stay here unchanged.
"""

from __future__ import annotations

from typing import Any

from . import functional
from .data_config import resolve_data_config
from .factory import CenterCropOrPad, ResizeKeepRatio, create_transform
from .functional import InterpolationMode
from .geometry import CenterCrop, RandomCrop, RandomHorizontalFlip, RandomResizedCrop, Resize
from .imagenet import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    center_crop,
    classify,
    load_image,
    normalize,
    preprocess_imagenet,
    resize,
    resize_shorter,
    to_chw_float,
)
from .imagenet import __getattr__ as _imagenet_getattr
from .jitter import ColorJitter
from .pipeline import Compose, Normalize, ToTensor
from .rng import seed

__all__ = ["CenterCrop", "CenterCropOrPad", "ColorJitter", "Compose", "IMAGENET_CLASSES",
           "IMAGENET_MEAN", "IMAGENET_STD", "IMAGENET_SYNSETS", "InterpolationMode",
           "Normalize", "RandomCrop", "RandomHorizontalFlip", "RandomResizedCrop", "Resize",
           "ResizeKeepRatio", "ToTensor", "center_crop", "classify", "create_transform",
           "functional", "load_image", "normalize", "preprocess_imagenet", "resize",
           "resize_shorter", "resolve_data_config", "seed", "to_chw_float"]


def __getattr__(name: str) -> Any:
    """``IMAGENET_CLASSES`` and ``IMAGENET_SYNSETS`` load on first use."""
    return _imagenet_getattr(name)
