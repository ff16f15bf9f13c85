"""torchvision's ``transforms.functional`` on lucid's image kinds (see :mod:`.image`).

Pillow images go through Pillow exactly as torchvision sends them (so results are
torchvision's to the bit); NumPy arrays and lucid tensors go through NumPy with the same
geometry and Pillow's resampling filters. Every function returns the kind it was given,
except :func:`to_tensor`, which returns a ``(C, H, W)`` lucid tensor.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any

import numpy as np

from ..._creation import from_numpy
from ..._tensor import Tensor
from ...backends import DEFAULT_BACKEND
from ..collate import _host, _unsupported
from ..collate import _np_collatable as _tensor_dtype
from . import resample as _resample
from .color import adjust_brightness, adjust_contrast, adjust_hue, adjust_saturation
from .image import get_dimensions, is_pil, pil_image_module, to_hwc

__all__ = ["InterpolationMode", "adjust_brightness", "adjust_contrast", "adjust_hue",
           "adjust_saturation", "center_crop", "crop", "get_dimensions", "hflip", "normalize",
           "pad", "resize", "resized_crop", "to_tensor"]


class InterpolationMode(str, Enum):
    """Resampling filters, by torchvision's names (plain strings are accepted too)."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


def interpolation_mode(mode: Any) -> InterpolationMode:
    """``mode`` as an :class:`InterpolationMode`; a string is matched case-insensitively."""
    try:
        return InterpolationMode(mode.value if isinstance(mode, Enum) else str(mode).lower())
    except ValueError:
        raise ValueError(f"interpolation must be one of 'nearest', 'bilinear', 'bicubic' (or "
                         f"an InterpolationMode), got {mode!r}") from None


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def size_pair(name: str, size: Any) -> tuple[int, int]:
    """An int or a one- or two-element sequence as ``(height, width)``."""
    if isinstance(size, Sequence) and not isinstance(size, str) and len(size) in (1, 2):
        h = _positive_int(name, size[0])
        return (h, h) if len(size) == 1 else (h, _positive_int(name, size[1]))
    v = _positive_int(name, size)
    return v, v


def resized_output_size(height: int, width: int, size: Any,
                        max_size: int | None = None) -> tuple[int, int]:
    """torchvision's output size: an int (or one-element sequence) sets the shorter side and
    keeps the aspect ratio (the longer side truncated), ``(h, w)`` is used as is."""
    if isinstance(size, Sequence) and not isinstance(size, str) and len(size) == 2:
        if max_size is not None:
            raise ValueError("max_size is only supported when size is an int or a one-element "
                             f"sequence, got size={size!r}")
        return size_pair("size", size)
    if isinstance(size, Sequence) and not isinstance(size, str) and len(size) != 1:
        raise ValueError(f"size must be an int or a sequence of one or two ints, got {size!r}")
    requested = size_pair("size", size)[0]
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = requested, int(requested * long / short)
    if max_size is not None:
        if max_size <= requested:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                             f"requested size for the smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_long, new_short) if width <= height else (new_short, new_long)


def _pil_resample(mode: InterpolationMode) -> int:
    Image = pil_image_module()
    return {InterpolationMode.NEAREST: Image.Resampling.NEAREST,
            InterpolationMode.BILINEAR: Image.Resampling.BILINEAR,
            InterpolationMode.BICUBIC: Image.Resampling.BICUBIC}[mode]


def _pillow_available() -> bool:
    try:
        import PIL.Image  # noqa: F401
    except ImportError:
        return False
    return True


def resize(img: Any, size: Any, interpolation: Any = InterpolationMode.BILINEAR,
           max_size: int | None = None, antialias: bool = True) -> Any:
    """Resize to ``size`` (int: the shorter side; ``(h, w)``: exactly), as torchvision.

    Pillow images are resized by Pillow (always antialiased, as in torchvision). A uint8
    array with 1 or 3 channels goes through Pillow too when it is installed, so it gets the
    very same pixels; other arrays and tensors use Pillow's filters in NumPy
    (:mod:`.resample`), antialiased unless ``antialias=False``.
    """
    mode = interpolation_mode(interpolation)
    c, h, w = get_dimensions(img)
    out_h, out_w = resized_output_size(h, w, size, max_size)
    if (out_h, out_w) == (h, w):
        return img
    if is_pil(img):
        return img.resize((out_w, out_h), _pil_resample(mode))
    arr, back = to_hwc(img, "resize input")
    if arr.dtype == np.uint8 and arr.shape[2] in (1, 3) and _pillow_available():
        Image = pil_image_module()
        pic = Image.fromarray(np.ascontiguousarray(arr[:, :, 0] if arr.shape[2] == 1 else arr))
        out = np.asarray(pic.resize((out_w, out_h), _pil_resample(mode)))
        return back(out[:, :, None] if out.ndim == 2 else out)
    return back(_resample.resample(arr, out_h, out_w, mode.value, antialias))


def crop(img: Any, top: int, left: int, height: int, width: int) -> Any:
    """The ``height`` x ``width`` window at (``top``, ``left``); outside the image is zero."""
    if height < 1 or width < 1:
        raise ValueError(f"crop size must be positive, got height={height}, width={width}")
    if is_pil(img):
        return img.crop((left, top, left + width, top + height))
    arr, back = to_hwc(img, "crop input")
    h, w = arr.shape[:2]
    if top >= 0 and left >= 0 and top + height <= h and left + width <= w:
        return back(arr[top:top + height, left:left + width])
    out = np.zeros((height, width, arr.shape[2]), arr.dtype)
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + height, h), min(left + width, w)
    if y1 > y0 and x1 > x0:
        out[y0 - top:y1 - top, x0 - left:x1 - left] = arr[y0:y1, x0:x1]
    return back(out)


def center_crop(img: Any, output_size: Any) -> Any:
    """The central window of ``output_size``; zero-padded first where the image is smaller."""
    return center_crop_or_pad(img, output_size, fill=0)


def center_crop_or_pad(img: Any, output_size: Any, fill: Any = 0) -> Any:
    """:func:`center_crop`, padding with ``fill`` where the image is smaller (timm's)."""
    crop_h, crop_w = size_pair("output_size", output_size)
    _, h, w = get_dimensions(img)
    if crop_w > w or crop_h > h:
        ltrb = [(crop_w - w) // 2 if crop_w > w else 0, (crop_h - h) // 2 if crop_h > h else 0,
                (crop_w - w + 1) // 2 if crop_w > w else 0,
                (crop_h - h + 1) // 2 if crop_h > h else 0]
        img = pad(img, ltrb, fill=fill)
        _, h, w = get_dimensions(img)
        if crop_w == w and crop_h == h:
            return img
    top = int(round((h - crop_h) / 2.0))
    left = int(round((w - crop_w) / 2.0))
    return crop(img, top, left, crop_h, crop_w)


_PAD_MODES = ("constant", "edge", "reflect", "symmetric")


def _padding_ltrb(padding: Any) -> tuple[int, int, int, int]:
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
        p = [int(padding)] * 4
    elif isinstance(padding, Sequence) and len(padding) in (1, 2, 4) and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in padding):
        p = [int(v) for v in padding]
        p = p * 4 if len(p) == 1 else [p[0], p[1], p[0], p[1]] if len(p) == 2 else p
    else:
        raise TypeError(f"padding must be an int or a sequence of 1, 2 or 4 ints, got "
                        f"{padding!r}")
    if any(v < 0 for v in p):
        raise ValueError(f"padding must be non-negative, got {padding!r}")
    return p[0], p[1], p[2], p[3]


def pad(img: Any, padding: Any, fill: Any = 0, padding_mode: str = "constant") -> Any:
    """Pad the borders: ``padding`` is all sides, ``(left/right, top/bottom)`` or
    ``(left, top, right, bottom)``; ``padding_mode`` constant (with ``fill``, a number or one
    per channel), edge, reflect or symmetric."""
    if padding_mode not in _PAD_MODES:
        raise ValueError(f"padding_mode must be one of {_PAD_MODES}, got {padding_mode!r}")
    left, top, right, bottom = _padding_ltrb(padding)
    arr, back = to_hwc(img, "pad input")
    if padding_mode == "constant":
        h, w, c = arr.shape
        fill_a = np.asarray(fill, dtype=np.float64).reshape(-1)
        if fill_a.size not in (1, c):
            raise ValueError(f"fill must be a number or one value per channel ({c}), got "
                             f"{fill!r}")
        out = np.empty((h + top + bottom, w + left + right, c), arr.dtype)
        out[...] = fill_a.astype(arr.dtype)
        out[top:top + h, left:left + w] = arr
        return back(out)
    mode: Any = padding_mode
    return back(np.pad(arr, ((top, bottom), (left, right), (0, 0)), mode=mode))


def hflip(img: Any) -> Any:
    """Mirror left to right."""
    if is_pil(img):
        return img.transpose(pil_image_module().Transpose.FLIP_LEFT_RIGHT)
    arr, back = to_hwc(img, "hflip input")
    return back(np.ascontiguousarray(arr[:, ::-1]))


def resized_crop(img: Any, top: int, left: int, height: int, width: int, size: Any,
                 interpolation: Any = InterpolationMode.BILINEAR,
                 antialias: bool = True) -> Any:
    """:func:`crop`, then :func:`resize` to ``size``."""
    return resize(crop(img, top, left, height, width), size, interpolation,
                  antialias=antialias)


def to_tensor(pic: Any) -> Tensor:
    """A ``(C, H, W)`` lucid tensor on the host backend; uint8 becomes float32 in [0, 1].

    As torchvision's ``to_tensor``: other dtypes keep their values and dtype (16-bit images
    widen to int32, lucid having no 16-bit integers); a Pillow image in mode ``1`` becomes
    0/1 floats.
    """
    if isinstance(pic, Tensor):
        raise TypeError("to_tensor expects a PIL image or an (H, W[, C]) NumPy array, got a "
                        "lucid tensor (it is a tensor already)")
    if is_pil(pic):
        arr = np.asarray(pic)
        if pic.mode == "1":
            arr = arr.astype(np.uint8) * 255
    elif isinstance(pic, np.ndarray):
        arr = pic
    else:
        raise TypeError(f"to_tensor expects a PIL image or an (H, W[, C]) NumPy array, got "
                        f"{type(pic).__name__}")
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3:
        raise ValueError(f"to_tensor expects an (H, W) or (H, W, C) image, got shape "
                         f"{arr.shape}")
    chw = np.ascontiguousarray(arr.transpose(2, 0, 1))
    if chw.dtype == np.uint8:
        chw = chw.astype(np.float32) / np.float32(255)
    elif not _tensor_dtype(chw):
        raise _unsupported(chw.dtype)
    return from_numpy(_host(chw), DEFAULT_BACKEND)


def normalize(tensor: Any, mean: Sequence[float], std: Sequence[float],
              inplace: bool = False) -> Any:
    """``(tensor - mean) / std`` per channel of a float ``(..., C, H, W)`` tensor or array.

    The statistics are cast to the image's dtype first, as torchvision does. ``inplace``
    exists for torchvision compatibility; lucid returns a new tensor either way.
    """
    is_tensor = isinstance(tensor, Tensor)
    if not is_tensor and not isinstance(tensor, np.ndarray):
        raise TypeError(f"normalize expects a lucid tensor or a NumPy array, got "
                        f"{type(tensor).__name__}")
    arr = np.asarray(tensor.detach().numpy()) if is_tensor else tensor
    if arr.dtype.kind != "f":
        raise TypeError(f"Input tensor should be a float tensor. Got {arr.dtype}.")
    if arr.ndim < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tuple(arr.shape)}")
    mean_a = np.asarray(mean, dtype=arr.dtype).reshape(-1)
    std_a = np.asarray(std, dtype=arr.dtype).reshape(-1)
    c = arr.shape[-3]
    if mean_a.size not in (1, c) or std_a.size not in (1, c):
        raise ValueError(f"normalize needs 1 or {c} means and stds for {c} channels, got "
                         f"{mean_a.size} means and {std_a.size} stds")
    if np.any(std_a == 0):
        raise ValueError(f"std evaluated to zero after conversion to {arr.dtype}, leading to "
                         "division by zero.")
    out = (arr - mean_a[:, None, None]) / std_a[:, None, None]
    return from_numpy(out, tensor.backend) if is_tensor else out


