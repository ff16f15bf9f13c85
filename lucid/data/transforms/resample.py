"""Image resampling on NumPy arrays with Pillow's algorithm, for when Pillow is not installed.

torchvision resizes PIL images with Pillow, so a lucid pipeline on NumPy arrays should give
the same pixels; :func:`lucid.data.transforms.functional.resize` therefore hands uint8
arrays to Pillow when it is installed and uses this module otherwise. Pillow's algorithm
(``libImaging/Resample.c``): a separable filter whose support widens with the downscale
factor (antialiasing), applied in two passes; for 8-bit images the normalised weights
become 22-bit fixed-point integers and each pass rounds and clips to uint8. Here the passes
are float64 matrix products of integer values, which are exact (every partial sum stays far
below 2**53). Horizontal-then-vertical reproduces Pillow's published C code bit for bit;
Pillow 13 picks the pass order itself, so there a pixel may differ by one gray level.
Float images use the float weights without rounding, as Pillow's ``F`` mode does (equal to
Pillow to float32 precision). NEAREST follows Pillow's affine sampler.
"""

from __future__ import annotations

from typing import Any

import numpy as np

PRECISION_BITS = 32 - 8 - 2  # Pillow's fixed-point precision for 8-bit images


def _bilinear(x: np.ndarray) -> np.ndarray:
    x = np.abs(x)
    return np.where(x < 1.0, 1.0 - x, 0.0)


def _bicubic(x: np.ndarray) -> np.ndarray:
    a = -0.5
    x = np.abs(x)
    near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1
    far = (((x - 5) * x + 8) * x - 4) * a
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


_FILTERS = {"bilinear": (_bilinear, 1.0), "bicubic": (_bicubic, 2.0)}


def weights(in_size: int, out_size: int, mode: str, antialias: bool = True) -> np.ndarray:
    """Pillow's normalised resampling weights as a dense ``(out_size, in_size)`` matrix.

    With ``antialias`` (Pillow always) the filter widens by the downscale factor; without
    it the filter keeps its natural support (plain interpolation when shrinking).
    """
    kernel, base_support = _FILTERS[mode]
    scale = in_size / out_size
    filterscale = max(scale, 1.0) if antialias else 1.0
    support = base_support * filterscale
    ksize = int(np.ceil(support)) * 2 + 1
    centre = (np.arange(out_size) + 0.5) * scale
    xmin = np.maximum(np.trunc(centre - support + 0.5), 0).astype(np.int64)
    xmax = np.minimum(np.trunc(centre + support + 0.5), in_size).astype(np.int64) - xmin
    taps = np.arange(ksize)
    pos = xmin[:, None] + taps[None, :]
    w = kernel(((pos - centre[:, None]) + 0.5) * (1.0 / filterscale))
    w = np.where(taps[None, :] < xmax[:, None], w, 0.0)
    total = w.sum(axis=1, keepdims=True)
    w = np.divide(w, total, out=w, where=total != 0)
    dense = np.zeros((out_size, in_size + ksize))
    np.put_along_axis(dense, pos, w, axis=1)
    return dense[:, :in_size]


def _fixed_point(w: np.ndarray) -> np.ndarray:
    """Weights as Pillow's 22-bit integers (rounded half away from zero, then truncated)."""
    scaled = w * (1 << PRECISION_BITS)
    return np.trunc(np.where(scaled < 0, scaled - 0.5, scaled + 0.5))


def _pass_uint8(chw: np.ndarray, k: np.ndarray, axis: int) -> np.ndarray:
    """One fixed-point pass along ``axis`` (-1 columns, -2 rows), rounded and clipped."""
    acc = chw @ k.T if axis == -1 else k @ chw
    acc = np.floor((acc + (1 << (PRECISION_BITS - 1))) / (1 << PRECISION_BITS))
    return np.clip(acc, 0, 255)


def _nearest_index(in_size: int, out_size: int) -> np.ndarray:
    """Pillow's nearest-neighbour source index: ``x`` advances by in/out from 0.5*in/out."""
    step = in_size / out_size
    steps = np.full(out_size, step)
    steps[0] = step * 0.5
    return np.clip(np.cumsum(steps).astype(np.int64), 0, in_size - 1)


def resample(hwc: np.ndarray, height: int, width: int, mode: str,
             antialias: bool = True) -> np.ndarray:
    """Resize an ``(H, W, C)`` uint8 or float image to ``(height, width, C)`` like Pillow."""
    h, w = hwc.shape[:2]
    if mode == "nearest":
        return hwc[_nearest_index(h, height)][:, _nearest_index(w, width)]
    if mode not in _FILTERS:
        raise ValueError(f"interpolation must be 'nearest', 'bilinear' or 'bicubic', got "
                         f"{mode!r}")
    chw = np.moveaxis(hwc, -1, 0).astype(np.float64)
    if hwc.dtype == np.uint8:
        if width != w:
            chw = _pass_uint8(chw, _fixed_point(weights(w, width, mode, antialias)), -1)
        if height != h:
            chw = _pass_uint8(chw, _fixed_point(weights(h, height, mode, antialias)), -2)
        return np.ascontiguousarray(np.moveaxis(chw, 0, -1).astype(np.uint8))
    if hwc.dtype.kind != "f":
        raise TypeError(f"resize supports uint8 and floating images, got dtype {hwc.dtype}")
    dtype: Any = hwc.dtype
    if width != w:
        chw = (chw @ weights(w, width, mode, antialias).T).astype(dtype).astype(np.float64)
    if height != h:
        chw = (weights(h, height, mode, antialias) @ chw).astype(dtype)
    return np.ascontiguousarray(np.moveaxis(chw, 0, -1).astype(dtype))
