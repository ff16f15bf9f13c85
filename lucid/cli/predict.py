"""``lucid predict``: the top ImageNet classes of image files, from a pretrained model."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def add_parser(sub: Any) -> None:
    """Register the ``predict`` command on the subparsers ``sub``."""
    p = sub.add_parser("predict", help="classify image files with a pretrained model",
                       description="Print the top classes of each IMAGE with their "
                       "probabilities. Images are preprocessed as timm evaluates the weights "
                       "(the model's pretrained_cfg: input size, interpolation, crop, mean "
                       "and std).")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files (needs Pillow)")
    p.add_argument("--model", required=True, help="registered model name, e.g. sk_resnet_18")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--pretrained", action="store_true",
                        help="the model's published weights from the Hugging Face Hub")
    source.add_argument("--weights", metavar="FILE",
                        help="a lucid checkpoint or timm/PyTorch weights file")
    p.add_argument("--topk", type=int, default=5, help="classes shown per image (default 5)")
    p.add_argument("--backend", default=None, help="array backend (default: lucid's default)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit status (1 with a one-line message for any user error)."""
    try:
        return _predict(args)
    except (OSError, ValueError, LookupError, RuntimeError, ImportError, TypeError) as exc:
        # missing or unreadable files, unknown models or backends, models without weights,
        # offline with nothing cached, missing optional packages
        print(f"lucid predict: error: {exc}", file=sys.stderr)
        return 1


def _predict(args: argparse.Namespace) -> int:
    import numpy as np

    import lucid

    if isinstance(args.topk, bool) or args.topk < 1:
        raise ValueError(f"--topk must be a positive int, got {args.topk}")
    _check_images(args.images)  # before the weights are fetched
    backend = lucid.backends.get_backend(args.backend)
    model = _build_model(args).to(backend.name).eval()
    preprocess = _preprocessing(model, args.model)
    labels = _labels(model)
    for path in args.images:
        batch = preprocess(path)
        with lucid.no_grad():
            logits = np.asarray(model(lucid.tensor(batch, backend=backend)).numpy(),
                                dtype=np.float64)[0]
        z = np.exp(logits - logits.max())
        probs = z / z.sum()
        print(f"{path}:")
        for i in np.argsort(-probs, kind="stable")[:args.topk]:
            print(f"  {probs[i] * 100:6.2f} %  {labels[i]} ({i})")
    return 0


def _check_images(paths: list[str]) -> None:
    """Every path is a file Pillow recognises as an image (checked without decoding it)."""
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError('reading image files needs Pillow: pip install "lucid[vision]"'
                          ) from exc
    for path in paths:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"image file {path!r} does not exist or is not a file")
        try:
            with Image.open(path) as image:
                image.verify()
        except Exception as exc:  # Pillow raises several kinds for a file it cannot read
            raise ValueError(f"{path!r} is not an image file Pillow can read "
                             f"({type(exc).__name__}: {exc})") from exc


def _build_model(args: argparse.Namespace) -> Any:
    """The model with its weights: published (``--pretrained``) or from ``--weights``."""
    from lucid import models

    if args.pretrained:
        return models.get(args.model, pretrained=True)
    from lucid.io import load_weights, read_weights_file

    source = read_weights_file(args.weights)
    meta = source.metadata if source.is_lucid else {}
    fc = source.arrays.get("fc.weight")  # the classifier's name in lucid's and timm's naming
    num_classes = meta.get("num_classes") or (int(fc.shape[0]) if fc is not None and
                                               fc.ndim == 2 else 1000)
    model = models.get(args.model, num_classes=int(num_classes),
                       in_channels=int(meta.get("in_channels", 3)))
    load_weights(model, args.weights, model_name=args.model)
    return model


def _preprocessing(model: Any, name: str) -> Any:
    """``path -> (1, 3, H, W)`` host array, as timm evaluates the weights.

    The model's ``pretrained_cfg`` (input size, interpolation, crop, mean, std) resolved by
    :func:`lucid.data.transforms.resolve_data_config`, built by ``create_transform``.
    """
    from PIL import Image

    from lucid.data.transforms import create_transform, resolve_data_config

    channels = getattr(getattr(model, "config", None), "in_channels", 3)
    if channels != 3:
        raise ValueError(f"{name} takes {channels}-channel input; predict feeds RGB images, "
                         "so it needs a model with in_channels=3")
    transform = create_transform(**resolve_data_config(model=model))

    def preprocess(path: str) -> Any:
        try:
            with Image.open(path) as image:
                rgb = image.convert("RGB")
        except OSError as exc:  # a truncated file that passed the header check
            raise ValueError(f"{path!r} is not an image file Pillow can read ({exc})") from exc
        return transform(rgb).numpy()[None]

    return preprocess


def _labels(model: Any) -> list[str]:
    """ImageNet's class names for a 1000-class model, else the class indices."""
    from lucid.data.transforms import IMAGENET_CLASSES

    config = getattr(model, "config", None)
    num_classes = int(getattr(config, "num_classes", 1000))
    return list(IMAGENET_CLASSES) if num_classes == 1000 else \
        [str(i) for i in range(num_classes)]
