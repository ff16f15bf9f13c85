"""The model registry: presets register by name; third-party packages add models via entry points.

Core presets register when :mod:`lucid.models` is imported. Plugins declare entry points in
the ``lucid.models`` group; they are loaded lazily, on the first registry lookup, through
lucid's one plugin loader (:mod:`lucid._plugins`). An entry point's value is either a module
(importing it runs its ``@register_model`` decorators) or a callable taking no arguments that
returns an iterable of factory functions to register. A plugin that fails to load — whatever
it raises, ``SystemExit`` included — or registers a name that is already taken, registers
nothing, is recorded in :func:`plugin_failures` and leaves every other model usable.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
import threading
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._plugins import PluginEntry, PluginLoadError, describe, entry_points, raise_errors
from .._plugins import load as load_plugin
from .._plugins import refresh as forget_entry_points
from .features import as_feature_extractor
from .pretrained import WEIGHT_COMPATIBLE_FIELDS, has_weights, set_pretrained_cfg

#: The entry-point group lucid reads model plugins from.
ENTRY_POINT_GROUP = "lucid.models"


class UnknownModelError(LookupError):
    """No model of that name is registered."""

    def __str__(self) -> str:  # LookupError would print the repr of the message
        return str(self.args[0]) if self.args else ""


class DuplicateModelError(ValueError):
    """A model name is registered twice."""


@dataclass(frozen=True)
class ModelEntry:
    """A registered factory with its name, family, where it came from and its weight cfgs.

    ``pretrained_cfgs`` maps each weight tag to its timm-style ``pretrained_cfg`` (the
    default tag first); :func:`list_models` reads it without building the model.
    """

    name: str
    factory: Callable[..., Any]
    family: str
    source: str  # "lucid" or the plugin distribution's name
    pretrained_cfgs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def default_tag(self) -> str | None:
        """The tag ``get(name, pretrained=True)`` loads (the first), or None without cfgs."""
        return next(iter(self.pretrained_cfgs), None)

    def tags(self, pretrained: bool = False) -> list[str]:
        """The weight tags (only those with published weights when ``pretrained``)."""
        return [t for t, cfg in self.pretrained_cfgs.items() if not pretrained or has_weights(cfg)]

    @property
    def module(self) -> str:
        """The module that defined the factory."""
        return getattr(self.factory, "__module__", "?")


_lock = threading.RLock()
_models: dict[str, ModelEntry] = {}
_plugins_loaded = False
_plugin_failures: dict[str, str] = {}
_current_source = "lucid"


def normalize_name(name: str) -> str:
    """Canonical model name: lower case, ``-`` and spaces as ``_``."""
    if not isinstance(name, str):
        raise TypeError(f"model name must be a str, got {type(name).__name__} {name!r}")
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def register_model(fn: Callable[..., Any] | None = None, *, name: str | None = None,
                   family: str | None = None, exist_ok: bool = False,
                   pretrained_cfgs: Mapping[str, Mapping[str, Any]] | None = None):
    """Decorator registering a model factory under its (normalised) function name.

    ``pretrained_cfgs`` (tag -> timm-style cfg, the default first) describes the weights
    published for the model; a name may not contain ``.``, which separates the tag.
    """

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        key = normalize_name(name or f.__name__)
        if "." in key:
            raise ValueError(f"model name {key!r} may not contain '.': it separates a weight "
                             "tag (name.tag)")
        fam = family or f.__module__.rsplit(".", 1)[-1]
        with _lock:
            old = _models.get(key)
            if old is not None and old.factory is not f and not exist_ok:
                raise DuplicateModelError(
                    f"model {key!r} is already registered by {old.source} ({old.module}); "
                    f"refusing to overwrite it with {f.__module__}.{f.__qualname__} "
                    "(pass exist_ok=True to replace it deliberately)"
                )
            _models[key] = ModelEntry(key, f, fam, _current_source,
                                      {t: dict(c) for t, c in (pretrained_cfgs or {}).items()})
        return f

    return decorate(fn) if fn is not None else decorate


def unregister_model(name: str) -> None:
    """Remove a registered model (for tests and interactive use)."""
    with _lock:
        _models.pop(normalize_name(name), None)


def _register_plugin(entry: PluginEntry) -> None:
    """Import one entry point and register what it provides (may raise anything)."""
    obj = load_plugin(entry)
    if callable(obj) and not isinstance(obj, types.ModuleType):
        produced = obj()
        if produced is not None:
            for factory in _iter_factories(produced, entry.value):
                register_model(factory)


def _load_plugins() -> None:
    """Load the ``lucid.models`` entry points once; a failing plugin registers nothing."""
    global _plugins_loaded, _current_source
    with _lock:
        if _plugins_loaded:
            return
        _plugins_loaded = True
        for entry in entry_points(ENTRY_POINT_GROUP):
            before = dict(_models)
            _current_source = f"plugin {entry.distribution or entry.value!r}"
            try:
                _register_plugin(entry)
            except PluginLoadError as exc:  # its import failed (isolated by the loader)
                _restore(before)
                _plugin_failures[entry.label] = exc.reason
            except (Exception, SystemExit) as exc:
                # its factory callable failed, or its import did under raise_errors() (then
                # the loader re-raises the plugin's own exception, and so do we)
                _restore(before)
                _plugin_failures[entry.label] = describe(exc)
                if raise_errors():
                    raise
            except BaseException:  # KeyboardInterrupt: undo, then stop
                _restore(before)
                raise
            finally:
                _current_source = "lucid"


def _restore(models: dict[str, ModelEntry]) -> None:
    """Put the registry back as it was before a plugin started registering."""
    _models.clear()
    _models.update(models)


def _iter_factories(produced: Any, value: str) -> Iterable[Callable[..., Any]]:
    if callable(produced):
        return [produced]
    if isinstance(produced, Iterable):
        items = list(produced)
        if all(callable(i) for i in items):
            return items
    raise TypeError(f"entry point {value!r} must return factories (callables), got "
                    f"{type(produced).__name__}")


def refresh_plugins() -> None:
    """Forget which plugins were loaded so the next lookup scans entry points again."""
    global _plugins_loaded
    with _lock:
        _plugins_loaded = False
        _plugin_failures.clear()
        forget_entry_points(ENTRY_POINT_GROUP)


def plugin_failures() -> dict[str, str]:
    """Model plugins that failed to load, with the reason."""
    _load_plugins()
    return dict(_plugin_failures)


def list_models(pattern: str | Iterable[str] = "*", exclude: str | Iterable[str] = (),
                family: str | None = None, pretrained: bool = False,
                include_tags: bool | None = None) -> list[str]:
    """Sorted names of registered models matching shell-style ``pattern`` (not ``exclude``).

    As timm: ``pretrained=True`` keeps the models with published weights, and
    ``include_tags`` (default: ``pretrained``) lists ``name.tag`` for each weight tag.
    """
    _load_plugins()
    includes = [pattern] if isinstance(pattern, str) else list(pattern)
    excludes = [exclude] if isinstance(exclude, str) else list(exclude)
    includes = [normalize_name(p) for p in includes]
    excludes = [normalize_name(p) for p in excludes]
    if include_tags is None:
        include_tags = pretrained

    def matches(names: list[str], patterns: list[str]) -> bool:
        return any(fnmatch.fnmatchcase(n, p) for n in names for p in patterns)

    out = []
    for key, entry in _models.items():
        if family is not None and entry.family != family:
            continue
        tags = entry.tags(pretrained)
        if pretrained and not tags:
            continue
        names = [f"{key}.{t}" for t in tags] if include_tags and tags else [key]
        for name in names:
            candidates = [key, name]
            if matches(candidates, includes) and not matches(candidates, excludes):
                out.append(name)
    return sorted(out)


def list_families() -> list[str]:
    """Sorted names of the model families."""
    _load_plugins()
    return sorted({e.family for e in _models.values()})


def is_model(name: str) -> bool:
    """True when ``name`` is a registered model."""
    _load_plugins()
    return normalize_name(name) in _models


def model_entry(name: str) -> ModelEntry:
    """Return the registry entry of ``name`` or raise UnknownModelError with suggestions."""
    _load_plugins()
    key = normalize_name(name)
    entry = _models.get(key)
    if entry is None:
        close = difflib.get_close_matches(key, list(_models), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        failed = f" ({len(_plugin_failures)} model plugin(s) failed to load: see " \
                 "lucid.models.plugin_failures())" if _plugin_failures else ""
        raise UnknownModelError(f"unknown model {name!r}{hint} Use lucid.models.list_models() "
                                f"to see the {len(_models)} available models.{failed}")
    return entry


def split_tag(name: str) -> tuple[str, str | None]:
    """``"resnet_50.tv_in1k"`` -> ``("resnet_50", "tv_in1k")``; a plain name has tag None."""
    base, dot, tag = normalize_name(name).partition(".")
    return base, (tag if dot else None)


def _check_pretrained_request(entry: ModelEntry, tag: str | None, pretrained: bool,
                              weights: Any, overrides: Mapping[str, Any]) -> None:
    """Refuse, before building, what cannot load: no weights, or an architecture change."""
    if not isinstance(pretrained, bool):
        raise TypeError(f"pretrained must be a bool, got {type(pretrained).__name__} "
                        f"{pretrained!r}; pass a weights file as weights=...")
    if pretrained and weights is not None:
        raise ValueError(f"{entry.name}: pass either pretrained=True (the published weights) "
                         f"or weights={weights!r} (a file), not both")
    if tag is not None and tag not in entry.pretrained_cfgs:
        known = ", ".join(entry.pretrained_cfgs) or "none"
        raise UnknownModelError(f"{entry.name} has no weight tag {tag!r}; its tags: {known}")
    if not pretrained:
        return
    cfg = entry.pretrained_cfgs.get(tag or entry.default_tag or "", {})
    if not has_weights(cfg):
        with_weights = [f"{entry.name}.{t}" for t in entry.tags(pretrained=True)]
        hint = f" (its tags with weights: {', '.join(with_weights)})" if with_weights else \
            "; lucid.models.list_models(pretrained=True) lists the models that have some"
        raise ValueError(f"{entry.name}{'.' + tag if tag else ''} has no published weights"
                         f"{hint}")
    changed = sorted(set(overrides) - set(WEIGHT_COMPATIBLE_FIELDS))
    if changed:
        raise ValueError(
            f"{entry.name}: pretrained=True loads weights made for the published architecture, "
            f"so {', '.join(changed)} cannot be overridden with it (allowed: "
            f"{', '.join(WEIGHT_COMPATIBLE_FIELDS)}); build without pretrained to change the "
            "architecture"
        )


def get(name: str, pretrained: bool = False, weights: str | os.PathLike[str] | None = None,
        **overrides: Any) -> Any:
    """Build the registered model ``name`` (optionally ``name.tag``) with config ``overrides``.

    ``pretrained=True`` loads the published weights of the default (or the named) tag
    through :func:`lucid.models.hub.load_pretrained`, which drops the classifier when
    ``num_classes`` differs and adapts the first convolution to ``in_chans``. ``weights`` is a
    file instead: a lucid checkpoint, or a timm/PyTorch state dict mapped by the model's
    ``key_map()`` (see :func:`lucid.io.load_weights`). ``features_only=True`` (with
    ``out_indices``) returns a :class:`~lucid.models.features.FeatureListNet` of the loaded
    model.
    """
    base, tag = split_tag(name)
    entry = model_entry(base)
    features_only = overrides.pop("features_only", False)
    out_indices = overrides.pop("out_indices", None)
    _check_pretrained_request(entry, tag, pretrained, weights, overrides)
    as_feature_extractor(None, features_only, out_indices)  # validate before building
    model = entry.factory(**overrides)
    if tag is not None:
        set_pretrained_cfg(model, entry.pretrained_cfgs[tag])
    if pretrained:
        # the Hub loader (host I/O) is imported only when weights are asked for
        from .hub import load_pretrained

        load_pretrained(model)
    if weights is not None:
        # host I/O (NumPy) is imported only when weights are asked for: importing
        # lucid.models stays NumPy-free (io is a lower layer, so this import goes downward)
        from ..io.weights import load_weights

        load_weights(model, weights, model_name=base)
    return as_feature_extractor(model, features_only, out_indices)


#: The same function as :func:`get`, under timm's name.
create_model = get
