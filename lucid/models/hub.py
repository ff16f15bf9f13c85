"""Pretrained weights from the Hugging Face Hub: timm's published files, converted once, cached.

:func:`load_pretrained` reads the model's ``pretrained_cfg`` (timm's keys: ``hf_hub_id``,
``num_classes``, ``classifier``, ``first_conv``, ``input_size``), fetches the repository's
``model.safetensors`` through ``huggingface_hub.hf_hub_download`` — so the Hugging Face cache,
``HF_HUB_OFFLINE``, ``HF_ENDPOINT`` mirrors and resumable downloads work as they do for timm
— maps timm's names onto the model with the table the model provides (``key_map()``,
through :mod:`lucid.io`), checks every shape, and keeps the converted file in lucid's own
cache (:func:`get_dir`), so the next load reads it without converting again.

A model built for other classes or input channels than the published weights gets them the
way timm gives them: the classifier is left freshly initialised, and the first convolution
is adapted (:func:`adapt_input_conv`).

NumPy never appears here by name (``lucid.models`` stays NumPy-free); host arrays come from
:mod:`lucid.io` and are only indexed, summed and scaled through their own methods.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: The file of a timm repository on the Hub that holds the weights.
WEIGHTS_FILENAME = "model.safetensors"
#: How the extra is installed, for error messages.
INSTALL_HINT = 'pip install "lucid[hub]"'
class NoPretrainedWeightsError(RuntimeError):
    """The model has no published pretrained weights (no ``hf_hub_id`` in its config)."""


# ---------------------------------------------------------------------- where files live
def get_dir() -> Path:
    """lucid's cache: ``$LUCID_HOME``, else ``$XDG_CACHE_HOME/lucid``, else ``~/.cache/lucid``."""
    home = os.environ.get("LUCID_HOME")
    if home:
        return Path(home).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path("~/.cache").expanduser()
    return base / "lucid"


def _converted_path(hub_id: str, source_key: str) -> Path:
    """Where the lucid conversion of one published file is kept."""
    return get_dir() / "hub" / hub_id.replace("/", "--") / f"{source_key}.safetensors"


def _source_key(path: Path, revision: str | None) -> str:
    """What identifies the downloaded file: its blob name (the file's sha256), else its commit.

    The Hub cache stores a file once under ``blobs/<etag>`` (the sha256 of an LFS file) and
    links ``snapshots/<commit>/<file>`` to it; a new upstream file gets a new name either way.
    """
    real = Path(os.path.realpath(path))
    if real.parent.name == "blobs":
        return real.name
    if path.parent.parent.name == "snapshots":
        return path.parent.name
    return f"rev-{revision}" if revision else "file"


# ---------------------------------------------------------------------- the config
def _pretrained_cfg(model: Any) -> dict[str, Any]:
    """The model's ``pretrained_cfg`` as a dict ({} when it has none)."""
    cfg = getattr(model, "pretrained_cfg", None)
    if cfg is None:
        return {}
    if isinstance(cfg, Mapping):
        return dict(cfg)
    if hasattr(cfg, "to_dict"):
        return dict(cfg.to_dict())
    if is_dataclass(cfg) and not isinstance(cfg, type):
        return asdict(cfg)
    raise TypeError(f"{type(model).__name__}.pretrained_cfg must be a dict (timm's keys), got "
                    f"{type(cfg).__name__}")


def _model_label(model: Any, cfg: Mapping[str, Any]) -> str:
    """The model's name for messages: its registered name when known."""
    for name in (getattr(model, "model_name", None), cfg.get("architecture")):
        if isinstance(name, str) and name:
            return name
    return type(model).__name__


def _presets_with_weights() -> list[str]:
    """The presets that have published weights (read from their cfgs; no model is built)."""
    from .pretrained import PRETRAINED_CFGS, has_weights

    return sorted(name for name, cfgs in PRETRAINED_CFGS.items()
                  if any(has_weights(cfg) for cfg in cfgs.values()))


def _hub_id(label: str, cfg: Mapping[str, Any]) -> tuple[str, str | None]:
    """``(repo_id, revision)`` from the cfg's ``hf_hub_id`` (``repo@revision`` pins one)."""
    hub_id = cfg.get("hf_hub_id")
    if not hub_id:
        raise NoPretrainedWeightsError(
            f"{label} has no published pretrained weights; presets with weights: "
            f"{', '.join(_presets_with_weights()) or 'none'}. Build it with pretrained=False "
            "(random initialisation) or load your own file with lucid.models.get(name, "
            "weights=PATH)")
    if not isinstance(hub_id, str):
        raise TypeError(f"pretrained_cfg['hf_hub_id'] must be a str such as "
                        f"'timm/skresnet18.ra_in1k', got {type(hub_id).__name__} {hub_id!r}")
    repo, _, revision = hub_id.partition("@")
    return repo, revision or None


# ---------------------------------------------------------------------- optional packages
def _hf_hub() -> Any:
    """The ``huggingface_hub`` module, or an ImportError naming the extra."""
    try:
        import huggingface_hub
    except ImportError as exc:
        raise ImportError("pretrained weights are downloaded from the Hugging Face Hub with "
                          f"the huggingface_hub package, which is not installed: "
                          f"{INSTALL_HINT}") from exc
    try:
        import safetensors  # noqa: F401  (the published files are safetensors)
    except ImportError as exc:
        raise ImportError("pretrained weights are safetensors files, read with the "
                          f"safetensors package, which is not installed: {INSTALL_HINT}"
                          ) from exc
    return huggingface_hub


def _download(repo: str, revision: str | None, *, force_download: bool) -> Path:
    """The local path of the repository's weights file (downloaded or from the HF cache)."""
    hf = _hf_hub()
    from huggingface_hub import utils as errors  # its error classes, in every version >= 0.23
    try:
        path = hf.hf_hub_download(repo, WEIGHTS_FILENAME, revision=revision,
                                  force_download=force_download, library_name="lucid")
    except errors.LocalEntryNotFoundError as exc:
        from huggingface_hub import constants

        why = "offline mode is on (HF_HUB_OFFLINE=1)" if constants.HF_HUB_OFFLINE else \
            f"the Hub ({constants.ENDPOINT}) could not be reached"
        raise FileNotFoundError(
            f"{WEIGHTS_FILENAME} of {repo!r} is not in the Hugging Face cache and cannot be "
            f"downloaded: {why}. On a connected machine run `hf download {repo} "
            f"{WEIGHTS_FILENAME}` (`huggingface-cli download ...` with huggingface_hub < 1.0) "
            "and copy its Hugging Face cache here, pointing HF_HUB_CACHE (or HF_HOME) at it; "
            "or set HF_ENDPOINT to a reachable mirror"
        ) from exc
    except (errors.RepositoryNotFoundError, errors.RevisionNotFoundError,
            errors.EntryNotFoundError) as exc:
        raise FileNotFoundError(
            f"the Hugging Face Hub has no {WEIGHTS_FILENAME} in {repo!r}"
            f"{f' at revision {revision!r}' if revision else ''}: {exc}") from exc
    return Path(path)


# ---------------------------------------------------------------------- shapes and names
@dataclass(frozen=True)
class _Spec:
    """A tensor's shape and dtype: all the conversion checks look at."""

    shape: tuple[int, ...]
    dtype: Any


class _AsPublished:
    """The model as its published weights see it: its own tensors, except the first conv and
    the classifier, shaped for the published input channels and classes.

    It offers what :func:`lucid.io.convert_with_report` asks of a model (``key_map()`` and
    ``state_dict()``), so the published file is checked against the shapes it must have.
    """

    def __init__(self, model: Any, keymap: Any, cfg: Mapping[str, Any]) -> None:
        self.keymap = keymap
        own = model.state_dict()
        self.specs = {k: _Spec(tuple(v.shape), v.dtype) for k, v in own.items()}
        self.in_chans = _model_in_chans(model)
        self.num_classes = _model_num_classes(model)
        self.pretrained_in_chans = int((cfg.get("input_size") or (3,))[0])
        self.pretrained_classes = cfg.get("num_classes")
        self.first_conv = [_lucid_key(keymap, f"{n}.weight", self.specs)
                           for n in _names(cfg.get("first_conv"))]
        self.classifier = [_lucid_key(keymap, f"{n}.{leaf}", self.specs)
                           for n in _names(cfg.get("classifier")) for leaf in ("weight", "bias")]
        for key in self.first_conv:
            spec = self.specs.get(key)
            if spec is not None and len(spec.shape) == 4:
                shape = (spec.shape[0], self.pretrained_in_chans, *spec.shape[2:])
                self.specs[key] = _Spec(shape, spec.dtype)
        if self.replaces_classifier and isinstance(self.pretrained_classes, int) \
                and self.pretrained_classes > 0:
            dtype = next(iter(self.specs.values())).dtype
            # the published head reads the average-pooled features, whatever head the model
            # has now (another pooling may widen it): num_features, as timm names it
            features = getattr(model, "num_features", None)
            for key in self.classifier:
                spec = self.specs.get(key)
                if key.endswith(".weight"):
                    width = features if isinstance(features, int) else \
                        (spec.shape[1] if spec is not None else None)
                    if not isinstance(width, int):
                        raise RuntimeError(f"{type(model).__name__} has no classifier and no "
                                           "num_features: cannot check the published one")
                    self.specs[key] = _Spec((self.pretrained_classes, width),
                                            spec.dtype if spec else dtype)
                else:
                    self.specs[key] = _Spec((self.pretrained_classes,),
                                            spec.dtype if spec else dtype)

    @property
    def replaces_classifier(self) -> bool:
        """True when the model's classes differ from the published ones (timm: head skipped)."""
        return self.pretrained_classes is not None and self.num_classes != self.pretrained_classes

    def key_map(self) -> Any:
        """The model's mapping table."""
        return self.keymap

    def state_dict(self) -> dict[str, _Spec]:
        """Shapes and dtypes of the published tensors, under lucid's names."""
        return self.specs


def _names(value: Any) -> tuple[str, ...]:
    """A cfg entry naming one module (a str) or several (a sequence) as a tuple."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _lucid_key(keymap: Any, source_key: str, specs: Mapping[str, Any]) -> str:
    """The lucid name of a tensor the cfg names in timm's naming."""
    key = keymap.to_lucid(source_key)
    if key is None and source_key in specs:
        key = source_key  # the cfg used lucid's own name
    if key is None:
        raise RuntimeError(f"pretrained_cfg names {source_key!r}, which the model's "
                           f"{keymap.naming} mapping table does not know")
    return str(key)


def _model_in_chans(model: Any) -> int:
    config = getattr(model, "config", None)
    return int(getattr(config, "in_channels", getattr(model, "in_chans", 3)))


def _model_num_classes(model: Any) -> int:
    config = getattr(model, "config", None)
    return int(getattr(config, "num_classes", getattr(model, "num_classes", 0)))


def adapt_input_conv(weight: Any, in_chans: int, base_chans: int = 3) -> Any:
    """A first-conv weight ``(O, base_chans, kH, kW)`` made for ``in_chans`` input channels.

    timm's rule: one channel sums the pretrained channels (a grey image then gives the
    response of the same grey RGB image); more or fewer repeat the pretrained channels
    cyclically and scale them by ``base_chans / in_chans`` so the response keeps its size.
    ``weight`` is a host (NumPy) array; the result has its dtype.
    """
    if isinstance(in_chans, bool) or not isinstance(in_chans, int) or in_chans < 1:
        raise ValueError(f"in_chans must be a positive int, got {in_chans!r}")
    if isinstance(base_chans, bool) or not isinstance(base_chans, int) or base_chans < 1:
        raise ValueError(f"base_chans must be a positive int, got {base_chans!r}")
    if len(weight.shape) != 4 or weight.shape[1] != base_chans:
        raise ValueError(f"expected a conv weight of shape (out, {base_chans}, kH, kW), got "
                         f"{tuple(weight.shape)}")
    if in_chans == base_chans:
        return weight
    if in_chans == 1:
        return weight.sum(axis=1, keepdims=True, dtype="float32").astype(weight.dtype)
    repeated = weight[:, [i % base_chans for i in range(in_chans)]].astype("float32")
    return (repeated * (base_chans / float(in_chans))).astype(weight.dtype)


# ---------------------------------------------------------------------- conversion and cache
def _read_source(path: Path, repo: str) -> Any:
    """The published file's arrays; a damaged file is an error naming where it lies."""
    from ..io import CheckpointError, read_weights_file

    try:
        return read_weights_file(path)
    except CheckpointError as exc:
        real = os.path.realpath(path)
        where = str(path) if real == str(path) else f"{path} -> {real}"
        raise CheckpointError(
            f"the pretrained weights of {repo!r} in the Hugging Face cache are damaged "
            f"({where}): {exc}. Download them again with "
            "lucid.models.hub.load_pretrained(model, force_download=True), or delete that "
            "file") from exc


def _convert(arrays: Mapping[str, Any], published: _AsPublished, label: str, naming: str | None,
             strict: bool) -> tuple[dict[str, Any], bool]:
    """Arrays under lucid's names, shape-checked; ``(arrays, complete)``.

    With ``strict`` every tensor must fit; otherwise tensors the model lacks are dropped and
    tensors the file lacks are left as initialised (shapes are always checked), as timm does.
    """
    from ..io import ConversionError, convert_with_report

    try:
        return convert_with_report(arrays, published, label, naming=naming)[0], True
    except ConversionError:
        if strict:
            raise
    keymap = published.keymap
    use = naming or keymap.naming
    specs = published.state_dict()
    kept: dict[str, Any] = {}
    for key, value in arrays.items():
        target = key if use == "lucid" else keymap.to_lucid(key)
        if target in specs:
            kept[key] = value
    dropped = sorted(set(arrays) - set(kept))
    if dropped:
        logger.warning("%s: ignored %d tensors of the published weights that the model lacks: "
                       "%s", label, len(dropped), ", ".join(dropped[:10]))
    view = _Subset(published, {(k if use == "lucid" else keymap.to_lucid(k)) for k in kept})
    return convert_with_report(kept, view, label, naming=use)[0], False


class _Subset:
    """A few of a model's tensors, for a lenient (``strict=False``) conversion."""

    def __init__(self, published: _AsPublished, keys: set[Any]) -> None:
        self.published = published
        self.keys = keys

    def key_map(self) -> Any:
        return self.published.keymap

    def state_dict(self) -> dict[str, _Spec]:
        return {k: v for k, v in self.published.specs.items() if k in self.keys}


def _read_cached(cached: Path, repo: str, source_stat: os.stat_result) -> dict[str, Any] | None:
    """The cached conversion of this very source file, or None (absent, stale or damaged)."""
    from ..io import CheckpointError, checkpoint

    if not cached.is_file():
        return None
    try:
        arrays, meta = checkpoint.load(cached)
    except CheckpointError as exc:
        logger.warning("the cached conversion %s is unreadable (%s); converting again",
                       cached, exc)
        return None
    same = (meta.get("hub_id") == repo and meta.get("source_size") == source_stat.st_size
            and meta.get("source_mtime_ns") == source_stat.st_mtime_ns)
    return arrays if same else None


def _converted_weights(model: Any, *, strict: bool = True, force_download: bool = False,
                       label: str | None = None) -> tuple[dict[str, Any], _AsPublished, Path]:
    """The published weights of ``model`` under lucid's names, in their published shapes."""
    from ..io import ConversionError, checkpoint, key_map_for

    cfg = _pretrained_cfg(model)
    label = label or _model_label(model, cfg)
    repo, revision = _hub_id(label, cfg)
    source = _download(repo, revision, force_download=force_download)
    published = _AsPublished(model, key_map_for(model), cfg)
    cached = _converted_path(repo, _source_key(source, revision))
    stat = os.stat(source)
    arrays = None if force_download else _read_cached(cached, repo, stat)
    try:
        if arrays is not None:
            logger.info("%s: loading the cached conversion %s of %s", label, cached, repo)
            return _convert(arrays, published, label, "lucid", strict)[0], published, cached
        weights = _read_source(source, repo)
        naming = "lucid" if weights.is_lucid else None
        converted, complete = _convert(weights.arrays, published, label, naming, strict)
    except ConversionError as exc:
        raise ConversionError(f"the pretrained weights {repo!r} ({source}) do not fit: "
                              f"{exc}") from exc
    if complete:
        checkpoint.save(converted, cached, metadata={
            "model": label, "hub_id": repo, "revision": revision, "source": str(source),
            "source_size": stat.st_size, "source_mtime_ns": stat.st_mtime_ns})
        logger.info("%s: converted %s from timm's naming; cached at %s", label, repo, cached)
    return converted, published, cached


def load_pretrained(model: Any, *, strict: bool = True, force_download: bool = False) -> None:
    """Load the model's published weights (``pretrained_cfg['hf_hub_id']``) from the Hub.

    The first call downloads (or finds in the Hugging Face cache) ``model.safetensors``,
    converts it to lucid's names and caches the result under :func:`get_dir`; later calls
    read that. A model built for other ``num_classes`` keeps its fresh classifier; other
    ``in_channels`` get an adapted first conv (:func:`adapt_input_conv`). ``strict=False``
    tolerates tensors missing from or unknown to the model (never a wrong shape);
    ``force_download`` fetches and converts the file again.
    """
    arrays, published, _ = _converted_weights(model, strict=strict,
                                              force_download=force_download)
    for key in published.first_conv:
        if key in arrays and published.in_chans != published.pretrained_in_chans:
            arrays[key] = adapt_input_conv(arrays[key], published.in_chans,
                                           published.pretrained_in_chans)
    skipped = set(published.classifier) if published.replaces_classifier else set()
    for key in skipped:
        arrays.pop(key, None)
    result = model.load_state_dict(arrays, strict=False)
    missing = [k for k in result.missing_keys if k not in skipped]
    if strict and (missing or result.unexpected_keys):  # a mapping-table bug, never the file
        raise RuntimeError(f"loading the converted weights left {type(model).__name__} with "
                           f"missing {missing} and unexpected {result.unexpected_keys} tensors")
    if missing:
        logger.warning("%d tensors were not in the pretrained weights and keep their "
                       "initial values: %s", len(missing), ", ".join(missing[:10]))


def download_pretrained(model: Any, *, force_download: bool = False) -> Path:
    """Fetch and convert the model's published weights ahead of time; return the cached file.

    Run it on a connected machine, then copy the Hugging Face cache and :func:`get_dir` to
    an offline one; ``lucid.models.get(name, pretrained=True)`` does the same and loads.
    """
    return _converted_weights(model, force_download=force_download)[2]


__all__ = ["INSTALL_HINT", "WEIGHTS_FILENAME", "NoPretrainedWeightsError",
           "adapt_input_conv", "download_pretrained", "get_dir", "load_pretrained"]
