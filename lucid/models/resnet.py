"""ResNet (He et al., 2016) with the stem and downsampling variants of the "bag of tricks".

The layer names follow the widely used PyTorch layouts closely enough that the weight
converter (:mod:`lucid.convert`) maps them by an explicit table: ``stem``, ``layer1`` ..
``layer4`` (blocks with ``conv1``/``conv2``/``conv3`` as conv–BN pairs and ``downsample``),
``avgpool``, ``fc``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from .. import nn
from .._ops import add, flatten, relu
from .._tensor import Tensor
from ..nn import functional as F
from .config import (
    check_choice,
    check_float,
    check_int,
    check_int_tuple,
    check_mapping,
)

BLOCK_TYPES = ("basic", "bottleneck")
STEM_TYPES = (None, "deep", "small")


@dataclass(frozen=True)
class ResNetConfig:
    """Hyper-parameters of a ResNet; every field is validated when the config is created."""

    block: str
    layers: tuple[int, ...]
    num_classes: int = 1000
    in_channels: int = 3
    stem_width: int = 64
    stem_type: str | None = None
    avg_down: bool = False
    channels: tuple[int, ...] = (64, 128, 256, 512)
    block_args: dict[str, Any] | None = None
    base_width: int = 64
    cardinality: int = 1
    zero_init_last: bool = True
    drop_rate: float = 0.0

    #: keys ``block_args`` may contain (extra keyword arguments for every block)
    block_arg_keys: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        validate_resnet_fields(self)

    @property
    def expansion(self) -> int:
        """Output channels of a block divided by its ``planes``."""
        return 1 if self.block == "basic" else 4


def validate_resnet_fields(cfg: Any, flags: tuple[str, ...] = ()) -> None:
    """Check (and normalise to tuples) the fields every ResNet-family config shares."""
    check_choice("block", cfg.block, BLOCK_TYPES)
    object.__setattr__(cfg, "layers", check_int_tuple("layers", cfg.layers, length=4))
    object.__setattr__(cfg, "channels", check_int_tuple("channels", cfg.channels, length=4))
    check_int("num_classes", cfg.num_classes, minimum=0)
    check_int("in_channels", cfg.in_channels)
    check_int("stem_width", cfg.stem_width)
    check_choice("stem_type", cfg.stem_type, STEM_TYPES)
    for flag in ("avg_down", "zero_init_last", *flags):
        if not isinstance(getattr(cfg, flag), bool):
            raise TypeError(f"{flag} must be a bool, got {getattr(cfg, flag)!r}")
    check_int("base_width", cfg.base_width)
    check_int("cardinality", cfg.cardinality)
    check_float("drop_rate", cfg.drop_rate, 0.0, 1.0)
    if cfg.drop_rate == 1.0:
        raise ValueError("drop_rate must be < 1.0, got 1.0")
    if cfg.block == "basic" and (cfg.cardinality != 1 or cfg.base_width != 64):
        raise ValueError(
            f"block='basic' supports only cardinality=1 and base_width=64, got "
            f"cardinality={cfg.cardinality}, base_width={cfg.base_width}; "
            "use block='bottleneck' for grouped (ResNeXt) blocks"
        )
    object.__setattr__(cfg, "block_args",
                       check_mapping("block_args", cfg.block_args, cfg.block_arg_keys))


class BasicBlock(nn.Module):
    """Two 3×3 conv–BN layers and an identity (or projected) shortcut."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, **_: Any) -> None:
        super().__init__()
        self.conv1 = self.make_conv1(inplanes, planes, stride)
        self.conv2 = nn.ConvBNReLU2d(planes, planes, 3, act=False)
        self.downsample = downsample

    def make_conv1(self, inplanes: int, planes: int, stride: int) -> nn.Module:
        """The first 3×3 layer (SKNet replaces it with a Selective Kernel unit)."""
        return nn.ConvBNReLU2d(inplanes, planes, 3, stride=stride)

    def forward(self, x: Tensor) -> Tensor:
        """Residual forward pass."""
        shortcut = x if self.downsample is None else self.downsample(x)
        return relu(add(self.conv2(self.conv1(x)), shortcut))

    def last_bn(self) -> nn.BatchNorm2d:
        """The BN whose weight is zeroed by ``zero_init_last``."""
        return self.conv2.bn


class Bottleneck(nn.Module):
    """1×1 reduce, 3×3 (grouped) conv, 1×1 expand, each with BN, plus the shortcut."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, cardinality: int = 1,
                 base_width: int = 64, **_: Any) -> None:
        super().__init__()
        width = bottleneck_width(planes, base_width, cardinality)
        self.conv1 = nn.ConvBNReLU2d(inplanes, width, 1)
        self.conv2 = self.make_conv2(width, stride, cardinality)
        self.conv3 = nn.ConvBNReLU2d(width, planes * self.expansion, 1, act=False)
        self.downsample = downsample

    def make_conv2(self, width: int, stride: int, cardinality: int) -> nn.Module:
        """The 3×3 middle layer (SKNet replaces it with a Selective Kernel unit)."""
        return nn.ConvBNReLU2d(width, width, 3, stride=stride, groups=cardinality)

    def forward(self, x: Tensor) -> Tensor:
        """Residual forward pass."""
        shortcut = x if self.downsample is None else self.downsample(x)
        return relu(add(self.conv3(self.conv2(self.conv1(x))), shortcut))

    def last_bn(self) -> nn.BatchNorm2d:
        """The BN whose weight is zeroed by ``zero_init_last``."""
        return self.conv3.bn


def bottleneck_width(planes: int, base_width: int, cardinality: int) -> int:
    """Channels of the grouped 3×3 layer: ``floor(planes·base_width/64)·cardinality``."""
    return int(math.floor(planes * (base_width / 64))) * cardinality


class AvgDownPool(nn.Module):
    """2×2 average pool with ceil mode, averaging only real (unpadded) pixels."""

    def __init__(self, stride: int = 2) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        """Pool ``x``; odd sizes keep their last row/column as a partial window."""
        h, w = x.shape[2:]
        ph, pw = h % 2, w % 2
        if not (ph or pw):
            return F.avg_pool2d(x, 2, self.stride)
        from .._ops import pad

        summed = F.avg_pool2d(pad(x, ((0, 0), (0, 0), (0, ph), (0, pw))), 2, self.stride)
        counts = F.avg_pool2d(pad(Tensor._wrap(x.backend.ones((1, 1, h, w), x.dtype), x.backend),
                                  ((0, 0), (0, 0), (0, ph), (0, pw))), 2, self.stride)
        return summed / counts


def make_stem(config: ResNetConfig) -> tuple[nn.Sequential, int]:
    """Build the stem for ``config``; return it and its number of output channels."""
    w, cin = config.stem_width, config.in_channels
    if config.stem_type == "deep":
        layers = [nn.ConvBNReLU2d(cin, w, 3, stride=2), nn.ConvBNReLU2d(w, w, 3),
                  nn.ConvBNReLU2d(w, 2 * w, 3), nn.MaxPool2d(3, 2, 1)]
        return nn.Sequential(*layers), 2 * w
    if config.stem_type == "small":
        return nn.Sequential(nn.ConvBNReLU2d(cin, w, 3)), w
    return nn.Sequential(nn.ConvBNReLU2d(cin, w, 7, stride=2), nn.MaxPool2d(3, 2, 1)), w


def make_downsample(inplanes: int, outplanes: int, stride: int, avg_down: bool) -> nn.Sequential:
    """Projection shortcut: strided 1×1 conv + BN, or average pool then 1×1 conv + BN."""
    if avg_down:
        pool: nn.Module = AvgDownPool(stride) if stride > 1 else nn.Identity()
        return nn.Sequential(pool, nn.Conv2d(inplanes, outplanes, 1, bias=False),
                             nn.BatchNorm2d(outplanes))
    return nn.Sequential(nn.Conv2d(inplanes, outplanes, 1, stride=stride, bias=False),
                         nn.BatchNorm2d(outplanes))


class ResNet(nn.Module):
    """A ResNet built from a :class:`ResNetConfig`."""

    config_class: ClassVar[type] = ResNetConfig

    def __init__(self, config: ResNetConfig) -> None:
        super().__init__()
        if not isinstance(config, self.config_class):
            raise TypeError(f"{type(self).__name__} needs a {self.config_class.__name__}, got "
                            f"{type(config).__name__}")
        self.config = config
        self.stem, inplanes = make_stem(config)
        expansion = config.expansion
        for i, (planes, blocks) in enumerate(zip(config.channels, config.layers)):
            stride = 1 if i == 0 else 2
            stage = []
            for j in range(blocks):
                s = stride if j == 0 else 1
                down = None
                if j == 0 and (s != 1 or inplanes != planes * expansion):
                    down = make_downsample(inplanes, planes * expansion, s, config.avg_down)
                stage.append(self.make_block(inplanes, planes, s, down))
                inplanes = planes * expansion
            setattr(self, f"layer{i + 1}", nn.Sequential(*stage))
        self.num_features = inplanes
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(config.drop_rate) if config.drop_rate > 0 else nn.Identity()
        self.fc = nn.Linear(inplanes, config.num_classes) if config.num_classes > 0 \
            else nn.Identity()
        self.init_weights()

    def make_block(self, inplanes: int, planes: int, stride: int,
                   downsample: nn.Module | None) -> nn.Module:
        """Build one residual block of the configured type."""
        c = self.config
        cls = BasicBlock if c.block == "basic" else Bottleneck
        return cls(inplanes, planes, stride, downsample, cardinality=c.cardinality,
                   base_width=c.base_width, **(c.block_args or {}))

    def init_weights(self) -> None:
        """Kaiming-normal (fan-out) convs, BN weight 1 / bias 0, optional zero-init last BN."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if self.config.zero_init_last:
            for m in self.modules():
                if hasattr(m, "last_bn"):
                    nn.init.zeros_(m.last_bn().weight)

    def forward_features(self, x: Tensor) -> Tensor:
        """Stem and the four stages: ``(N, num_features, H/32, W/32)``."""
        if x.ndim != 4 or x.shape[1] != self.config.in_channels:
            raise ValueError(f"{type(self).__name__} expects input of shape (N, "
                             f"{self.config.in_channels}, H, W), got {x.shape}")
        x = self.stem(x)
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        return self.layer4(x)

    def forward_head(self, x: Tensor) -> Tensor:
        """Global average pool, dropout and the classifier."""
        return self.fc(self.dropout(flatten(self.avgpool(x), 1)))

    def forward(self, x: Tensor) -> Tensor:
        """Class logits ``(N, num_classes)`` for images ``(N, in_channels, H, W)``."""
        return self.forward_head(self.forward_features(x))


__all__ = ["AvgDownPool", "BasicBlock", "Bottleneck", "ResNet", "ResNetConfig",
           "make_downsample", "make_stem"]
