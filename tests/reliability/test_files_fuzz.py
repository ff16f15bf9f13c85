"""Fuzzing the checkpoint readers: damaged files load identically or raise CheckpointError.

Valid files are damaged by Hypothesis (flipped bits, truncation, overwritten spans, deleted
bytes) and read through ``checkpoint.load`` and ``read_weights_file``. For files whose every
byte is covered by a checksum (lucid's safetensors: SHA-256; any ``.npz``: zip's CRC-32 per
member) the only acceptable outcomes are a load with identical names, dtypes, shapes, values
and metadata (the damage hit bytes that mean nothing, such as zip timestamps or header
padding) or a :class:`CheckpointError`. For safetensors written by other tools (no
checksum) a damaged value cannot be noticed, so there the property is only: a load or a
CheckpointError, never another exception. Each test prints how many cases ended which way
(``pytest -s``); ``LUCID_FUZZ_EXAMPLES`` sets the number of cases per test (default 150).
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from lucid.io import CheckpointError, checkpoint, read_weights_file  # noqa: E402

EXAMPLES = int(os.environ.get("LUCID_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"conv.weight": rng.standard_normal((4, 3, 3, 3)).astype(np.float32),
            "bn.running_mean": rng.standard_normal(4).astype(np.float32),
            "bn.num_batches_tracked": np.array(7, np.int64),
            "mask": np.array([True, False, True]),
            "emb": rng.standard_normal((2, 3)).astype(np.float16),
            "empty": np.zeros((0, 2), np.float64)}


META = {"model": "fuzz_net", "epoch": 3}


def _lucid_file(suffix: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return checkpoint.save(_arrays(), Path(folder) / f"c{suffix}", metadata=META).read_bytes()


def _numpy_compressed_npz() -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **_arrays())
    return buf.getvalue()


def _foreign_safetensors() -> bytes:
    st_numpy = pytest.importorskip("safetensors.numpy")
    return st_numpy.save(_arrays(), metadata={"source": "another tool"})


#: name -> (how to make the valid file, its suffix, whether every byte is checksummed)
SOURCES: dict[str, tuple[Callable[[], bytes], str, bool]] = {
    "lucid .safetensors": (lambda: _lucid_file(".safetensors"), ".safetensors", True),
    "lucid .npz": (lambda: _lucid_file(".npz"), ".npz", True),
    "numpy compressed .npz": (_numpy_compressed_npz, ".npz", True),
    "foreign .safetensors": (_foreign_safetensors, ".safetensors", False),
}


@st.composite
def damage(draw: st.DrawFn, size: int) -> tuple[str, bytes | Callable[[bytes], bytes]]:
    """One way to damage a file of ``size`` bytes, as (label, function of the bytes)."""
    kind = draw(st.sampled_from(["flip", "truncate", "overwrite", "delete"]))
    if kind == "flip":
        flips = draw(st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, 7)),
                              min_size=1, max_size=3, unique=True))

        def apply(data: bytes) -> bytes:
            out = bytearray(data)
            for pos, bit in flips:
                out[pos] ^= 1 << bit
            return bytes(out)
    elif kind == "truncate":
        cut = draw(st.integers(0, size - 1))

        def apply(data: bytes) -> bytes:
            return data[:cut]
    elif kind == "overwrite":
        pos = draw(st.integers(0, size - 1))
        patch = draw(st.binary(min_size=1, max_size=16))

        def apply(data: bytes) -> bytes:
            return data[:pos] + patch + data[pos + len(patch):]
    else:
        pos, n = draw(st.integers(0, size - 1)), draw(st.integers(1, 16))

        def apply(data: bytes) -> bytes:
            return data[:pos] + data[pos + n:]
    return kind, apply


def _identical(loaded: dict[str, np.ndarray], meta: dict[str, object] | None,
               expected_meta: dict[str, object] | None) -> bool:
    want = _arrays()
    if set(loaded) != set(want) or (expected_meta is not None and meta != expected_meta):
        return False
    return all(loaded[k].dtype == want[k].dtype and loaded[k].shape == want[k].shape
               and loaded[k].tobytes() == want[k].tobytes() for k in want)


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_damaged_files_load_identically_or_raise_checkpoint_error(
        source: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    make, suffix, checksummed = SOURCES[source]
    original = make()
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / f"damaged{suffix}"
    expected_meta: dict[str, object] | None
    if source.startswith("lucid"):
        expected_meta = {"format": "lucid", "format_version": 1, **META}
    elif source == "foreign .safetensors":
        expected_meta = {"source": "another tool"}
    else:
        expected_meta = {}
    outcomes: Counter[str] = Counter()

    @FUZZ
    @given(damage(len(original)))
    def check(change: tuple[str, Callable[[bytes], bytes]]) -> None:
        kind, apply = change
        data = apply(original)
        path.write_bytes(data)
        try:
            arrays, meta = checkpoint.load(path)
        except CheckpointError as exc:
            assert str(path) in str(exc)
            outcomes[f"{kind}: CheckpointError"] += 1
        else:
            if _identical(arrays, meta, expected_meta):
                outcomes[f"{kind}: identical"] += 1
            else:
                assert not checksummed, f"{kind} changed the values silently: {data!r}"
                outcomes[f"{kind}: loaded changed values (no checksum)"] += 1
        try:  # the weights-file path (sniffing, then the same readers) never raises otherwise
            read_weights_file(path)
        except CheckpointError:
            pass

    check()
    print(f"\n{source}: {sum(outcomes.values())} cases: {dict(sorted(outcomes.items()))}")
    assert sum(outcomes.values()) >= min(EXAMPLES, 50)
    assert any("CheckpointError" in k for k in outcomes)


def test_every_single_bit_flip_of_a_small_lucid_safetensors_file(tmp_path: Path) -> None:
    """Exhaustive: every bit of the file flipped once is a CheckpointError.

    Even the header's space padding: a space with one bit flipped is never JSON whitespace.
    """
    path = tmp_path / "c.safetensors"
    original = checkpoint.save({"w": np.arange(4, dtype=np.float32)}, path,
                               metadata={"k": 1}).read_bytes()
    loaded = 0
    for pos in range(len(original)):
        for bit in range(8):
            data = bytearray(original)
            data[pos] ^= 1 << bit
            path.write_bytes(bytes(data))
            try:
                checkpoint.load(path)
            except CheckpointError:
                continue
            loaded += 1
            print(f"bit {bit} of byte {pos} ({original[pos:pos + 1]!r}) flipped: still loads")
    print(f"\n{len(original) * 8} single-bit flips of a lucid .safetensors file: "
          f"{len(original) * 8 - loaded} CheckpointError, {loaded} loads")
    assert loaded == 0


def test_zip_member_order_and_names_survive(tmp_path: Path) -> None:
    """Sanity for the oracle: an undamaged file of each source loads identically."""
    for source, (make, suffix, _) in SOURCES.items():
        path = tmp_path / f"ok{suffix}"
        path.write_bytes(make())
        arrays, _ = checkpoint.load(path)
        assert _identical(arrays, None, None), source
    assert zipfile.is_zipfile(tmp_path / "ok.npz")
