"""lucid.data.transforms: torchvision's classes and functions on arrays, Pillow images and
tensors, checked against hand-computed values, naive loops and Pillow itself; timm's
resolve_data_config / create_transform against timm's documented defaults."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

import lucid
from lucid.data import transforms as T
from lucid.data.transforms import functional as F
from lucid.data.transforms import resample

Image = pytest.importorskip("PIL.Image")


def naive_pil_weights(n_in: int, n_out: int, mode: str) -> np.ndarray:
    """Pillow's precompute_coeffs written as plain loops (Resample.c), dense."""
    def filt(x: float) -> float:
        x = abs(x)
        if mode == "bilinear":
            return 1.0 - x if x < 1.0 else 0.0
        a = -0.5
        if x < 1.0:
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1
        if x < 2.0:
            return (((x - 5) * x + 8) * x - 4) * a
        return 0.0

    support0 = 1.0 if mode == "bilinear" else 2.0
    scale = n_in / n_out
    fscale = max(scale, 1.0)
    support = support0 * fscale
    out = np.zeros((n_out, n_in))
    for j in range(n_out):
        centre = (j + 0.5) * scale
        lo = max(int(centre - support + 0.5), 0)
        hi = min(int(centre + support + 0.5), n_in)
        ws = [filt((x - centre + 0.5) / fscale) for x in range(lo, hi)]
        total = sum(ws)
        for x, w in zip(range(lo, hi), ws):
            out[j, x] = w / total
    return out


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("n_in, n_out", [(4, 2), (7, 3), (5, 5), (2, 4), (3, 11), (20, 7)])
def test_resample_weights_match_pillows_loops(mode, n_in, n_out):
    np.testing.assert_allclose(resample.weights(n_in, n_out, mode),
                               naive_pil_weights(n_in, n_out, mode), rtol=1e-12, atol=1e-15)


def test_bilinear_downscale_weights_by_hand():
    # shrinking 4 -> 2: a triangle twice as wide, 1 - |d| / 2 at the pixel centres
    expected = np.array([[0.75, 0.75, 0.25, 0.0], [0.0, 0.25, 0.75, 0.75]]) / 1.75
    np.testing.assert_allclose(resample.weights(4, 2, "bilinear"), expected, rtol=1e-12)
    # bicubic 2 -> 4 at output 0: distances 0.25 and 1.25 from the sample point
    k0 = ((1.5 * 0.25) - 2.5) * 0.25 ** 2 + 1
    k1 = (((1.25 - 5) * 1.25 + 8) * 1.25 - 4) * -0.5
    np.testing.assert_allclose(resample.weights(2, 4, "bicubic")[0],
                               [k0 / (k0 + k1), k1 / (k0 + k1)], rtol=1e-12)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "nearest"])
def test_numpy_resampling_is_within_one_level_of_pillow(mode):
    rng = np.random.default_rng(0)
    for h, w, oh, ow in [(37, 53, 24, 30), (20, 16, 45, 33), (9, 40, 18, 10), (32, 32, 32, 20)]:
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        ref = np.asarray(Image.fromarray(img).resize((ow, oh), getattr(Image, mode.upper())))
        got = resample.resample(img, oh, ow, mode)
        assert got.shape == ref.shape and got.dtype == np.uint8
        assert np.abs(got.astype(int) - ref.astype(int)).max() <= (0 if mode == "nearest" else 1)


def test_float_resampling_matches_pillows_float_mode():
    img = np.random.default_rng(1).random((23, 31)).astype(np.float32)
    for mode, pil in (("bilinear", Image.BILINEAR), ("bicubic", Image.BICUBIC)):
        ref = np.asarray(Image.fromarray(img, mode="F").resize((12, 40), pil))
        got = resample.resample(img[:, :, None], 40, 12, mode)[:, :, 0]
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-6)


def test_resize_output_sizes_follow_torchvision():
    assert F.resized_output_size(300, 200, 100) == (150, 100)
    assert F.resized_output_size(200, 301, 256) == (256, 385)  # int(385.28), truncated
    assert F.resized_output_size(200, 301, [256]) == (256, 385)
    assert F.resized_output_size(200, 301, (10, 20)) == (10, 20)
    assert F.resized_output_size(100, 400, 50, max_size=120) == (30, 120)
    with pytest.raises(ValueError, match="must be strictly greater"):
        F.resized_output_size(100, 400, 50, max_size=50)
    with pytest.raises(ValueError, match="size must be a positive int, got 0"):
        T.Resize(0)
    with pytest.raises(ValueError, match="interpolation must be one of"):
        T.Resize(10, interpolation="lanczos")


def test_resize_keeps_the_kind_it_was_given():
    arr = np.random.default_rng(0).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    pil = Image.fromarray(arr)
    out_arr = T.Resize(15)(arr)
    out_pil = T.Resize(15)(pil)
    assert out_arr.shape == (15, 20, 3) and out_pil.size == (20, 15)
    np.testing.assert_array_equal(out_arr, np.asarray(out_pil))  # same pixels both ways
    gray = T.Resize((7, 9), "bicubic")(arr[:, :, 0])
    assert gray.shape == (7, 9)
    t = lucid.tensor(np.random.default_rng(1).random((3, 30, 40)).astype(np.float32))
    out_t = T.Resize(15)(t)
    assert isinstance(out_t, lucid.Tensor) and out_t.shape == (3, 15, 20)
    ref = resample.resample(t.numpy().transpose(1, 2, 0), 15, 20, "bilinear")
    np.testing.assert_allclose(out_t.numpy(), ref.transpose(2, 0, 1), rtol=1e-6)
    assert T.Resize(30)(arr) is arr  # nothing to do


def test_pillow_free_resize_of_uint8_arrays(monkeypatch):
    arr = np.random.default_rng(2).integers(0, 256, (21, 17, 3), dtype=np.uint8)
    ref = np.asarray(Image.fromarray(arr).resize((8, 10), Image.BILINEAR))
    monkeypatch.setattr(F, "_pillow_available", lambda: False)
    got = F.resize(arr, (10, 8))
    assert np.abs(got.astype(int) - ref.astype(int)).max() <= 1


def test_crops_pad_and_flip_by_hand():
    img = np.arange(6 * 7 * 1, dtype=np.uint8).reshape(6, 7, 1)
    np.testing.assert_array_equal(F.crop(img, 1, 2, 3, 4), img[1:4, 2:6])
    out = F.crop(img, -1, 5, 3, 4)  # outside the image is zero, as Pillow does
    expected = np.zeros((3, 4, 1), np.uint8)
    expected[1:, :2] = img[0:2, 5:7]
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(T.CenterCrop(3)(img), img[2:5, 2:5])  # round(1.5) = 2
    padded = T.CenterCrop((8, 7))(img)  # taller than the image: zero rows on top and bottom
    np.testing.assert_array_equal(padded[1:7], img)
    assert padded[0].sum() == 0 and padded[7].sum() == 0
    p = F.pad(img[:2, :2], [1, 2], fill=9)  # left/right 1, top/bottom 2
    assert p.shape == (6, 4, 1) and p[0, 0, 0] == 9 and p[2, 1, 0] == img[0, 0, 0]
    np.testing.assert_array_equal(F.pad(img[:2, :3], 1, padding_mode="reflect")[:, :, 0],
                                  np.pad(img[:2, :3, 0], 1, mode="reflect"))
    rgb = np.zeros((1, 1, 3), np.uint8)
    np.testing.assert_array_equal(F.pad(rgb, [1, 0, 0, 0], fill=(1, 2, 3))[0, 0], [1, 2, 3])
    np.testing.assert_array_equal(F.hflip(img), img[:, ::-1])
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        F.pad(img, 1, padding_mode="wrap")
    with pytest.raises(ValueError, match="fill must be a number or one value per channel"):
        F.pad(rgb, 1, fill=(1, 2))
    with pytest.raises(TypeError, match="padding must be an int or a sequence"):
        F.pad(img, [1, 2, 3])


def test_operations_agree_on_pillow_images_arrays_and_tensors():
    arr = np.random.default_rng(3).integers(0, 256, (9, 11, 3), dtype=np.uint8)
    pil = Image.fromarray(arr)
    chw = lucid.tensor(arr.transpose(2, 0, 1).astype(np.float32))
    for fn in (lambda x: F.crop(x, 2, 3, 4, 5), F.hflip, lambda x: F.center_crop(x, 5),
               lambda x: F.pad(x, [1, 2, 3, 4], fill=7)):
        a, p, t = fn(arr), np.asarray(fn(pil)), fn(chw).numpy().transpose(1, 2, 0)
        np.testing.assert_array_equal(a, p)
        np.testing.assert_array_equal(a, t)


def test_tensor_results_never_share_the_input_tensors_memory():
    t = lucid.tensor(np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4))
    same = T.CenterCrop((3, 4))(t)  # a crop of the whole image
    assert same is not t
    np.testing.assert_array_equal(same.numpy(), t.numpy())
    assert not np.shares_memory(same.numpy(), t.numpy())


def test_arrays_must_be_channel_last():
    with pytest.raises(ValueError, match=r"\(H, W\) or \(H, W, C\) NumPy array with 1-4 "
                                         r"channels .* got shape \(1, 16, 16\)"):
        T.RandomCrop(8)(np.zeros((1, 16, 16), np.float32))
    with pytest.raises(TypeError, match="must be a PIL image, an"):
        T.CenterCrop(2)([[1, 2], [3, 4]])


def test_to_tensor_and_normalize_by_hand():
    hwc = np.array([[[0, 255, 51]], [[102, 0, 255]]], dtype=np.uint8)  # (2, 1, 3)
    t = T.ToTensor()(hwc)
    assert isinstance(t, lucid.Tensor) and t.shape == (3, 2, 1) and t.dtype == lucid.float32
    np.testing.assert_allclose(t.numpy()[:, :, 0], [[0.0, 0.4], [1.0, 0.0], [0.2, 1.0]],
                               rtol=1e-6)
    assert T.ToTensor()(Image.fromarray(hwc)).shape == (3, 2, 1)
    assert T.ToTensor()(np.zeros((4, 5), np.uint8)).shape == (1, 4, 5)
    kept = T.ToTensor()(np.full((1, 1), 7, np.int32))  # not uint8: values and dtype kept
    assert kept.dtype == lucid.int32 and kept.item() == 7
    deep = T.ToTensor()(Image.fromarray(np.full((2, 2), 60000, np.uint16)))  # a 16-bit PNG
    assert deep.dtype == lucid.int32 and deep.numpy().max() == 60000
    with pytest.raises(TypeError, match="cannot make a lucid tensor of NumPy dtype uint64"):
        T.ToTensor()(np.zeros((2, 2), np.uint64))
    n = T.Normalize((0.5, 0.0, 1.0), (0.5, 2.0, 0.25))(t)
    expected = (t.numpy() - np.array([0.5, 0, 1], np.float32)[:, None, None]) / \
        np.array([0.5, 2, 0.25], np.float32)[:, None, None]
    np.testing.assert_array_equal(n.numpy(), expected)
    np.testing.assert_allclose(n.numpy()[:, 0, 0], [-1.0, 0.5, -3.2], rtol=1e-6)
    arr = F.normalize(np.ones((1, 2, 2)), [0.5], [0.5])
    assert isinstance(arr, np.ndarray) and np.all(arr == 1.0)
    with pytest.raises(TypeError, match="should be a float tensor"):
        F.normalize(lucid.tensor(np.zeros((3, 2, 2), np.int64)), [0], [1])
    with pytest.raises(ValueError, match="std evaluated to zero"):
        F.normalize(t, [0, 0, 0], [1, 0, 1])
    with pytest.raises(ValueError, match=r"size \(\.\.\., C, H, W\)"):
        F.normalize(lucid.tensor(np.zeros((2, 2), np.float32)), [0], [1])
    with pytest.raises(ValueError, match="1 or 3 means"):
        F.normalize(t, [0, 0], [1, 1])


def test_color_adjustments_on_arrays_by_hand():
    img = np.array([[[100, 200, 10]]], dtype=np.uint8)
    np.testing.assert_array_equal(F.adjust_brightness(img, 1.5), [[[150, 255, 15]]])
    np.testing.assert_array_equal(F.adjust_brightness(img, 0.33), [[[33, 66, 3]]])
    gray = int(0.2989 * 100 + 0.587 * 200 + 0.114 * 10)  # 148, truncated as torchvision
    np.testing.assert_array_equal(F.adjust_saturation(img, 0.0), [[[gray] * 3]])
    # contrast blends with the mean gray level of the image (one pixel: its own gray)
    np.testing.assert_array_equal(F.adjust_contrast(img, 0.0), [[[gray] * 3]])
    red = np.array([[[255, 0, 0]]], dtype=np.uint8)
    np.testing.assert_array_equal(F.adjust_hue(red, 0.5), [[[0, 255, 255]]])  # cyan
    np.testing.assert_array_equal(F.adjust_hue(red, 1 / 3), [[[0, 255, 0]]])  # green
    rand = np.random.default_rng(0).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    assert np.abs(F.adjust_hue(rand, 0.0).astype(int) - rand).max() <= 1
    f = rand.astype(np.float32) / 255
    np.testing.assert_allclose(F.adjust_brightness(f, 0.5), f * 0.5, rtol=1e-6)
    with pytest.raises(ValueError, match=r"hue_factor \(0.7\) is not in \[-0.5, 0.5\]"):
        F.adjust_hue(rand, 0.7)
    with pytest.raises(ValueError, match=r"brightness_factor \(-1\) is not non-negative"):
        F.adjust_brightness(rand, -1)


def test_color_adjustments_on_pillow_use_pillow():
    arr = np.random.default_rng(4).integers(0, 256, (5, 6, 3), dtype=np.uint8)
    from PIL import ImageEnhance

    pil = Image.fromarray(arr)
    np.testing.assert_array_equal(np.asarray(F.adjust_contrast(pil, 0.4)),
                                  np.asarray(ImageEnhance.Contrast(pil).enhance(0.4)))
    shifted = np.asarray(F.adjust_hue(pil, 0.25))
    assert shifted.shape == arr.shape and not np.array_equal(shifted, arr)


def test_random_crop_padding_and_bounds():
    img = np.arange(5 * 5, dtype=np.uint8).reshape(5, 5, 1)
    for s in range(20):
        out = T.RandomCrop(3, generator=s)(img)
        matches = [(i, j) for i in range(3) for j in range(3)
                   if np.array_equal(out, img[i:i + 3, j:j + 3])]
        assert len(matches) == 1
    padded = T.RandomCrop(9, padding=2, fill=255, generator=0)(img)  # the whole padded image
    assert padded.shape == (9, 9, 1) and padded[0, 0, 0] == 255
    np.testing.assert_array_equal(padded[2:7, 2:7], img)
    grown = T.RandomCrop((7, 6), pad_if_needed=True, generator=0)(img)
    assert grown.shape == (7, 6, 1)
    with pytest.raises(ValueError, match=r"Required crop size \(6, 6\) is larger than input "
                                         r"image size \(5, 5\)"):
        T.RandomCrop(6)(img)


def test_random_resized_crop_sampling_and_fallback():
    img = np.zeros((10, 40, 3), np.uint8)
    g = np.random.default_rng(0)
    for _ in range(50):
        i, j, h, w = T.RandomResizedCrop.get_params(img, (0.08, 1.0), (3 / 4, 4 / 3), g)
        assert 0 < h <= 10 and 0 < w <= 40 and 0 <= i <= 10 - h and 0 <= j <= 40 - w
    # an impossible area forces torchvision's fallback: the central crop at the closest ratio
    assert T.RandomResizedCrop.get_params(img, (2.0, 3.0), (3 / 4, 4 / 3), g) == \
        (0, 13, 10, 13)  # w = round(10 * 4/3)
    tall = np.zeros((40, 10, 3), np.uint8)
    assert T.RandomResizedCrop.get_params(tall, (2.0, 3.0), (3 / 4, 4 / 3), g) == \
        (13, 0, 13, 10)  # h = round(10 / (3/4)), top = (40 - 13) // 2
    out = T.RandomResizedCrop((6, 8), generator=1)(np.zeros((30, 30, 3), np.uint8))
    assert out.shape == (6, 8, 3)
    with pytest.warns(UserWarning, match=r"scale should be of kind \(min, max\)"):
        T.RandomResizedCrop(5, scale=(1.0, 0.5))


def test_random_horizontal_flip_probability():
    img = np.arange(6, dtype=np.uint8).reshape(2, 3, 1)
    assert T.RandomHorizontalFlip(0.0)(img) is img
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(img), img[:, ::-1])
    flip = T.RandomHorizontalFlip(0.5, generator=0)
    flips = sum(not np.array_equal(flip(img), img) for _ in range(400))
    assert 160 < flips < 240
    with pytest.raises(ValueError, match="p must be a probability"):
        T.RandomHorizontalFlip(1.5)


def test_color_jitter_ranges_and_order():
    cj = T.ColorJitter(brightness=0.4, contrast=(0.5, 1.5), saturation=0, hue=0.1)
    assert cj.brightness == (0.6, 1.4) and cj.contrast == (0.5, 1.5)
    assert cj.saturation is None and cj.hue == (-0.1, 0.1)
    order, b, c, s, h = T.ColorJitter.get_params(cj.brightness, cj.contrast, cj.saturation,
                                                 cj.hue, np.random.default_rng(0))
    assert sorted(order) == [0, 1, 2, 3] and s is None
    assert 0.6 <= b <= 1.4 and 0.5 <= c <= 1.5 and -0.1 <= h <= 0.1
    img = np.random.default_rng(5).integers(0, 256, (4, 4, 3), dtype=np.uint8)
    np.testing.assert_array_equal(T.ColorJitter(brightness=(2, 2))(img),
                                  F.adjust_brightness(img, 2.0))
    assert T.ColorJitter()(img) is img
    with pytest.raises(ValueError, match="If brightness is a single number, it must be non "
                                         "negative"):
        T.ColorJitter(brightness=-0.1)
    with pytest.raises(ValueError, match=r"hue values should be between \(-0.5, 0.5\)"):
        T.ColorJitter(hue=0.6)
    with pytest.raises(TypeError, match="contrast should be a single number or a list/tuple"):
        T.ColorJitter(contrast=(1, 2, 3))


def test_seed_makes_a_random_pipeline_reproducible():
    pipeline = T.Compose([T.RandomResizedCrop(8), T.RandomHorizontalFlip(),
                          T.ColorJitter(0.4, 0.4, 0.4, 0.1), T.ToTensor()])
    img = np.random.default_rng(6).integers(0, 256, (20, 24, 3), dtype=np.uint8)
    T.seed(11)
    first = [pipeline(img).numpy() for _ in range(3)]
    T.seed(11)
    again = [pipeline(img).numpy() for _ in range(3)]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])
    own = T.RandomCrop(4, generator=3)
    T.seed(11)
    x = own(img)
    T.seed(12)
    y = T.RandomCrop(4, generator=3)(img)
    np.testing.assert_array_equal(x, y)  # an own generator ignores the shared seed
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        T.seed(-1)


def test_compose_checks_and_repr():
    c = T.Compose([T.Resize(4), T.CenterCrop(2)])
    assert "Resize(size=4" in repr(c) and "CenterCrop(size=(2, 2))" in repr(c)
    with pytest.raises(TypeError, match="every transform must be callable"):
        T.Compose([T.Resize(4), 3])
    with pytest.raises(TypeError, match="takes a list of transforms"):
        T.Compose(T.Resize(4))


class StandIn:
    """A model-like object carrying timm's pretrained_cfg."""

    pretrained_cfg = {"input_size": (3, 256, 256), "interpolation": "bilinear",
                      "mean": (0.5, 0.5, 0.5), "std": (0.25, 0.25, 0.25), "crop_pct": 0.95,
                      "crop_mode": "squash", "test_input_size": (3, 288, 288),
                      "test_crop_pct": 1.0}


def test_resolve_data_config_reads_the_model_and_defaults():
    cfg = T.resolve_data_config(model=StandIn())
    assert cfg == {"input_size": (3, 256, 256), "interpolation": "bilinear",
                   "mean": (0.5, 0.5, 0.5), "std": (0.25, 0.25, 0.25), "crop_pct": 0.95,
                   "crop_mode": "squash"}
    test = T.resolve_data_config(model=StandIn(), use_test_size=True)
    assert test["input_size"] == (3, 288, 288) and test["crop_pct"] == 1.0
    bare = T.resolve_data_config(model=object())  # timm's defaults
    assert bare == {"input_size": (3, 224, 224), "interpolation": "bicubic",
                    "mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225),
                    "crop_pct": 0.875, "crop_mode": "center"}
    over = T.resolve_data_config(model=StandIn(), img_size=320, crop_pct=0.9, mean=[0.1])
    assert over["input_size"] == (3, 320, 320) and over["crop_pct"] == 0.9
    assert over["mean"] == (0.1, 0.1, 0.1)
    assert T.resolve_data_config({"in_chans": 1})["input_size"] == (1, 224, 224)
    with pytest.raises(ValueError, match="needs a model, args or a pretrained_cfg"):
        T.resolve_data_config()
    with pytest.raises(ValueError, match="input_size must be"):
        T.resolve_data_config(input_size=(224, 224))
    with pytest.raises(ValueError, match="mean needs 1 or 3 values"):
        T.resolve_data_config(mean=(0.1, 0.2))


def test_create_transform_eval_pipeline_is_resize_crop_tensor_normalize():
    tf = T.create_transform(**T.resolve_data_config(model=object()))
    steps = tf.transforms
    assert [type(s).__name__ for s in steps] == ["Resize", "CenterCrop", "ToTensor",
                                                 "Normalize"]
    assert steps[0].size == math.floor(224 / 0.875) == 256
    assert steps[0].interpolation == T.InterpolationMode.BICUBIC
    img = np.random.default_rng(7).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    manual = F.normalize(F.to_tensor(F.center_crop(F.resize(img, 256, "bicubic"), 224)),
                         T.IMAGENET_MEAN, T.IMAGENET_STD)
    np.testing.assert_array_equal(tf(img).numpy(), manual.numpy())
    rect = T.create_transform((3, 200, 100), crop_pct=1.0).transforms
    assert type(rect[0]).__name__ == "ResizeKeepRatio"
    assert rect[0](img).shape == (200, 267, 3)  # 300x400 / min(300/200, 400/100), rounded
    squash = T.create_transform(64, crop_mode="squash", crop_pct=0.5).transforms
    assert squash[0](img).shape == (128, 128, 3)
    border = T.create_transform(64, crop_mode="border", crop_pct=1.0)(img)
    assert border.shape == (3, 64, 64)
    with pytest.raises(ValueError, match="crop_mode must be"):
        T.create_transform(64, crop_mode="zoom")


def test_create_transform_train_pipeline():
    tf = T.create_transform(32, is_training=True, generator=0)
    assert [type(s).__name__ for s in tf.transforms] == [
        "RandomResizedCrop", "RandomHorizontalFlip", "ColorJitter", "ToTensor", "Normalize"]
    assert tf.transforms[2].brightness == (0.6, 1.4) and tf.transforms[2].hue is None
    out = tf(np.random.default_rng(8).integers(0, 256, (50, 60, 3), dtype=np.uint8))
    assert out.shape == (3, 32, 32)
    plain = T.create_transform(32, is_training=True, color_jitter=None, hflip=0.0)
    assert [type(s).__name__ for s in plain.transforms] == ["RandomResizedCrop", "ToTensor",
                                                            "Normalize"]
    noaug = T.create_transform(32, is_training=True, no_aug=True)
    assert [type(s).__name__ for s in noaug.transforms][:2] == ["Resize", "CenterCrop"]


def test_pillow_missing_is_named(monkeypatch):
    from lucid.data.transforms import image

    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r'pip install "lucid\[vision\]"'):
        image.pil_image_module()
