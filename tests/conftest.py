"""Shared pytest fixtures: every test starts and ends with the same lucid global state.

The backend registry keeps module-level caches (the entry-point scan, loaded instances,
recorded failures, in-process registrations, the default name, the seed) and autograd keeps
a thread-local recording switch. A test that selects a backend, registers a plugin, rescans
entry points or leaves ``no_grad`` half-open must not leak that into the next test, so an
autouse fixture snapshots all of it before each test and restores it afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# Plain ``assert`` statements in the conformance kit get pytest's detailed failure messages.
pytest.register_assert_rewrite("lucid.testing")

from lucid.autograd import grad_mode  # noqa: E402
from lucid.backends import registry  # noqa: E402

#: Registry globals that hold dictionaries (restored in place, so aliases stay valid).
_REGISTRY_DICTS = ("_registered", "_instances", "_failures")
#: Registry globals that are rebound rather than mutated.
_REGISTRY_VALUES = ("_scanned", "_default_name", "_seed")


@pytest.fixture(autouse=True)
def _restore_lucid_state() -> Iterator[None]:
    """Snapshot the backend registry and grad mode before a test; put them back after it."""
    dicts = {name: dict(getattr(registry, name)) for name in _REGISTRY_DICTS}
    values = {name: getattr(registry, name) for name in _REGISTRY_VALUES}
    scanned = values["_scanned"]
    if scanned is not None:  # copy: a test may add to the cached scan
        values["_scanned"] = dict(scanned)
    context_token = registry._context_name.set(registry._context_name.get())
    grad_enabled = grad_mode.is_grad_enabled()
    try:
        yield
    finally:
        grad_mode._state.enabled = grad_enabled
        registry._context_name.reset(context_token)
        with registry._lock:
            for name, saved in dicts.items():
                current = getattr(registry, name)
                current.clear()
                current.update(saved)
            for name, saved in values.items():
                setattr(registry, name, saved)
