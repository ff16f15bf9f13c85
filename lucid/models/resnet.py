"""ResNet (He et al., 2016) with the stem and downsampling variants of the "bag of tricks".

One builder serves the whole family: :class:`ResNet` takes the block classes and the keyword
arguments its blocks need, so :class:`~lucid.models.SKNet` is a ResNet built with Selective
Kernel blocks. Each block takes its spatial layer (BasicBlock's first 3×3, Bottleneck's
middle 3×3) as a factory argument.

Layer names follow the widely used PyTorch layouts closely enough that published weights map
by an explicit table: ``stem``, ``layer1`` .. ``layer4`` (blocks with ``conv1``/``conv2``/
``conv3`` as conv–BN pairs and ``downsample``), ``avgpool``, ``fc``.

Weight names of torchvision and timm
------------------------------------
:meth:`ResNet.key_map` returns the table (machinery and placeholders:
:mod:`lucid.models.keymap`; ``{bn}`` is a batch-norm tensor, ``{wb}`` weight or bias).

Stem (ResNet and SKNet), for ``stem_type=None`` and ``"small"``:

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

ResNet blocks (torchvision ``resnet*`` and timm ``resnet*``; naming ``"torchvision-resnet"``):

=====================================  ==========================================
``layer{s}.{b}.conv{k}.weight``        ``layer{s}.{b}.conv{k}.conv.weight``
``layer{s}.{b}.bn{k}.{bn}``            ``layer{s}.{b}.conv{k}.bn.{bn}``
``layer{s}.{b}.downsample.{k}.{bn}``   ``layer{s}.{b}.downsample.{k}.{bn}``
=====================================  ==========================================

Head (ResNet and SKNet): ``fc.{wb}`` ↔ ``fc.{wb}``. The SKNet blocks' table is in
:mod:`lucid.models.sknet`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from .._creation import ones
from ..nn import (
    AdaptiveAvgPool2d,
    BatchNorm2d,
    Conv2d,
    ConvBNReLU2d,
    Dropout,
    Identity,
    Linear,
    MaxPool2d,
    Module,
    Sequential,
    init,
)
from ..nn import functional as F
from ..ops import add, flatten, pad, relu
from .config import (
    check_choice,
    check_float,
    check_int,
    check_int_tuple,
    check_mapping,
)
from .keymap import KeyMap, KeyRule

if TYPE_CHECKING:
    from .. import Tensor

BLOCK_TYPES = ("basic", "bottleneck")
STEM_TYPES = (None, "deep", "small")


# ------------------------------------------------------------------------ configs
@dataclass(frozen=True)
class BaseResNetConfig:
    """The fields every ResNet-style config shares, each validated when the config is created.

    ``block`` (``"basic"`` or ``"bottleneck"``) and ``layers`` (blocks per stage, four ints)
    may be given by position; every other field is keyword-only, so a positional slip such
    as ``ResNetConfig("basic", (2, 2, 2, 2), 10)`` is a TypeError instead of a value silently
    landing in the wrong field. ``stem_type`` is None (7×7 conv and max-pool), ``"deep"``
    (three 3×3 convs of widths ``stem_width``, ``stem_width``, ``2·stem_width``) or
    ``"small"`` (one 3×3 conv, no pooling, for small images); ``avg_down`` average-pools a
    strided shortcut before its 1×1 projection; ``channels`` are the stages' ``planes``;
    ``base_width`` and ``cardinality`` shape grouped (ResNeXt) bottlenecks;
    ``zero_init_last`` zeroes each block's last BN weight; ``block_args`` holds the keys
    listed in ``block_arg_keys``.
    """

    block: str
    layers: tuple[int, ...]
    _: KW_ONLY
    num_classes: int = 1000
    in_channels: int = 3
    stem_type: str | None = None
    stem_width: int = 64
    avg_down: bool = False
    channels: tuple[int, ...] = (64, 128, 256, 512)
    block_args: dict[str, Any] | None = None
    base_width: int = 64
    cardinality: int = 1
    zero_init_last: bool = True
    drop_rate: float = 0.0

    #: keys ``block_args`` may contain
    block_arg_keys: ClassVar[tuple[str, ...]] = ()
    #: the bool fields, checked to be bools
    bool_fields: ClassVar[tuple[str, ...]] = ("avg_down", "zero_init_last")

    def __post_init__(self) -> None:
        check_choice("block", self.block, BLOCK_TYPES)
        object.__setattr__(self, "layers", check_int_tuple("layers", self.layers, length=4))
        object.__setattr__(self, "channels",
                           check_int_tuple("channels", self.channels, length=4))
        check_int("num_classes", self.num_classes, minimum=0)
        check_int("in_channels", self.in_channels)
        check_int("stem_width", self.stem_width)
        check_choice("stem_type", self.stem_type, STEM_TYPES)
        for flag in self.bool_fields:
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"{flag} must be a bool, got {getattr(self, flag)!r}")
        check_int("base_width", self.base_width)
        check_int("cardinality", self.cardinality)
        check_float("drop_rate", self.drop_rate, 0.0, 1.0)
        if self.drop_rate == 1.0:
            raise ValueError("drop_rate must be < 1.0, got 1.0")
        if self.block == "basic" and (self.cardinality != 1 or self.base_width != 64):
            raise ValueError(
                f"block='basic' supports only cardinality=1 and base_width=64, got "
                f"cardinality={self.cardinality}, base_width={self.base_width}; "
                "use block='bottleneck' for grouped (ResNeXt) blocks"
            )
        object.__setattr__(self, "block_args",
                           check_mapping("block_args", self.block_args, self.block_arg_keys))

    @property
    def expansion(self) -> int:
        """Output channels of a block divided by its ``planes``."""
        return 1 if self.block == "basic" else 4

    @property
    def stem_channels(self) -> int:
        """Output channels of the stem."""
        return 2 * self.stem_width if self.stem_type == "deep" else self.stem_width


@dataclass(frozen=True)
class ResNetConfig(BaseResNetConfig):
    """Hyper-parameters of a :class:`ResNet` (the shared fields of :class:`BaseResNetConfig`)."""


# ------------------------------------------------------------------------ blocks
#: A block's spatial layer: ``factory(in_channels, out_channels, stride=..., groups=...)``.
SpatialLayer = Callable[..., Module]
#: A block class, or any ``factory(inplanes, planes, stride, downsample, cardinality=...,
#: base_width=..., **block_kwargs)`` building one.
BlockFactory = Callable[..., Module]


def conv3x3_bn_relu(in_channels: int, out_channels: int, *, stride: int = 1,
                    groups: int = 1) -> Module:
    """The plain spatial layer of a block: a 3×3 conv–BN–ReLU."""
    return ConvBNReLU2d(in_channels, out_channels, 3, stride=stride, groups=groups)


class BasicBlock(Module):
    """Two 3×3 conv–BN layers and an identity (or projected) shortcut.

    ``spatial_layer`` builds the first 3×3 layer (SKNet passes a Selective Kernel unit).
    Basic blocks are never grouped: ``cardinality`` and ``base_width`` must keep their
    defaults (they are accepted so every block takes the same arguments).
    """

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: Module | None = None, *, cardinality: int = 1,
                 base_width: int = 64, spatial_layer: SpatialLayer = conv3x3_bn_relu) -> None:
        super().__init__()
        if cardinality != 1 or base_width != 64:
            raise ValueError(f"BasicBlock supports only cardinality=1 and base_width=64, got "
                             f"cardinality={cardinality}, base_width={base_width}")
        self.conv1 = spatial_layer(inplanes, planes, stride=stride, groups=1)
        self.conv2 = ConvBNReLU2d(planes, planes, 3, act=False)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        """Residual forward pass."""
        shortcut = x if self.downsample is None else self.downsample(x)
        return relu(add(self.conv2(self.conv1(x)), shortcut))

    def last_bn(self) -> BatchNorm2d:
        """The BN whose weight is zeroed by ``zero_init_last``."""
        return self.conv2.bn


class Bottleneck(Module):
    """1×1 reduce, 3×3 (grouped) conv, 1×1 expand, each with BN, plus the shortcut.

    ``spatial_layer`` builds the middle 3×3 layer, grouped by ``cardinality`` (SKNet passes
    a Selective Kernel unit).
    """

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: Module | None = None, *, cardinality: int = 1,
                 base_width: int = 64, spatial_layer: SpatialLayer = conv3x3_bn_relu) -> None:
        super().__init__()
        width = bottleneck_width(planes, base_width, cardinality)
        self.conv1 = ConvBNReLU2d(inplanes, width, 1)
        self.conv2 = spatial_layer(width, width, stride=stride, groups=cardinality)
        self.conv3 = ConvBNReLU2d(width, planes * self.expansion, 1, act=False)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        """Residual forward pass."""
        shortcut = x if self.downsample is None else self.downsample(x)
        return relu(add(self.conv3(self.conv2(self.conv1(x))), shortcut))

    def last_bn(self) -> BatchNorm2d:
        """The BN whose weight is zeroed by ``zero_init_last``."""
        return self.conv3.bn


def bottleneck_width(planes: int, base_width: int, cardinality: int) -> int:
    """Channels of the grouped 3×3 layer: ``floor(planes·base_width/64)·cardinality``."""
    return int(math.floor(planes * (base_width / 64))) * cardinality


#: The plain ResNet's block class for each ``block`` value.
RESNET_BLOCKS: Mapping[str, BlockFactory] = {"basic": BasicBlock, "bottleneck": Bottleneck}


# ------------------------------------------------------------------------ stem, shortcut
class AvgDownPool(Module):
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
        widths = ((0, 0), (0, 0), (0, ph), (0, pw))
        summed = F.avg_pool2d(pad(x, widths), 2, self.stride)
        real = ones(1, 1, h, w, dtype=x.dtype, backend=x.backend)
        counts = F.avg_pool2d(pad(real, widths), 2, self.stride)
        return summed / counts


def make_stem(config: BaseResNetConfig) -> tuple[Sequential, int]:
    """Build the stem for ``config``; return it and its number of output channels."""
    w, cin = config.stem_width, config.in_channels
    if config.stem_type == "deep":
        layers = [ConvBNReLU2d(cin, w, 3, stride=2), ConvBNReLU2d(w, w, 3),
                  ConvBNReLU2d(w, 2 * w, 3), MaxPool2d(3, 2, 1)]
        return Sequential(*layers), 2 * w
    if config.stem_type == "small":
        return Sequential(ConvBNReLU2d(cin, w, 3)), w
    return Sequential(ConvBNReLU2d(cin, w, 7, stride=2), MaxPool2d(3, 2, 1)), w


def make_downsample(inplanes: int, outplanes: int, stride: int, avg_down: bool) -> Sequential:
    """Projection shortcut: strided 1×1 conv + BN, or average pool then 1×1 conv + BN."""
    if avg_down:
        pool: Module = AvgDownPool(stride) if stride > 1 else Identity()
        return Sequential(pool, Conv2d(inplanes, outplanes, 1, bias=False),
                          BatchNorm2d(outplanes))
    return Sequential(Conv2d(inplanes, outplanes, 1, stride=stride, bias=False),
                      BatchNorm2d(outplanes))


# ------------------------------------------------------------------------ weight names
PLAIN_STEM_KEYS = (
    KeyRule("conv1.weight", "stem.0.conv.weight", "stem convolution"),
    KeyRule("bn1.{bn}", "stem.0.bn.{bn}", "stem batch norm"),
)
DEEP_STEM_KEYS = (
    KeyRule("conv1.0.weight", "stem.0.conv.weight", "deep stem conv 1"),
    KeyRule("conv1.1.{bn}", "stem.0.bn.{bn}", "deep stem BN 1"),
    KeyRule("conv1.3.weight", "stem.1.conv.weight", "deep stem conv 2"),
    KeyRule("conv1.4.{bn}", "stem.1.bn.{bn}", "deep stem BN 2"),
    KeyRule("conv1.6.weight", "stem.2.conv.weight", "deep stem conv 3"),
    KeyRule("bn1.{bn}", "stem.2.bn.{bn}", "deep stem BN 3 (timm keeps it outside conv1)"),
)
DOWNSAMPLE_KEYS = (
    KeyRule("layer{s}.{b}.downsample.{k}.{bn}", "layer{s}.{b}.downsample.{k}.{bn}",
            "projection shortcut: conv (and pool) then BN, same indices"),
)
TORCHVISION_BLOCK_KEYS = (
    KeyRule("layer{s}.{b}.conv{k}.weight", "layer{s}.{b}.conv{k}.conv.weight",
            "block conv k"),
    KeyRule("layer{s}.{b}.bn{k}.{bn}", "layer{s}.{b}.conv{k}.bn.{bn}",
            "block BN k belongs to conv k"),
    *DOWNSAMPLE_KEYS,
)
HEAD_KEYS = (KeyRule("fc.{wb}", "fc.{wb}", "classifier"),)


def stem_keys(stem_type: str | None) -> tuple[KeyRule, ...]:
    """The stem rows of the table for ``stem_type`` (shared by ResNet and SKNet)."""
    return DEEP_STEM_KEYS if stem_type == "deep" else PLAIN_STEM_KEYS


# ------------------------------------------------------------------------ the network
def _article(name: str) -> str:
    """``"an"`` before names read with a vowel sound (``SKNetConfig``), else ``"a"``."""
    acronym = len(name) > 1 and name[1].isupper()
    return "an" if name[:1] in "AEIOU" or (acronym and name[:1] in "FHLMNRSX") else "a"


class ResNet(Module):
    """A ResNet built from a :class:`ResNetConfig`.

    The one builder of the family: ``block_types`` maps ``"basic"`` and ``"bottleneck"`` to
    block classes (default :data:`RESNET_BLOCKS`) and ``block_kwargs`` are passed to every
    block besides ``cardinality`` and ``base_width``; :class:`~lucid.models.SKNet` passes its
    Selective Kernel blocks and their arguments here.
    """

    config_class: ClassVar[type[BaseResNetConfig]] = ResNetConfig

    def __init__(self, config: BaseResNetConfig, *,
                 block_types: Mapping[str, BlockFactory] | None = None,
                 block_kwargs: Mapping[str, Any] | None = None) -> None:
        self._check_config(config)
        super().__init__()
        types = RESNET_BLOCKS if block_types is None else block_types
        if config.block not in types:
            raise ValueError(f"block_types has no class for block={config.block!r}; it "
                             f"maps {sorted(types)}")
        block_cls = types[config.block]
        kwargs = dict(block_kwargs or {})
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
                stage.append(block_cls(inplanes, planes, s, down, cardinality=config.cardinality,
                                       base_width=config.base_width, **kwargs))
                inplanes = planes * expansion
            setattr(self, f"layer{i + 1}", Sequential(*stage))
        self.num_features = inplanes
        self.avgpool = AdaptiveAvgPool2d(1)
        self.dropout = Dropout(config.drop_rate) if config.drop_rate > 0 else Identity()
        self.fc = Linear(inplanes, config.num_classes) if config.num_classes > 0 \
            else Identity()
        self.init_weights()

    @classmethod
    def _check_config(cls, config: Any) -> None:
        """Refuse a config of another class (its extra fields would be silently ignored)."""
        if not isinstance(config, cls.config_class):
            name = cls.config_class.__name__
            raise TypeError(f"{cls.__name__} needs {_article(name)} {name}, got "
                            f"{type(config).__name__}")

    def init_weights(self) -> None:
        """Kaiming-normal (fan-out) convs, BN weight 1 / bias 0, optional zero-init last BN."""
        for m in self.modules():
            if isinstance(m, Conv2d):
                init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, BatchNorm2d):
                init.ones_(m.weight)
                init.zeros_(m.bias)
        if self.config.zero_init_last:
            for m in self.modules():
                if hasattr(m, "last_bn"):
                    init.zeros_(m.last_bn().weight)

    def key_map(self) -> KeyMap:
        """The table between torchvision/timm ResNet weight names and this model's."""
        return KeyMap("torchvision-resnet",
                      stem_keys(self.config.stem_type) + TORCHVISION_BLOCK_KEYS + HEAD_KEYS)

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


__all__ = ["RESNET_BLOCKS", "AvgDownPool", "BaseResNetConfig", "BasicBlock", "Bottleneck",
           "ResNet", "ResNetConfig", "bottleneck_width", "conv3x3_bn_relu", "make_downsample",
           "make_stem", "stem_keys"]
