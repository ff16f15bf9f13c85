"""Switches for gradient recording: ``no_grad``, ``enable_grad``, ``set_grad_enabled``,
``inference_mode``."""

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


def is_inference_mode_enabled() -> bool:
    """Return True inside an active ``inference_mode()`` block."""
    return getattr(_state, "inference", False)


class inference_mode:
    """Context manager / decorator for pure inference: nothing inside records a graph.

    Like PyTorch's ``torch.inference_mode(mode=True)``: ``with lucid.inference_mode(): ...``,
    ``@lucid.inference_mode()`` or bare ``@lucid.inference_mode``. ``mode=False`` leaves
    gradient recording as it is (so one flag can switch inference off). lucid has no separate
    "inference tensor" kind, so this is ``no_grad`` plus :func:`is_inference_mode_enabled`.
    """

    def __new__(cls, mode: Any = True) -> Any:
        if callable(mode) and not isinstance(mode, bool):  # bare @inference_mode
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"inference_mode: mode must be a bool, got {mode!r}")
        self.mode = mode

    def __enter__(self) -> None:
        self.prev = (is_grad_enabled(), is_inference_mode_enabled())
        if self.mode:
            _state.enabled = False
            _state.inference = True

    def __exit__(self, *exc: Any) -> None:
        _state.enabled, _state.inference = self.prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)(self.mode):
                return fn(*args, **kwargs)

        return wrapper
