"""Brightness, contrast, saturation and hue adjustments, as torchvision computes them.

Pillow images use Pillow's ``ImageEnhance`` (and an HSV round trip for hue), exactly as
torchvision's PIL path. NumPy arrays and lucid tensors follow torchvision's tensor path:
blend with black (brightness), with the mean gray level (contrast) or with the grayscale
image (saturation), clamped and cast back (uint8 truncates); hue rotates H in HSV space.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .image import is_pil, to_hwc


def _blend(img1: np.ndarray, img2: np.ndarray | float, ratio: float) -> np.ndarray:
    bound = 1.0 if img1.dtype.kind == "f" else 255.0
    work = np.float32 if img1.dtype != np.float64 else np.float64
    out = ratio * img1.astype(work) + (1.0 - ratio) * np.asarray(img2, work)
    return np.clip(out, 0, bound).astype(img1.dtype)


def _grayscale(hwc: np.ndarray) -> np.ndarray:
    """ITU-R 601-2 luma ``(H, W, 1)``, cast to the image's dtype as torchvision does."""
    work = np.float32 if hwc.dtype != np.float64 else np.float64
    r, g, b = (hwc[..., i].astype(work) for i in range(3))
    return (0.2989 * r + 0.587 * g + 0.114 * b).astype(hwc.dtype)[..., None]


def _check_factor(name: str, value: float) -> float:
    if value < 0:
        raise ValueError(f"{name} ({value}) is not non-negative.")
    return float(value)


def adjust_brightness(img: Any, brightness_factor: float) -> Any:
    """Scale brightness: 0 gives black, 1 the original, 2 twice as bright."""
    factor = _check_factor("brightness_factor", brightness_factor)
    if is_pil(img):
        from PIL import ImageEnhance

        return ImageEnhance.Brightness(img).enhance(factor)
    arr, back = to_hwc(img, "adjust_brightness input")
    return back(_blend(arr, 0.0, factor))


def adjust_contrast(img: Any, contrast_factor: float) -> Any:
    """Scale contrast around the mean gray level: 0 gives a solid gray image."""
    factor = _check_factor("contrast_factor", contrast_factor)
    if is_pil(img):
        from PIL import ImageEnhance

        return ImageEnhance.Contrast(img).enhance(factor)
    arr, back = to_hwc(img, "adjust_contrast input")
    work = arr.dtype if arr.dtype.kind == "f" else np.float32
    gray = _grayscale(arr) if arr.shape[2] == 3 else arr
    mean = float(np.mean(gray.astype(work), dtype=np.float64))
    return back(_blend(arr, mean, factor))


def adjust_saturation(img: Any, saturation_factor: float) -> Any:
    """Scale saturation: 0 gives the grayscale image, 1 the original."""
    factor = _check_factor("saturation_factor", saturation_factor)
    if is_pil(img):
        from PIL import ImageEnhance

        return ImageEnhance.Color(img).enhance(factor)
    arr, back = to_hwc(img, "adjust_saturation input")
    if arr.shape[2] == 1:
        return img
    return back(_blend(arr, _grayscale(arr), factor))


def _rgb_to_hsv(rgb: np.ndarray) -> np.ndarray:
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    maxc, minc = rgb.max(axis=-1), rgb.min(axis=-1)
    eqc = maxc == minc
    cr = maxc - minc
    ones = np.ones_like(maxc)
    s = cr / np.where(eqc, ones, maxc)
    div = np.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / div, (maxc - g) / div, (maxc - b) / div
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = np.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return np.stack([h, s, maxc], axis=-1).astype(rgb.dtype)


def _hsv_to_rgb(hsv: np.ndarray) -> np.ndarray:
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int32) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    table = np.stack([np.stack(c, axis=-1) for c in ((v, q, p, p, t, v), (t, v, v, q, p, p),
                                                      (p, p, t, v, v, q))], axis=-2)
    return np.take_along_axis(table, i[..., None, None], axis=-1)[..., 0].astype(hsv.dtype)


def adjust_hue(img: Any, hue_factor: float) -> Any:
    """Rotate hue by ``hue_factor`` turns (in [-0.5, 0.5]); gray images are unchanged."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if is_pil(img):
        from PIL import Image

        mode = img.mode
        if mode in {"L", "1", "I", "F"}:
            return img
        h, s, v = img.convert("HSV").split()
        np_h = np.array(h, dtype=np.uint8)
        np_h += np.uint8(int(hue_factor * 255) % 256)  # wraps around, as intended
        return Image.merge("HSV", (Image.fromarray(np_h, "L"), s, v)).convert(mode)
    arr, back = to_hwc(img, "adjust_hue input")
    if arr.shape[2] == 1:
        return img
    if arr.shape[2] != 3:
        raise ValueError(f"adjust_hue needs 1 or 3 channels, got {arr.shape[2]}")
    work = arr.astype(np.float32) / np.float32(255) if arr.dtype == np.uint8 else arr
    hsv = _rgb_to_hsv(work)
    hsv[..., 0] = np.mod(hsv[..., 0] + hue_factor, 1.0)
    rgb = _hsv_to_rgb(hsv)
    if arr.dtype == np.uint8:
        rgb = (rgb * np.float32(255 + 1.0 - 1e-3)).astype(np.uint8)
    return back(rgb)
