"""Resampling: ``interpolate`` (nearest, nearest-exact, linear, bilinear, area), composed from
gathers and blends (and adaptive average pooling for ``area``).

Each output row/column reads fixed input rows/columns (``getitem`` with index lists) and,
for bilinear, blends two of them with fixed weights, so the gradient is the gathers'
scatter-add, exactly the adjoint PyTorch computes.
"""

from __future__ import annotations

import math
from typing import Any

from ..._tensor import Tensor
from ...ops import add, getitem, mul, squeeze, unsqueeze
from .pooling import adaptive_avg_pool2d

MODES = ("nearest", "nearest-exact", "linear", "bilinear", "area")


def _sizes(x: Tensor, size: Any, scale_factor: Any) -> tuple[list[int], list[float | None]]:
    """Output sizes and the scale factors given (None where the size was given)."""
    spatial = x.shape[2:]
    if (size is None) == (scale_factor is None):
        raise ValueError(f"interpolate: give exactly one of size and scale_factor, got "
                         f"size={size!r}, scale_factor={scale_factor!r}")
    if size is not None:
        sizes = [size] * len(spatial) if not isinstance(size, (list, tuple)) else list(size)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in sizes):
            raise TypeError(f"interpolate: size must be an int or a sequence of ints, got "
                            f"{size!r}")
        if len(sizes) != len(spatial) or not all(v > 0 for v in sizes):
            raise ValueError(f"interpolate: size must be a positive int or {len(spatial)} of "
                             f"them for input of shape {x.shape}, got {size!r}")
        return sizes, [None] * len(spatial)
    scales = [scale_factor] * len(spatial) if not isinstance(scale_factor, (list, tuple)) \
        else list(scale_factor)
    if not all(isinstance(v, (int, float)) for v in scales):
        raise TypeError(f"interpolate: scale_factor must be a number or a sequence of numbers, "
                        f"got {scale_factor!r}")
    if len(scales) != len(spatial) or not all(0 < v < math.inf for v in scales):
        raise ValueError(f"interpolate: scale_factor must be a finite positive number or "
                         f"{len(spatial)} of them for input of shape {x.shape}, got "
                         f"{scale_factor!r}")
    sizes = [int(math.floor(n * float(f))) for n, f in zip(spatial, scales, strict=True)]
    if min(sizes) < 1:
        raise ValueError(f"interpolate: scale_factor {scale_factor!r} makes an empty output "
                         f"from input of shape {x.shape}")
    return sizes, [float(f) for f in scales]


def _gather(x: Tensor, axis: int, index: list[int]) -> Tensor:
    return getitem(x, (slice(None),) * axis + (index,))


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None,
                mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None) -> Tensor:
    """Resize the spatial axes of ``(N, C, L)`` or ``(N, C, H, W)`` input.

    ``nearest`` copies input ``floor(out_index * scale)``, ``nearest-exact`` input
    ``floor((out_index + 0.5) * scale)``; ``linear`` (3-D) and ``bilinear`` (4-D) blend the
    two nearest samples per axis, with ``align_corners`` PyTorch's two conventions; ``area``
    averages PyTorch's adaptive-pooling bins. As in PyTorch, a given ``scale_factor`` sets the
    sampling step (``1 / scale_factor``) unless ``recompute_scale_factor=True``.
    """
    if mode not in MODES:
        raise ValueError(f"interpolate: mode must be one of {MODES}, got {mode!r}")
    if input.ndim not in (3, 4):
        raise ValueError(f"interpolate expects a 3-D or 4-D input, got shape {input.shape}")
    if mode == "bilinear" and input.ndim != 4:
        raise ValueError(f"interpolate: mode='bilinear' needs a 4-D (N, C, H, W) input, got "
                         f"shape {input.shape}")
    if mode == "linear" and input.ndim != 3:
        raise ValueError(f"interpolate: mode='linear' needs a 3-D (N, C, L) input, got shape "
                         f"{input.shape}")
    if mode not in ("linear", "bilinear") and align_corners is not None:
        raise ValueError(f"interpolate: align_corners can only be set with mode='linear' or "
                         f"'bilinear', got mode={mode!r}")
    sizes, scales = _sizes(input, size, scale_factor)
    if mode == "area":
        if input.ndim == 4:
            return adaptive_avg_pool2d(input, tuple(sizes))
        return squeeze(adaptive_avg_pool2d(unsqueeze(input, 2), (1, sizes[0])), 2)
    if recompute_scale_factor:
        scales = [None] * len(scales)
    x = input
    for k, (out, given) in enumerate(zip(sizes, scales, strict=True)):
        axis = 2 + k
        n = input.shape[axis]
        if mode in ("nearest", "nearest-exact"):
            step = 1.0 / given if given is not None else n / out
            shift = 0.5 if mode == "nearest-exact" else 0.0
            x = _gather(x, axis, [min(int(math.floor((i + shift) * step)), n - 1)
                                  for i in range(out)])
            continue
        if align_corners:
            step = (n - 1) / (out - 1) if out > 1 else 0.0
            src = [i * step for i in range(out)]
        else:
            step = 1.0 / given if given is not None else n / out
            src = [max((i + 0.5) * step - 0.5, 0.0) for i in range(out)]
        lo = [min(int(math.floor(v)), n - 1) for v in src]
        hi = [min(i + 1, n - 1) for i in lo]
        frac = [v - i for v, i in zip(src, lo, strict=True)]
        shape = [1] * input.ndim
        shape[axis] = out
        b = input.backend
        w_hi = Tensor._wrap(b.reshape(b.asarray(frac, input.dtype), tuple(shape)), b)
        w_lo = Tensor._wrap(b.reshape(b.asarray([1.0 - f for f in frac], input.dtype),
                                      tuple(shape)), b)
        x = add(mul(_gather(x, axis, lo), w_lo), mul(_gather(x, axis, hi), w_hi))
    return x
