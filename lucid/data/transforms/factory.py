"""timm's ``create_transform``: the evaluation and training pipelines timm builds for a model.

Evaluation (``crop_mode`` center): resize the shorter side to ``floor(size / crop_pct)``,
center-crop ``size``, ``ToTensor``, ``Normalize``; ``squash`` resizes both sides instead,
``border`` fits the longer side and pads with the mean color. Training: a
``RandomResizedCrop`` (``scale``, ``ratio``), a horizontal flip with probability ``hflip``,
an optional ``ColorJitter`` (a number is brightness = contrast = saturation), then
``ToTensor`` and ``Normalize``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from . import functional as F
from .data_config import DEFAULT_CROP_PCT
from .geometry import CenterCrop, RandomHorizontalFlip, RandomResizedCrop, Resize
from .imagenet import IMAGENET_MEAN, IMAGENET_STD
from .jitter import ColorJitter
from .pipeline import Compose, Normalize, ToTensor
from .rng import GeneratorLike


class ResizeKeepRatio:
    """Resize so the image fits ``size`` by its shorter (``longest=0``) or longer
    (``longest=1``) side relative to the target, keeping the aspect ratio (timm's)."""

    def __init__(self, size: Any, longest: float = 0.0,
                 interpolation: Any = "bilinear") -> None:
        self.size = F.size_pair("size", size)
        self.longest = float(longest)
        self.interpolation = F.interpolation_mode(interpolation)

    def __call__(self, img: Any) -> Any:
        _, h, w = F.get_dimensions(img)
        ratio_h, ratio_w = h / self.size[0], w / self.size[1]
        ratio = max(ratio_h, ratio_w) * self.longest + min(ratio_h, ratio_w) * (1 - self.longest)
        target = [round(h / ratio), round(w / ratio)]
        return F.resize(img, target, self.interpolation)


class CenterCropOrPad:
    """Center-crop ``size``, padding with ``fill`` where the image is smaller (timm's)."""

    def __init__(self, size: Any, fill: Any = 0) -> None:
        self.size = F.size_pair("size", size)
        self.fill = fill

    def __call__(self, img: Any) -> Any:
        return F.center_crop_or_pad(img, self.size, self.fill)


def _image_size(input_size: Any) -> tuple[int, int] | int:
    if isinstance(input_size, (tuple, list)):
        if len(input_size) not in (2, 3):
            raise ValueError(f"input_size must be an int, (h, w) or (c, h, w), got "
                             f"{input_size!r}")
        return int(input_size[-2]), int(input_size[-1])
    return int(input_size)


def _eval(img_size: tuple[int, int] | int, crop_pct: float | None, crop_mode: str | None,
          interpolation: str, mean: Sequence[float], std: Sequence[float]) -> Compose:
    crop_pct = crop_pct or DEFAULT_CROP_PCT
    if isinstance(img_size, tuple):
        scale_size = (math.floor(img_size[0] / crop_pct), math.floor(img_size[1] / crop_pct))
    else:
        scale_size = (math.floor(img_size / crop_pct),) * 2
    steps: list[Any]
    if crop_mode == "squash":
        steps = [Resize(scale_size, interpolation), CenterCrop(img_size)]
    elif crop_mode == "border":
        fill = [round(255 * v) for v in mean]
        steps = [ResizeKeepRatio(scale_size, longest=1.0, interpolation=interpolation),
                 CenterCropOrPad(img_size, fill=fill)]
    elif crop_mode in (None, "center"):
        first = Resize(scale_size[0], interpolation) if scale_size[0] == scale_size[1] else \
            ResizeKeepRatio(scale_size, interpolation=interpolation)
        steps = [first, CenterCrop(img_size)]
    else:
        raise ValueError(f"crop_mode must be 'center', 'squash' or 'border', got {crop_mode!r}")
    return Compose([*steps, ToTensor(), Normalize(mean, std)])


def create_transform(input_size: Any = 224, is_training: bool = False, no_aug: bool = False,
                     *, scale: Sequence[float] | None = None,
                     ratio: Sequence[float] | None = None,
                     hflip: float = 0.5, color_jitter: float | Sequence[float] | None = 0.4,
                     interpolation: str = "bilinear",
                     mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD,
                     crop_pct: float | None = None, crop_mode: str | None = None,
                     generator: GeneratorLike = None) -> Compose:
    """The pipeline timm's ``create_transform`` builds (see the module docstring).

    ``input_size`` is an int, ``(h, w)`` or ``(c, h, w)``, so a ``resolve_data_config``
    result can be passed as ``create_transform(**config)``. The arguments after ``no_aug``
    are keyword-only (timm's positional order has options lucid lacks). ``generator`` seeds the
    training pipeline's random steps (default: the shared generator, ``transforms.seed``).
    """
    img_size = _image_size(input_size)
    F.interpolation_mode(interpolation)  # validate
    if not is_training:
        return _eval(img_size, crop_pct, crop_mode, interpolation, mean, std)
    if no_aug:
        return Compose([Resize(img_size, interpolation), CenterCrop(img_size), ToTensor(),
                        Normalize(mean, std)])
    from . import rng

    g = rng.own(generator)
    steps: list[Any] = [RandomResizedCrop(img_size, scale=tuple(scale or (0.08, 1.0)),
                                          ratio=tuple(ratio or (3.0 / 4.0, 4.0 / 3.0)),
                                          interpolation=interpolation, generator=g)]
    if hflip > 0.0:
        steps.append(RandomHorizontalFlip(hflip, generator=g))
    if color_jitter is not None and color_jitter != 0:
        if isinstance(color_jitter, Sequence):
            if len(color_jitter) not in (3, 4):
                raise ValueError(f"color_jitter must be a number or 3 or 4 values, got "
                                 f"{color_jitter!r}")
            jitter = tuple(float(v) for v in color_jitter)
        else:
            jitter = (float(color_jitter),) * 3  # type: ignore[arg-type]
        hue = jitter[3] if len(jitter) == 4 else 0.0
        steps.append(ColorJitter(jitter[0], jitter[1], jitter[2], hue, generator=g))
    return Compose([*steps, ToTensor(), Normalize(mean, std)])
