"""How many bytes a file may make lucid allocate, checked before anything is allocated.

Readers add up the sizes that a file's headers *claim* (``.npy`` headers, safetensors
tensor entries, zip member sizes) in a :class:`ByteBudget` before reading any data, so a
tiny file claiming terabytes is refused by a check, not by the operating system.

The limit is ``LUCID_MAX_CHECKPOINT_BYTES`` (bytes, or with a ``K``/``M``/``G``/``T``
suffix, powers of 1024), 8 GiB by default: the largest model lucid builds holds well under
1 GiB of weights, so 8 GiB leaves room for a training state (weights, gradients' moments,
buffers) of any of them, and still refuses a claim that an ordinary machine could not hold.
Raise it for bigger trusted files.
"""

from __future__ import annotations

import os
import re

from .errors import CheckpointError

MAX_BYTES_ENV = "LUCID_MAX_CHECKPOINT_BYTES"
DEFAULT_MAX_BYTES = 8 * 1024**3
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_SETTING = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", re.IGNORECASE)


def max_checkpoint_bytes() -> int:
    """The byte limit from ``LUCID_MAX_CHECKPOINT_BYTES`` (8 GiB when unset)."""
    raw = os.environ.get(MAX_BYTES_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_BYTES
    found = _SETTING.fullmatch(raw)
    if found is None:
        raise ValueError(f"{MAX_BYTES_ENV} must be a number of bytes, optionally with a K, M, "
                         f"G or T suffix (e.g. 16G), got {raw!r}")
    return int(float(found[1]) * _UNITS[found[2].lower()])


def format_bytes(n: int) -> str:
    """``n`` bytes for people: ``"512 bytes"``, ``"2.0 GiB"``, ``"4.0 TiB"``."""
    if n < 1024:
        return f"{n} bytes"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB"):
        value /= 1024
        if value < 1024 or unit == "PiB":
            break
    return f"{value:.1f} {unit}"


class ByteBudget:
    """Adds up what one file claims and refuses it once the claims pass the limit."""

    def __init__(self, path: object, limit: int | None = None) -> None:
        self.path = str(path)
        self.limit = max_checkpoint_bytes() if limit is None else int(limit)
        self.used = 0

    def _refuse(self, what: str) -> CheckpointError:
        return CheckpointError(
            f"{self.path!r}: {what}, over the limit of {format_bytes(self.limit)} "
            f"({MAX_BYTES_ENV}); refused before reading it. If the file is trusted, raise "
            f"{MAX_BYTES_ENV}")

    def claim(self, member: str, nbytes: int, detail: str = "") -> None:
        """Count ``nbytes`` for ``member``; raise CheckpointError when over the limit."""
        if nbytes > self.limit:
            raise self._refuse(f"{member!r} claims {format_bytes(nbytes)}{detail}")
        self.used += nbytes
        if self.used > self.limit:
            raise self._refuse(f"the entries up to {member!r} claim {format_bytes(self.used)} "
                               "in all")


__all__ = ["DEFAULT_MAX_BYTES", "MAX_BYTES_ENV", "ByteBudget", "format_bytes",
           "max_checkpoint_bytes"]
