"""Checkpoints: round trips, atomic writes, and refusal of corrupt or hostile files."""

from __future__ import annotations

import io
import os
import pickle
import zipfile

import numpy as np
import pytest

import lucid
import lucid.models as models
from lucid.io import checkpoint
from lucid.io.checkpoint import CheckpointError


@pytest.fixture
def model():
    lucid.manual_seed(0)
    return models.get("sk_resnet_mini", num_classes=5, in_channels=1)


@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_round_trip_restores_every_tensor_and_metadata(tmp_path, model, suffix):
    if suffix == ".safetensors":
        pytest.importorskip("safetensors")
    model.layer1[0].conv2.bn.running_mean.data = np.arange(16, dtype=np.float32)
    path = checkpoint.save(model, tmp_path / f"m{suffix}", metadata={"epoch": 3})
    lucid.manual_seed(1)
    fresh = models.get("sk_resnet_mini", num_classes=5, in_channels=1)
    meta = checkpoint.load_into(fresh, path)
    assert meta["epoch"] == 3 and meta["format"] == "lucid"
    want, got = model.state_dict(), fresh.state_dict()
    assert want.keys() == got.keys()
    for key in want:
        np.testing.assert_array_equal(want[key].detach().numpy(), got[key].detach().numpy(),
                                      err_msg=key)
    x = lucid.randn(2, 1, 16, 16)
    model.eval()
    fresh.eval()
    np.testing.assert_allclose(model(x).detach().numpy(), fresh(x).detach().numpy(), rtol=1e-6)


def test_models_get_loads_lucid_weights(tmp_path, model):
    path = checkpoint.save(model, tmp_path / "w.npz")
    loaded = models.get("sk_resnet_mini", num_classes=5, in_channels=1, weights=path)
    np.testing.assert_array_equal(loaded.fc.weight.detach().numpy(),
                                  model.fc.weight.detach().numpy())


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path, model, monkeypatch):
    path = tmp_path / "ckpt.npz"
    checkpoint.save(model, path)
    original = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", fail)
    with pytest.raises(OSError, match="disk full"):
        checkpoint.save(model, path)
    assert path.read_bytes() == original  # the old checkpoint is intact
    assert sorted(os.listdir(tmp_path)) == ["ckpt.npz"]


def test_missing_unexpected_and_misshaped_entries_are_named(tmp_path, model):
    state = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    missing = dict(state)
    del missing["fc.bias"]
    path = checkpoint.save(missing, tmp_path / "missing.npz")
    with pytest.raises(Exception, match="fc.bias"):
        checkpoint.load_into(model, path)
    extra = dict(state, **{"head.extra": np.zeros(3, np.float32)})
    path = checkpoint.save(extra, tmp_path / "extra.npz")
    with pytest.raises(Exception, match="head.extra"):
        checkpoint.load_into(model, path)
    bad = dict(state, **{"fc.weight": np.zeros((5, 7), np.float32)})
    path = checkpoint.save(bad, tmp_path / "bad.npz")
    with pytest.raises(Exception, match=r"fc\.weight.*\(5, 128\).*\(5, 7\)|fc\.weight"):
        checkpoint.load_into(model, path)


def test_corrupt_and_truncated_files_fail_clearly(tmp_path, model):
    path = checkpoint.save(model, tmp_path / "good.npz")
    data = path.read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="not a readable lucid checkpoint"):
        checkpoint.load(truncated)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"\x00not a checkpoint at all" * 10)
    with pytest.raises(CheckpointError):
        checkpoint.load(garbage)
    with pytest.raises(CheckpointError, match="does not exist"):
        checkpoint.load(tmp_path / "absent.npz")


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/lucid_pwned",))


def test_pickled_payloads_are_never_loaded(tmp_path):
    buf = io.BytesIO()
    np.save(buf, np.array([_Exploit()], dtype=object), allow_pickle=True)
    path = tmp_path / "hostile.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("fc.weight.npy", buf.getvalue())
    with pytest.raises(CheckpointError, match="fc.weight|pickle|Object arrays"):
        checkpoint.load(path)
    raw_pickle = tmp_path / "model.pkl"
    raw_pickle.write_bytes(pickle.dumps({"w": _Exploit()}))
    with pytest.raises(CheckpointError):
        checkpoint.load(raw_pickle)
    assert not os.path.exists("/tmp/lucid_pwned")


def test_zip_archives_that_are_not_npz_are_refused(tmp_path):
    path = tmp_path / "model.pth"  # e.g. a torch.save() zip: members are not .npy arrays
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
        zf.writestr("archive/version", b"3\n")
    with pytest.raises(CheckpointError, match="not a NumPy array|not a readable"):
        checkpoint.load(path)


def test_only_numeric_arrays_can_be_saved(tmp_path):
    with pytest.raises(CheckpointError, match="dtype"):
        checkpoint.save({"names": np.array(["a", "b"])}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="Module or a mapping"):
        checkpoint.save(42, tmp_path / "x.npz")
