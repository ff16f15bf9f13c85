"""Deep-stem, average-downsampling SKNets ("-D" variants): ``sk_resnet_26d``, ``sk_resnet_50d``.

The "-D" recipe (He et al., "Bag of Tricks", 2019) changes two things of an SK-ResNet:
the 7×7 stem becomes three 3×3 convolutions (widths 32, 32, 64), and a strided shortcut
average-pools before its 1×1 projection instead of striding the projection. The SK units
are those of ``sk_resnet_50``: two branches (3×3 and dilated 3×3), split input, an
attention squeeze of C/16 rounded to a multiple of 8. Importing this module registers the
presets in lucid's model registry; they are built with lucid's public preset builder
(``lucid.models.build_from_preset``), so they accept any config field as an override, as
lucid's own presets (and timm's) do.
"""

from __future__ import annotations

from typing import Any

from lucid.models import SKNet, build_from_preset, register_model

_D_VARIANT = dict(block="bottleneck", kernel_sizes=(3, 5), attn_ratio=1 / 16, attn_divisor=8,
                  split_input=True, stem_type="deep", stem_width=32, avg_down=True)


@register_model(family="sknet")
def sk_resnet_26d(**overrides: Any) -> SKNet:
    """SK-ResNet-26-D: bottleneck stages (2, 2, 2, 2), deep stem, average-pool downsampling."""
    return build_from_preset("sk_resnet_26d", SKNet, dict(_D_VARIANT, layers=(2, 2, 2, 2)),
                             overrides)


@register_model(family="sknet")
def sk_resnet_50d(**overrides: Any) -> SKNet:
    """SK-ResNet-50-D: bottleneck stages (3, 4, 6, 3), deep stem, average-pool downsampling."""
    return build_from_preset("sk_resnet_50d", SKNet, dict(_D_VARIANT, layers=(3, 4, 6, 3)),
                             overrides)


__all__ = ["sk_resnet_26d", "sk_resnet_50d"]
