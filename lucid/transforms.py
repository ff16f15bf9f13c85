"""Host-side image preprocessing on NumPy arrays (resize, crop, normalise)."""

from __future__ import annotations

from typing import Any

import numpy as np

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _resize_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Linear-interpolation weights ``(n_out, n_in)`` with half-pixel centres (antialias off)."""
    scale = n_in / n_out
    centres = (np.arange(n_out) + 0.5) * scale - 0.5
    centres = np.clip(centres, 0, n_in - 1)
    lo = np.floor(centres).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = centres - lo
    m = np.zeros((n_out, n_in))
    m[np.arange(n_out), lo] += 1 - frac
    m[np.arange(n_out), hi] += frac
    return m


def resize(images: Any, size: int | tuple[int, int]) -> np.ndarray:
    """Bilinearly resize ``(..., H, W)`` images to ``size`` (an int or ``(h, w)``)."""
    arr = np.asarray(images)
    if arr.ndim < 2:
        raise ValueError(f"resize expects (..., H, W) images, got shape {arr.shape}")
    h, w = (size, size) if isinstance(size, int) else size
    if h < 1 or w < 1:
        raise ValueError(f"resize size must be positive, got {size!r}")
    rows = _resize_matrix(arr.shape[-2], h)
    cols = _resize_matrix(arr.shape[-1], w)
    out = np.einsum("ij,...jk,lk->...il", rows, arr.astype(np.float64), cols)
    return out.astype(arr.dtype if arr.dtype.kind == "f" else np.float32)
