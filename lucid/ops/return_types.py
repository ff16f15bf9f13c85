"""Named tuples that ops returning several tensors give back, like ``torch.return_types``.

``values, indices = x.max(dim=1)`` unpacks like a tuple; ``x.max(1).values`` reads by name.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class max(NamedTuple):  # noqa: N801 - PyTorch's name
    """``lucid.max(x, dim)``: the maxima and where they are."""

    values: Any
    indices: Any


class min(NamedTuple):  # noqa: N801
    """``lucid.min(x, dim)``: the minima and where they are."""

    values: Any
    indices: Any


class sort(NamedTuple):  # noqa: N801
    """``lucid.sort(x, dim)``: the sorted values and their source positions."""

    values: Any
    indices: Any


class topk(NamedTuple):  # noqa: N801
    """``lucid.topk(x, k, dim)``: the k largest (or smallest) values and their positions."""

    values: Any
    indices: Any


__all__ = ["max", "min", "sort", "topk"]
