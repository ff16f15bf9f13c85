"""Resampling: ``interpolate`` (nearest and bilinear), composed from gathers and blends.

Each output row/column reads fixed input rows/columns (``getitem`` with index lists) and,
for bilinear, blends two of them with fixed weights, so the gradient is the gathers'
scatter-add, exactly the adjoint PyTorch computes.
"""

from __future__ import annotations

import math
from typing import Any

from ..._tensor import Tensor
from ...ops import add, getitem, mul

MODES = ("nearest", "bilinear")


def _sizes(x: Tensor, size: Any, scale_factor: Any) -> tuple[list[int], list[float | None]]:
    """Output sizes and the scale factors given (None where the size was given)."""
    spatial = x.shape[2:]
    if (size is None) == (scale_factor is None):
        raise ValueError(f"interpolate: give exactly one of size and scale_factor, got "
                         f"size={size!r}, scale_factor={scale_factor!r}")
    if size is not None:
        sizes = [size] * len(spatial) if isinstance(size, int) else list(size)
        if len(sizes) != len(spatial) or not all(isinstance(v, int) and v > 0 for v in sizes):
            raise ValueError(f"interpolate: size must be a positive int or {len(spatial)} of "
                             f"them for input of shape {x.shape}, got {size!r}")
        return sizes, [None] * len(spatial)
    scales = [scale_factor] * len(spatial) if isinstance(scale_factor, (int, float)) \
        else list(scale_factor)
    if len(scales) != len(spatial) or not all(isinstance(v, (int, float)) and v > 0
                                              for v in scales):
        raise ValueError(f"interpolate: scale_factor must be a positive number or "
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
    """Resize the spatial axes of ``(N, C, H, W)`` (or ``(N, C, L)`` for nearest) input.

    ``nearest`` copies input ``floor(out_index * scale)``; ``bilinear`` blends the two
    nearest rows and columns, with ``align_corners`` PyTorch's two conventions. As in
    PyTorch, a given ``scale_factor`` sets the sampling step (``1 / scale_factor``) unless
    ``recompute_scale_factor=True``.
    """
    if mode not in MODES:
        raise ValueError(f"interpolate: mode must be one of {MODES}, got {mode!r}")
    if mode == "bilinear" and input.ndim != 4:
        raise ValueError(f"interpolate: mode='bilinear' needs a 4-D (N, C, H, W) input, got "
                         f"shape {input.shape}")
    if input.ndim not in (3, 4):
        raise ValueError(f"interpolate expects a 3-D or 4-D input, got shape {input.shape}")
    if mode == "nearest" and align_corners is not None:
        raise ValueError("interpolate: align_corners can only be set with mode='bilinear'")
    sizes, scales = _sizes(input, size, scale_factor)
    if recompute_scale_factor:
        scales = [None] * len(scales)
    x = input
    for k, (out, given) in enumerate(zip(sizes, scales, strict=True)):
        axis = 2 + k
        n = input.shape[axis]
        if mode == "nearest":
            step = 1.0 / given if given is not None else n / out
            x = _gather(x, axis, [min(int(math.floor(i * step)), n - 1) for i in range(out)])
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
