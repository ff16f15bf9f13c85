"""Argument checks shared by the functional ops and the layers built on them."""

from __future__ import annotations

from typing import Any

from ..._tensor import Tensor

Pair = tuple[int, int]


def pair(v: Any, name: str) -> Pair:
    if isinstance(v, int):
        out = (v, v)
    else:
        out = tuple(v)
        if len(out) != 2 or not all(isinstance(i, int) for i in out):
            raise TypeError(f"{name} must be an int or a pair of ints, got {v!r}")
    return out  # type: ignore[return-value]


def check_dtypes(op: str, x: Tensor, weight: Tensor) -> None:
    """Input and weight must share one floating dtype (no silent promotion)."""
    if x.dtype != weight.dtype:
        raise TypeError(
            f"{op}: input dtype {x.dtype.name} does not match weight dtype "
            f"{weight.dtype.name}; convert the input (x.astype({weight.dtype.name!r})) or the "
            f"module (.to({x.dtype.name!r}))"
        )


def check_4d(x: Tensor, op: str) -> None:
    if x.ndim != 4:
        raise ValueError(f"{op} expects a 4-D (N, C, H, W) input, got shape {x.shape}")
