"""``pad``: PyTorch's padding of the trailing axes, constant, reflect, replicate or circular.

The non-constant modes are one gather per padded axis (``getitem`` with an index list), so
their gradient is the gather's scatter-add: border elements copied several times collect
every copy's gradient.
"""

from __future__ import annotations

from typing import Any

from ..._tensor import Tensor
from ...ops import getitem
from ...ops import pad as constant_pad

MODES = ("constant", "reflect", "replicate", "circular")


def _source_index(i: int, size: int, mode: str) -> int:
    """The input position that padded position ``i`` (may be < 0 or >= size) copies."""
    if mode == "reflect":
        period = 2 * (size - 1)
        i = abs(i) % period if period else 0
        return period - i if i >= size else i
    if mode == "replicate":
        return min(max(i, 0), size - 1)
    return i % size  # circular


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the trailing axes: ``pad = (left, right, top, bottom, ...)``, last axis first.

    Negative amounts crop (constant mode). ``reflect`` needs each amount below the axis
    length, ``circular`` at most the axis length.
    """
    amounts = tuple(pad)
    if not all(isinstance(p, int) and not isinstance(p, bool) for p in amounts):
        raise TypeError(f"pad: pad must be a sequence of ints, got {pad!r}")
    if len(amounts) % 2:
        raise ValueError(f"pad: pad must be an even-length sequence of ints, got {pad!r}")
    n_axes = len(amounts) // 2
    if n_axes > input.ndim:
        raise ValueError(f"pad: pad {amounts} pads {n_axes} axes but the input has only "
                         f"{input.ndim} (shape {input.shape})")
    if mode not in MODES:
        raise ValueError(f"pad: mode must be one of {MODES}, got {mode!r}")
    if mode != "constant" and value not in (None, 0, 0.0):
        raise ValueError(f"pad: value={value!r} is only meaningful with mode='constant'")
    if mode != "constant" and not (1 <= n_axes <= 3 and input.ndim in (n_axes + 1, n_axes + 2)):
        raise ValueError(f"pad: mode={mode!r} with {len(amounts)} pad amounts needs a "
                         f"{n_axes + 1}-D or {n_axes + 2}-D input (as PyTorch), got shape "
                         f"{input.shape}")
    widths = [(0, 0)] * input.ndim
    for k in range(n_axes):
        widths[input.ndim - 1 - k] = (amounts[2 * k], amounts[2 * k + 1])
    x = input
    for (lo, hi), size in zip(widths, input.shape, strict=True):
        if size + lo + hi < 0:
            raise ValueError(f"pad: negative padding {(lo, hi)} crops more than the axis length "
                             f"{size} (input shape {input.shape})")
    if mode == "constant":
        if any(p < 0 for pair in widths for p in pair):  # crop first
            crop = tuple(slice(max(-lo, 0), size - max(-hi, 0))
                         for (lo, hi), size in zip(widths, input.shape, strict=True))
            x = getitem(x, crop)
            widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
        return constant_pad(x, widths, 0.0 if value is None else float(value))
    for axis, (lo, hi) in enumerate(widths):
        if lo == 0 and hi == 0:
            continue
        size = input.shape[axis]
        if lo < 0 or hi < 0:
            raise ValueError(f"pad: mode={mode!r} needs non-negative amounts, got {amounts}")
        if mode == "reflect" and (lo >= size or hi >= size):
            raise ValueError(f"pad: reflect padding ({lo}, {hi}) must be less than the axis "
                             f"length {size} (input shape {input.shape})")
        if mode == "circular" and (lo > size or hi > size):
            raise ValueError(f"pad: circular padding ({lo}, {hi}) must be at most the axis "
                             f"length {size} (input shape {input.shape})")
        if mode == "replicate" and size == 0:
            raise ValueError(f"pad: cannot replicate-pad an empty axis (input shape "
                             f"{input.shape})")
        index = [_source_index(i, size, mode) for i in range(-lo, size + hi)]
        x = getitem(x, (slice(None),) * axis + (index,))
    return x
