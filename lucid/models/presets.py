"""Registered presets (the standard ResNets and SKNets, a compact SKNet) and their builder.

As in timm, a factory accepts any field of its config as a keyword and overrides the
preset's value (``get("sk_resnet_50", kernel_sizes=[3, 5, 7], stem_type="deep")``), plus
timm's ``in_chans`` for ``in_channels`` and ``features_only`` / ``out_indices``. Overriding
an architecture field makes another network than the published one, so
``pretrained=True`` accepts only :data:`PRESET_OVERRIDABLE`. Each preset registers the
pretrained cfgs of :mod:`lucid.models.pretrained`.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from typing import Any

from .features import as_feature_extractor
from .pretrained import PRETRAINED_CFGS, WEIGHT_COMPATIBLE_FIELDS, set_pretrained_cfg, untrained_cfg
from .registry import model_entry, normalize_name, register_model
from .resnet import ResNet
from .sknet import SKNet

#: The config fields a preset's caller may override and still load its published weights.
PRESET_OVERRIDABLE = tuple(f for f in WEIGHT_COMPATIBLE_FIELDS if f != "in_chans")
#: factory keywords that are not config fields
FACTORY_KEYWORDS = ("in_chans", "features_only", "out_indices")


def _config_overrides(name: str, config_cls: type, overrides: Mapping[str, Any]
                      ) -> dict[str, Any]:
    """``overrides`` as config fields: ``in_chans`` folded into ``in_channels``, unknown
    keywords refused with the allowed fields and a close match."""
    out = dict(overrides)
    if "in_chans" in out:
        in_chans = out.pop("in_chans")
        if "in_channels" in out and out["in_channels"] != in_chans:
            raise ValueError(f"{name}() got in_chans={in_chans!r} and in_channels="
                             f"{out['in_channels']!r}; they name the same field (timm's and "
                             "lucid's spelling), give one or equal values")
        out["in_channels"] = in_chans
    fields = [f.name for f in dataclasses.fields(config_cls)]
    for key in out:
        if key not in fields:
            close = difflib.get_close_matches(key, [*fields, *FACTORY_KEYWORDS], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise TypeError(
                f"{name}() got an unexpected keyword argument {key!r}{hint}; it builds "
                f"{config_cls.__name__}, whose fields are {', '.join(fields)} (also "
                f"{', '.join(FACTORY_KEYWORDS)})"
            )
    return out


def _preset_cfg(name: str, config: Any) -> dict[str, Any]:
    """The default-tag cfg registered for ``name``, or an untrained one."""
    key = normalize_name(name)
    try:
        cfgs = model_entry(key).pretrained_cfgs
    except LookupError:
        cfgs = {}
    if cfgs:
        return dict(next(iter(cfgs.values())))
    return untrained_cfg(key, config.num_classes, config.in_channels)


def build_from_preset(name: str, model_cls: type, fixed: Mapping[str, Any],
                      overrides: Mapping[str, Any]) -> Any:
    """Build preset ``name``: ``model_cls(model_cls.config_class(**fixed, **overrides))``.

    Public so that a model plugin builds its presets the way lucid's are built. Any config
    field may be overridden (timm's rule); ``in_chans`` is accepted for ``in_channels``; a
    keyword that is no config field is a TypeError naming it, the allowed fields and a
    close match. The model gets the ``pretrained_cfg`` registered for ``name``, and
    ``features_only=True`` returns its feature extractor at ``out_indices``.
    """
    config_cls = model_cls.config_class
    kwargs = dict(overrides)
    features_only = kwargs.pop("features_only", False)
    out_indices = kwargs.pop("out_indices", None)
    as_feature_extractor(None, features_only, out_indices)
    model = model_cls(config_cls(**{**fixed, **_config_overrides(name, config_cls, kwargs)}))
    set_pretrained_cfg(model, _preset_cfg(name, model.config))
    return as_feature_extractor(model, features_only, out_indices)


# ------------------------------------------------------------------ ResNet
def _resnet(name: str, block: str, layers: tuple[int, ...], overrides: dict[str, Any]
            ) -> ResNet:
    return build_from_preset(name, ResNet, dict(block=block, layers=layers), overrides)


@register_model(family="resnet", pretrained_cfgs=PRETRAINED_CFGS["resnet_18"])
def resnet_18(**overrides: Any) -> ResNet:
    """ResNet-18 (11.7 M parameters at 1000 classes)."""
    return _resnet("resnet_18", "basic", (2, 2, 2, 2), overrides)


@register_model(family="resnet", pretrained_cfgs=PRETRAINED_CFGS["resnet_34"])
def resnet_34(**overrides: Any) -> ResNet:
    """ResNet-34."""
    return _resnet("resnet_34", "basic", (3, 4, 6, 3), overrides)


@register_model(family="resnet", pretrained_cfgs=PRETRAINED_CFGS["resnet_50"])
def resnet_50(**overrides: Any) -> ResNet:
    """ResNet-50."""
    return _resnet("resnet_50", "bottleneck", (3, 4, 6, 3), overrides)


@register_model(family="resnet", pretrained_cfgs=PRETRAINED_CFGS["resnet_101"])
def resnet_101(**overrides: Any) -> ResNet:
    """ResNet-101."""
    return _resnet("resnet_101", "bottleneck", (3, 4, 23, 3), overrides)


@register_model(family="resnet", pretrained_cfgs=PRETRAINED_CFGS["resnet_152"])
def resnet_152(**overrides: Any) -> ResNet:
    """ResNet-152."""
    return _resnet("resnet_152", "bottleneck", (3, 8, 36, 3), overrides)


# ------------------------------------------------------------------- SKNet
def _sknet(name: str, fixed: dict[str, Any], overrides: dict[str, Any]) -> SKNet:
    return build_from_preset(name, SKNet, fixed, overrides)


@register_model(family="sknet", pretrained_cfgs=PRETRAINED_CFGS["sk_resnet_18"])
def sk_resnet_18(**overrides: Any) -> SKNet:
    """SK-ResNet-18: basic blocks with a 3×3 + dilated-3×3 SK unit, split input (11.96 M params)."""
    fixed = dict(block="basic", layers=(2, 2, 2, 2), kernel_sizes=(3, 5), attn_ratio=1 / 8,
                 attn_divisor=16, split_input=True)
    return _sknet("sk_resnet_18", fixed, overrides)


@register_model(family="sknet", pretrained_cfgs=PRETRAINED_CFGS["sk_resnet_34"])
def sk_resnet_34(**overrides: Any) -> SKNet:
    """SK-ResNet-34 (22.28 M parameters)."""
    fixed = dict(block="basic", layers=(3, 4, 6, 3), kernel_sizes=(3, 5), attn_ratio=1 / 8,
                 attn_divisor=16, split_input=True)
    return _sknet("sk_resnet_34", fixed, overrides)


@register_model(family="sknet", pretrained_cfgs=PRETRAINED_CFGS["sk_resnet_50"])
def sk_resnet_50(**overrides: Any) -> SKNet:
    """SK-ResNet-50: bottleneck blocks with the SK unit in the middle (25.80 M parameters)."""
    fixed = dict(block="bottleneck", layers=(3, 4, 6, 3), kernel_sizes=(3, 5),
                 attn_ratio=1 / 16, attn_divisor=8, split_input=True)
    return _sknet("sk_resnet_50", fixed, overrides)


@register_model(family="sknet", pretrained_cfgs=PRETRAINED_CFGS["sk_resnext_50_32x4d"])
def sk_resnext_50_32x4d(**overrides: Any) -> SKNet:
    """SK-ResNeXt-50 32×4d: grouped SK units over the full input (27.48 M parameters)."""
    fixed = dict(block="bottleneck", layers=(3, 4, 6, 3), kernel_sizes=(3, 5), cardinality=32,
                 base_width=4, attn_ratio=1 / 16, attn_divisor=32, split_input=False)
    return _sknet("sk_resnext_50_32x4d", fixed, overrides)


@register_model(family="sknet", pretrained_cfgs=PRETRAINED_CFGS["sk_resnet_mini"])
def sk_resnet_mini(**overrides: Any) -> SKNet:
    """A compact SKNet for small images (16×16 to 32×32): 3×3 stem, no max-pool, 4 SK stages."""
    fixed = dict(block="basic", layers=(1, 1, 1, 1), channels=(16, 32, 64, 128),
                 stem_type="small", stem_width=16, kernel_sizes=(3, 5), attn_ratio=1 / 4,
                 attn_divisor=8, split_input=True)
    return _sknet("sk_resnet_mini", fixed, overrides)
