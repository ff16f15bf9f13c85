"""``ColorJitter``: random brightness, contrast, saturation and hue, in a random order."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from . import functional as F
from . import rng as _rng


def _factor_range(value: Any, name: str, center: float = 1.0,
                  bound: tuple[float, float] = (0.0, float("inf")),
                  clip_first_on_zero: bool = True) -> tuple[float, float] | None:
    """torchvision's reading of a jitter argument: ``x`` means ``[center - x, center + x]``."""
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        if value < 0:  # type: ignore[operator]
            raise ValueError(f"If {name} is a single number, it must be non negative.")
        lo, hi = center - float(value), center + float(value)  # type: ignore[arg-type]
        if clip_first_on_zero:
            lo = max(lo, 0.0)
    elif isinstance(value, Sequence) and len(value) == 2:
        lo, hi = float(value[0]), float(value[1])
    else:
        raise TypeError(f"{name} should be a single number or a list/tuple with length 2, got "
                        f"{value!r}")
    if not bound[0] <= lo <= hi <= bound[1]:
        raise ValueError(f"{name} values should be between {bound}, but got {[lo, hi]}.")
    return None if lo == hi == center else (lo, hi)


class ColorJitter:
    """Randomly change brightness, contrast, saturation and hue, in a random order.

    Each argument is a number ``x`` (a factor drawn from ``[max(0, 1 - x), 1 + x]``; for
    hue from ``[-x, x]`` with ``x <= 0.5``) or a ``(min, max)`` range; 0 leaves it alone.
    """

    def __init__(self, brightness: Any = 0, contrast: Any = 0, saturation: Any = 0,
                 hue: Any = 0, generator: _rng.GeneratorLike = None) -> None:
        self.brightness = _factor_range(brightness, "brightness")
        self.contrast = _factor_range(contrast, "contrast")
        self.saturation = _factor_range(saturation, "saturation")
        self.hue = _factor_range(hue, "hue", center=0.0, bound=(-0.5, 0.5),
                                 clip_first_on_zero=False)
        self.generator = _rng.own(generator)

    @staticmethod
    def get_params(brightness: tuple[float, float] | None,
                   contrast: tuple[float, float] | None,
                   saturation: tuple[float, float] | None, hue: tuple[float, float] | None,
                   generator: Any = None) -> tuple[list[int], float | None, float | None,
                                                   float | None, float | None]:
        """The order of the four adjustments and their factors (None: skipped)."""
        g = _rng.pick(generator)
        order = [int(i) for i in g.permutation(4)]
        factors = [None if r is None else float(g.uniform(r[0], r[1]))
                   for r in (brightness, contrast, saturation, hue)]
        return order, factors[0], factors[1], factors[2], factors[3]

    def __call__(self, img: Any) -> Any:
        order, b, c, s, h = self.get_params(self.brightness, self.contrast, self.saturation,
                                            self.hue, self.generator)
        for i in order:
            if i == 0 and b is not None:
                img = F.adjust_brightness(img, b)
            elif i == 1 and c is not None:
                img = F.adjust_contrast(img, c)
            elif i == 2 and s is not None:
                img = F.adjust_saturation(img, s)
            elif i == 3 and h is not None:
                img = F.adjust_hue(img, h)
        return img

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")
