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


def check_dtypes(op: str, x: Tensor, weight: Tensor | None, name: str = "weight") -> None:
    """Input and parameter must share one floating dtype (no silent promotion): PyTorch
    refuses a float64 or int64 input to float32 parameters, and so does lucid."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a lucid.Tensor, got {type(x).__name__}")
    if weight is None:
        return
    if not isinstance(weight, Tensor):
        raise TypeError(f"{op}: {name} must be a lucid.Tensor, got {type(weight).__name__}")
    if x.dtype != weight.dtype:
        raise TypeError(
            f"{op}: input dtype {x.dtype.name} does not match {name} dtype "
            f"{weight.dtype.name}; convert the input (x.astype({weight.dtype.name!r})) or the "
            f"module (.to({x.dtype.name!r}))"
        )


def check_float_input(op: str, x: Tensor, **params: Tensor | None) -> None:
    """A floating-point input whose parameters (``weight=``, ``bias=``, running statistics)
    all have its dtype; normalisation of integers is meaningless, so it raises too."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a lucid.Tensor, got {type(x).__name__}")
    if not x.dtype.is_floating:
        raise TypeError(f"{op}: expected a floating-point input, got dtype {x.dtype.name}; "
                        f"convert it first, e.g. x.float()")
    for name, t in params.items():
        check_dtypes(op, x, t, name)


def check_4d(x: Tensor, op: str) -> None:
    if x.ndim != 4:
        raise ValueError(f"{op} expects a 4-D (N, C, H, W) input, got shape {x.shape}")
