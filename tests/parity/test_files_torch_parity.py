"""torch.save files and PyTorch's safetensors through lucid's readers: values, damage, hostility.

PyTorch is the independent reference here: what ``torch.save`` / ``safetensors.torch`` write
lucid must read with the same values, what lucid writes PyTorch's safetensors must read, and
damaged ``torch.save`` archives must be refused (PyTorch's own reader ignores the zip
CRC-32s, so lucid verifies them before calling ``torch.load``).
"""

from __future__ import annotations

import os
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from lucid.io import CheckpointError, checkpoint, read_weights_file  # noqa: E402

pytestmark = pytest.mark.parity


def _state() -> dict[str, object]:
    g = torch.Generator().manual_seed(0)
    return {"conv.weight": torch.randn(4, 3, 3, 3, generator=g),
            "bn.running_var": torch.rand(4, generator=g, dtype=torch.float64),
            "bn.num_batches_tracked": torch.tensor(12),
            "emb.weight": torch.randn(5, 2, generator=g).to(torch.bfloat16),
            "half": torch.randn(3, generator=g).half(),
            "mask": torch.tensor([True, False])}


def _as_expected(value: object) -> np.ndarray:
    """What lucid should hold for a torch tensor: bfloat16 widened to float32."""
    t = value.float() if value.dtype == torch.bfloat16 else value  # type: ignore[attr-defined]
    return t.numpy()  # type: ignore[attr-defined]


def test_torch_save_files_read_with_torchs_values(tmp_path: Path) -> None:
    state = _state()
    torch.save(state, tmp_path / "w.pt")
    torch.save({"state_dict": {f"module.{k}": v for k, v in state.items()}}, tmp_path / "x.pth")
    for name in ("w.pt", "x.pth"):
        weights = read_weights_file(tmp_path / name)
        assert weights.file_format == "torch" and weights.arrays.keys() == state.keys()
        for key, value in state.items():
            want = _as_expected(value)
            got = weights.arrays[key]
            assert got.dtype == want.dtype and got.shape == want.shape, key
            np.testing.assert_array_equal(got, want, err_msg=key)


def test_safetensors_cross_read_with_pytorch(tmp_path: Path) -> None:
    """PyTorch's writer (BF16 included) -> lucid, and lucid's checksummed writer -> PyTorch."""
    state = {k: v.contiguous() for k, v in _state().items()}
    safetensors_torch.save_file(state, str(tmp_path / "theirs.safetensors"))
    arrays, _ = checkpoint.load(tmp_path / "theirs.safetensors")
    for key, value in state.items():
        np.testing.assert_array_equal(arrays[key], _as_expected(value), err_msg=key)
    mine = checkpoint.save({k: _as_expected(v) for k, v in state.items()},
                           tmp_path / "mine.safetensors", metadata={"epoch": 2})
    loaded = safetensors_torch.load_file(str(mine))
    for key, value in state.items():
        np.testing.assert_array_equal(loaded[key].numpy(), _as_expected(value), err_msg=key)


class _Exploit:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned > /tmp/lucid_torch_pwned",))


def test_a_pickle_exploit_in_a_torch_file_is_refused(tmp_path: Path) -> None:
    torch.save({"w": torch.zeros(2), "payload": _Exploit()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="weights_only"):
        read_weights_file(tmp_path / "evil.pt")
    assert not os.path.exists("/tmp/lucid_torch_pwned")


def test_torch_archive_sizes_are_checked_before_torch_load(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    torch.save({"w": torch.zeros(1024)}, tmp_path / "w.pt")
    monkeypatch.setenv("LUCID_MAX_CHECKPOINT_BYTES", "1K")
    called = []
    monkeypatch.setattr(torch, "load", lambda *a, **k: called.append(1))
    with pytest.raises(CheckpointError, match=r"data/0' claims 4\.0 KiB, over the limit of "
                                              r"1\.0 KiB \(LUCID_MAX_CHECKPOINT_BYTES\)"):
        read_weights_file(tmp_path / "w.pt")
    assert called == []


def test_a_flipped_bit_in_a_torch_file_is_refused(tmp_path: Path) -> None:
    """torch.load alone would return the changed value; lucid checks the CRC-32 first."""
    torch.save({"w": torch.arange(16, dtype=torch.float32)}, tmp_path / "w.pt")
    path = tmp_path / "w.pt"
    info = next(i for i in zipfile.ZipFile(path).infolist() if i.filename.endswith("data/0"))
    data = bytearray(path.read_bytes())
    start = data.index(np.arange(16, dtype="<f4").tobytes(), info.header_offset)
    data[start + 5] ^= 0x10
    path.write_bytes(bytes(data))
    assert torch.load(path, weights_only=True)["w"][1].item() != 1.0  # PyTorch does not notice
    with pytest.raises(CheckpointError, match=r"data/0' is damaged .*CRC"):
        read_weights_file(path)


def test_damaged_torch_files_load_identically_or_raise_checkpoint_error(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("torch_fuzz")
    state = _state()
    torch.save(state, folder / "orig.pt")
    original = (folder / "orig.pt").read_bytes()
    path = folder / "damaged.pt"
    outcomes: Counter[str] = Counter()

    @settings(max_examples=int(os.environ.get("LUCID_FUZZ_EXAMPLES", "150")), deadline=None,
              derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.integers(0, len(original) - 1), st.integers(0, 7),
           st.sampled_from(["flip", "truncate"]))
    def check(pos: int, bit: int, kind: str) -> None:
        data = bytearray(original)
        if kind == "flip":
            data[pos] ^= 1 << bit
        else:
            del data[pos:]
        path.write_bytes(bytes(data))
        try:
            weights = read_weights_file(path)
        except CheckpointError:
            outcomes[f"{kind}: CheckpointError"] += 1
            return
        same = weights.arrays.keys() == state.keys() and all(
            weights.arrays[k].tobytes() == _as_expected(v).tobytes() for k, v in state.items())
        assert same, f"{kind} at byte {pos} changed the values silently"
        outcomes[f"{kind}: identical"] += 1

    check()
    print(f"\ntorch.save file: {sum(outcomes.values())} cases: {dict(sorted(outcomes.items()))}")
    assert any("CheckpointError" in k for k in outcomes)
