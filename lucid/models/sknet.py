"""Selective Kernel Networks (Li et al., CVPR 2019): a ResNet built with Selective Kernel blocks.

In an SK basic block the first 3×3 conv is a :class:`~lucid.nn.SelectiveKernel` unit; in an
SK bottleneck the middle (grouped) 3×3 conv is. Both are the ResNet blocks of
:mod:`lucid.models.resnet` given a Selective Kernel factory as their spatial layer, and
:class:`SKNet` is the ResNet builder given those blocks.

Weight names of timm
--------------------
:meth:`SKNet.key_map` returns the table for timm's ``skresnet*`` / ``skresnext*`` (naming
``"timm-skresnet"``): the stem and head rows of :mod:`lucid.models.resnet`, and these block
rows, where timm already groups conv and BN the way lucid does, so the names are equal rule
by rule:

==================================================  ==========================
source (timm)                                       lucid
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
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ..nn import Module, SelectiveKernel
from .config import check_float, check_int, check_int_tuple
from .keymap import KeyMap, KeyRule
from .resnet import (
    DOWNSAMPLE_KEYS,
    HEAD_KEYS,
    BaseResNetConfig,
    BasicBlock,
    BlockFactory,
    Bottleneck,
    ResNet,
    stem_keys,
)

#: keys ``SKNetConfig.block_args`` may hold, forwarded to every Selective Kernel unit
SK_BLOCK_ARG_KEYS = ("attn_channels",)


@dataclass(frozen=True, kw_only=True)
class SKNetConfig(BaseResNetConfig):
    """Hyper-parameters of an SKNet: the shared ResNet fields plus the Selective Kernel ones.

    Only ``block`` and ``layers`` may be given by position. The shared fields are documented
    in :class:`~lucid.models.resnet.BaseResNetConfig`.

    Attributes:
        kernel_sizes: The receptive fields of the SK unit's branches (odd ints, at least
            two); one conv–BN–ReLU branch per size.
        attn_ratio: Width of the attention squeeze relative to the unit's output channels C.
        attn_divisor: The squeeze width ``C·attn_ratio`` is rounded to a multiple of this.
        attn_min: Smallest squeeze width (None: ``attn_divisor``).
        split_input: Feed each branch its own slice of the input channels (timm's
            ``split_input``) instead of the whole input.
        dilated_kernels: Build a k×k branch (k > 3) as a 3×3 conv with dilation (k−1)/2,
            which costs what a 3×3 conv costs; False uses real k×k kernels.
        zero_init_last: As in the ResNet config, but False by default, as in the public
            SKNets.
    """

    kernel_sizes: tuple[int, ...] = (3, 5)
    attn_ratio: float = 1 / 16
    attn_divisor: int = 8
    attn_min: int | None = None
    split_input: bool = True
    dilated_kernels: bool = True
    zero_init_last: bool = False

    block_arg_keys: ClassVar[tuple[str, ...]] = SK_BLOCK_ARG_KEYS
    bool_fields: ClassVar[tuple[str, ...]] = (*BaseResNetConfig.bool_fields, "split_input",
                                              "dilated_kernels")

    def __post_init__(self) -> None:
        super().__post_init__()
        ks = check_int_tuple("kernel_sizes", self.kernel_sizes, min_length=2)
        if any(k % 2 == 0 for k in ks):
            raise ValueError(f"kernel_sizes must all be odd (3, 5, 7, ...), got {list(ks)}")
        if self.dilated_kernels and min(ks) < 3:
            raise ValueError(
                f"kernel_sizes={list(ks)}: with dilated_kernels=True a size k is a 3x3 conv "
                f"with dilation (k-1)/2, so each size must be >= 3 (1 would mean dilation 0); "
                f"use dilated_kernels=False for a 1x1 branch"
            )
        object.__setattr__(self, "kernel_sizes", ks)
        check_float("attn_ratio", self.attn_ratio, 0.0, 1.0, low_open=True)
        check_int("attn_divisor", self.attn_divisor)
        if self.attn_min is not None:
            check_int("attn_min", self.attn_min)
        attn_channels = (self.block_args or {}).get("attn_channels")
        if attn_channels is not None:
            check_int("block_args['attn_channels']", attn_channels)
        if self.split_input:
            self._check_split()

    def sk_widths(self) -> list[tuple[int, int]]:
        """(input, output) channels of every Selective Kernel unit, stage by stage."""
        if self.block == "basic":
            ins = [self.stem_channels, *self.channels[:-1]]
            return [(c_in, c) for c_in, c in zip(ins, self.channels)] + \
                [(c, c) for c in self.channels]
        widths = [c * self.base_width // 64 * self.cardinality for c in self.channels]
        return [(w, w) for w in widths]

    def _check_split(self) -> None:
        """With split_input, each SK unit's input must divide among the branches, and each
        branch's share among the groups (``cardinality``) of its convolution."""
        m = len(self.kernel_sizes)
        widths = self.sk_widths()
        bad = sorted({c_in for c_in, _ in widths if c_in % m})
        if bad:
            widths_from = "channels/stem_width" if self.block == "basic" else \
                "channels/base_width/cardinality"
            raise ValueError(
                f"split_input=True splits each Selective Kernel input among "
                f"len(kernel_sizes)={m} branches, but these input widths are not divisible: "
                f"{bad}; change {widths_from} or set split_input=False"
            )
        groups = self.cardinality
        bad = sorted({c_in // m for c_in, c_out in widths if (c_in // m) % min(groups, c_out)})
        if bad:
            raise ValueError(
                f"split_input=True gives each of the {m} branches of a Selective Kernel unit "
                f"{bad} input channels, which cardinality={groups} groups cannot divide; "
                f"choose a cardinality dividing {bad}, other channels/base_width, or "
                f"split_input=False"
            )

    def sk_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for every :class:`~lucid.nn.SelectiveKernel` unit."""
        return dict(kernel_sizes=self.kernel_sizes, attn_ratio=self.attn_ratio,
                    attn_divisor=self.attn_divisor, attn_min=self.attn_min,
                    split_input=self.split_input, dilated=self.dilated_kernels,
                    **(self.block_args or {}))


class SKBasicBlock(BasicBlock):
    """Basic block whose first 3×3 conv is a Selective Kernel unit built with ``sk_kwargs``."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: Module | None = None, *, sk_kwargs: Mapping[str, Any] | None = None,
                 **block_kwargs: Any) -> None:
        super().__init__(inplanes, planes, stride, downsample,
                         spatial_layer=functools.partial(SelectiveKernel, **(sk_kwargs or {})),
                         **block_kwargs)


class SKBottleneck(Bottleneck):
    """Bottleneck whose grouped 3×3 conv is a Selective Kernel unit built with ``sk_kwargs``."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: Module | None = None, *, sk_kwargs: Mapping[str, Any] | None = None,
                 **block_kwargs: Any) -> None:
        super().__init__(inplanes, planes, stride, downsample,
                         spatial_layer=functools.partial(SelectiveKernel, **(sk_kwargs or {})),
                         **block_kwargs)


#: The SKNet's block class for each ``block`` value.
SK_BLOCKS: Mapping[str, BlockFactory] = {"basic": SKBasicBlock, "bottleneck": SKBottleneck}

TIMM_SK_BLOCK_KEYS = (
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
    *DOWNSAMPLE_KEYS,
)


class SKNet(ResNet):
    """Selective Kernel network built from an :class:`SKNetConfig`: a ResNet of SK blocks."""

    config_class: ClassVar[type[BaseResNetConfig]] = SKNetConfig

    def __init__(self, config: SKNetConfig) -> None:
        self._check_config(config)  # before config.sk_kwargs(): a ResNetConfig has none
        super().__init__(config, block_types=SK_BLOCKS,
                         block_kwargs={"sk_kwargs": config.sk_kwargs()})
        self.kernel_sizes = config.kernel_sizes
        self.base_width = config.base_width
        self.cardinality = config.cardinality

    def key_map(self) -> KeyMap:
        """The table between timm's SKNet weight names and this model's."""
        return KeyMap("timm-skresnet",
                      stem_keys(self.config.stem_type) + TIMM_SK_BLOCK_KEYS + HEAD_KEYS)


__all__ = ["SK_BLOCKS", "SKBasicBlock", "SKBottleneck", "SKNet", "SKNetConfig"]
