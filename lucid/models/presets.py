"""Registered presets (the standard ResNets and SKNets, a compact SKNet) and their builder.

Each factory accepts the config fields that do not define the preset
(:data:`PRESET_OVERRIDABLE`: ``num_classes``, ``in_channels``, ``drop_rate``,
``zero_init_last``); the architecture itself is fixed — build an
:class:`~lucid.models.SKNetConfig` or :class:`~lucid.models.ResNetConfig` for anything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .registry import register_model
from .resnet import ResNet
from .sknet import SKNet

#: The config fields a preset's caller may set; the others define the architecture.
PRESET_OVERRIDABLE = ("num_classes", "in_channels", "drop_rate", "zero_init_last")


def build_from_preset(name: str, model_cls: type, fixed: Mapping[str, Any],
                      overrides: Mapping[str, Any]) -> Any:
    """Build preset ``name``: ``model_cls(model_cls.config_class(**fixed, **overrides))``.

    :func:`build_from_preset` is public so that a model plugin builds its presets the same
    way as lucid's. ``overrides`` may set only :data:`PRESET_OVERRIDABLE` fields: overriding
    a field the preset fixes (or leaves at the config's default) is a ValueError naming it,
    and a keyword that is no config field is a TypeError.
    """
    config_cls = model_cls.config_class
    for key in overrides:
        if key in fixed or key in config_cls.__dataclass_fields__:
            if key not in PRESET_OVERRIDABLE:
                raise ValueError(
                    f"{name} fixes {key}={fixed.get(key, '<default>')!r}; it cannot be "
                    f"overridden (allowed: {', '.join(PRESET_OVERRIDABLE)}). Build a "
                    f"{config_cls.__name__} for a custom architecture."
                )
        else:
            raise TypeError(f"{name}() got an unexpected keyword argument {key!r}; "
                            f"allowed: {', '.join(PRESET_OVERRIDABLE)}")
    return model_cls(config_cls(**{**fixed, **overrides}))


# ------------------------------------------------------------------ ResNet
def _resnet(name: str, block: str, layers: tuple[int, ...], **overrides: Any) -> ResNet:
    return build_from_preset(name, ResNet, dict(block=block, layers=layers), overrides)


@register_model(family="resnet")
def resnet_18(**overrides: Any) -> ResNet:
    """ResNet-18 (11.7 M parameters at 1000 classes)."""
    return _resnet("resnet_18", "basic", (2, 2, 2, 2), **overrides)


@register_model(family="resnet")
def resnet_34(**overrides: Any) -> ResNet:
    """ResNet-34."""
    return _resnet("resnet_34", "basic", (3, 4, 6, 3), **overrides)


@register_model(family="resnet")
def resnet_50(**overrides: Any) -> ResNet:
    """ResNet-50."""
    return _resnet("resnet_50", "bottleneck", (3, 4, 6, 3), **overrides)


@register_model(family="resnet")
def resnet_101(**overrides: Any) -> ResNet:
    """ResNet-101."""
    return _resnet("resnet_101", "bottleneck", (3, 4, 23, 3), **overrides)


@register_model(family="resnet")
def resnet_152(**overrides: Any) -> ResNet:
    """ResNet-152."""
    return _resnet("resnet_152", "bottleneck", (3, 8, 36, 3), **overrides)


# ------------------------------------------------------------------- SKNet
def _sknet(name: str, fixed: dict[str, Any], overrides: dict[str, Any]) -> SKNet:
    return build_from_preset(name, SKNet, fixed, overrides)


@register_model(family="sknet")
def sk_resnet_18(**overrides: Any) -> SKNet:
    """SK-ResNet-18: basic blocks with a 3×3 + dilated-3×3 SK unit, split input (11.96 M params)."""
    fixed = dict(block="basic", layers=(2, 2, 2, 2), kernel_sizes=(3, 5), attn_ratio=1 / 8,
                 attn_divisor=16, split_input=True)
    return _sknet("sk_resnet_18", fixed, overrides)


@register_model(family="sknet")
def sk_resnet_34(**overrides: Any) -> SKNet:
    """SK-ResNet-34 (22.28 M parameters)."""
    fixed = dict(block="basic", layers=(3, 4, 6, 3), kernel_sizes=(3, 5), attn_ratio=1 / 8,
                 attn_divisor=16, split_input=True)
    return _sknet("sk_resnet_34", fixed, overrides)


@register_model(family="sknet")
def sk_resnet_50(**overrides: Any) -> SKNet:
    """SK-ResNet-50: bottleneck blocks with the SK unit in the middle (25.80 M parameters)."""
    fixed = dict(block="bottleneck", layers=(3, 4, 6, 3), kernel_sizes=(3, 5),
                 attn_ratio=1 / 16, attn_divisor=8, split_input=True)
    return _sknet("sk_resnet_50", fixed, overrides)


@register_model(family="sknet")
def sk_resnext_50_32x4d(**overrides: Any) -> SKNet:
    """SK-ResNeXt-50 32×4d: grouped SK units over the full input (27.48 M parameters)."""
    fixed = dict(block="bottleneck", layers=(3, 4, 6, 3), kernel_sizes=(3, 5), cardinality=32,
                 base_width=4, attn_ratio=1 / 16, attn_divisor=32, split_input=False)
    return _sknet("sk_resnext_50_32x4d", fixed, overrides)


@register_model(family="sknet")
def sk_resnet_mini(**overrides: Any) -> SKNet:
    """A compact SKNet for small images (16×16 to 32×32): 3×3 stem, no max-pool, 4 SK stages."""
    fixed = dict(block="basic", layers=(1, 1, 1, 1), channels=(16, 32, 64, 128),
                 stem_type="small", stem_width=16, kernel_sizes=(3, 5), attn_ratio=1 / 4,
                 attn_divisor=8, split_input=True)
    return _sknet("sk_resnet_mini", fixed, overrides)
