"""State dicts between namings: conversion checked tensor by tensor against a model.

The mapping tables live beside the model families they describe (built with
:mod:`lucid.models.keymap`); a model hands its table out through a ``key_map()`` method, an
object with ``naming``, ``to_lucid(key)`` and ``to_source(key)``. This module uses it only
through that method, so it never imports a model.

:func:`convert_with_report` maps a source state dict onto a built model: common wrappers are
unwrapped first (a ``{"state_dict": ...}``, ``{"model": ...}`` or ``{"model_state_dict": ...}``
dict, and a ``module.`` (DataParallel) or ``_orig_mod.`` (``torch.compile``) prefix carried by
every key), values become NumPy arrays of the model's dtypes, and every tensor is checked.
``num_batches_tracked`` is the one tensor a source may omit (older torchvision weights were
saved before it existed); it is filled with 0, as PyTorch does, and reported. Every other
missing, unexpected or mis-shaped tensor is a :class:`ConversionError` that names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: wrapper keys holding the real state dict, tried in this order
WRAPPER_KEYS = ("state_dict", "model", "model_state_dict")
#: prefixes stripped when every key carries them (DataParallel, torch.compile)
STRIPPED_PREFIXES = ("module.", "_orig_mod.")
#: source tensors that may be absent; they are filled with this value
OPTIONAL_DEFAULTS = {"num_batches_tracked": 0}
_MAX_LISTED = 20
_NUMERIC_KINDS = "fiub"


class ConversionError(ValueError):
    """A state dict does not fit the model: missing, unexpected or mis-shaped tensors."""


# ---------------------------------------------------------------------- mapping tables
def key_map_for(model: Any) -> Any:
    """The mapping table a model provides through its ``key_map()`` method."""
    method = getattr(model, "key_map", None)
    if not callable(method):
        raise TypeError(f"weights conversion needs a model with a key_map() method returning "
                        f"its mapping table (a lucid.models.KeyMap); "
                        f"{type(model).__name__} has none")
    keymap = method()
    if not all(hasattr(keymap, a) for a in ("naming", "to_lucid", "to_source")):
        raise TypeError(f"{type(model).__name__}.key_map() must return a mapping table with "
                        f"naming, to_lucid() and to_source() (a lucid.models.KeyMap), got "
                        f"{type(keymap).__name__}")
    return keymap


# ---------------------------------------------------------------------- source state dicts
def unwrap_state_dict(src: Mapping[str, Any]) -> Mapping[str, Any]:
    """Take the state dict out of a ``{"state_dict": ...}``-style wrapper, if any."""
    if not isinstance(src, Mapping):
        raise TypeError(f"expected a mapping of name -> array (a state dict), got "
                        f"{type(src).__name__}")
    for key in WRAPPER_KEYS:
        inner = src.get(key)
        if isinstance(inner, Mapping):
            return inner
    return src


def strip_prefixes(src: Mapping[str, Any]) -> dict[str, Any]:
    """Drop a ``module.`` / ``_orig_mod.`` prefix carried by every key (repeatedly)."""
    out = dict(src)
    changed = True
    while changed and out:
        changed = False
        for prefix in STRIPPED_PREFIXES:
            if all(isinstance(k, str) and k.startswith(prefix) for k in out):
                out = {k[len(prefix):]: v for k, v in out.items()}
                changed = True
    return out


def as_numpy(key: str, value: Any) -> np.ndarray:
    """Entry ``key`` as a numeric NumPy array, from NumPy, a lucid Tensor or a torch tensor.

    torch bfloat16 is widened to float32; anything else is a :class:`ConversionError`.
    """
    if hasattr(value, "detach") and hasattr(value, "cpu") and not isinstance(value, np.ndarray):
        value = value.detach().cpu()  # a torch tensor (lucid's Tensor has no .cpu)
        if str(getattr(value, "dtype", "")) == "torch.bfloat16":
            value = value.float()
        value = value.numpy()
    elif hasattr(value, "detach") and hasattr(value, "numpy"):
        value = value.detach().numpy()  # a lucid Tensor
    if not isinstance(value, (np.ndarray, np.generic, int, float, bool)):
        raise ConversionError(f"entry {key!r} is a {type(value).__name__}, not an array or "
                              "tensor")
    arr = np.asarray(value)
    if arr.dtype.kind not in _NUMERIC_KINDS:
        raise ConversionError(f"entry {key!r} has dtype {arr.dtype}; expected a numeric array")
    return arr


def _in_lucid_naming(keys: Any, targets: Mapping[str, Any], keymap: Any) -> bool:
    """True when some key is one of the model's own names that no source rule produces.

    Such a key cannot come from the source naming (for the ResNet family: the stem, which
    timm and torchvision call ``conv1``/``bn1`` and lucid ``stem.``), so the dict is lucid's.
    """
    return any(isinstance(k, str) and k in targets and keymap.to_lucid(k) is None for k in keys)


# ---------------------------------------------------------------------- conversion
@dataclass
class ConversionReport:
    """What a conversion or a :func:`~lucid.io.load_weights` call did."""

    naming: str
    n_tensors: int
    n_values: int
    filled: list[str] = field(default_factory=list)
    source_format: str = "mapping"
    metadata: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for people: tensors, values, naming and defaults filled."""
        text = (f"{self.n_tensors} tensors ({self.n_values:,} values) from a "
                f"{self.source_format} source with {self.naming} naming")
        if self.filled:
            text += f"; filled {len(self.filled)} absent num_batches_tracked with 0"
        return text


def _listing(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    shown = [f"    {x}" for x in items[:_MAX_LISTED]]
    if len(items) > _MAX_LISTED:
        shown.append(f"    ... and {len(items) - _MAX_LISTED} more")
    return [f"  {title} ({len(items)}):", *shown]


def convert_with_report(src: Mapping[str, Any], model: Any, label: str | None = None,
                        naming: str | None = None,
                        ) -> tuple[dict[str, np.ndarray], ConversionReport]:
    """Map ``src`` to ``model``'s lucid names, checked tensor by tensor; also return a report.

    ``model`` provides its mapping table through ``key_map()``. ``naming`` forces the source
    naming (``"lucid"`` or the model's table); by default a state dict holding one of the
    model's own names that the table cannot produce from a source name is taken to be in
    lucid naming. ``label`` names the model in error messages. The result is
    ready for ``model.load_state_dict``; a misfit raises :class:`ConversionError` naming every
    missing, unexpected, mis-shaped or unusable tensor.
    """
    label = label or type(model).__name__
    arrays = strip_prefixes(unwrap_state_dict(src))
    keymap = key_map_for(model)
    targets = model.state_dict()
    if naming is None:
        naming = "lucid" if _in_lucid_naming(arrays, targets, keymap) else keymap.naming

    def name_of(lucid_key: str) -> str:
        """How the source calls ``lucid_key`` (for messages)."""
        if naming == "lucid":
            return repr(lucid_key)
        src_key = keymap.to_source(lucid_key)
        return f"{src_key!r} (lucid {lucid_key!r})" if src_key else repr(lucid_key)

    unexpected, misshaped, bad = [], [], []
    mapped: dict[str, tuple[str, Any]] = {}
    for key, value in arrays.items():
        if not isinstance(key, str):
            bad.append(f"{key!r}: key is a {type(key).__name__}, expected a str")
            continue
        lucid_key = key if naming == "lucid" else keymap.to_lucid(key)
        if lucid_key is None:
            unexpected.append(f"{key!r}: no rule of the {naming} mapping table matches it")
        elif lucid_key not in targets:
            unexpected.append(f"{key!r}: maps to {lucid_key!r}, which {label} does not have")
        elif lucid_key in mapped:
            bad.append(f"{key!r}: maps to {lucid_key!r}, already given by "
                       f"{mapped[lucid_key][0]!r}")
        else:
            mapped[lucid_key] = (key, value)

    out: dict[str, np.ndarray] = {}
    missing, filled = [], []
    for lucid_key, target in targets.items():
        if lucid_key not in mapped:
            leaf = lucid_key.rsplit(".", 1)[-1]
            if leaf in OPTIONAL_DEFAULTS and target.shape == ():
                out[lucid_key] = np.asarray(OPTIONAL_DEFAULTS[leaf], dtype=np.int64)
                filled.append(lucid_key)
            else:
                missing.append(f"{name_of(lucid_key)}: expected shape {tuple(target.shape)}")
            continue
        src_key, value = mapped[lucid_key]
        try:
            arr = as_numpy(src_key, value)
        except ConversionError as exc:
            bad.append(str(exc))
            continue
        expected = tuple(target.shape)
        if arr.shape != expected and not (expected == () and arr.size == 1):
            misshaped.append(f"{name_of(lucid_key)}: expected shape {expected}, got "
                             f"{tuple(arr.shape)}")
            continue
        dtype = np.dtype(target.dtype.name)
        if dtype.kind == "f" and arr.dtype.kind not in "fiu":
            bad.append(f"{src_key!r}: dtype {arr.dtype} cannot fill a {dtype} tensor")
            continue
        out[lucid_key] = arr.reshape(expected).astype(dtype)  # a contiguous copy; 0-d stays 0-d

    if missing or unexpected or misshaped or bad:
        lines = [f"state dict does not fit {label} ({naming} naming; "
                 f"{len(arrays)} source tensors, {len(targets)} expected):"]
        lines += _listing("missing tensors", missing)
        lines += _listing("unexpected tensors", unexpected)
        lines += _listing("mis-shaped tensors", misshaped)
        lines += _listing("unusable tensors", bad)
        raise ConversionError("\n".join(lines))
    report = ConversionReport(naming=naming, n_tensors=len(out),
                              n_values=int(sum(a.size for a in out.values())), filled=filled)
    return out, report


__all__ = ["OPTIONAL_DEFAULTS", "STRIPPED_PREFIXES", "WRAPPER_KEYS",
           "ConversionError", "ConversionReport", "as_numpy",
           "convert_with_report", "key_map_for", "strip_prefixes", "unwrap_state_dict"]
