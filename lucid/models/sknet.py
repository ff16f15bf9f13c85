"""Selective Kernel Networks (Li et al., CVPR 2019) on the ResNet base.

In an SK basic block the first 3×3 conv is a :class:`~lucid.nn.SelectiveKernel` unit; in an
SK bottleneck the middle (grouped) 3×3 conv is. Everything else is the ResNet of
:mod:`lucid.models.resnet`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from .. import nn
from .config import (
    check_float,
    check_int,
    check_int_tuple,
)
from .resnet import (
    BasicBlock,
    Bottleneck,
    ResNet,
    ResNetConfig,
    validate_resnet_fields,
)

#: keys ``SKNetConfig.block_args`` may hold, forwarded to every Selective Kernel unit
SK_BLOCK_ARG_KEYS = ("attn_channels",)


@dataclass(frozen=True)
class SKNetConfig:
    """Hyper-parameters of an SKNet; every field is validated when the config is created.

    ``kernel_sizes`` are the receptive fields of the branches (odd ints, at least two);
    with ``dilated_kernels`` a size k > 3 is a 3×3 conv with dilation (k−1)/2.
    The attention squeeze width is C·attn_ratio rounded to a multiple of ``attn_divisor``,
    at least ``attn_min`` (default: ``attn_divisor``). ``split_input`` feeds each branch a slice of
    the input channels instead of all of them.
    """

    block: str
    layers: tuple[int, ...]
    kernel_sizes: tuple[int, ...] = (3, 5)
    base_width: int = 64
    cardinality: int = 1
    num_classes: int = 1000
    in_channels: int = 3
    stem_type: str | None = None
    stem_width: int = 64
    avg_down: bool = False
    channels: tuple[int, ...] = (64, 128, 256, 512)
    block_args: dict[str, Any] | None = None
    attn_ratio: float = 1 / 16
    attn_divisor: int = 8
    attn_min: int | None = None
    split_input: bool = True
    dilated_kernels: bool = True
    zero_init_last: bool = False
    drop_rate: float = 0.0

    block_arg_keys: ClassVar[tuple[str, ...]] = SK_BLOCK_ARG_KEYS

    def __post_init__(self) -> None:
        validate_resnet_fields(self, flags=("split_input", "dilated_kernels"))
        ks = check_int_tuple("kernel_sizes", self.kernel_sizes, min_length=2)
        if any(k % 2 == 0 for k in ks):
            raise ValueError(f"kernel_sizes must all be odd (3, 5, 7, ...), got {list(ks)}")
        object.__setattr__(self, "kernel_sizes", ks)
        check_float("attn_ratio", self.attn_ratio, 0.0, 1.0, low_open=True)
        check_int("attn_divisor", self.attn_divisor)
        if self.attn_min is not None:
            check_int("attn_min", self.attn_min)
        if self.split_input:
            self._check_split()

    def _check_split(self) -> None:
        """With split_input, each SK unit's input channels must divide among the branches."""
        m = len(self.kernel_sizes)
        stem_out = 2 * self.stem_width if self.stem_type == "deep" else self.stem_width
        if self.block == "basic":
            inputs = [stem_out] + list(self.channels[:-1]) + list(self.channels)
        else:
            inputs = [c * self.base_width // 64 * self.cardinality for c in self.channels]
        bad = sorted({c for c in inputs if c % m})
        if bad:
            raise ValueError(
                f"split_input=True splits each Selective Kernel input among "
                f"len(kernel_sizes)={m} branches, but these input widths are not divisible: "
                f"{bad}; change channels/stem_width or set split_input=False"
            )

    @property
    def expansion(self) -> int:
        """Output channels of a block divided by its ``planes``."""
        return 1 if self.block == "basic" else 4

    def sk_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for every :class:`~lucid.nn.SelectiveKernel` unit."""
        return dict(kernel_sizes=self.kernel_sizes, attn_ratio=self.attn_ratio,
                    attn_divisor=self.attn_divisor, attn_min=self.attn_min,
                    split_input=self.split_input, dilated=self.dilated_kernels,
                    **(self.block_args or {}))


class SKBasicBlock(BasicBlock):
    """Basic block whose first 3×3 conv is a Selective Kernel unit."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, sk_kwargs: dict[str, Any] | None = None,
                 **_: Any) -> None:
        self._sk_kwargs = sk_kwargs or {}
        super().__init__(inplanes, planes, stride, downsample)

    def make_conv1(self, inplanes: int, planes: int, stride: int) -> nn.Module:
        """A Selective Kernel unit in place of the first 3×3 conv."""
        return nn.SelectiveKernel(inplanes, planes, stride=stride, **self._sk_kwargs)


class SKBottleneck(Bottleneck):
    """Bottleneck block whose grouped 3×3 conv is a Selective Kernel unit."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, cardinality: int = 1,
                 base_width: int = 64, sk_kwargs: dict[str, Any] | None = None,
                 **_: Any) -> None:
        self._sk_kwargs = sk_kwargs or {}
        super().__init__(inplanes, planes, stride, downsample, cardinality, base_width)

    def make_conv2(self, width: int, stride: int, cardinality: int) -> nn.Module:
        """A Selective Kernel unit in place of the 3×3 conv."""
        return nn.SelectiveKernel(width, width, stride=stride, groups=cardinality,
                                  **self._sk_kwargs)


class SKNet(ResNet):
    """Selective Kernel network built from an :class:`SKNetConfig`."""

    config_class: ClassVar[type] = SKNetConfig

    def __init__(self, config: SKNetConfig) -> None:
        if not isinstance(config, SKNetConfig):
            raise TypeError(f"SKNet needs an SKNetConfig, got {type(config).__name__}")
        super().__init__(config)  # type: ignore[arg-type]
        self.kernel_sizes = config.kernel_sizes
        self.base_width = config.base_width
        self.cardinality = config.cardinality

    def make_block(self, inplanes: int, planes: int, stride: int,
                   downsample: nn.Module | None) -> nn.Module:
        """Build one SK block of the configured type."""
        c: SKNetConfig = self.config  # type: ignore[assignment]
        cls = SKBasicBlock if c.block == "basic" else SKBottleneck
        return cls(inplanes, planes, stride, downsample, cardinality=c.cardinality,
                   base_width=c.base_width, sk_kwargs=c.sk_kwargs())


__all__ = ["SKBasicBlock", "SKBottleneck", "SKNet", "SKNetConfig", "ResNetConfig"]
