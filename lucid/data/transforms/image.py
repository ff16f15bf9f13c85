"""The three image kinds transforms accept, and moving between them and ``(H, W, C)`` arrays.

* a Pillow image (what ``ImageFolder`` loads; transforms use Pillow's own operations on it,
  exactly as torchvision does);
* a NumPy array ``(H, W)`` or ``(H, W, C)`` with 1 to 4 channels, uint8 or float (what
  lucid's MNIST and CIFAR readers return);
* a lucid tensor ``(C, H, W)`` (after ``ToTensor``), as torchvision's tensor transforms.

Transforms return the kind they were given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..._creation import from_numpy
from ..._tensor import Tensor


def pil_image_module() -> Any:
    """``PIL.Image``, or an ImportError naming the extra to install."""
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError('this needs Pillow: pip install "lucid[vision]" (or pip install '
                          "pillow)") from exc
    return Image


def is_pil(img: Any) -> bool:
    """Whether ``img`` is a Pillow image (checked without importing Pillow)."""
    return any(c.__module__.startswith("PIL.") and c.__name__ == "Image"
               for c in type(img).__mro__)


def check_array(arr: np.ndarray, name: str = "image") -> None:
    """Raise unless ``arr`` is an ``(H, W)`` or ``(H, W, C)`` image with 1 to 4 channels."""
    if arr.ndim == 2 or (arr.ndim == 3 and 1 <= arr.shape[2] <= 4):
        return
    raise ValueError(f"{name} must be an (H, W) or (H, W, C) NumPy array with 1-4 channels "
                     f"(a channel-first image should be a lucid tensor (C, H, W)), got shape "
                     f"{arr.shape}")


def to_hwc(img: Any, name: str = "image") -> tuple[np.ndarray, Callable[[np.ndarray], Any]]:
    """``img`` as an ``(H, W, C)`` array, and the function that turns a result back into
    ``img``'s kind."""
    if isinstance(img, Tensor):
        if img.ndim != 3:
            raise ValueError(f"{name}: a tensor image must be (C, H, W), got shape "
                             f"{tuple(img.shape)}")
        backend = img.backend
        chw = np.asarray(img.detach().numpy())
        # the result is always a fresh array: lucid tensors never share memory (no views)
        return np.moveaxis(chw, 0, -1), lambda a: from_numpy(np.moveaxis(a, -1, 0).copy(),
                                                             backend)
    if is_pil(img):
        Image = pil_image_module()
        arr = np.asarray(img)
        mode = img.mode
        if arr.ndim == 2:
            return arr[:, :, None], lambda a: Image.fromarray(np.ascontiguousarray(
                a[:, :, 0])).convert(mode)
        return arr, lambda a: Image.fromarray(np.ascontiguousarray(a)).convert(mode)
    if isinstance(img, np.ndarray):
        check_array(img, name)
        if img.ndim == 2:
            return img[:, :, None], lambda a: a[:, :, 0]
        return img, lambda a: a
    raise TypeError(f"{name} must be a PIL image, an (H, W[, C]) NumPy array or a (C, H, W) "
                    f"lucid tensor, got {type(img).__name__}")


def get_dimensions(img: Any) -> list[int]:
    """``[channels, height, width]`` of an image of any accepted kind."""
    if is_pil(img):
        return [len(img.getbands()), img.height, img.width]
    arr, _ = to_hwc(img)
    return [arr.shape[2], arr.shape[0], arr.shape[1]]
