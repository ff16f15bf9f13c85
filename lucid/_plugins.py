"""The one plugin loader behind both registries (``lucid.backends`` and ``lucid.models``).

Entry points are listed once per group and cached (:func:`refresh` forgets them); loading
one is isolated: whatever its import raises, ``SystemExit`` included, becomes a
:class:`PluginLoadError` that names the entry point and its distribution, and the caller
records it instead of failing. ``LUCID_RAISE_PLUGIN_ERRORS=1`` (read by
:func:`raise_errors`, the only reader of that flag) re-raises the plugin's own exception for
plugin authors. ``KeyboardInterrupt`` is never swallowed.

The entry points of lucid's own distribution (the first-party NumPy and CuPy backends) can be
listed without scanning every installed distribution: :func:`own_entry_points`.
"""

from __future__ import annotations

import importlib
import os
import threading
from dataclasses import dataclass
from typing import Any

#: The distribution whose entry points are lucid's own (first-party plugins).
OWN_DISTRIBUTION = "lucid"
#: Environment variable that makes plugin load failures propagate (for plugin authors).
RAISE_ERRORS_ENV = "LUCID_RAISE_PLUGIN_ERRORS"

_lock = threading.RLock()
_scans: dict[str, tuple[PluginEntry, ...]] = {}
_own: dict[str, tuple[PluginEntry, ...]] = {}


@dataclass(frozen=True)
class PluginEntry:
    """One entry point: its name, ``module:attribute`` value and the distribution declaring it."""

    group: str
    name: str
    value: str
    distribution: str | None

    @property
    def label(self) -> str:
        """How messages name this entry point."""
        where = f", distribution {self.distribution!r}" if self.distribution else ""
        return f"{self.name} ({self.value}{where})"


class PluginLoadError(RuntimeError):
    """A plugin's entry point could not be imported; ``reason`` says why in one line."""

    def __init__(self, entry: PluginEntry, reason: str) -> None:
        super().__init__(f"plugin {entry.label} failed to load: {reason}")
        self.entry = entry
        self.reason = reason


def raise_errors() -> bool:
    """True when ``LUCID_RAISE_PLUGIN_ERRORS`` asks for plugin failures to propagate."""
    return os.environ.get(RAISE_ERRORS_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def describe(exc: BaseException) -> str:
    """``"TypeName: message"`` for an exception raised by a plugin."""
    if isinstance(exc, SystemExit):
        return f"SystemExit({exc.code!r}) raised while importing the plugin"
    return f"{type(exc).__name__}: {exc}"


def _entries(eps: Any, group: str) -> tuple[PluginEntry, ...]:
    out: list[PluginEntry] = []
    for ep in eps:
        dist = getattr(getattr(ep, "dist", None), "name", None)
        entry = PluginEntry(group, ep.name.strip(), ep.value.strip(), dist)
        if entry not in out:  # editable installs can list the same entry point twice
            out.append(entry)
    return tuple(out)


def entry_points(group: str) -> tuple[PluginEntry, ...]:
    """Every installed entry point of ``group`` (scanned once, then cached)."""
    with _lock:
        found = _scans.get(group)
        if found is None:
            from importlib import metadata  # slow to import: never at ``import lucid``

            found = _scans[group] = _entries(metadata.entry_points(group=group), group)
        return found


def own_entry_points(group: str) -> tuple[PluginEntry, ...]:
    """The entry points of ``group`` that lucid's own distribution declares (no full scan)."""
    with _lock:
        found = _own.get(group)
        if found is None:
            from importlib import metadata

            try:
                dist = metadata.distribution(OWN_DISTRIBUTION)
            except metadata.PackageNotFoundError:  # lucid imported from a source tree
                found = ()
            else:
                found = _entries(dist.entry_points.select(group=group), group)
            _own[group] = found
        return found


def own_distribution_installed() -> bool:
    """True when lucid's own distribution is installed, so its entry points can be found.

    False when ``lucid`` is imported from a source tree that was never ``pip install``-ed:
    entry points are package metadata, so no plugin (first-party ones included) is found.
    """
    from importlib import metadata

    try:
        metadata.distribution(OWN_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return False
    return True


def refresh(group: str | None = None) -> None:
    """Forget the cached scan of ``group`` (of every group when None)."""
    with _lock:
        if group is None:
            _scans.clear()
            _own.clear()
        else:
            _scans.pop(group, None)
            _own.pop(group, None)


def load(entry: PluginEntry) -> Any:
    """Import the object an entry point names, turning any failure into PluginLoadError."""
    module_name, _, attr = entry.value.partition(":")
    try:
        obj: Any = importlib.import_module(module_name.strip())
        for part in filter(None, attr.strip().split(".")):
            obj = getattr(obj, part)
    except KeyboardInterrupt:
        raise
    except (Exception, SystemExit) as exc:  # a plugin may raise anything, even SystemExit
        if raise_errors():
            raise
        raise PluginLoadError(entry, describe(exc)) from exc
    return obj


__all__ = ["OWN_DISTRIBUTION", "RAISE_ERRORS_ENV", "PluginEntry", "PluginLoadError", "describe",
           "entry_points", "load", "own_distribution_installed", "own_entry_points", "raise_errors",
           "refresh"]
