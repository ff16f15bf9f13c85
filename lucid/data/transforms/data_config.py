"""timm's ``resolve_data_config``: the preprocessing a model expects, from its
``pretrained_cfg`` and explicit overrides, with timm's defaults."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .imagenet import IMAGENET_MEAN, IMAGENET_STD

DEFAULT_CROP_PCT = 0.875
DEFAULT_CROP_MODE = "center"
DEFAULT_INTERPOLATION = "bicubic"


def _stats(name: str, value: Any, in_chans: int) -> tuple[float, ...]:
    out = tuple(float(v) for v in value)
    if len(out) == 1:
        return out * in_chans
    if len(out) != in_chans:
        raise ValueError(f"{name} needs 1 or {in_chans} values (one per input channel), got "
                         f"{len(out)}")
    return out


def resolve_data_config(args: Mapping[str, Any] | None = None,
                        pretrained_cfg: Mapping[str, Any] | None = None, model: Any = None,
                        use_test_size: bool = False, **overrides: Any) -> dict[str, Any]:
    """``input_size``, ``interpolation``, ``mean``, ``std``, ``crop_pct`` and ``crop_mode``
    for a model, as timm resolves them.

    Explicit values (``args`` and keyword ``overrides``: ``input_size``, ``img_size``,
    ``in_chans``, ``interpolation``, ``mean``, ``std``, ``crop_pct``, ``crop_mode``) win over
    ``pretrained_cfg``, which defaults to ``model.pretrained_cfg``; missing keys take timm's
    defaults: 3x224x224, bicubic, the ImageNet mean/std, crop_pct 0.875, center crop.
    ``use_test_size`` prefers the config's ``test_input_size`` / ``test_crop_pct``.
    """
    given = dict(args or {})
    given.update(overrides)
    if not given and pretrained_cfg is None and model is None:
        raise ValueError("resolve_data_config needs a model, args or a pretrained_cfg")
    cfg: Mapping[str, Any] = pretrained_cfg or {}
    if not cfg and model is not None:
        cfg = getattr(model, "pretrained_cfg", None) or {}
    if not isinstance(cfg, Mapping):
        raise TypeError(f"pretrained_cfg must be a dict, got {type(cfg).__name__}")

    in_chans = given.get("in_chans") or given.get("chans") or 3
    input_size: tuple[int, ...] = (in_chans, 224, 224)
    if given.get("input_size") is not None:
        size = given["input_size"]
        if not isinstance(size, (tuple, list)) or len(size) != 3:
            raise ValueError(f"input_size must be (channels, height, width), got {size!r}")
        input_size = tuple(int(v) for v in size)
        in_chans = input_size[0]
    elif given.get("img_size") is not None:
        if not isinstance(given["img_size"], int):
            raise ValueError(f"img_size must be an int, got {given['img_size']!r}")
        input_size = (in_chans, given["img_size"], given["img_size"])
    elif use_test_size and cfg.get("test_input_size") is not None:
        input_size = tuple(cfg["test_input_size"])
    elif cfg.get("input_size") is not None:
        input_size = tuple(cfg["input_size"])

    config: dict[str, Any] = {"input_size": input_size}
    config["interpolation"] = (given.get("interpolation") or cfg.get("interpolation")
                               or DEFAULT_INTERPOLATION)
    if given.get("mean") is not None:
        config["mean"] = _stats("mean", given["mean"], in_chans)
    else:
        config["mean"] = tuple(cfg.get("mean") or IMAGENET_MEAN)
    if given.get("std") is not None:
        config["std"] = _stats("std", given["std"], in_chans)
    else:
        config["std"] = tuple(cfg.get("std") or IMAGENET_STD)
    crop_pct = given.get("crop_pct")
    if not crop_pct:
        crop_pct = (cfg.get("test_crop_pct") if use_test_size else None) or \
            cfg.get("crop_pct") or DEFAULT_CROP_PCT
    config["crop_pct"] = crop_pct
    config["crop_mode"] = given.get("crop_mode") or cfg.get("crop_mode") or DEFAULT_CROP_MODE
    return config
