"""``Compose``, ``ToTensor`` and ``Normalize``: chaining transforms and the tensor at the end."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import functional as F


class Compose:
    """Apply ``transforms`` one after another."""

    def __init__(self, transforms: Sequence[Any]) -> None:
        if isinstance(transforms, (str, bytes)) or not isinstance(transforms, Sequence):
            raise TypeError(f"Compose takes a list of transforms, got "
                            f"{type(transforms).__name__}")
        for t in transforms:
            if not callable(t):
                raise TypeError(f"Compose: every transform must be callable, got {t!r}")
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({inner}\n)"


class ToTensor:
    """A Pillow image or ``(H, W[, C])`` array as a ``(C, H, W)`` lucid tensor; uint8 is
    scaled to float32 in [0, 1] (see :func:`functional.to_tensor`)."""

    def __call__(self, pic: Any) -> Any:
        return F.to_tensor(pic)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Normalize:
    """``(x - mean) / std`` per channel of a float ``(..., C, H, W)`` tensor or array."""

    def __init__(self, mean: Sequence[float], std: Sequence[float],
                 inplace: bool = False) -> None:
        self.mean = tuple(float(m) for m in mean)
        self.std = tuple(float(s) for s in std)
        self.inplace = inplace

    def __call__(self, tensor: Any) -> Any:
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={list(self.mean)}, std={list(self.std)})"
