"""lucid's original array preprocessing (resize, crop, normalise, the ImageNet pipeline) and labels.

Arrays are channel-first ``(..., C, H, W)`` (or ``(..., H, W)``) except where a function
says it takes an image as Pillow and imageio return it: ``(H, W, C)`` or ``(H, W)``.
The ImageNet pipeline is the usual one: resize the shorter side to 256, center-crop 224,
scale to [0, 1], normalise with the ImageNet mean and std::

    x = preprocess_imagenet("cat.jpg")            # (1, 3, 224, 224) float32
    classify(model, "cat.jpg", topk=5)            # [(index, label, probability), ...]
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from importlib import resources
from typing import Any

import numpy as np

from ..._creation import tensor
from ..._tensor import Tensor
from ...autograd import no_grad

#: Per-channel RGB mean of ImageNet's training images (on 0..1 pixels), as torchvision uses.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
#: Per-channel RGB standard deviation to go with :data:`IMAGENET_MEAN`.
IMAGENET_STD = (0.229, 0.224, 0.225)


def _resize_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Linear-interpolation weights ``(n_out, n_in)`` with half-pixel centres (antialias off)."""
    scale = n_in / n_out
    centres = (np.arange(n_out) + 0.5) * scale - 0.5
    centres = np.clip(centres, 0, n_in - 1)
    lo = np.floor(centres).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = centres - lo
    m = np.zeros((n_out, n_in))
    m[np.arange(n_out), lo] += 1 - frac
    m[np.arange(n_out), hi] += frac
    return m


def resize(images: Any, size: int | tuple[int, int]) -> np.ndarray:
    """Bilinearly resize ``(..., H, W)`` images to ``size`` (an int or ``(h, w)``)."""
    arr = np.asarray(images)
    if arr.ndim < 2:
        raise ValueError(f"resize expects (..., H, W) images, got shape {arr.shape}")
    h, w = (size, size) if isinstance(size, int) else size
    if h < 1 or w < 1:
        raise ValueError(f"resize size must be positive, got {size!r}")
    rows = _resize_matrix(arr.shape[-2], h)
    cols = _resize_matrix(arr.shape[-1], w)
    out = rows @ arr.astype(np.float64) @ cols.T  # BLAS; an unoptimised einsum is O(n^4)
    return out.astype(arr.dtype if arr.dtype.kind == "f" else np.float32)


# ------------------------------------------------------------------ ImageNet preprocessing
def _triangle_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Bilinear (triangle-filter) weights ``(n_out, n_in)``, widened by the downscale factor.

    Widening the filter when shrinking averages every input pixel it covers (antialiasing,
    as Pillow's BILINEAR filter does); when enlarging it is plain bilinear interpolation.
    Rows are normalised, so pixels outside the image simply do not contribute.
    """
    scale = n_in / n_out
    support = max(scale, 1.0)
    centres = (np.arange(n_out) + 0.5) * scale  # in input coordinates, pixel j spans [j, j+1)
    pixels = np.arange(n_in) + 0.5
    weights = np.maximum(0.0, 1.0 - np.abs(pixels[None, :] - centres[:, None]) / support)
    return weights / weights.sum(axis=1, keepdims=True)


def _check_size(name: str, size: Any) -> tuple[int, int]:
    pair = (size, size) if isinstance(size, int) and not isinstance(size, bool) else size
    if (not isinstance(pair, Sequence) or len(pair) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in pair)):
        raise ValueError(f"{name} must be a positive int or a (height, width) pair of positive "
                         f"ints, got {size!r}")
    return int(pair[0]), int(pair[1])


def resize_shorter(img: Any, size: int, antialias: bool = True) -> np.ndarray:
    """Resize ``(..., H, W)`` images so the shorter side is ``size``, keeping the aspect ratio.

    The longer side becomes ``int(size * long / short)`` (truncated, as torchvision does).
    With ``antialias`` (the default) shrinking averages over the covered pixels; without it,
    this is the plain bilinear interpolation of :func:`resize`.
    """
    arr = np.asarray(img)
    if arr.ndim < 2:
        raise ValueError(f"resize_shorter expects (..., H, W) images, got shape {arr.shape}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"resize_shorter size must be a positive int, got {size!r}")
    h, w = arr.shape[-2:]
    if h <= w:
        new_h, new_w = size, int(size * w / h)
    else:
        new_h, new_w = int(size * h / w), size
    matrix = _triangle_matrix if antialias else _resize_matrix
    rows, cols = matrix(h, new_h), matrix(w, new_w)
    out = rows @ arr.astype(np.float64) @ cols.T  # two BLAS matmuls, broadcast over (...)
    return out.astype(arr.dtype if arr.dtype.kind == "f" else np.float32)


def center_crop(img: Any, size: int | tuple[int, int]) -> np.ndarray:
    """The central ``size`` (an int or ``(h, w)``) window of ``(..., H, W)`` images."""
    arr = np.asarray(img)
    if arr.ndim < 2:
        raise ValueError(f"center_crop expects (..., H, W) images, got shape {arr.shape}")
    ch, cw = _check_size("center_crop size", size)
    h, w = arr.shape[-2:]
    if ch > h or cw > w:
        raise ValueError(f"center_crop size {(ch, cw)} is larger than the image {(h, w)}")
    top, left = int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0))
    return arr[..., top:top + ch, left:left + cw]


def normalize(img: Any, mean: Sequence[float] = IMAGENET_MEAN,
              std: Sequence[float] = IMAGENET_STD) -> np.ndarray:
    """``(img - mean) / std`` per channel of ``(..., C, H, W)`` images (float32 unless float64)."""
    arr = np.asarray(img)
    mean_a = np.asarray(mean, dtype=np.float64)
    std_a = np.asarray(std, dtype=np.float64)
    if arr.ndim < 3 or mean_a.shape != (arr.shape[-3],) or std_a.shape != mean_a.shape:
        raise ValueError(f"normalize expects (..., C, H, W) images and C means and stds; got "
                         f"image shape {arr.shape}, {mean_a.size} means, {std_a.size} stds")
    if not np.all(std_a > 0):
        raise ValueError(f"normalize std must be positive, got {list(std)}")
    out = (arr.astype(np.float64) - mean_a[:, None, None]) / std_a[:, None, None]
    return out.astype(np.float64 if arr.dtype == np.float64 else np.float32)


def to_chw_float(img: Any) -> np.ndarray:
    """An ``(H, W, C)`` or ``(H, W)`` image as a ``(C, H, W)`` float32 array in [0, 1].

    uint8 values are divided by 255 and uint16 by 65535; floating images are taken to be in
    [0, 1] already.
    """
    arr = np.asarray(img)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3:
        raise ValueError(f"to_chw_float expects an (H, W, C) or (H, W) image, got shape "
                         f"{arr.shape}")
    if arr.dtype == np.uint8:
        arr = arr / 255.0
    elif arr.dtype == np.uint16:
        arr = arr / 65535.0
    elif arr.dtype.kind not in "fb":
        raise TypeError(f"to_chw_float expects a uint8, uint16, bool or float image, got dtype "
                        f"{arr.dtype}")
    return np.ascontiguousarray(arr.transpose(2, 0, 1), dtype=np.float32)


def load_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image file as an ``(H, W, 3)`` uint8 RGB array (needs Pillow)."""
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError(f"reading the image file {str(path)!r} needs Pillow (pip install "
                          "pillow); or pass the image as an (H, W, 3) NumPy array") from exc
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def preprocess_imagenet(image_path_or_array: Any, size: int = 224, resize: int = 256,
                        mean: Sequence[float] = IMAGENET_MEAN,
                        std: Sequence[float] = IMAGENET_STD) -> np.ndarray:
    """An image file or ``(H, W, C)`` array as a normalised ``(1, 3, size, size)`` float32 batch.

    Resize the shorter side to ``resize``, center-crop ``size``, scale to [0, 1] and normalise.
    Grayscale images are repeated to three channels; an alpha channel is dropped.
    """
    if isinstance(image_path_or_array, (str, os.PathLike)):
        image = load_image(image_path_or_array)
    else:
        image = np.asarray(image_path_or_array)
    chw = to_chw_float(image)
    if chw.shape[0] == 1:
        chw = np.repeat(chw, 3, axis=0)
    elif chw.shape[0] == 4:
        chw = chw[:3]
    elif chw.shape[0] != 3:
        raise ValueError(f"preprocess_imagenet expects an (H, W) or (H, W, 1/3/4) image, got "
                         f"shape {image.shape}")
    if isinstance(resize, bool) or not isinstance(resize, int) or resize < size:
        raise ValueError(f"preprocess_imagenet resize must be an int >= size ({size}), got "
                         f"{resize!r}")
    out = normalize(center_crop(resize_shorter(chw, resize), size), mean, std)
    return out[None].astype(np.float32)


# ------------------------------------------------------------------ ImageNet labels
@functools.lru_cache(maxsize=1)
def _imagenet_table() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(synset ids, short names) of the 1000 ImageNet-1k classes, in index order."""
    text = resources.files("lucid.data").joinpath("imagenet_classes.tsv").read_text("utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    if len(rows) != 1000 or any(len(r) != 2 for r in rows):
        raise RuntimeError("lucid/data/imagenet_classes.tsv is corrupt: expected 1000 lines of "
                           "'synset<TAB>name'")
    return tuple(r[0] for r in rows), tuple(r[1] for r in rows)


def __getattr__(name: str) -> Any:
    """``IMAGENET_CLASSES`` (short names) and ``IMAGENET_SYNSETS`` load on first use."""
    if name == "IMAGENET_CLASSES":
        return list(_imagenet_table()[1])
    if name == "IMAGENET_SYNSETS":
        return list(_imagenet_table()[0])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def classify(model: Any, image: Any, topk: int = 5, labels: Sequence[str] | None = None,
             size: int = 224, resize: int = 256) -> list[tuple[int, str, float]]:
    """The ``topk`` classes of one image as ``(index, label, probability)``, most likely first.

    ``image`` is a file path, an ``(H, W, C)`` array (both preprocessed with
    :func:`preprocess_imagenet`) or an already preprocessed ``(1, C, H, W)`` array. Labels
    default to the ImageNet names for a 1000-class model and to the index otherwise. The
    model runs in eval mode without recording gradients; its mode is restored afterwards.
    """
    if isinstance(topk, bool) or not isinstance(topk, int) or topk < 1:
        raise ValueError(f"classify topk must be a positive int, got {topk!r}")
    if isinstance(image, (str, os.PathLike)):
        batch = preprocess_imagenet(image, size, resize)
    else:
        arr = np.asarray(image.numpy() if isinstance(image, Tensor) else image)
        if arr.ndim == 4:
            if arr.shape[0] != 1:
                raise ValueError(f"classify takes one image; got a batch of shape {arr.shape}")
            batch = arr.astype(np.float32)
        else:
            batch = preprocess_imagenet(arr, size, resize)
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        with no_grad():
            logits = np.asarray(model(tensor(batch)).numpy(), dtype=np.float64)
    finally:
        model.train(was_training)
    if logits.ndim != 2 or logits.shape[0] != 1:
        raise ValueError(f"classify expects the model to return (1, num_classes) logits, got "
                         f"shape {logits.shape}")
    num_classes = logits.shape[1]
    if labels is None:
        labels = _imagenet_table()[1] if num_classes == 1000 else \
            [str(i) for i in range(num_classes)]
    if len(labels) != num_classes:
        raise ValueError(f"classify got {len(labels)} labels for a model with {num_classes} "
                         "classes")
    z = logits[0] - logits[0].max()
    probs = np.exp(z) / np.exp(z).sum()
    order = np.argsort(-probs, kind="stable")[:topk]
    return [(int(i), str(labels[i]), float(probs[i])) for i in order]
