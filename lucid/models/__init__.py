"""Models and the model registry.

``lucid.models.get("sk_resnext_50_32x4d")`` builds a registered preset (timm's interface:
``pretrained=True``, any config field as an override, ``features_only=True``);
``lucid.models.list_models("sk_*")`` lists them. Importing this package registers the
built-in presets; third-party models come in through the ``lucid.models`` entry points and
build their presets with :func:`build_from_preset`, as lucid's own do. Each model family
provides the table that maps published weights onto it through ``model.key_map()``.
"""

from ..profiling import summary as summarize  # the original project's name for lucid.summary
from . import presets as _presets  # noqa: F401  (registers the built-in presets)
from .features import FeatureInfo, FeatureListNet, feature_take_indices
from .head import GlobalPool2d
from .keymap import PLACEHOLDERS, KeyMap, KeyRule
from .presets import PRESET_OVERRIDABLE, build_from_preset
from .pretrained import PRETRAINED_CFGS
from .registry import (
    DuplicateModelError,
    ModelEntry,
    UnknownModelError,
    create_model,
    get,
    is_model,
    list_families,
    list_models,
    model_entry,
    plugin_failures,
    refresh_plugins,
    register_model,
    unregister_model,
)
from .resnet import BaseResNetConfig, BasicBlock, Bottleneck, ResNet, ResNetConfig
from .sknet import SKBasicBlock, SKBottleneck, SKNet, SKNetConfig

__all__ = [
    "PLACEHOLDERS", "KeyMap", "KeyRule",
    "PRESET_OVERRIDABLE", "BaseResNetConfig", "BasicBlock", "Bottleneck", "DuplicateModelError",
    "ModelEntry", "ResNet", "ResNetConfig", "SKBasicBlock", "SKBottleneck", "SKNet",
    "SKNetConfig", "UnknownModelError", "build_from_preset", "create_model", "get", "is_model",
    "list_families", "list_models", "model_entry", "plugin_failures", "refresh_plugins",
    "register_model", "summarize", "unregister_model",
    "FeatureInfo", "FeatureListNet", "GlobalPool2d", "PRETRAINED_CFGS", "feature_take_indices",
]


