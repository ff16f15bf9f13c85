"""The one error every reader in :mod:`lucid.io` raises for a file it cannot trust."""

from __future__ import annotations

_MAX_DETAIL = 300


class CheckpointError(ValueError):
    """A checkpoint or weights file is missing, corrupt, unsafe, too large or incompatible."""


def one_line(exc: BaseException) -> str:
    """``"TypeName: message"`` of a library's exception, on one line and at most 300 characters.

    Messages end up in one-line command-line errors; some libraries write whole paragraphs.
    """
    text = " ".join(str(exc).split())
    if len(text) > _MAX_DETAIL:
        text = text[:_MAX_DETAIL - 3] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


__all__ = ["CheckpointError", "one_line"]
