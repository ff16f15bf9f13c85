"""``RemovableHandle``: what every ``register_*_hook`` returns (PyTorch's handle semantics).

Hooks are kept in plain dicts keyed by a handle id, so calling order is registration order
and ``handle.remove()`` is a dict deletion.
"""

from __future__ import annotations

import itertools
from typing import Any

_ids = itertools.count()


class RemovableHandle:
    """Removes one registered hook from the dict(s) it was added to; also a context manager."""

    __slots__ = ("hooks_dicts", "id")

    def __init__(self, *hooks_dicts: dict[int, Any]) -> None:
        self.hooks_dicts = hooks_dicts
        self.id = next(_ids)

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        for d in self.hooks_dicts:
            d.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"<RemovableHandle id={self.id}>"


def add_hook(hooks: dict[int, Any], hook: Any, prepend: bool = False,
             *extra: dict[int, Any]) -> RemovableHandle:
    """Register ``hook`` in ``hooks`` (first if ``prepend``) and return its handle."""
    if not callable(hook):
        raise TypeError(f"hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(hooks, *extra)
    hooks[handle.id] = hook
    if prepend:
        items = list(hooks.items())
        hooks.clear()
        hooks[handle.id] = hook
        hooks.update((k, v) for k, v in items if k != handle.id)
    return handle


__all__ = ["RemovableHandle", "add_hook"]
