"""Switches for gradient recording: ``no_grad``, ``enable_grad``, ``set_grad_enabled``."""

from __future__ import annotations

import functools
import threading
from typing import Any

_state = threading.local()


def is_grad_enabled() -> bool:
    """Return True when operations record the graph for backward."""
    return getattr(_state, "enabled", True)


class set_grad_enabled:
    """Enable or disable gradient recording (a function call, context manager or decorator)."""

    def __init__(self, mode: bool) -> None:
        self.prev = is_grad_enabled()
        self.mode = bool(mode)
        _state.enabled = self.mode

    def __enter__(self) -> None:
        _state.enabled = self.mode

    def __exit__(self, *exc: Any) -> None:
        _state.enabled = self.prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)(self.mode):
                return fn(*args, **kwargs)

        _state.enabled = self.prev
        return wrapper


class _GradMode:
    mode = True

    def __enter__(self) -> None:
        self.prev = is_grad_enabled()
        _state.enabled = self.mode

    def __exit__(self, *exc: Any) -> None:
        _state.enabled = self.prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Context manager / decorator: operations inside record no graph (inference)."""

    mode = False


class enable_grad(_GradMode):
    """Context manager / decorator: re-enable gradient recording inside ``no_grad``."""

    mode = True
