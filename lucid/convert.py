"""Load PyTorch/timm weights into lucid models by an explicit key-mapping table.

Sources
-------
* **safetensors** (read with ``safetensors`` in NumPy mode) and **``.npz``** (read with
  ``allow_pickle=False``): no PyTorch needed.
* **``.pth`` / ``.pt``** (``torch.save`` files): read with
  ``torch.load(path, map_location="cpu", weights_only=True)``, PyTorch's restricted loader
  that refuses arbitrary objects. Without PyTorch they are refused with an install hint;
  they are never opened with plain :mod:`pickle`.

The file kind is recognised by its content (safetensors header, zip archive holding ``.npy``
members or a ``data.pkl``, legacy pickle), not by its extension. A file whose metadata says
``format: lucid`` (see :mod:`lucid.checkpoint`) is a lucid checkpoint and loads as is.
Common wrappers are unwrapped first: a ``{"state_dict": ...}``, ``{"model": ...}`` or
``{"model_state_dict": ...}`` dict, and a ``module.`` (DataParallel) or ``_orig_mod.``
(``torch.compile``) prefix carried by every key.

The mapping table
-----------------
Each rule pairs a source template with a lucid template; ``{s}`` is a stage (1–4), ``{b}``,
``{k}`` and ``{i}`` are indices, ``{bn}`` is one of ``weight``, ``bias``, ``running_mean``,
``running_var``, ``num_batches_tracked`` and ``{wb}`` is ``weight`` or ``bias``. A key must
match exactly one rule, in either direction; nothing is matched by position.

Stem (both families), for ``stem_type=None`` and ``"small"``:

====================================  =======================================
source (timm / torchvision)           lucid
====================================  =======================================
``conv1.weight``                      ``stem.0.conv.weight``
``bn1.{bn}``                          ``stem.0.bn.{bn}``
====================================  =======================================

Stem for ``stem_type="deep"`` (timm's ``resnet*d``: ``conv1`` is a Sequential of
conv, BN, ReLU, conv, BN, ReLU, conv, followed by ``bn1``):

====================================  =======================================
``conv1.0.weight`` / ``conv1.1.{bn}``  ``stem.0.conv.weight`` / ``stem.0.bn.{bn}``
``conv1.3.weight`` / ``conv1.4.{bn}``  ``stem.1.conv.weight`` / ``stem.1.bn.{bn}``
``conv1.6.weight`` / ``bn1.{bn}``      ``stem.2.conv.weight`` / ``stem.2.bn.{bn}``
====================================  =======================================

ResNet blocks (torchvision ``resnet*`` and timm ``resnet*``; ``naming="torchvision-resnet"``):

=====================================  ==========================================
``layer{s}.{b}.conv{k}.weight``        ``layer{s}.{b}.conv{k}.conv.weight``
``layer{s}.{b}.bn{k}.{bn}``            ``layer{s}.{b}.conv{k}.bn.{bn}``
``layer{s}.{b}.downsample.{k}.{bn}``   ``layer{s}.{b}.downsample.{k}.{bn}``
=====================================  ==========================================

SKNet blocks (timm ``skresnet*`` / ``skresnext*``; ``naming="timm-skresnet"``), where timm
already groups conv and BN the way lucid does, so the names are equal rule by rule:

==================================================  ==========================
``layer{s}.{b}.conv{k}.conv.weight``                same
``layer{s}.{b}.conv{k}.bn.{bn}``                    same
``layer{s}.{b}.conv{k}.paths.{i}.conv.weight``      same
``layer{s}.{b}.conv{k}.paths.{i}.bn.{bn}``          same
``layer{s}.{b}.conv{k}.attn.fc_reduce.weight``      same
``layer{s}.{b}.conv{k}.attn.bn.{bn}``               same
``layer{s}.{b}.conv{k}.attn.fc_select.weight``      same
``layer{s}.{b}.downsample.{k}.{bn}``                same
==================================================  ==========================

Head (both): ``fc.{wb}`` ↔ ``fc.{wb}``.

``num_batches_tracked`` is the one tensor a source may omit (older torchvision weights were
saved before it existed); it is filled with 0, as PyTorch does, and reported. Every other
missing, unexpected or mis-shaped tensor is an error that names it.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import checkpoint
from .checkpoint import CheckpointError

#: what each placeholder of a rule template may stand for
PLACEHOLDERS: dict[str, str] = {
    "s": r"[1-4]",
    "b": r"\d+",
    "k": r"\d+",
    "i": r"\d+",
    "bn": r"weight|bias|running_mean|running_var|num_batches_tracked",
    "wb": r"weight|bias",
}
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


# ---------------------------------------------------------------------- mapping table
@dataclass(frozen=True)
class KeyRule:
    """One row of the mapping table: a source-name template and its lucid-name template."""

    source: str
    lucid: str
    note: str = ""

    def __post_init__(self) -> None:
        names_src = re.findall(r"\{(\w+)\}", self.source)
        names_dst = re.findall(r"\{(\w+)\}", self.lucid)
        if sorted(names_src) != sorted(names_dst) or len(set(names_src)) != len(names_src):
            raise ValueError(f"KeyRule {self.source!r} -> {self.lucid!r}: both templates need "
                             "the same placeholders, each used once")
        unknown = set(names_src) - set(PLACEHOLDERS)
        if unknown:
            raise ValueError(f"KeyRule {self.source!r}: unknown placeholders {sorted(unknown)}; "
                             f"allowed: {sorted(PLACEHOLDERS)}")


def _compile(template: str) -> re.Pattern[str]:
    """A regex that fully matches ``template`` with each ``{name}`` captured."""
    parts = re.split(r"(\{\w+\})", template)
    regex = "".join(f"(?P<{p[1:-1]}>{PLACEHOLDERS[p[1:-1]]})" if p.startswith("{")
                    else re.escape(p) for p in parts)
    return re.compile(regex)


_PLAIN_STEM = (
    KeyRule("conv1.weight", "stem.0.conv.weight", "stem convolution"),
    KeyRule("bn1.{bn}", "stem.0.bn.{bn}", "stem batch norm"),
)
_DEEP_STEM = (
    KeyRule("conv1.0.weight", "stem.0.conv.weight", "deep stem conv 1"),
    KeyRule("conv1.1.{bn}", "stem.0.bn.{bn}", "deep stem BN 1"),
    KeyRule("conv1.3.weight", "stem.1.conv.weight", "deep stem conv 2"),
    KeyRule("conv1.4.{bn}", "stem.1.bn.{bn}", "deep stem BN 2"),
    KeyRule("conv1.6.weight", "stem.2.conv.weight", "deep stem conv 3"),
    KeyRule("bn1.{bn}", "stem.2.bn.{bn}", "deep stem BN 3 (timm keeps it outside conv1)"),
)
_DOWNSAMPLE = KeyRule("layer{s}.{b}.downsample.{k}.{bn}", "layer{s}.{b}.downsample.{k}.{bn}",
                      "projection shortcut: conv (and pool) then BN, same indices")
_TORCHVISION_BLOCKS = (
    KeyRule("layer{s}.{b}.conv{k}.weight", "layer{s}.{b}.conv{k}.conv.weight",
            "block conv k"),
    KeyRule("layer{s}.{b}.bn{k}.{bn}", "layer{s}.{b}.conv{k}.bn.{bn}",
            "block BN k belongs to conv k"),
    _DOWNSAMPLE,
)
_TIMM_SK_BLOCKS = (
    KeyRule("layer{s}.{b}.conv{k}.conv.weight", "layer{s}.{b}.conv{k}.conv.weight",
            "plain conv-BN layer of an SK block"),
    KeyRule("layer{s}.{b}.conv{k}.bn.{bn}", "layer{s}.{b}.conv{k}.bn.{bn}",
            "its batch norm"),
    KeyRule("layer{s}.{b}.conv{k}.paths.{i}.conv.weight",
            "layer{s}.{b}.conv{k}.paths.{i}.conv.weight", "SK branch i conv"),
    KeyRule("layer{s}.{b}.conv{k}.paths.{i}.bn.{bn}", "layer{s}.{b}.conv{k}.paths.{i}.bn.{bn}",
            "SK branch i batch norm"),
    KeyRule("layer{s}.{b}.conv{k}.attn.fc_reduce.weight",
            "layer{s}.{b}.conv{k}.attn.fc_reduce.weight", "SK attention squeeze (1x1 conv)"),
    KeyRule("layer{s}.{b}.conv{k}.attn.bn.{bn}", "layer{s}.{b}.conv{k}.attn.bn.{bn}",
            "SK attention batch norm"),
    KeyRule("layer{s}.{b}.conv{k}.attn.fc_select.weight",
            "layer{s}.{b}.conv{k}.attn.fc_select.weight", "SK attention select (1x1 conv)"),
    _DOWNSAMPLE,
)
_HEAD = (KeyRule("fc.{wb}", "fc.{wb}", "classifier"),)


class KeyMap:
    """A mapping table between one source naming and lucid's, usable in both directions."""

    def __init__(self, naming: str, rules: Sequence[KeyRule]) -> None:
        self.naming = naming
        self.rules = tuple(rules)
        self._to_lucid = [(_compile(r.source), r.lucid, r) for r in self.rules]
        self._to_source = [(_compile(r.lucid), r.source, r) for r in self.rules]

    @staticmethod
    def _apply(key: str, table: list[tuple[re.Pattern[str], str, KeyRule]],
               direction: str) -> str | None:
        hits = [(m, out) for pattern, out, _ in table if (m := pattern.fullmatch(key))]
        if not hits:
            return None
        if len(hits) > 1:  # a table bug, never a user error: refuse rather than pick one
            raise RuntimeError(f"mapping table is ambiguous for {direction} key {key!r}")
        match, template = hits[0]
        return template.format(**match.groupdict())

    def to_lucid(self, key: str) -> str | None:
        """The lucid name of source key ``key``, or None when no rule matches it."""
        return self._apply(key, self._to_lucid, "source")

    def to_source(self, key: str) -> str | None:
        """The source name of lucid key ``key``, or None when no rule matches it."""
        return self._apply(key, self._to_source, "lucid")

    def __repr__(self) -> str:
        return f"KeyMap({self.naming!r}, {len(self.rules)} rules)"


def key_map_for(model: Any) -> KeyMap:
    """The mapping table for a lucid ``ResNet`` or ``SKNet`` (chosen by class and stem type)."""
    from .models import ResNet, SKNet

    if not isinstance(model, ResNet):
        raise TypeError(f"weights conversion supports lucid ResNet and SKNet models, got "
                        f"{type(model).__name__}")
    stem = _DEEP_STEM if model.config.stem_type == "deep" else _PLAIN_STEM
    if isinstance(model, SKNet):
        return KeyMap("timm-skresnet", stem + _TIMM_SK_BLOCKS + _HEAD)
    return KeyMap("torchvision-resnet", stem + _TORCHVISION_BLOCKS + _HEAD)


# ---------------------------------------------------------------------- conversion
@dataclass
class ConversionReport:
    """What a conversion or a :func:`load_weights` call did."""

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


def _unwrap(src: Mapping[str, Any]) -> Mapping[str, Any]:
    """Take the state dict out of a ``{"state_dict": ...}``-style wrapper, if any."""
    if not isinstance(src, Mapping):
        raise TypeError(f"expected a mapping of name -> array (a state dict), got "
                        f"{type(src).__name__}")
    for key in WRAPPER_KEYS:
        inner = src.get(key)
        if isinstance(inner, Mapping):
            return inner
    return src


def _strip_prefixes(src: Mapping[str, Any]) -> dict[str, Any]:
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


def _to_numpy(key: str, value: Any) -> np.ndarray:
    """A NumPy array from a NumPy array, a lucid Tensor or a torch tensor (bfloat16 widened)."""
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


def _listing(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    shown = [f"    {x}" for x in items[:_MAX_LISTED]]
    if len(items) > _MAX_LISTED:
        shown.append(f"    ... and {len(items) - _MAX_LISTED} more")
    return [f"  {title} ({len(items)}):", *shown]


def _resolve_model(model_name_or_model: Any) -> tuple[Any, str]:
    if isinstance(model_name_or_model, str):
        from . import models

        return models.get(model_name_or_model), model_name_or_model
    return model_name_or_model, type(model_name_or_model).__name__


def uses_lucid_names(keys: Sequence[str] | Any) -> bool:
    """True when a state dict is already in lucid naming (its stem lives under ``stem.``).

    timm and torchvision ResNets and SKNets name their stem ``conv1``/``bn1``, never ``stem.``.
    """
    return any(isinstance(k, str) and k.startswith("stem.") for k in keys)


def convert_with_report(src: Mapping[str, Any], model: Any, label: str | None = None,
                        naming: str | None = None,
                        ) -> tuple[dict[str, np.ndarray], ConversionReport]:
    """Like :func:`convert_state_dict` for a built model, also returning a report.

    ``naming`` forces the source naming (``"lucid"`` or the model's table); by default a
    state dict with a ``stem.`` key is taken to be in lucid naming. ``label`` names the model
    in error messages.
    """
    label = label or type(model).__name__
    arrays = _strip_prefixes(_unwrap(src))
    keymap = key_map_for(model)
    if naming is None:
        naming = "lucid" if uses_lucid_names(arrays) else keymap.naming
    targets = model.state_dict()

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
            arr = _to_numpy(src_key, value)
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


def convert_state_dict(src: Mapping[str, Any], model_name_or_model: Any) -> dict[str, np.ndarray]:
    """Map a timm/torchvision (or lucid) state dict to lucid names, checked against the model.

    ``src`` maps names to NumPy arrays (or torch/lucid tensors); ``model_name_or_model`` is a
    registered model name or a lucid model. The result is ready for ``model.load_state_dict``.
    Raises :class:`ConversionError` naming every missing, unexpected or mis-shaped tensor.
    """
    model, label = _resolve_model(model_name_or_model)
    return convert_with_report(src, model, label)[0]


def to_source_state_dict(model: Any) -> dict[str, np.ndarray]:
    """A lucid model's state dict as NumPy arrays under timm/torchvision names (the reverse map)."""
    keymap = key_map_for(model)
    out: dict[str, np.ndarray] = {}
    for key, value in model.state_dict().items():
        src_key = keymap.to_source(key)
        if src_key is None:
            raise ConversionError(f"lucid tensor {key!r} has no rule in the {keymap.naming} "
                                  "mapping table")
        out[src_key] = np.asarray(value.numpy())
    return out


# ---------------------------------------------------------------------- reading files
@dataclass
class WeightsFile:
    """The arrays and metadata of a weights file, and which kind of file it was."""

    arrays: dict[str, Any]
    metadata: dict[str, Any]
    file_format: str  # "safetensors", "npz" or "torch"

    @property
    def is_lucid(self) -> bool:
        """True for a lucid checkpoint (its metadata says ``format: lucid``)."""
        return self.metadata.get("format") == checkpoint.FORMAT_NAME


def sniff_format(path: str | os.PathLike[str]) -> str:
    """Recognise a weights file by its bytes: ``"safetensors"``, ``"npz"`` or ``"torch"``."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"weights file {str(path)!r} does not exist or is not a file")
    with open(path, "rb") as f:
        head = f.read(16)
    if not head:
        raise CheckpointError(f"weights file {str(path)!r} is empty")
    if checkpoint.is_safetensors(path):
        return "safetensors"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise CheckpointError(f"{str(path)!r} looks like a zip archive but is corrupt: "
                                  f"{exc}") from exc
        if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
            return "torch"
        if all(n.endswith(".npy") for n in names):
            return "npz"
        raise CheckpointError(f"{str(path)!r} is a zip archive but neither an .npz (only .npy "
                              f"members) nor a torch.save file (a data.pkl member); it holds "
                              f"{names[:5]}")
    if head.startswith(b"\x93NUMPY"):
        raise CheckpointError(f"{str(path)!r} is a single .npy array, not a state dict; save "
                              "the tensors by name with numpy.savez")
    if head[:1] == b"\x80" and 2 <= head[1] <= 5:
        return "torch"  # the legacy (pre-zip) torch.save format starts with a pickle
    raise CheckpointError(f"{str(path)!r} is not a recognised weights file (expected "
                          "safetensors, .npz or a torch.save .pth/.pt file)")


def _torch_load(path: Path) -> Any:
    """``torch.load`` in its restricted ``weights_only`` mode, on the CPU."""
    try:
        import torch
    except ImportError as exc:
        raise ImportError(
            f"{str(path)!r} is a PyTorch (torch.save) file; reading it needs PyTorch "
            "(pip install torch). Without PyTorch, convert it to safetensors where PyTorch is "
            "installed: safetensors.torch.save_file(torch.load(path, weights_only=True), "
            "'weights.safetensors')"
        ) from exc
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(
            f"PyTorch could not load {str(path)!r} in its safe weights_only mode (lucid never "
            f"unpickles arbitrary objects): {type(exc).__name__}: {exc}"
        ) from exc


def read_weights_file(path: str | os.PathLike[str]) -> WeightsFile:
    """Read a safetensors, ``.npz`` or ``torch.save`` file into NumPy arrays, safely."""
    path = Path(path)
    kind = sniff_format(path)
    if kind in ("safetensors", "npz"):
        arrays, meta = checkpoint.load(path)
        weights = WeightsFile(dict(arrays), dict(meta), kind)
        if not weights.is_lucid:
            weights.arrays = _strip_prefixes(weights.arrays)
        return weights
    obj = _torch_load(path)
    if not isinstance(obj, Mapping):
        raise CheckpointError(f"{str(path)!r} holds a {type(obj).__name__}, not a state dict "
                              "(a mapping of name -> tensor)")
    state = _strip_prefixes(_unwrap(obj))
    arrays = {k: _to_numpy(k, v) for k, v in state.items()}
    return WeightsFile(arrays, {}, kind)


def load_weights(model: Any, path: str | os.PathLike[str],
                 model_name: str | None = None) -> ConversionReport:
    """Load a lucid checkpoint or a timm/PyTorch state-dict file into ``model``, strictly.

    The file kind is recognised by content; timm/torchvision names are mapped by the table in
    this module's docstring. Raises :class:`ConversionError` naming any missing, unexpected or
    mis-shaped tensor, and :class:`~lucid.checkpoint.CheckpointError` for unreadable files.
    """
    label = model_name or type(model).__name__
    weights = read_weights_file(path)
    naming = None
    if weights.is_lucid:
        saved_for = weights.metadata.get("model")
        if model_name and isinstance(saved_for, str) and \
                _norm(saved_for) != _norm(model_name):
            raise ConversionError(f"{str(path)!r} is a lucid checkpoint of {saved_for!r}, not "
                                  f"of {model_name!r}")
        naming = "lucid"
    converted, report = convert_with_report(weights.arrays, model, label, naming=naming)
    model.load_state_dict(converted, strict=True)
    report.source_format = ("lucid checkpoint" if weights.is_lucid else weights.file_format)
    report.metadata = weights.metadata
    return report


def _norm(name: str) -> str:
    return name.strip().lower().replace("-", "_")


__all__ = ["ConversionError", "ConversionReport", "KeyMap", "KeyRule", "WeightsFile",
           "convert_state_dict", "convert_with_report", "key_map_for", "load_weights",
           "read_weights_file", "sniff_format", "to_source_state_dict", "uses_lucid_names"]
