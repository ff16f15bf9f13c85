"""Models and the model registry.

``lucid.models.get("sk_resnext_50_32x4d")`` builds a registered preset;
``lucid.models.list_models("sk_*")`` lists them. Importing this package registers the
built-in presets; third-party models come in through the ``lucid.models`` entry points and
build their presets with :func:`build_from_preset`, as lucid's own do. Each model family
provides the table that maps published weights onto it through ``model.key_map()``.
"""

import importlib
from typing import Any

from . import presets as _presets  # noqa: F401  (registers the built-in presets)
from .keymap import PLACEHOLDERS, KeyMap, KeyRule
from .presets import PRESET_OVERRIDABLE, build_from_preset
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
    "register_model", "unregister_model",
]


def __getattr__(name: str) -> Any:
    # ``lucid.models.summarize``: the original project's name for ``lucid.summary``. The
    # summary is a tool one layer above the models (docs/architecture.md), so it is looked up
    # on first use instead of imported here.
    if name == "summarize":
        return importlib.import_module("lucid.profiling").summary
    raise AttributeError(f"module 'lucid.models' has no attribute {name!r}")

