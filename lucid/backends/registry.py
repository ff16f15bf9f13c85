"""Backend plugin discovery, loading, isolation and selection.

Backends are found through the ``lucid.backends`` entry-point group. Nothing is imported at
``import lucid``: the built-in names resolve without an entry-point scan, other names scan
once (cached; :func:`refresh` rescans). A plugin that fails to import, is of the wrong type,
declares another interface version, clashes with another plugin or cannot run on this
machine is recorded with its reason and never disturbs the other backends.
"""

from __future__ import annotations

import contextlib
import contextvars
import difflib
import importlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .interface import API_VERSION, Backend, use_reference_kernels

if TYPE_CHECKING:
    from importlib import metadata

ENTRY_POINT_GROUP = "lucid.backends"
DEFAULT_BACKEND = "numpy"
#: First-party plugins; resolved without scanning entry points, and they win name clashes.
BUILTIN_BACKENDS = {"numpy": "lucid_numpy:NumPyBackend", "cupy": "lucid_cupy:CuPyBackend"}
_ROOT_DISTRIBUTION = "lucid"


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
    source: str = "entry point"  # "entry point", "built-in", or "registered"
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
    loader: Any = None  # an object (class / instance / factory) for in-process registration
    conflict: str | None = None
    notes: tuple[str, ...] = ()


_lock = threading.RLock()
_scanned: dict[str, _Candidate] | None = None
_registered: dict[str, _Candidate] = {}
_instances: dict[str, Backend] = {}
_failures: dict[str, tuple[BackendStatus, BaseException | None]] = {}
_default_name: str | None = None
_seed: int | None = None
_context_name: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "lucid_backend", default=None
)


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _dist_name(ep: metadata.EntryPoint) -> str | None:
    dist = getattr(ep, "dist", None)
    return getattr(dist, "name", None) if dist is not None else None


def _scan() -> dict[str, _Candidate]:
    """List the ``lucid.backends`` entry points once, merging duplicates and flagging clashes."""
    global _scanned
    with _lock:
        if _scanned is not None:
            return _scanned
        from importlib import metadata  # imported here: it is slow, and import lucid must be fast

        found: dict[str, list[tuple[str, str | None]]] = {}
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            pair = (ep.value.strip(), _dist_name(ep))
            key = ep.name.strip().lower()  # lookups are case-insensitive
            if pair not in found.setdefault(key, []):
                found[key].append(pair)
        result: dict[str, _Candidate] = {}
        for name, entries in found.items():
            values = {value for value, _ in entries}
            value, dist = entries[0]
            if name in BUILTIN_BACKENDS:
                builtin = BUILTIN_BACKENDS[name]
                others = [f"{v} from {d!r}" for v, d in entries if v != builtin]
                own = [d for v, d in entries if v == builtin]
                notes = tuple(f"ignored conflicting entry point {o}: built-ins win" for o in others)
                result[name] = _Candidate(name, builtin, own[0] if own else _ROOT_DISTRIBUTION,
                                          "entry point", notes=notes)
            elif len(values) > 1:
                who = ", ".join(f"{v!r} from distribution {d!r}" for v, d in entries)
                result[name] = _Candidate(name, value, dist, "entry point",
                                          conflict=f"conflicting entry points for {name!r}: {who}")
            else:
                result[name] = _Candidate(name, value, dist, "entry point")
        _scanned = result
        return result


def _candidate(name: str, scan: bool = True) -> _Candidate | None:
    if name in _registered:
        return _registered[name]
    if not scan and name in BUILTIN_BACKENDS:
        return _Candidate(name, BUILTIN_BACKENDS[name], _ROOT_DISTRIBUTION, "built-in")
    return _scan().get(name)


def _load_object(cand: _Candidate) -> Any:
    if cand.loader is not None:
        return cand.loader
    module_name, _, attr = cand.value.partition(":")
    obj: Any = importlib.import_module(module_name.strip())
    for part in filter(None, attr.strip().split(".")):
        obj = getattr(obj, part)
    return obj


def _instantiate(cand: _Candidate) -> Backend:
    """Import, type-check, version-check and probe one plugin; raise on any problem."""
    if cand.conflict:
        raise BackendUnavailableError(cand.conflict)
    obj = _load_object(cand)
    if isinstance(obj, Backend):
        instance = obj
    elif isinstance(obj, type) and issubclass(obj, Backend):
        version = getattr(obj, "api_version", None)
        if version != API_VERSION:
            raise BackendUnavailableError(
                f"plugin {cand.value!r} was built for lucid backend API version {version!r}, "
                f"but this lucid implements version {API_VERSION}; install a matching version"
            )
        reason = obj.unavailable_reason()
        if reason:
            raise BackendUnavailableError(reason)
        instance = obj()
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
    instance.name = cand.name
    if _env_flag("LUCID_REFERENCE_KERNELS"):
        use_reference_kernels(instance)
    return instance


def _status(cand: _Candidate, available: bool, reason: str | None = None) -> BackendStatus:
    return BackendStatus(cand.name, available, reason, cand.source, cand.value,
                         cand.distribution, cand.notes)


def _try_load(name: str, scan: bool = True) -> Backend | None:
    """Load backend ``name`` into the cache, recording a failure instead of raising."""
    with _lock:
        if name in _instances:
            return _instances[name]
        if name in _failures:
            return None
        cand = _candidate(name, scan)
        return None if cand is None else _load_candidate(cand, fallback=not scan)


def _load_candidate(cand: _Candidate, fallback: bool) -> Backend | None:
    try:
        instance = _instantiate(cand)
    except Exception as exc:  # a plugin may raise anything; isolate it
        if _env_flag("LUCID_RAISE_PLUGIN_ERRORS"):
            raise
        if fallback and cand.source == "built-in" and isinstance(exc, ModuleNotFoundError):
            scanned = _scan().get(cand.name)  # maybe installed under another module: ask metadata
            if scanned is not None:
                return _load_candidate(scanned, fallback=False)
        reason = str(exc) if isinstance(exc, BackendError) else f"{type(exc).__name__}: {exc}"
        _failures[cand.name] = (_status(cand, False, reason), exc)
        return None
    if _seed is not None:
        instance.seed(_seed)
    _instances[cand.name] = instance
    return instance


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
            result[name] = BackendStatus(name, False, "no plugin provides it", "missing")
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
    usable = [n for n, s in available().items() if s.available]
    hint = difflib.get_close_matches(key, names(), n=3)
    suggestion = f"; did you mean {', '.join(map(repr, hint))}?" if hint else ""
    raise BackendNotFoundError(
        f"unknown backend {name!r}; available backends: {', '.join(usable) or 'none'}{suggestion}"
    )


def register_backend(name: str, backend: Any, *, exist_ok: bool = False) -> None:
    """Register a backend in-process (class, instance, or factory) under ``name``."""
    key = name.strip().lower()
    with _lock:
        taken = key in _registered or key in _instances or key in BUILTIN_BACKENDS
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
