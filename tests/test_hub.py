"""Pretrained weights from the Hugging Face Hub (lucid.models.hub), offline.

Every test lays out a Hugging Face cache in ``tmp_path`` (tests/fake_hf_cache.py) holding a
timm-format ``model.safetensors`` built from the recorded timm key list of the model, with
``HF_HUB_OFFLINE=1``: nothing touches the network. Loaded values are checked against the
arrays written, matched by hand-written timm -> lucid names or by value (never through
lucid's own mapping table); the adapted first conv against hand-computed sums and repeats.
"""

from __future__ import annotations

import builtins
import logging
import os
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fake_hf_cache import (
    COMMIT,
    random_timm_state,
    safetensors_bytes,
    timm_keys,
    use_offline_cache,
    write_snapshot,
)

import lucid.models as models
from lucid.io import CheckpointError, ConversionError
from lucid.models import hub

REPO = "timm/skresnet18.ra_in1k"

#: timm's pretrained_cfg of skresnet18.ra_in1k (timm 1.0.31), the keys lucid reads
TIMM_CFG = {
    "hf_hub_id": REPO, "architecture": "skresnet18", "num_classes": 1000,
    "input_size": (3, 224, 224), "first_conv": "conv1", "classifier": "fc",
    "mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225), "crop_pct": 0.875,
    "interpolation": "bicubic",
}

#: hand-written timm name -> lucid name, one per kind of tensor
PAIRS = {
    "conv1.weight": "stem.0.conv.weight",
    "bn1.running_var": "stem.0.bn.running_var",
    "layer1.1.conv1.paths.1.conv.weight": "layer1.1.conv1.paths.1.conv.weight",
    "layer2.0.conv1.attn.fc_select.weight": "layer2.0.conv1.attn.fc_select.weight",
    "layer3.0.downsample.1.running_mean": "layer3.0.downsample.1.running_mean",
    "layer4.1.conv2.bn.num_batches_tracked": "layer4.1.conv2.bn.num_batches_tracked",
    "fc.weight": "fc.weight",
    "fc.bias": "fc.bias",
}

_STATE: dict[int, dict[str, np.ndarray]] = {}


def timm_state(seed: int = 0) -> dict[str, np.ndarray]:
    """skresnet18's timm state dict with random values (cached per seed)."""
    if seed not in _STATE:
        _STATE[seed] = random_timm_state("skresnet18", seed)
    return _STATE[seed]


def sk18(cfg: dict[str, Any] | None = TIMM_CFG, **overrides: Any) -> Any:
    """sk_resnet_18 with timm's pretrained_cfg attached (or none)."""
    model = models.get("sk_resnet_18", **overrides)
    if cfg is None:
        if hasattr(model, "pretrained_cfg"):
            model.pretrained_cfg = {k: v for k, v in model.pretrained_cfg.items()
                                    if k != "hf_hub_id"}
    else:
        model.pretrained_cfg = dict(cfg)
    return model


def state(model: Any) -> dict[str, np.ndarray]:
    return {k: v.numpy() for k, v in model.state_dict().items()}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_offline_cache(tmp_path, monkeypatch)


@pytest.fixture
def published(cache: Path) -> Path:
    """The cache holding skresnet18's timm file."""
    return write_snapshot(cache, REPO, safetensors_bytes(timm_state()))


# --------------------------------------------------------------------- loading
def test_every_published_tensor_lands_in_its_lucid_tensor(published: Path) -> None:
    model = sk18()
    hub.load_pretrained(model)
    loaded = state(model)
    written = timm_state()
    for timm_key, lucid_key in PAIRS.items():
        np.testing.assert_array_equal(loaded[lucid_key], written[timm_key], err_msg=timm_key)
    # every lucid tensor holds exactly one written array, and each array is used once
    by_bytes = {(a.shape, a.tobytes()): k for k, a in written.items()
                if not k.endswith("num_batches_tracked")}
    used = [by_bytes.get((a.shape, a.astype(np.float32).tobytes()))
            for k, a in loaded.items() if not k.endswith("num_batches_tracked")]
    assert None not in used
    assert len(set(used)) == len(used) == len(by_bytes)


def test_the_second_load_reads_lucids_cached_conversion(
        published: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="lucid.models.hub")
    hub.load_pretrained(sk18())
    converted = tmp_path / "lucid-home" / "hub" / "timm--skresnet18.ra_in1k" / \
        f"{COMMIT}.safetensors"
    assert converted.is_file()
    assert [r.message for r in caplog.records if "converted" in r.message]
    caplog.clear()

    model = sk18()
    hub.load_pretrained(model)
    messages = [r.message for r in caplog.records]
    assert any("cached conversion" in m for m in messages)
    assert not any("converted" in m for m in messages)
    np.testing.assert_array_equal(state(model)["stem.0.conv.weight"],
                                  timm_state()["conv1.weight"])


def test_a_new_upstream_file_is_not_shadowed_by_the_old_conversion(
        published: Path, cache: Path) -> None:
    hub.load_pretrained(sk18())
    new = timm_state(seed=1)
    write_snapshot(cache, REPO, safetensors_bytes(new), commit="f" * 40)  # refs/main moves
    model = sk18()
    hub.load_pretrained(model)
    np.testing.assert_array_equal(state(model)["fc.weight"], new["fc.weight"])


def test_a_file_replaced_in_place_is_converted_again(published: Path, cache: Path) -> None:
    hub.load_pretrained(sk18())
    new = timm_state(seed=1)
    write_snapshot(cache, REPO, safetensors_bytes(new))  # same commit, new content
    os.utime(published, ns=(1, 1))  # a different modification time, whatever the clock says
    model = sk18()
    hub.load_pretrained(model)
    np.testing.assert_array_equal(state(model)["fc.weight"], new["fc.weight"])


def test_the_cache_key_is_the_blob_name_when_the_hub_cache_links_to_blobs(
        cache: Path, tmp_path: Path) -> None:
    data = safetensors_bytes(timm_state())
    write_snapshot(cache, REPO, data, blobs=True)
    path = hub.download_pretrained(sk18())
    import hashlib

    assert path.name == f"{hashlib.sha256(data).hexdigest()}.safetensors"
    assert path.parent == tmp_path / "lucid-home" / "hub" / "timm--skresnet18.ra_in1k"


def test_a_damaged_cached_conversion_is_converted_again(
        published: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = hub.download_pretrained(sk18())
    path.write_bytes(b"not a checkpoint")
    model = sk18()
    with caplog.at_level(logging.WARNING, logger="lucid.models.hub"):
        hub.load_pretrained(model)
    assert any("unreadable" in r.message for r in caplog.records)
    np.testing.assert_array_equal(state(model)["fc.bias"], timm_state()["fc.bias"])


def test_a_pinned_revision_is_read_from_its_snapshot(cache: Path) -> None:
    write_snapshot(cache, REPO, safetensors_bytes(timm_state()))
    other = "e" * 40
    write_snapshot(cache, REPO, safetensors_bytes(timm_state(seed=1)), commit=other)
    (cache / "models--timm--skresnet18.ra_in1k" / "refs" / "main").write_text(COMMIT)
    model = sk18({**TIMM_CFG, "hf_hub_id": f"{REPO}@{other}"})
    hub.load_pretrained(model)
    np.testing.assert_array_equal(state(model)["fc.bias"], timm_state(seed=1)["fc.bias"])


def test_models_get_pretrained_loads_through_the_hub(published: Path) -> None:
    model = models.get("sk_resnet_18", pretrained=True)
    for timm_key, lucid_key in PAIRS.items():
        np.testing.assert_array_equal(state(model)[lucid_key], timm_state()[timm_key])
    tuned = models.get("sk_resnet_18", pretrained=True, num_classes=10, in_chans=1)
    assert tuned.state_dict()["fc.weight"].shape == (10, 512)
    np.testing.assert_allclose(state(tuned)["stem.0.conv.weight"],
                               timm_state()["conv1.weight"].sum(axis=1, keepdims=True),
                               rtol=1e-6, atol=1e-7)


# --------------------------------------------------------------------- fine-tuning shapes
def test_other_num_classes_keep_their_fresh_classifier(published: Path) -> None:
    model = sk18(num_classes=10)
    before = state(model)
    hub.load_pretrained(model)
    after = state(model)
    np.testing.assert_array_equal(after["fc.weight"], before["fc.weight"])
    np.testing.assert_array_equal(after["fc.bias"], before["fc.bias"])
    assert after["fc.weight"].shape == (10, 512)
    for timm_key, lucid_key in PAIRS.items():
        if not timm_key.startswith("fc."):
            np.testing.assert_array_equal(after[lucid_key], timm_state()[timm_key])


def test_a_headless_model_loads_everything_but_the_classifier(published: Path) -> None:
    model = sk18(num_classes=0)
    hub.load_pretrained(model)
    assert "fc.weight" not in model.state_dict()
    np.testing.assert_array_equal(state(model)["layer4.1.conv2.conv.weight"],
                                  timm_state()["layer4.1.conv2.conv.weight"])


def test_a_wider_head_for_other_classes_does_not_matter(published: Path) -> None:
    model = sk18(num_classes=10, global_pool="catavgmax")  # fc reads 2 x 512 features
    hub.load_pretrained(model)
    assert model.state_dict()["fc.weight"].shape == (10, 1024)
    np.testing.assert_array_equal(state(model)["layer4.1.conv2.bn.bias"],
                                  timm_state()["layer4.1.conv2.bn.bias"])


def test_one_input_channel_sums_the_pretrained_first_conv(published: Path) -> None:
    model = sk18(in_channels=1)
    hub.load_pretrained(model)
    w = timm_state()["conv1.weight"]
    expected = w[:, 0:1] + w[:, 1:2] + w[:, 2:3]
    np.testing.assert_allclose(state(model)["stem.0.conv.weight"], expected, rtol=1e-6,
                               atol=1e-7)
    np.testing.assert_array_equal(state(model)["fc.weight"], timm_state()["fc.weight"])


def test_five_input_channels_repeat_and_rescale_the_first_conv(published: Path) -> None:
    model = sk18(in_channels=5)
    hub.load_pretrained(model)
    w = timm_state()["conv1.weight"]
    expected = np.concatenate([w[:, 0:1], w[:, 1:2], w[:, 2:3], w[:, 0:1], w[:, 1:2]], 1) * 0.6
    np.testing.assert_allclose(state(model)["stem.0.conv.weight"], expected, rtol=1e-6)


def test_adapt_input_conv_by_hand() -> None:
    w = np.arange(2 * 3 * 1 * 1, dtype=np.float32).reshape(2, 3, 1, 1)  # rows 0,1,2 / 3,4,5
    assert hub.adapt_input_conv(w, 1).ravel().tolist() == [3.0, 12.0]
    two = hub.adapt_input_conv(w, 2)
    np.testing.assert_allclose(two.ravel(), [0 * 1.5, 1 * 1.5, 3 * 1.5, 4 * 1.5])
    assert hub.adapt_input_conv(w, 3) is w
    assert two.dtype == np.float32
    with pytest.raises(ValueError, match=r"in_chans must be a positive int, got 0"):
        hub.adapt_input_conv(w, 0)
    with pytest.raises(ValueError, match=r"expected a conv weight of shape \(out, 3, kH, kW\)"):
        hub.adapt_input_conv(w[:, :2], 1)


# --------------------------------------------------------------------- errors
def test_a_model_without_published_weights_says_which_presets_have_them(cache: Path) -> None:
    model = models.get("sk_resnet_50")
    model.pretrained_cfg = {"architecture": "sk_resnet_50", "num_classes": 1000}
    with pytest.raises(hub.NoPretrainedWeightsError,
                       match=r"sk_resnet_50 has no published pretrained weights; presets with "
                             r"weights: ") as info:
        hub.load_pretrained(model)
    listed = str(info.value).split("presets with weights: ")[1].split(".")[0].split(", ")
    assert {"sk_resnet_18", "sk_resnet_34", "sk_resnext_50_32x4d"} <= set(listed)
    assert "sk_resnet_50" not in listed and "sk_resnet_mini" not in listed
    model.pretrained_cfg = {}
    with pytest.raises(RuntimeError, match="SKNet has no published pretrained weights"):
        hub.download_pretrained(model)


def test_offline_with_an_empty_cache_names_the_repo_and_how_to_get_the_file(
        cache: Path) -> None:
    with pytest.raises(FileNotFoundError) as info:
        hub.load_pretrained(sk18())
    text = str(info.value)
    assert f"'{REPO}' is not in the Hugging Face cache" in text
    assert "offline mode is on (HF_HUB_OFFLINE=1)" in text
    assert f"hf download {REPO} model.safetensors" in text
    assert "HF_HUB_CACHE" in text


def test_an_unreachable_hub_with_an_empty_cache_says_so(
        cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub
    import huggingface_hub.constants as constants
    from huggingface_hub.utils import LocalEntryNotFoundError

    def unreachable(*args: Any, **kwargs: Any) -> str:
        # what hf_hub_download raises when the Hub cannot be reached and nothing is cached
        # (its retries take half a minute, so the call itself is replaced)
        raise LocalEntryNotFoundError("cannot find the requested files in the local cache")

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", "https://hub.example")
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", unreachable)
    with pytest.raises(FileNotFoundError, match=r"the Hub \(https://hub.example\) could not "
                                                r"be reached.*hf download"):
        hub.load_pretrained(sk18())


def test_a_damaged_file_names_the_repo_the_path_and_force_download(cache: Path) -> None:
    path = write_snapshot(cache, REPO, b"\x10\x00\x00\x00\x00\x00\x00\x00{\"broken")
    with pytest.raises(CheckpointError) as info:
        hub.load_pretrained(sk18())
    text = str(info.value)
    assert f"pretrained weights of '{REPO}'" in text and "damaged" in text
    assert str(path) in text and "force_download=True" in text


def test_a_misshaped_tensor_is_named(cache: Path) -> None:
    key = "layer2.0.conv1.attn.fc_select.weight"
    bad = dict(timm_state())
    bad[key] = np.zeros((3, 3, 1, 1), np.float32)
    write_snapshot(cache, REPO, safetensors_bytes(bad))
    recorded = re.escape(str(timm_keys("skresnet18")[key]))
    with pytest.raises(ConversionError,
                       match=rf"(?s)'timm/skresnet18.ra_in1k'.*do not fit.*'{key}'.*expected "
                             rf"shape {recorded}, got \(3, 3, 1, 1\)"):
        hub.load_pretrained(sk18())


def test_strict_false_tolerates_missing_and_unknown_tensors_but_not_wrong_shapes(
        cache: Path) -> None:
    partial = {k: v for k, v in timm_state().items() if not k.startswith("layer4.1.")}
    partial["head.extra.weight"] = np.ones((2, 2), np.float32)
    write_snapshot(cache, REPO, safetensors_bytes(partial))
    with pytest.raises(ConversionError, match="layer4.1.conv2.conv.weight"):
        hub.load_pretrained(sk18())
    model = sk18()
    before = state(model)
    hub.load_pretrained(model, strict=False)
    after = state(model)
    np.testing.assert_array_equal(after["layer4.1.conv2.conv.weight"],
                                  before["layer4.1.conv2.conv.weight"])
    np.testing.assert_array_equal(after["layer4.0.conv2.conv.weight"],
                                  timm_state()["layer4.0.conv2.conv.weight"])
    partial["fc.bias"] = np.zeros(7, np.float32)
    write_snapshot(cache, REPO, safetensors_bytes(partial))
    os.utime(cache / "models--timm--skresnet18.ra_in1k" / "snapshots" / COMMIT /
             "model.safetensors", ns=(2, 2))
    with pytest.raises(ConversionError, match=r"'fc.bias'.*expected shape \(1000,\)"):
        hub.load_pretrained(sk18(), strict=False)


def test_without_huggingface_hub_the_error_names_the_extra(
        cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_hub(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".")[0] == "huggingface_hub":
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_hub)
    with pytest.raises(ImportError, match=r'pip install "lucid\[hub\]"'):
        hub.load_pretrained(sk18())
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setattr(builtins, "__import__", real_import)
    with pytest.raises(ImportError, match=r"safetensors package.*lucid\[hub\]"):
        hub.load_pretrained(sk18())


def test_get_dir_follows_lucid_home_then_xdg_then_home(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LUCID_HOME", str(tmp_path / "a"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "b"))
    assert hub.get_dir() == tmp_path / "a"
    monkeypatch.delenv("LUCID_HOME")
    assert hub.get_dir() == tmp_path / "b" / "lucid"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "c"))
    assert hub.get_dir() == tmp_path / "c" / ".cache" / "lucid"
