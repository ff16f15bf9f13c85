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

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from .._creation import ones
from ..nn import (
    BatchNorm2d,
    Conv2d,
    ConvBNReLU2d,
    Dropout,
    DropPath,
    Identity,
    Linear,
    MaxPool2d,
    Module,
    Sequential,
    init,
)
from ..nn import functional as F
from ..ops import add, pad, relu
from .config import (
    check_choice,
    check_float,
    check_int,
    check_int_tuple,
    check_mapping,
)
from .features import OutIndices, feature_take_indices
from .head import GlobalPool2d, check_pool_type
from .keymap import KeyMap, KeyRule

if TYPE_CHECKING:
    from .. import Tensor

BLOCK_TYPES = ("basic", "bottleneck")
STEM_TYPES = (None, "deep", "small")


# ------------------------------------------------------------------------ configs
@dataclass(frozen=True)
class BaseResNetConfig:
    """The fields every ResNet-style config shares, each validated when the config is created.

    ``block`` and ``layers`` may be given by position; every other field is keyword-only, so
    a positional slip such as ``ResNetConfig("basic", (2, 2, 2, 2), 10)`` is a TypeError
    instead of a value silently landing in the wrong field. The meanings below are the ones
    the documentation's configuration tables show (generated from this docstring).

    Attributes:
        block: ``"basic"`` (two 3×3 conv–BN layers, expansion 1) or ``"bottleneck"``
            (1×1, 3×3, 1×1, expansion 4).
        layers: Blocks per stage, four ints.
        num_classes: Classifier outputs; 0 builds no classifier (the model returns pooled
            features).
        in_channels: Channels of the input images.
        stem_type: None: a 7×7 stride-2 conv and a 3×3 max-pool; ``"deep"``: three 3×3
            convs of widths ``stem_width``, ``stem_width``, ``2·stem_width`` and the max-pool;
            ``"small"``: one 3×3 stride-1 conv and no pooling, for small images.
        stem_width: Output channels of the stem's convolutions (see ``stem_type``).
        avg_down: Average-pool a strided shortcut before its 1×1 projection (the "D"
            variant) instead of striding the 1×1 conv.
        channels: The four stages' ``planes`` (a block outputs ``planes·expansion``).
        block_args: Extra keyword arguments for every block; only the keys in
            ``block_arg_keys`` are accepted.
        base_width: Bottleneck width per group: the 3×3 conv has
            ``planes·base_width/64·cardinality`` channels (ResNeXt's "d").
        cardinality: Groups of the bottleneck's 3×3 conv (ResNeXt's "C").
        zero_init_last: Zero each block's last batch-norm weight at initialisation, so every
            residual branch starts as the identity.
        drop_rate: Dropout probability before the classifier.
        drop_path_rate: Stochastic-depth rate of the last block; block i of n gets
            ``rate·i/(n−1)`` (timm's linear rule).
        global_pool: The head's pooling: ``"avg"``, ``"max"``, ``"avgmax"``,
            ``"catavgmax"``, or ``""`` for none (which needs ``num_classes=0``).
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
    drop_path_rate: float = 0.0
    global_pool: str = "avg"

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
        check_float("drop_path_rate", self.drop_path_rate, 0.0, 1.0)
        check_pool_type(self.global_pool)
        if self.global_pool == "" and self.num_classes > 0:
            raise ValueError(f"global_pool='' (no pooling) leaves a feature map, which a "
                             f"classifier cannot take: it needs num_classes=0, got "
                             f"num_classes={self.num_classes}")
        if self.block == "basic" and (self.cardinality != 1 or self.base_width != 64):
            raise ValueError(
                f"block='basic' supports only cardinality=1 and base_width=64, got "
                f"cardinality={self.cardinality}, base_width={self.base_width}; "
                "use block='bottleneck' for grouped (ResNeXt) blocks"
            )
        planes = min(self.channels)
        if self.block == "bottleneck" and \
                bottleneck_width(planes, self.base_width, self.cardinality) < 1:
            raise ValueError(
                f"base_width={self.base_width} is too small for channels="
                f"{list(self.channels)}: a bottleneck of {planes} planes would have "
                f"floor({planes}*{self.base_width}/64)*cardinality = 0 channels; "
                f"expected base_width >= {-(-64 // planes)}"
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
    defaults (they are accepted so every block takes the same arguments). ``drop_path``
    (stochastic depth) acts on the residual branch before the shortcut is added.
    """

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: Module | None = None, *, cardinality: int = 1,
                 base_width: int = 64, spatial_layer: SpatialLayer = conv3x3_bn_relu,
                 drop_path: Module | None = None) -> None:
        super().__init__()
        if cardinality != 1 or base_width != 64:
            raise ValueError(f"BasicBlock supports only cardinality=1 and base_width=64, got "
                             f"cardinality={cardinality}, base_width={base_width}")
        self.conv1 = spatial_layer(inplanes, planes, stride=stride, groups=1)
        self.conv2 = ConvBNReLU2d(planes, planes, 3, act=False)
        self.downsample = downsample
        self.drop_path = drop_path

    def forward(self, x: Tensor) -> Tensor:
        """Residual forward pass."""
        shortcut = x if self.downsample is None else self.downsample(x)
        branch = self.conv2(self.conv1(x))
        if self.drop_path is not None:
            branch = self.drop_path(branch)
        return relu(add(branch, shortcut))

    def last_bn(self) -> BatchNorm2d:
        """The BN whose weight is zeroed by ``zero_init_last``."""
        return self.conv2.bn


class Bottleneck(Module):
    """1×1 reduce, 3×3 (grouped) conv, 1×1 expand, each with BN, plus the shortcut.

    ``spatial_layer`` builds the middle 3×3 layer, grouped by ``cardinality`` (SKNet passes
    a Selective Kernel unit); ``drop_path`` acts on the branch before the add.
    """

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: Module | None = None, *, cardinality: int = 1,
                 base_width: int = 64, spatial_layer: SpatialLayer = conv3x3_bn_relu,
                 drop_path: Module | None = None) -> None:
        super().__init__()
        width = bottleneck_width(planes, base_width, cardinality)
        self.conv1 = ConvBNReLU2d(inplanes, width, 1)
        self.conv2 = spatial_layer(width, width, stride=stride, groups=cardinality)
        self.conv3 = ConvBNReLU2d(width, planes * self.expansion, 1, act=False)
        self.downsample = downsample
        self.drop_path = drop_path

    def forward(self, x: Tensor) -> Tensor:
        """Residual forward pass."""
        shortcut = x if self.downsample is None else self.downsample(x)
        branch = self.conv3(self.conv2(self.conv1(x)))
        if self.drop_path is not None:
            branch = self.drop_path(branch)
        return relu(add(branch, shortcut))

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
    """A ResNet built from a :class:`ResNetConfig`, with timm's model interface.

    The one builder of the family: ``block_types`` maps ``"basic"`` and ``"bottleneck"`` to
    block classes (default :data:`RESNET_BLOCKS`) and ``block_kwargs`` are passed to every
    block besides ``cardinality`` and ``base_width``; :class:`~lucid.models.SKNet` passes its
    Selective Kernel blocks and their arguments here.

    As timm's ResNet it offers ``forward_features``, ``forward_head(pre_logits=)``,
    ``forward_intermediates``, ``prune_intermediate_layers``, ``get_classifier``,
    ``reset_classifier`` and the attributes ``num_classes``, ``num_features``,
    ``head_hidden_size``, ``in_chans``, ``drop_rate`` and ``feature_info`` (the stem's output
    before its pooling, then the four stages).
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
        self.num_classes = config.num_classes
        self.in_chans = config.in_channels
        self.drop_rate = config.drop_rate
        self.stem, inplanes = make_stem(config)
        reduction = 1 if config.stem_type == "small" else 2
        stem_tap = "stem.2" if config.stem_type == "deep" else "stem.0"
        self.feature_info: list[dict[str, Any]] = [
            dict(num_chs=inplanes, reduction=reduction, module=stem_tap)]
        if config.stem_type != "small":
            reduction *= 2  # the stem's max-pool
        expansion = config.expansion
        total_blocks, block_idx = sum(config.layers), 0
        for i, (planes, blocks) in enumerate(zip(config.channels, config.layers)):
            stride = 1 if i == 0 else 2
            reduction *= stride
            stage = []
            for j in range(blocks):
                s = stride if j == 0 else 1
                down = None
                if j == 0 and (s != 1 or inplanes != planes * expansion):
                    down = make_downsample(inplanes, planes * expansion, s, config.avg_down)
                # stochastic depth grows linearly from 0 (first block) to drop_path_rate (last)
                rate = config.drop_path_rate * block_idx / (total_blocks - 1)
                extra = {"drop_path": DropPath(rate)} if rate > 0 else {}
                stage.append(block_cls(inplanes, planes, s, down, cardinality=config.cardinality,
                                       base_width=config.base_width, **kwargs, **extra))
                inplanes = planes * expansion
                block_idx += 1
            setattr(self, f"layer{i + 1}", Sequential(*stage))
            self.feature_info.append(dict(num_chs=inplanes, reduction=reduction,
                                          module=f"layer{i + 1}"))
        self.num_features = inplanes
        self.global_pool, self.fc = self._make_head(config.num_classes, config.global_pool)
        self.head_hidden_size = self.num_features * self.global_pool.feat_mult()
        self.dropout = Dropout(config.drop_rate) if config.drop_rate > 0 else Identity()
        self.init_weights()

    @property
    def avgpool(self) -> Module:
        """The head's global pooling (the name this attribute had before ``global_pool``)."""
        return self.global_pool

    def _make_head(self, num_classes: int, global_pool: str) -> tuple[GlobalPool2d, Module]:
        pool = GlobalPool2d(global_pool)
        fc: Module = Linear(self.num_features * pool.feat_mult(), num_classes) \
            if num_classes > 0 else Identity()
        return pool, fc

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

    # ------------------------------------------------------------------ classifier
    def get_classifier(self, name_only: bool = False) -> Module | str:
        """The classifier layer (``fc``), or its name with ``name_only``."""
        return "fc" if name_only else self.fc

    def reset_classifier(self, num_classes: int, global_pool: str | None = None) -> None:
        """Replace the head: a new ``fc`` for ``num_classes`` (0: none) and, unless None,
        another ``global_pool``; ``config`` is updated to match."""
        pool = self.config.global_pool if global_pool is None else global_pool
        # validated by the config: num_classes an int >= 0, a known pool type, '' needs 0
        self.config = dataclasses.replace(self.config, num_classes=num_classes,
                                          global_pool=pool)
        self.num_classes = num_classes
        self.global_pool, self.fc = self._make_head(num_classes, pool)
        self.head_hidden_size = self.num_features * self.global_pool.feat_mult()
        ref = next(self.stem.parameters(), None)
        if ref is not None:  # the new layers follow the model's backend and dtype
            self.fc.to(ref.backend, ref.dtype)
        self.global_pool.train(self.training)
        self.fc.train(self.training)

    # ------------------------------------------------------------------ forward passes
    def _check_input(self, x: Tensor) -> None:
        if x.ndim != 4 or x.shape[1] != self.config.in_channels:
            raise ValueError(f"{type(self).__name__} expects input of shape (N, "
                             f"{self.config.in_channels}, H, W), got {x.shape}")

    def _stem_split(self) -> int:
        """How many stem layers come before its pooling (the first feature tap)."""
        return 3 if self.config.stem_type == "deep" else 1

    def forward_features(self, x: Tensor) -> Tensor:
        """Stem and the four stages: ``(N, num_features, H/32, W/32)``."""
        self._check_input(x)
        x = self.stem(x)
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        return self.layer4(x)

    def forward_head(self, x: Tensor, pre_logits: bool = False) -> Tensor:
        """Global pooling, dropout, then the classifier (skipped with ``pre_logits``)."""
        x = self.dropout(self.global_pool(x))
        return x if pre_logits else self.fc(x)

    def forward(self, x: Tensor) -> Tensor:
        """Class logits ``(N, num_classes)`` for images ``(N, in_channels, H, W)``."""
        return self.forward_head(self.forward_features(x))

    def forward_intermediates(self, x: Tensor, indices: OutIndices | None = None,
                              norm: bool = False, stop_early: bool = False,
                              output_fmt: str = "NCHW", intermediates_only: bool = False
                              ) -> list[Tensor] | tuple[Tensor, list[Tensor]]:
        """The feature maps at ``indices`` of :attr:`feature_info` (None: all five; an int n:
        the last n), in network order; with the final features unless ``intermediates_only``.

        ``stop_early`` skips the stages after the last requested tap; ``norm`` is accepted
        for timm's signature (a ResNet has no final norm); ``output_fmt`` must be ``"NCHW"``.
        """
        if output_fmt != "NCHW":
            raise ValueError(f"output_fmt={output_fmt!r} is not supported; {type(self).__name__}"
                             " returns 'NCHW' feature maps")
        take, max_index = feature_take_indices(len(self.feature_info), indices)
        self._check_input(x)
        out: list[Tensor] = []
        split = self._stem_split()
        stem = list(self.stem)
        for layer in stem[:split]:
            x = layer(x)
        if 0 in take:
            out.append(x)
        for layer in stem[split:]:
            x = layer(x)
        stages = [self.layer1, self.layer2, self.layer3, self.layer4]
        if stop_early:
            stages = stages[:max_index]
        for i, stage in enumerate(stages, start=1):
            x = stage(x)
            if i in take:
                out.append(x)
        return out if intermediates_only else (x, out)

    def prune_intermediate_layers(self, indices: OutIndices = 1, prune_norm: bool = False,
                                  prune_head: bool = True) -> list[int]:
        """Drop the stages after the last tap in ``indices`` (and the head); return the taps.

        As timm: pruned stages become empty ``Sequential``s, the stem's pooling goes when only
        tap 0 is kept, and ``num_features`` becomes the last kept tap's channels.
        """
        take, max_index = feature_take_indices(len(self.feature_info), indices)
        for i in range(max_index + 1, 5):
            setattr(self, f"layer{i}", Sequential())
        if max_index == 0:
            split = self._stem_split()
            for i in range(split, len(self.stem)):
                self.stem[i] = Identity()
        prune_end = max_index < 4
        if prune_end:
            self.num_features = self.feature_info[max_index]["num_chs"]
        if prune_head or prune_end:
            self.reset_classifier(0, "")
        return take


__all__ = ["RESNET_BLOCKS", "AvgDownPool", "BaseResNetConfig", "BasicBlock", "Bottleneck",
           "ResNet", "ResNetConfig", "bottleneck_width", "conv3x3_bn_relu", "make_downsample",
           "make_stem", "stem_keys"]
