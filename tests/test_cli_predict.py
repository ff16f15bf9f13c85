"""``lucid predict``: top-k classes of image files, offline (a fake Hugging Face cache).

The printed probabilities are checked against an independent computation: the same timm
file loaded through ``lucid.models.get(name, weights=FILE)`` (the file loader, not the Hub
path), the image preprocessed by hand as timm evaluates skresnet18 (Pillow bicubic resize of
the shorter side to floor(224 / 0.875) = 256, center crop 224, ImageNet mean/std), and a
NumPy softmax.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from fake_hf_cache import random_timm_state, safetensors_bytes, use_offline_cache, write_snapshot

import lucid
import lucid.models as models
from lucid.cli import main
from lucid.data.transforms import IMAGENET_CLASSES

PIL = pytest.importorskip("PIL.Image")

REPO = "timm/skresnet18.ra_in1k"


def input_sensitive_timm_state() -> dict[str, np.ndarray]:
    """skresnet18 weights whose predictions depend on the image (as trained weights' do).

    With the small random BN scales of ``random_timm_state`` every image gets the same
    logits; BN scales near 1 and a tempered classifier give spread-out, image-dependent
    top-5s, so a wrong resize, crop or normalisation changes the printed numbers.
    """
    state = random_timm_state("skresnet18", seed=3)
    rng = np.random.default_rng(4)
    for key, value in state.items():
        if key.endswith(".weight") and value.ndim == 1:  # batch-norm scales
            state[key] = rng.uniform(0.8, 1.2, value.shape).astype(np.float32)
    state["fc.weight"] = state["fc.weight"] * np.float32(0.1)
    return state


@pytest.fixture(scope="module")
def timm_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    data = safetensors_bytes(input_sensitive_timm_state())
    path = tmp_path_factory.mktemp("weights") / "skresnet18.safetensors"
    path.write_bytes(data)
    return path, data


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_offline_cache(tmp_path, monkeypatch)


def png(tmp_path: Path, name: str = "photo.png", seed: int = 0) -> Path:
    """A small random RGB PNG (not square, so resize and crop both matter)."""
    pixels = np.random.default_rng(seed).integers(0, 256, (40, 56, 3), dtype=np.uint8)
    path = tmp_path / name
    PIL.fromarray(pixels).save(path)
    return path


def timm_eval_input(image: Path) -> np.ndarray:
    """torchvision's Resize(256, bicubic) + CenterCrop(224) + ToTensor + Normalize on Pillow."""
    with PIL.open(image) as im:
        rgb = im.convert("RGB")
    w, h = rgb.size
    size = (int(256 * w / h), 256) if h <= w else (256, int(256 * h / w))
    arr = np.asarray(rgb.resize(size, PIL.BICUBIC), dtype=np.float32) / 255.0
    top, left = int(round((size[1] - 224) / 2)), int(round((size[0] - 224) / 2))
    arr = arr[top:top + 224, left:left + 224]
    arr = (arr - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    return arr.transpose(2, 0, 1)[None].astype(np.float32)


def expected_top(weights: Path, image: Path, k: int) -> list[tuple[int, float]]:
    model = models.get("sk_resnet_18", weights=weights).eval()
    batch = timm_eval_input(image)
    with lucid.no_grad():
        logits = model(lucid.tensor(batch)).numpy()[0].astype(np.float64)
    p = np.exp(logits - logits.max())
    p /= p.sum()
    order = np.argsort(-p)[:k]
    return [(int(i), float(p[i])) for i in order]


def printed_rows(out: str, image: Path) -> list[tuple[int, str, float]]:
    block = out.split(f"{image}:\n")[1]
    rows = []
    for line in block.splitlines():
        m = re.fullmatch(r"\s+([\d.]+) %  (.+) \((\d+)\)", line)
        if not m:
            break
        rows.append((int(m.group(3)), m.group(2), float(m.group(1))))
    return rows


def test_pretrained_prints_the_top5_of_each_image(
        cache: Path, tmp_path: Path, timm_file: tuple[Path, bytes],
        capsys: pytest.CaptureFixture[str]) -> None:
    write_snapshot(cache, REPO, timm_file[1])
    images = [png(tmp_path, "a.png", 0), png(tmp_path, "b.png", 1)]
    assert main(["predict", *map(str, images), "--model", "sk_resnet_18", "--pretrained"]) == 0
    out = capsys.readouterr().out
    for image in images:
        rows = printed_rows(out, image)
        ref = expected_top(timm_file[0], image, 5)
        assert [r[0] for r in rows] == [i for i, _ in ref]
        assert [r[1] for r in rows] == [IMAGENET_CLASSES[i] for i, _ in ref]
        np.testing.assert_allclose([r[2] for r in rows], [p * 100 for _, p in ref], atol=0.006)


def test_a_weights_file_and_topk(tmp_path: Path, timm_file: tuple[Path, bytes],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    image = png(tmp_path)
    assert main(["predict", str(image), "--model", "sk_resnet_18", "--weights",
                 str(timm_file[0]), "--topk", "3", "--backend", "numpy"]) == 0
    rows = printed_rows(capsys.readouterr().out, image)
    assert [r[0] for r in rows] == [i for i, _ in expected_top(timm_file[0], image, 3)]


@pytest.mark.parametrize("case, message", [
    ("missing", r"image file '.*nowhere.png' does not exist"),
    ("not_an_image", r"'.*notes.png' is not an image file Pillow can read"),
    ("unknown_model", r"unknown model 'sk_resnet_99'"),
    ("no_weights", r"sk_resnet_50.* has no published weights"),
    ("offline", r"'timm/skresnet18.ra_in1k' is not in the Hugging Face cache"),
])
def test_user_errors_are_one_line_and_exit_1(
        case: str, message: str, cache: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    image = png(tmp_path)
    model = "sk_resnet_18"
    if case == "missing":
        image = tmp_path / "nowhere.png"
    elif case == "not_an_image":
        image = tmp_path / "notes.png"
        image.write_text("not pixels")
    elif case == "unknown_model":
        model = "sk_resnet_99"
    elif case == "no_weights":
        model = "sk_resnet_50"
    assert main(["predict", str(image), "--model", model, "--pretrained"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert re.match(rf"lucid predict: error: .*{message}", captured.err)


def test_weights_are_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["predict", "x.png", "--model", "sk_resnet_18"])
    assert info.value.code == 2
    assert "one of the arguments --pretrained --weights is required" in capsys.readouterr().err
