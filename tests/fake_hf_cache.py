"""A Hugging Face cache laid out on disk as huggingface_hub documents it, for offline tests.

``<cache>/models--<org>--<name>/refs/main`` holds a commit hash and
``snapshots/<commit>/model.safetensors`` the file (optionally a link to ``blobs/<sha256>``, as
the real cache stores it). :func:`use_offline_cache` points huggingface_hub at such a cache
with ``HF_HUB_OFFLINE=1`` and lucid's own cache at a fresh folder, so no test touches the
network or the user's caches.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

KEYS_DIR = Path(__file__).parent / "data" / "state_dict_keys"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def use_offline_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HF cache under ``tmp_path``, offline; lucid's cache under ``tmp_path`` too."""
    import huggingface_hub.constants as constants

    cache = tmp_path / "hf-home" / "hub"
    cache.mkdir(parents=True)
    monkeypatch.setenv("HF_HOME", str(cache.parent))
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("LUCID_HOME", str(tmp_path / "lucid-home"))
    # huggingface_hub reads its environment once, when it is first imported
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return cache


def write_snapshot(cache: Path, repo: str, data: bytes, *, commit: str = COMMIT,
                   blobs: bool = False, filename: str = "model.safetensors") -> Path:
    """Put ``data`` in the cache as ``filename`` of ``repo`` at ``commit`` (``refs/main``)."""
    root = cache / f"models--{repo.replace('/', '--')}"
    (root / "refs").mkdir(parents=True, exist_ok=True)
    (root / "refs" / "main").write_text(commit)
    snapshot = root / "snapshots" / commit
    snapshot.mkdir(parents=True, exist_ok=True)
    target = snapshot / filename
    if target.is_symlink() or target.exists():
        target.unlink()
    if blobs:
        blob = root / "blobs" / hashlib.sha256(data).hexdigest()
        blob.parent.mkdir(exist_ok=True)
        blob.write_bytes(data)
        os.symlink(os.path.relpath(blob, snapshot), target)
    else:
        target.write_bytes(data)
    return target


def timm_keys(timm_name: str) -> dict[str, tuple[int, ...]]:
    """The recorded state-dict keys and shapes of a timm model (tests/data/state_dict_keys)."""
    out = {}
    for line in (KEYS_DIR / f"{timm_name}.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            key, shape = line.split()
            out[key] = tuple(int(d) for d in shape.strip("[]").split(",") if d)
    return out


def random_timm_state(timm_name: str, seed: int = 0) -> dict[str, np.ndarray]:
    """A timm-format state dict of ``timm_name`` with distinct random values in every tensor."""
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for key, shape in timm_keys(timm_name).items():
        if key.endswith("num_batches_tracked"):
            out[key] = np.asarray(rng.integers(1, 10_000), dtype=np.int64)
        elif key.endswith("running_var"):
            out[key] = rng.uniform(0.5, 1.5, shape).astype(np.float32)
        else:
            out[key] = (rng.standard_normal(shape) * 0.05).astype(np.float32)
    return out


def safetensors_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """``arrays`` serialised as a safetensors file, as timm publishes them (no lucid metadata)."""
    from safetensors.numpy import save

    return save(arrays)
