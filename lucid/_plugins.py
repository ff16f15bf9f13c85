"""The one plugin loader behind both registries (``lucid.backends`` and ``lucid.models``).

Entry points are listed once per group and cached (:func:`refresh` forgets them); listing
reads package metadata only and imports nothing. Loading one is isolated: whatever its import
raises, ``SystemExit`` included, becomes a :class:`PluginLoadError` that names the entry point
and its distribution, and the caller records it instead of failing.
``LUCID_RAISE_PLUGIN_ERRORS=1`` (read by :func:`raise_errors`, the only reader of that flag)
re-raises the plugin's own exception for plugin authors, except a ``SystemExit``: re-raised it
would end the process without a traceback, so it becomes a :class:`PluginExitError` chained to
it. ``KeyboardInterrupt`` is never swallowed.

An import that never returns can be given a deadline (``load(entry, timeout=...)``; the
backend registry passes :func:`import_timeout`, ``LUCID_PLUGIN_IMPORT_TIMEOUT`` seconds,
60 by default): the import then runs in a daemon thread and a plugin that is not done in time
is reported as failed while its thread is abandoned. See :func:`load` for when the import
stays in the calling thread.

The entry points of lucid's own distribution (the first-party NumPy and CuPy backends) can be
listed without scanning every installed distribution: :func:`own_entry_points`.
"""

from __future__ import annotations

import importlib
import math
import os
import sys
import threading
from dataclasses import dataclass
from typing import Any

#: The distribution whose entry points are lucid's own (first-party plugins).
OWN_DISTRIBUTION = "lucid"
#: Environment variable that makes plugin load failures propagate (for plugin authors).
RAISE_ERRORS_ENV = "LUCID_RAISE_PLUGIN_ERRORS"
#: Environment variable: seconds a plugin's import may take where a deadline applies (0: none).
IMPORT_TIMEOUT_ENV = "LUCID_PLUGIN_IMPORT_TIMEOUT"
#: The deadline when the variable is unset: slow but healthy imports (a plugin pulling in
#: PyTorch or a CUDA runtime from a cold disk) take seconds to tens of seconds; a minute leaves
#: room for them and still reports a hanging plugin instead of waiting forever.
DEFAULT_IMPORT_TIMEOUT = 60.0

_lock = threading.RLock()
_scans: dict[str, tuple[PluginEntry, ...]] = {}
_own: dict[str, tuple[PluginEntry, ...]] = {}
_abandoned: set[str] = set()  # modules left half-imported by imports past their deadline


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


class PluginExitError(RuntimeError):
    """A plugin called ``sys.exit()`` while importing (raised under LUCID_RAISE_PLUGIN_ERRORS).

    Deliberately not a :class:`PluginLoadError`: callers record those and go on, while this
    one is meant to propagate, with the plugin's ``SystemExit`` as its cause.
    """

    def __init__(self, entry: PluginEntry, exc: SystemExit) -> None:
        super().__init__(f"plugin {entry.label} called sys.exit({exc.code!r}) while importing")
        self.entry = entry


def import_timeout() -> float | None:
    """Seconds a plugin import may take (``LUCID_PLUGIN_IMPORT_TIMEOUT``); None: no deadline."""
    raw = os.environ.get(IMPORT_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_IMPORT_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if math.isnan(seconds) or seconds < 0:
        raise ValueError(f"{IMPORT_TIMEOUT_ENV} must be a number of seconds (0 for no "
                         f"deadline), got {raw!r}")
    return None if seconds == 0 or math.isinf(seconds) else seconds


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


def _import(entry: PluginEntry) -> Any:
    """The object ``entry`` names (``module:attr.attr``); raises whatever its import raises."""
    module_name, _, attr = entry.value.partition(":")
    obj: Any = importlib.import_module(module_name.strip())
    for part in filter(None, attr.strip().split(".")):
        obj = getattr(obj, part)
    return obj


class _DeadlinePassed(Exception):
    """A plugin's import did not finish in time (its thread is abandoned)."""


def _initializing() -> set[str]:
    """Modules still executing their body, in any thread."""
    return {name for name, module in list(sys.modules.items())
            if getattr(getattr(module, "__spec__", None), "_initializing", False)}


def _an_import_is_running() -> bool:
    """True while some module other than an abandoned plugin's is still being imported.

    A plugin imported in another thread could need that module and would wait for its import
    lock, which the waiting caller may hold: a deadlock that only the deadline would end.
    The modules of imports abandoned at their deadline stay half-imported forever; they are
    not counted, or one hung plugin would turn the deadline off for every later one.
    """
    return bool(_initializing() - _abandoned)


def _import_with_deadline(entry: PluginEntry, timeout: float) -> Any:
    """Run :func:`_import` in a daemon thread; raise _DeadlinePassed when it is not done in time."""
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            outcome["value"] = _import(entry)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread as is
            outcome["error"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=work, name=f"lucid-plugin-import:{entry.name}",
                              daemon=True)
    worker.start()
    if not done.wait(timeout):  # interruptible: Ctrl-C raises KeyboardInterrupt here
        with _lock:
            _abandoned.update(_initializing())
        raise _DeadlinePassed(
            f"its import did not finish within {timeout:g} s (thread {worker.name!r} is left "
            f"behind; set {IMPORT_TIMEOUT_ENV} to allow longer)")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def load(entry: PluginEntry, timeout: float | None = None) -> Any:
    """Import the object an entry point names, turning any failure into PluginLoadError.

    ``timeout`` (seconds) bounds an import that never returns: the import runs in a daemon
    thread, and one not done in time is a PluginLoadError while the thread is abandoned (the
    plugin's half-imported modules stay locked, so it is never imported again). It stays in
    the calling thread when ``timeout`` is None, and while another import is running (the
    caller is inside some module's import: a thread needing that module would deadlock). A
    hang that holds the GIL (a C loop) cannot be bounded from Python at all.
    """
    try:
        if timeout is None or _an_import_is_running():
            obj = _import(entry)
        else:
            obj = _import_with_deadline(entry, timeout)
    except KeyboardInterrupt:
        raise
    except SystemExit as exc:  # a plugin may call sys.exit(); it must not end the process
        if raise_errors():
            raise PluginExitError(entry, exc) from exc
        raise PluginLoadError(entry, describe(exc)) from exc
    except _DeadlinePassed as exc:
        raise PluginLoadError(entry, str(exc)) from exc
    except Exception as exc:  # a plugin may raise anything
        if raise_errors():
            raise
        raise PluginLoadError(entry, describe(exc)) from exc
    return obj


__all__ = ["DEFAULT_IMPORT_TIMEOUT", "IMPORT_TIMEOUT_ENV", "OWN_DISTRIBUTION", "RAISE_ERRORS_ENV",
           "PluginEntry", "PluginExitError", "PluginLoadError", "describe", "entry_points",
           "import_timeout", "load", "own_distribution_installed", "own_entry_points",
           "raise_errors", "refresh"]
