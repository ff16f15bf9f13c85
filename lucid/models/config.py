"""Validation helpers shared by the model configs (frozen dataclasses checked at construction)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def check_choice(name: str, value: Any, allowed: Sequence[Any]) -> None:
    """Raise ValueError unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not allowed; expected one of "
                         f"{', '.join(repr(a) for a in allowed)}")


def check_int(name: str, value: Any, minimum: int = 1) -> int:
    """Return ``value`` if it is an int >= ``minimum``; raise TypeError/ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_float(name: str, value: Any, low: float, high: float, *, low_open: bool = False) -> float:
    """Return ``value`` as a float if it lies in the range; raise TypeError/ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    ok = (value > low if low_open else value >= low) and value <= high
    if not ok:
        bracket = "(" if low_open else "["
        raise ValueError(f"{name} must be in {bracket}{low}, {high}], got {value}")
    return float(value)


def check_int_tuple(name: str, value: Any, length: int | None = None, minimum: int = 1,
                    min_length: int = 1) -> tuple[int, ...]:
    """Return ``value`` as a tuple of ints (each >= ``minimum``), checking its length."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a list or tuple of ints, got {type(value).__name__} "
                        f"{value!r}")
    items = tuple(value)
    if length is not None and len(items) != length:
        raise ValueError(f"{name} must have exactly {length} entries, got {len(items)}: {value!r}")
    if len(items) < min_length:
        raise ValueError(f"{name} must have at least {min_length} entries, got {value!r}")
    for i, v in enumerate(items):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{name}[{i}] must be an int, got {type(v).__name__} {v!r}")
        if v < minimum:
            raise ValueError(f"{name}[{i}] must be >= {minimum}, got {v}")
    return items


def check_mapping(name: str, value: Any, allowed_keys: Sequence[str]) -> dict[str, Any]:
    """Return ``value`` as a dict whose keys are all in ``allowed_keys``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict or None, got {type(value).__name__}")
    unknown = sorted(set(value) - set(allowed_keys))
    if unknown:
        raise ValueError(f"{name} has unknown keys {unknown}; allowed keys: {sorted(allowed_keys)}")
    return dict(value)
