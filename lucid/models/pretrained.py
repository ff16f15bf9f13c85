"""Published weights of the presets: timm's ``pretrained_cfg`` for each, readable without a model.

Each preset maps its weight *tags* to the configuration timm publishes for them (where the
weights live, how the images they were trained on are preprocessed, the classifier's
width, the names of the first convolution and the classifier in the published checkpoint).
The first tag is the default, the one ``lucid.models.get(name, pretrained=True)`` loads;
``get("resnet_50.tv_in1k", pretrained=True)`` picks another.

Defaults are timm's: ``timm.create_model("resnet50", pretrained=True)`` and
``lucid.models.get("resnet_50", pretrained=True)`` load the same file (timm's ResNet
strikes back ``a1_in1k``/``a1h_in1k`` weights: 80.4 % top-1 for ResNet-50 against 76.1 %
for torchvision's original). The torchvision weights are the ``tv_in1k`` (and, for 50/101/152,
``tv2_in1k``) tags, with torchvision's preprocessing (bilinear, crop 0.875).

A cfg describes the *weights*, so building a model with ``num_classes=10`` or
``in_chans=1`` leaves it as published (as in timm): the loader compares it with the
model's ``config`` to drop the classifier or adapt the first convolution.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

IMAGENET_DEFAULT_MEAN = (0.485, 0.456, 0.406)
IMAGENET_DEFAULT_STD = (0.229, 0.224, 0.225)

_RSB_ORIGIN = "https://github.com/huggingface/pytorch-image-models"
_RSB_URL = "https://github.com/{owner}/pytorch-image-models/releases/download/v0.1-rsb-weights/"
_TV_URL = "https://download.pytorch.org/models/"


def _cfg(architecture: str, tag: str, **values: Any) -> dict[str, Any]:
    """timm's ResNet/SKNet cfg template (224 px ImageNet-1k, bicubic, crop 0.875) with changes."""
    cfg: dict[str, Any] = {
        "url": "", "architecture": architecture, "tag": tag, "custom_load": False,
        "input_size": (3, 224, 224), "fixed_input_size": False, "interpolation": "bicubic",
        "crop_pct": 0.875, "crop_mode": "center", "mean": IMAGENET_DEFAULT_MEAN,
        "std": IMAGENET_DEFAULT_STD, "num_classes": 1000, "pool_size": (7, 7),
        "first_conv": "conv1", "classifier": "fc", "license": "apache-2.0",
    }
    cfg.update(values)
    return cfg


def _timm_ra(architecture: str) -> dict[str, Any]:
    """timm's own SKNet weights (RandAugment recipe), hosted on the Hugging Face Hub only."""
    return _cfg(architecture, "ra_in1k", hf_hub_id=f"timm/{architecture}.ra_in1k")


def _rsb(architecture: str, tag: str, file: str, owner: str) -> dict[str, Any]:
    """"ResNet strikes back" weights (arXiv:2110.00476): 288 px test size, crop 0.95 / 1.0."""
    return _cfg(architecture, tag, url=_RSB_URL.format(owner=owner) + file,
                hf_hub_id=f"timm/{architecture}.{tag}", input_size=(3, 224, 224),
                test_input_size=(3, 288, 288), crop_pct=0.95, test_crop_pct=1.0,
                origin_url=_RSB_ORIGIN, paper_ids="arXiv:2110.00476")


def _tv(architecture: str, file: str) -> dict[str, Any]:
    """torchvision's original ImageNet weights (bilinear, crop 0.875, BSD licence)."""
    return _cfg(architecture, "tv_in1k", url=_TV_URL + file,
                hf_hub_id=f"timm/{architecture}.tv_in1k", interpolation="bilinear",
                license="bsd-3-clause", origin_url="https://github.com/pytorch/vision")


def _tv2(architecture: str, file: str) -> dict[str, Any]:
    """torchvision's second-generation weights (trained at 176 px, tested at 224 px)."""
    return _cfg(architecture, "tv2_in1k", url=_TV_URL + file,
                hf_hub_id=f"timm/{architecture}.tv2_in1k", input_size=(3, 176, 176),
                test_input_size=(3, 224, 224), interpolation="bilinear", test_crop_pct=0.965,
                pool_size=(6, 6), license="bsd-3-clause",
                origin_url="https://github.com/pytorch/vision")


#: preset name -> {tag: cfg}, the default tag first (plain data: no model is built to read it)
PRETRAINED_CFGS: dict[str, dict[str, dict[str, Any]]] = {
    "resnet_18": {
        "a1_in1k": _rsb("resnet18", "a1_in1k", "resnet18_a1_0-d63eafa0.pth", "huggingface"),
        "tv_in1k": _tv("resnet18", "resnet18-f37072fd.pth"),
    },
    "resnet_34": {
        "a1_in1k": _rsb("resnet34", "a1_in1k", "resnet34_a1_0-46f8f793.pth", "huggingface"),
        "tv_in1k": _tv("resnet34", "resnet34-b627a593.pth"),
    },
    "resnet_50": {
        "a1_in1k": _rsb("resnet50", "a1_in1k", "resnet50_a1_0-14fe96d1.pth", "rwightman"),
        "tv_in1k": _tv("resnet50", "resnet50-0676ba61.pth"),
        "tv2_in1k": _tv2("resnet50", "resnet50-11ad3fa6.pth"),
    },
    "resnet_101": {
        "a1h_in1k": _rsb("resnet101", "a1h_in1k", "resnet101_a1h-36d3f2aa.pth", "rwightman"),
        "tv_in1k": _tv("resnet101", "resnet101-63fe2227.pth"),
        "tv2_in1k": _tv2("resnet101", "resnet101-cd907fc2.pth"),
    },
    "resnet_152": {
        "a1h_in1k": _rsb("resnet152", "a1h_in1k", "resnet152_a1h-dc400468.pth", "rwightman"),
        "tv_in1k": _tv("resnet152", "resnet152-394f9c45.pth"),
        "tv2_in1k": _tv2("resnet152", "resnet152-f82ba261.pth"),
    },
    "sk_resnet_18": {"ra_in1k": _timm_ra("skresnet18")},
    "sk_resnet_34": {"ra_in1k": _timm_ra("skresnet34")},
    # timm publishes no SK-ResNet-50 weights: its cfg exists, without a weight location
    "sk_resnet_50": {"untrained": _cfg("skresnet50", "untrained")},
    "sk_resnext_50_32x4d": {"ra_in1k": _timm_ra("skresnext50_32x4d")},
    # lucid's own compact SKNet for 32x32 images (CIFAR-sized): no timm counterpart, no weights
    "sk_resnet_mini": {"untrained": _cfg("sk_resnet_mini", "untrained", input_size=(3, 32, 32),
                                         pool_size=(4, 4), crop_pct=1.0)},
}


#: the overrides that keep published weights loadable (the loader drops the classifier for
#: another ``num_classes`` and adapts the first conv to ``in_chans``); the other config
#: fields change the architecture, so ``pretrained=True`` refuses them
WEIGHT_COMPATIBLE_FIELDS = ("num_classes", "in_chans", "in_channels", "drop_rate",
                            "drop_path_rate", "global_pool", "zero_init_last")


def set_pretrained_cfg(model: Any, cfg: Mapping[str, Any]) -> None:
    """Give ``model`` its ``pretrained_cfg`` (a copy of ``cfg``) and the alias ``default_cfg``."""
    copied = dict(cfg)
    for attr in ("pretrained_cfg", "default_cfg"):
        object.__setattr__(model, attr, copied)


def has_weights(cfg: Mapping[str, Any]) -> bool:
    """True when ``cfg`` says where published weights can be downloaded."""
    return bool(cfg.get("hf_hub_id") or cfg.get("url"))


def untrained_cfg(architecture: str, num_classes: int, in_channels: int) -> dict[str, Any]:
    """The cfg of a model without published weights (a plugin preset, a custom config)."""
    return _cfg(architecture, "untrained", num_classes=num_classes,
                input_size=(in_channels, 224, 224))


__all__ = ["IMAGENET_DEFAULT_MEAN", "IMAGENET_DEFAULT_STD", "PRETRAINED_CFGS",
           "WEIGHT_COMPATIBLE_FIELDS", "has_weights", "set_pretrained_cfg", "untrained_cfg"]
