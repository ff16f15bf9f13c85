"""ImageNet preprocessing (resize the shorter side, center-crop, normalise) against
hand-computed values, the bundled ImageNet labels, and ``classify``."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid.data import transforms as T

MEAN = np.array([0.485, 0.456, 0.406])
STD = np.array([0.229, 0.224, 0.225])


def test_resize_shorter_antialiased_downscale_by_hand():
    img = np.arange(24, dtype=np.float64).reshape(1, 4, 6) ** 1.5  # not linear: weights matter
    # shrinking by 2: a triangle filter twice as wide, weights 1 - |distance| / 2 at pixel
    # centres, renormalised where the window leaves the image
    rows = np.array([[0.75, 0.75, 0.25, 0.00],
                     [0.00, 0.25, 0.75, 0.75]]) / 1.75
    cols = np.array([[0.75, 0.75, 0.25, 0.00, 0.00, 0.00],
                     [0.00, 0.25, 0.75, 0.75, 0.25, 0.00],
                     [0.00, 0.00, 0.00, 0.25, 0.75, 0.75]])
    cols = cols / cols.sum(axis=1, keepdims=True)
    expected = rows @ img[0] @ cols.T
    got = T.resize_shorter(img, 2)
    assert got.shape == (1, 2, 3) and got.dtype == np.float64
    np.testing.assert_allclose(got[0], expected, rtol=1e-12)


def test_resize_shorter_upscale_is_bilinear_by_hand():
    img = np.array([[[10.0, 20.0], [30.0, 50.0]]])
    # 2 -> 4: sample points at -0.25, 0.25, 0.75, 1.25 (clamped at the borders)
    w = np.array([[1, 0], [0.75, 0.25], [0.25, 0.75], [0, 1]])
    expected = w @ img[0] @ w.T
    for antialias in (True, False):
        np.testing.assert_allclose(T.resize_shorter(img, 4, antialias=antialias)[0], expected,
                                   rtol=1e-6)


def test_resize_shorter_output_sizes_and_dtypes():
    assert T.resize_shorter(np.zeros((3, 300, 200)), 100).shape == (3, 150, 100)
    assert T.resize_shorter(np.zeros((3, 200, 301)), 256).shape == (3, 256, 385)  # int(385.28)
    assert T.resize_shorter(np.zeros((5, 5)), 7).shape == (7, 7)
    assert T.resize_shorter(np.zeros((4, 4), np.uint8), 2).dtype == np.float32
    assert T.resize_shorter(np.zeros((4, 4), np.float32), 2).dtype == np.float32
    constant = np.full((3, 37, 53), 0.3)
    np.testing.assert_allclose(T.resize_shorter(constant, 11), 0.3)
    with pytest.raises(ValueError, match="size must be a positive int, got 0"):
        T.resize_shorter(constant, 0)
    with pytest.raises(ValueError, match=r"expects \(..., H, W\) images"):
        T.resize_shorter(np.zeros(5), 2)


def test_center_crop_by_hand():
    img = np.arange(6 * 7).reshape(1, 6, 7)
    # (6 - 3) / 2 = 1.5 rounds to 2 (round half to even), (7 - 3) / 2 = 2
    np.testing.assert_array_equal(T.center_crop(img, 3), img[:, 2:5, 2:5])
    np.testing.assert_array_equal(T.center_crop(img, (4, 5)), img[:, 1:5, 1:6])
    np.testing.assert_array_equal(T.center_crop(img, (6, 7)), img)
    with pytest.raises(ValueError, match=r"larger than the image \(6, 7\)"):
        T.center_crop(img, 8)
    with pytest.raises(ValueError, match="positive int or a"):
        T.center_crop(img, (0, 2))


def test_normalize_by_hand():
    img = np.stack([np.full((2, 2), v) for v in (0.5, 0.0, 1.0)])
    expected = [(0.5 - 0.485) / 0.229, (0.0 - 0.456) / 0.224, (1.0 - 0.406) / 0.225]
    got = T.normalize(img)
    assert got.dtype == np.float64
    for c in range(3):
        np.testing.assert_allclose(got[c], expected[c], rtol=1e-12)
    assert T.normalize(img.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(T.normalize(img, (0, 0, 0), (2, 2, 2))[2], 0.5)
    with pytest.raises(ValueError, match="3 means"):
        T.normalize(np.zeros((4, 2, 2)))
    with pytest.raises(ValueError, match="std must be positive"):
        T.normalize(img, (0, 0, 0), (1, 0, 1))


def test_to_chw_float_by_hand():
    hwc = np.array([[[0, 255, 51]], [[102, 0, 255]]], dtype=np.uint8)  # (2, 1, 3)
    got = T.to_chw_float(hwc)
    assert got.shape == (3, 2, 1) and got.dtype == np.float32
    np.testing.assert_allclose(got[:, :, 0], [[0.0, 0.4], [1.0, 0.0], [0.2, 1.0]], rtol=1e-6)
    assert T.to_chw_float(np.zeros((4, 5), np.uint16)).shape == (1, 4, 5)
    np.testing.assert_allclose(T.to_chw_float(np.full((1, 1, 1), 65535, np.uint16)), 1.0)
    with pytest.raises(TypeError, match="got dtype int32"):
        T.to_chw_float(np.zeros((2, 2, 3), np.int32))
    with pytest.raises(ValueError, match=r"got shape \(2,\)"):
        T.to_chw_float(np.zeros(2))


def test_preprocess_imagenet_of_a_linear_ramp():
    # A horizontal ramp v(x) = x / 767 in pixel index x. Shrinking 512x768 by 2 averages
    # symmetrically around input position 2j + 0.5, which for a linear ramp is exact away
    # from the borders; the 224 crop of the 256x384 image starts at row 16, column 80.
    ramp = np.broadcast_to(np.arange(768) / 767.0, (512, 768))
    img = np.repeat(ramp[:, :, None], 3, axis=2).astype(np.float32)
    got = T.preprocess_imagenet(img)
    assert got.shape == (1, 3, 224, 224) and got.dtype == np.float32
    cols = (2 * (np.arange(224) + 80) + 0.5) / 767.0
    for c in range(3):
        expected = np.broadcast_to((cols - MEAN[c]) / STD[c], (224, 224))
        np.testing.assert_allclose(got[0, c], expected, atol=2e-6)


def test_preprocess_imagenet_channels():
    gray = np.full((256, 300), 128, np.uint8)
    got = T.preprocess_imagenet(gray)
    np.testing.assert_allclose(got[0, :, 0, 0], (128 / 255 - MEAN) / STD, rtol=1e-5)
    rgba = np.zeros((240, 260, 4), np.uint8)
    rgba[..., 3] = 255
    np.testing.assert_allclose(T.preprocess_imagenet(rgba)[0, :, 5, 5], -MEAN / STD, rtol=1e-5)
    with pytest.raises(ValueError, match="resize must be an int >= size"):
        T.preprocess_imagenet(gray, size=224, resize=200)
    with pytest.raises(ValueError, match="1/3/4"):
        T.preprocess_imagenet(np.zeros((300, 300, 2), np.uint8))


def test_preprocess_imagenet_reads_files_with_pillow(tmp_path):
    image = pytest.importorskip("PIL.Image")
    arr = np.zeros((300, 260, 3), np.uint8)
    arr[..., 0] = 255
    image.fromarray(arr).save(tmp_path / "red.png")
    got = T.preprocess_imagenet(tmp_path / "red.png")
    np.testing.assert_allclose(got[0, :, 100, 100], (np.array([1, 0, 0]) - MEAN) / STD,
                               rtol=1e-5)


def test_preprocess_imagenet_file_without_pillow(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"needs Pillow \(pip install pillow\)"):
        T.preprocess_imagenet(tmp_path / "cat.jpg")


def test_imagenet_labels_are_bundled():
    classes, synsets = T.IMAGENET_CLASSES, T.IMAGENET_SYNSETS
    assert len(classes) == len(synsets) == 1000
    # facts of the standard ImageNet-1k index order
    assert (classes[0], synsets[0]) == ("tench", "n01440764")
    assert classes[1] == "goldfish" and classes[207] == "golden retriever"
    assert classes[281] == "tabby" and classes[999] == "toilet tissue"
    assert synsets == sorted(synsets)  # the index order is the sorted synset order
    from lucid.data.transforms import IMAGENET_CLASSES

    assert IMAGENET_CLASSES == classes


class FixedLogits(nn.Module):
    """Returns the same logits for any input; records the mode it was called in."""

    def __init__(self, logits: np.ndarray) -> None:
        super().__init__()
        self.logits = logits
        self.seen: list[tuple[tuple[int, ...], bool, bool]] = []

    def forward(self, x):
        self.seen.append((x.shape, self.training, lucid.is_grad_enabled()))
        return lucid.tensor(self.logits[None])


def test_classify_returns_top_classes_with_probabilities():
    logits = np.zeros(1000)
    logits[[207, 281, 1]] = [5.0, 4.0, 3.0]
    model = FixedLogits(logits)
    model.train()
    image = np.full((250, 300, 3), 200, np.uint8)
    top = T.classify(model, image, topk=3)
    z = np.exp(logits - logits.max())
    probs = z / z.sum()
    assert [(i, label) for i, label, _ in top] == [(207, "golden retriever"), (281, "tabby"),
                                                   (1, "goldfish")]
    np.testing.assert_allclose([p for _, _, p in top], probs[[207, 281, 1]], rtol=1e-12)
    assert model.seen == [((1, 3, 224, 224), False, False)]  # eval mode, no graph
    assert model.training  # restored


def test_classify_other_label_sets_and_errors():
    model = FixedLogits(np.array([0.0, 2.0, 1.0]))
    batch = np.zeros((1, 3, 32, 32), np.float32)  # already preprocessed: used as is
    assert [i for i, _, _ in T.classify(model, batch, topk=2)] == [1, 2]
    assert T.classify(model, batch, topk=1)[0][1] == "1"
    assert T.classify(model, batch, topk=1, labels=["a", "b", "c"])[0][1] == "b"
    assert model.seen[0][0] == (1, 3, 32, 32)
    with pytest.raises(ValueError, match="2 labels for a model with 3 classes"):
        T.classify(model, batch, labels=["a", "b"])
    with pytest.raises(ValueError, match="topk must be a positive int, got 0"):
        T.classify(model, batch, topk=0)
    with pytest.raises(ValueError, match="one image"):
        T.classify(model, np.zeros((2, 3, 8, 8)))
