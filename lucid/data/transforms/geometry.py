"""Resizing, cropping and flipping transforms under torchvision's names and rules.

Random ones draw from their ``generator`` (an int seed or ``numpy.random.Generator``) or,
by default, from the shared generator of :mod:`.rng` (``transforms.seed(n)``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

from . import functional as F
from . import rng as _rng
from .functional import InterpolationMode


class Resize:
    """Resize to ``size``: an int matches the shorter side (aspect ratio kept), ``(h, w)``
    is exact. ``interpolation`` bilinear (default) or bicubic/nearest; antialiased."""

    def __init__(self, size: Any, interpolation: Any = InterpolationMode.BILINEAR,
                 max_size: int | None = None, antialias: bool = True) -> None:
        F.resized_output_size(1, 1, size, None if max_size is None else max_size)  # validate
        self.size = size
        self.interpolation = F.interpolation_mode(interpolation)
        self.max_size = max_size
        self.antialias = antialias

    def __call__(self, img: Any) -> Any:
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self.size}, interpolation="
                f"{self.interpolation.value}, max_size={self.max_size}, "
                f"antialias={self.antialias})")


class CenterCrop:
    """The central ``size`` window (zero-padded where the image is smaller)."""

    def __init__(self, size: Any) -> None:
        self.size = F.size_pair("size", size)

    def __call__(self, img: Any) -> Any:
        return F.center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


class RandomCrop:
    """A random ``size`` window, after optional ``padding`` (and padding to ``size`` with
    ``pad_if_needed``); ``fill`` / ``padding_mode`` as :func:`functional.pad`."""

    def __init__(self, size: Any, padding: Any = None, pad_if_needed: bool = False,
                 fill: Any = 0, padding_mode: str = "constant",
                 generator: _rng.GeneratorLike = None) -> None:
        self.size = F.size_pair("size", size)
        if padding is not None:
            F._padding_ltrb(padding)  # validate now
        if padding_mode not in F._PAD_MODES:
            raise ValueError(f"padding_mode must be one of {F._PAD_MODES}, got "
                             f"{padding_mode!r}")
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode
        self.generator = _rng.own(generator)

    @staticmethod
    def get_params(img: Any, output_size: tuple[int, int],
                   generator: Any = None) -> tuple[int, int, int, int]:
        """``(top, left, height, width)`` of a random crop of ``output_size``."""
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size "
                             f"{(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        g = _rng.pick(generator)
        i = int(g.integers(0, h - th + 1))
        j = int(g.integers(0, w - tw + 1))
        return i, j, th, tw

    def __call__(self, img: Any) -> Any:
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, h, w = F.get_dimensions(img)
        if self.pad_if_needed and w < self.size[1]:
            img = F.pad(img, [self.size[1] - w, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and h < self.size[0]:
            img = F.pad(img, [0, self.size[0] - h], self.fill, self.padding_mode)
        i, j, th, tw = self.get_params(img, self.size, self.generator)
        return F.crop(img, i, j, th, tw)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


def _range(name: str, value: Sequence[float]) -> tuple[float, float]:
    if not isinstance(value, Sequence) or len(value) != 2:
        raise TypeError(f"{name} should be a sequence of length 2, got {value!r}")
    lo, hi = float(value[0]), float(value[1])
    if lo > hi:
        warnings.warn(f"{name} should be of kind (min, max), got {value!r}", stacklevel=3)
    return lo, hi


class RandomResizedCrop:
    """A crop of random area (``scale`` of the image) and aspect ratio (``ratio``), resized
    to ``size``: torchvision's algorithm (10 tries, then a central crop of the closest
    allowed aspect ratio)."""

    def __init__(self, size: Any, scale: Sequence[float] = (0.08, 1.0),
                 ratio: Sequence[float] = (3.0 / 4.0, 4.0 / 3.0),
                 interpolation: Any = InterpolationMode.BILINEAR, antialias: bool = True,
                 generator: _rng.GeneratorLike = None) -> None:
        self.size = F.size_pair("size", size)
        self.scale = _range("scale", scale)
        self.ratio = _range("ratio", ratio)
        if self.ratio[0] <= 0:
            raise ValueError(f"ratio must be positive, got {ratio!r}")
        self.interpolation = F.interpolation_mode(interpolation)
        self.antialias = antialias
        self.generator = _rng.own(generator)

    @staticmethod
    def get_params(img: Any, scale: Sequence[float], ratio: Sequence[float],
                   generator: Any = None) -> tuple[int, int, int, int]:
        """``(top, left, height, width)`` of a random crop (torchvision's sampling)."""
        _, height, width = F.get_dimensions(img)
        area = height * width
        g = _rng.pick(generator)
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * float(g.uniform(scale[0], scale[1]))
            aspect_ratio = math.exp(float(g.uniform(log_ratio[0], log_ratio[1])))
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                i = int(g.integers(0, height - h + 1))
                j = int(g.integers(0, width - w + 1))
                return i, j, h, w
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            w = width
            h = int(round(w / min(ratio)))
        elif in_ratio > max(ratio):
            h = height
            w = int(round(h * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img: Any) -> Any:
        i, j, h, w = self.get_params(img, self.scale, self.ratio, self.generator)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation, self.antialias)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self.size}, scale={self.scale}, ratio="
                f"{self.ratio}, interpolation={self.interpolation.value})")


class RandomHorizontalFlip:
    """Mirror left to right with probability ``p``."""

    def __init__(self, p: float = 0.5, generator: _rng.GeneratorLike = None) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be a probability in [0, 1], got {p!r}")
        self.p = float(p)
        self.generator = _rng.own(generator)

    def __call__(self, img: Any) -> Any:
        if float(_rng.pick(self.generator).random()) < self.p:
            return F.hflip(img)
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"
