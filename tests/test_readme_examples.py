"""The README's data and fine-tuning examples run as written (offline: a generated image
folder and a fake Hugging Face cache holding timm-format skresnet18 weights)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from fake_hf_cache import random_timm_state, safetensors_bytes, use_offline_cache, write_snapshot

README = Path(__file__).resolve().parents[1] / "README.md"


def section_blocks(title: str) -> list[str]:
    text = README.read_text()
    start = text.index(f"## {title}")
    end = text.index("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start:end], flags=re.S)


def write_photos(root: Path) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    for split, count in (("train", 4), ("val", 2)):
        for name, rgb in {"cat": (200, 120, 40), "dog": (60, 60, 60)}.items():
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(count):
                pixels = np.clip(np.array(rgb) + rng.normal(0, 20, (40, 48, 3)), 0, 255)
                Image.fromarray(pixels.astype(np.uint8)).save(folder / f"{i}.jpg")


def test_train_on_a_folder_then_fine_tune_pretrained_weights(tmp_path, monkeypatch):
    blocks = section_blocks("Your own images, pretrained weights")
    assert len(blocks) == 2
    write_photos(tmp_path / "photos")
    cache = use_offline_cache(tmp_path, monkeypatch)
    published = random_timm_state("skresnet18", seed=3)
    write_snapshot(cache, "timm/skresnet18.ra_in1k", safetensors_bytes(published))
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], "README.md[data]", "exec"), namespace)
    model = namespace["model"]
    assert model.fc.weight.shape == (2, 512)  # type: ignore[attr-defined]
    assert np.isfinite(namespace["loss"].item())  # type: ignore[attr-defined]
    exec(compile(blocks[1], "README.md[fine-tune]", "exec"), namespace)
    tuned = namespace["model"]
    assert tuned.fc.weight.shape == (2, 512)  # type: ignore[attr-defined]
    np.testing.assert_allclose(  # the body holds the published weights
        tuned.state_dict()["stem.0.conv.weight"].numpy(),  # type: ignore[attr-defined]
        published["conv1.weight"])
    config = namespace["config"]
    assert config["input_size"] == (3, 224, 224) and config["crop_pct"] == pytest.approx(0.875)
    assert namespace["features"].feature_info.channels() == [128, 256, 512]  # type: ignore[attr-defined]
