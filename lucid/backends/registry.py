"""Backend plugin discovery, loading, isolation and selection.

Backends are the entry points of the ``lucid.backends`` group, listed and imported by the one
plugin loader, :mod:`lucid._plugins`. Nothing is imported at ``import lucid``. The
first-party backends (``numpy``, ``cupy``) are simply the entry points that lucid's own
distribution declares in its ``pyproject.toml``; they resolve from that distribution's
metadata alone (no scan of every installed distribution) and win name clashes. Other names
scan once (cached; :func:`refresh` rescans). A plugin that fails to import, is of the wrong
type, declares another interface version, clashes with another plugin or cannot run on this
machine is recorded with its reason and never disturbs the other backends.

Entry points are package metadata: lucid finds its own backends only when lucid is
*installed* (``pip install -e .`` from a checkout). A source tree merely put on ``sys.path``
has no metadata, so no backend is found and asking for ``numpy`` says so.
"""

from __future__ import annotations

import contextlib
import contextvars
import difflib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import lucid._plugins as _plugins  # (not "from .. import": that would import lucid itself)

from .interface import API_VERSION, Backend
from .reference import REFERENCE_KERNELS_ENV, reference_kernels_forced, with_reference_kernels

#: The entry-point group lucid reads backend plugins from.
ENTRY_POINT_GROUP = "lucid.backends"
#: The backend used when neither ``LUCID_BACKEND`` nor :func:`set_backend` picks one.
DEFAULT_BACKEND = "numpy"


class BackendError(RuntimeError):
    """Base class of backend lookup and plugin errors."""


class BackendNotFoundError(BackendError, LookupError):
    """No backend of that name is installed or registered."""


class BackendUnavailableError(BackendError):
    """The backend is installed but cannot be used (failed import, bad plugin, no device)."""


class MixedBackendError(BackendError, ValueError):
    """An operation received tensors that live on different backends."""


@dataclass(frozen=True)
class BackendStatus:
    """What lucid knows about one backend: where it came from and whether it is usable."""

    name: str
    available: bool
    reason: str | None = None
    source: str = "entry point"  # "entry point", "registered" or "missing"
    value: str | None = None  # "module:attribute" of the entry point
    distribution: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __str__(self) -> str:
        where = f"{self.source} {self.value}" if self.value else self.source
        if self.distribution:
            where += f" (from distribution {self.distribution!r})"
        state = "available" if self.available else f"unavailable: {self.reason}"
        return f"{self.name}: {state} [{where}]"


@dataclass
class _Candidate:
    name: str
    value: str
    distribution: str | None
    source: str
    entry: _plugins.PluginEntry | None = None  # what _plugins.load imports
    loader: Any = None  # an object (class / instance / factory) for in-process registration
    conflict: str | None = None
    notes: tuple[str, ...] = ()


_lock = threading.RLock()
_scanned: dict[str, _Candidate] | None = None  # every entry point, merged (None: not scanned)
_registered: dict[str, _Candidate] = {}
_instances: dict[str, Backend] = {}
_failures: dict[str, tuple[BackendStatus, BaseException | None]] = {}
_default_name: str | None = None
_seed: int | None = None
_context_name: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "lucid_backend", default=None
)


def _from_entry(entry: _plugins.PluginEntry, name: str,
                notes: tuple[str, ...] = ()) -> _Candidate:
    return _Candidate(name, entry.value, entry.distribution, "entry point", entry=entry,
                      notes=notes)


def _first_party() -> dict[str, _Candidate]:
    """The backends lucid's own distribution declares (its metadata only, no full scan)."""
    found: dict[str, _Candidate] = {}
    for entry in _plugins.own_entry_points(ENTRY_POINT_GROUP):
        found.setdefault(entry.name.lower(), _from_entry(entry, entry.name.lower()))
    return found


def _scan() -> dict[str, _Candidate]:
    """List the ``lucid.backends`` entry points once, merging duplicates and flagging clashes."""
    global _scanned
    with _lock:
        if _scanned is not None:
            return _scanned
        # This map is the registry's cache of record: rebuilding it re-reads the metadata.
        _plugins.refresh(ENTRY_POINT_GROUP)
        first_party = _first_party()
        found: dict[str, list[_plugins.PluginEntry]] = {}
        for entry in _plugins.entry_points(ENTRY_POINT_GROUP):
            key = entry.name.lower()  # lookups are case-insensitive
            same = [e for e in found.get(key, []) if e.value == entry.value
                    and e.distribution == entry.distribution]
            if not same:
                found.setdefault(key, []).append(entry)
        result: dict[str, _Candidate] = {}
        for name, entries in found.items():
            own = first_party.get(name)
            if own is not None:
                ignored = [f"{e.value} from {e.distribution!r}" for e in entries
                           if e.value != own.value]
                notes = tuple(f"ignored conflicting entry point {i}: built-ins win"
                              for i in ignored)
                result[name] = _Candidate(own.name, own.value, own.distribution, own.source,
                                          entry=own.entry, notes=notes)
            elif len({e.value for e in entries}) > 1:
                who = ", ".join(f"{e.value!r} from distribution {e.distribution!r}"
                                for e in entries)
                cand = _from_entry(entries[0], name)
                cand.conflict = f"conflicting entry points for {name!r}: {who}"
                result[name] = cand
            else:
                result[name] = _from_entry(entries[0], name)
        for name, own in first_party.items():  # declared, even if the scan missed it
            result.setdefault(name, own)
        _scanned = result
        return result


def _candidate(name: str, scan: bool = True) -> _Candidate | None:
    if name in _registered:
        return _registered[name]
    if not scan:
        own = _first_party().get(name)
        if own is not None:
            return own
    return _scan().get(name)


def _missing_abstract(cls: type) -> list[str]:
    return sorted(getattr(cls, "__abstractmethods__", ()))


def _instantiate(cand: _Candidate, timeout: float | None = None) -> Backend:
    """Import, type-check, version-check and probe one plugin; raise on any problem.

    ``timeout`` bounds the plugin's import (see :func:`lucid._plugins.load`).
    """
    if cand.conflict:
        raise BackendUnavailableError(cand.conflict)
    if cand.loader is not None:
        obj = cand.loader
    else:
        assert cand.entry is not None
        obj = _plugins.load(cand.entry, timeout=timeout)
    reference = reference_kernels_forced()
    if isinstance(obj, Backend):
        instance = obj
    elif isinstance(obj, type) and issubclass(obj, Backend):
        version = getattr(obj, "api_version", None)
        if version != API_VERSION:
            raise BackendUnavailableError(
                f"plugin {cand.value!r} was built for lucid backend API version {version!r}, "
                f"but this lucid implements version {API_VERSION}; install a matching version"
            )
        missing = _missing_abstract(obj)
        if missing:
            raise BackendUnavailableError(
                f"plugin {cand.value!r} does not implement the backend interface: missing "
                f"{', '.join(missing)} (lucid.backends.ReferenceKernels provides the NN "
                "kernels and conveniences)"
            )
        reason = obj.unavailable_reason()
        if reason:
            raise BackendUnavailableError(reason)
        instance = (with_reference_kernels(obj) if reference else obj)()
    elif callable(obj) and not isinstance(obj, type):
        instance = obj()
    else:
        raise BackendUnavailableError(
            f"entry point {cand.value!r} gave {type(obj).__name__} {obj!r}; expected a "
            "lucid.backends.Backend subclass, instance, or a factory returning one"
        )
    if not isinstance(instance, Backend):
        raise BackendUnavailableError(
            f"entry point {cand.value!r} produced {type(instance).__name__}, "
            "not a lucid.backends.Backend"
        )
    if instance.api_version != API_VERSION:
        raise BackendUnavailableError(
            f"plugin {cand.value!r} was built for lucid backend API version "
            f"{instance.api_version!r}, but this lucid implements version {API_VERSION}"
        )
    if reference:
        # An instance (or a factory's product) is switched in place: its class becomes the
        # cached subclass with the reference NN kernels (same layout, same state).
        instance.__class__ = with_reference_kernels(type(instance))
    instance.name = cand.name
    return instance


def _status(cand: _Candidate, available: bool, reason: str | None = None) -> BackendStatus:
    notes = cand.notes
    if available and reference_kernels_forced():
        notes += (f"running the reference NN kernels ({REFERENCE_KERNELS_ENV}=1)",)
    return BackendStatus(cand.name, available, reason, cand.source, cand.value,
                         cand.distribution, notes)


def _try_load(name: str, scan: bool = True) -> Backend | None:
    """Load backend ``name`` into the cache, recording a failure instead of raising."""
    with _lock:
        if name in _instances:
            return _instances[name]
        if name in _failures:
            return None
        cand = _candidate(name, scan)
    return None if cand is None else _load_candidate(cand)


def _import_deadline(cand: _Candidate) -> float | None:
    """How long a plugin's import may take: lucid's own backends are trusted (no deadline)."""
    if cand.entry is None or cand.entry.distribution == _plugins.OWN_DISTRIBUTION:
        return None
    return _plugins.import_timeout()


def _load_candidate(cand: _Candidate) -> Backend | None:
    """Instantiate ``cand`` and cache it, or record why it failed.

    The registry's lock is not held meanwhile: a plugin's import may run in another thread
    (under a deadline) and may itself ask the registry for a backend.
    """
    timeout = _import_deadline(cand)
    try:
        instance = _instantiate(cand, timeout)
    except KeyboardInterrupt:
        raise
    except SystemExit as exc:  # from a factory, __init__ or unavailable_reason
        reason = f"SystemExit({exc.code!r}) raised while loading the plugin"
        if _plugins.raise_errors():  # re-raised it would end the process without a trace
            raise BackendUnavailableError(f"backend {cand.name!r}: {reason}") from exc
        _record_failure(cand, reason, exc)
        return None
    except Exception as exc:  # a plugin may raise anything; isolate it
        if _plugins.raise_errors():
            raise
        cause: BaseException = exc
        if isinstance(exc, _plugins.PluginLoadError):
            reason = exc.reason
            cause = exc.__cause__ or exc  # chain the plugin's own exception
        elif isinstance(exc, BackendError):
            reason = str(exc)
        else:
            reason = _plugins.describe(exc)
        _record_failure(cand, reason, cause)
        return None
    with _lock:
        loaded = _instances.get(cand.name)
        if loaded is not None:  # another thread loaded it meanwhile: keep one instance
            return loaded
        if _seed is not None:
            instance.seed(_seed)
        _instances[cand.name] = instance
    return instance


def _record_failure(cand: _Candidate, reason: str, cause: BaseException) -> None:
    with _lock:
        _failures.setdefault(cand.name, (_status(cand, False, reason), cause))


def seed_all(seed: int) -> None:
    """Reseed every loaded backend and remember the seed for backends loaded later."""
    global _seed
    with _lock:
        _seed = seed
        for instance in _instances.values():
            instance.seed(seed)


def names() -> list[str]:
    """Return the names of every discovered or registered backend (loads nothing)."""
    return sorted(set(_scan()) | set(_registered) | {DEFAULT_BACKEND})


def _not_installed_hint() -> str | None:
    """Why no first-party backend can be found, when lucid itself is not installed."""
    if _plugins.own_distribution_installed():
        return None
    where = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return (f"lucid's own backends ({DEFAULT_BACKEND!r} included) are entry points of the "
            f"installed 'lucid' distribution, but this lucid (imported from {where}) is not "
            "installed; run `pip install -e .` in the lucid checkout")


def available() -> dict[str, BackendStatus]:
    """Load every discovered backend and return each one's status, with reasons for failures."""
    result: dict[str, BackendStatus] = {}
    for name in names():
        cand = _candidate(name)
        instance = _try_load(name)
        if instance is not None and cand is not None:
            result[name] = _status(cand, True)
        elif name in _failures:
            result[name] = _failures[name][0]
        else:
            hint = _not_installed_hint() if name == DEFAULT_BACKEND else None
            reason = hint or "no plugin provides it"
            result[name] = BackendStatus(name, False, reason, "missing")
    return result


def get_backend(name: str | Backend | None = None) -> Backend:
    """Return the backend called ``name`` (the current one when None), loading it if needed."""
    if isinstance(name, Backend):
        return name
    if name is None:
        return current_backend()
    key = str(name).strip().lower()
    instance = _instances.get(key)
    if instance is not None:
        return instance
    instance = _try_load(key, scan=False)
    if instance is not None:
        return instance
    if key in _failures:
        status, exc = _failures[key]
        dist = status.distribution
        origin = f" (installed by distribution {dist!r})" if dist else ""
        raise BackendUnavailableError(
            f"backend {key!r}{origin} cannot be used: {status.reason}"
        ) from exc
    hint = _not_installed_hint()
    if hint is not None:
        raise BackendNotFoundError(f"unknown backend {name!r}: {hint}")
    # Answered from entry-point metadata alone: importing every plugin to list the usable
    # ones would let a plugin that hangs or exits on import turn a typo into a hang.
    known = names()
    close = difflib.get_close_matches(key, known, n=3)
    suggestion = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    raise BackendNotFoundError(
        f"unknown backend {name!r}; installed backends: {', '.join(known)} "
        f"(lucid.backends.available() says which can run){suggestion}"
    )


def register_backend(name: str, backend: Any, *, exist_ok: bool = False) -> None:
    """Register a backend in-process (class, instance, or factory) under ``name``."""
    key = name.strip().lower()
    with _lock:
        if key in _first_party():
            raise ValueError(f"{key!r} is one of lucid's own backends and cannot be replaced")
        taken = key in _registered or key in _instances
        if taken and not exist_ok:
            raise ValueError(f"a backend named {key!r} is already registered; pass exist_ok=True")
        value = f"{getattr(backend, '__module__', '?')}:{getattr(backend, '__qualname__', '?')}"
        _registered[key] = _Candidate(key, value, None, "registered", loader=backend)
        _instances.pop(key, None)
        _failures.pop(key, None)


def unregister_backend(name: str) -> None:
    """Remove an in-process registration (and its loaded instance)."""
    key = name.strip().lower()
    with _lock:
        _registered.pop(key, None)
        _instances.pop(key, None)
        _failures.pop(key, None)


def refresh() -> None:
    """Forget the entry-point scan and recorded failures so the next lookup rescans."""
    global _scanned
    with _lock:
        _scanned = None
        _failures.clear()
        _plugins.refresh(ENTRY_POINT_GROUP)


def _selected_name() -> str:
    name = (_context_name.get() or _default_name or os.environ.get("LUCID_BACKEND")
            or DEFAULT_BACKEND)
    return name.strip().lower()


def current_backend() -> Backend:
    """Return the backend new tensors are created on (context > setter > env > numpy)."""
    name = _context_name.get() or _default_name
    if name is not None:
        instance = _instances.get(name)
        if instance is not None:
            return instance
    return get_backend(_selected_name())


def set_backend(name: str | None) -> None:
    """Make ``name`` the default backend for new tensors (None restores the default)."""
    global _default_name
    if name is not None:
        name = get_backend(name).name
    _default_name = name


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[Backend]:
    """Create new tensors on backend ``name`` inside a ``with`` block."""
    backend = get_backend(name)
    token = _context_name.set(backend.name)
    try:
        yield backend
    finally:
        _context_name.reset(token)
