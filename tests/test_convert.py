"""Weights conversion without PyTorch: the mapping tables against the real timm/torchvision key
lists, validation errors that name the tensor, safe file reading (``lucid.io``) and the
``convert`` command.

``tests/data/state_dict_keys/*.txt`` list every state-dict key and shape of the public
models (timm 1.0.31, torchvision 0.29.1); they are the independent reference here.
"""

from __future__ import annotations

import ast
import io
import pickle
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import numpy as np
import pytest

import lucid.models as models
from lucid.cli import main
from lucid.convert import convert_state_dict, to_source_state_dict
from lucid.io import checkpoint
from lucid.io.checkpoint import CheckpointError
from lucid.io.state_dict import ConversionError, key_map_for
from lucid.io.weights import load_weights, read_weights_file, sniff_format
from lucid.models import KeyMap, KeyRule

KEYS_DIR = Path(__file__).parent / "data" / "state_dict_keys"
IO_DIR = Path(__file__).resolve().parents[1] / "lucid" / "io"

#: lucid preset -> the public model whose key list it must match
PRESETS = {
    "sk_resnet_18": "skresnet18",
    "sk_resnet_34": "skresnet34",
    "sk_resnet_50": "skresnet50",
    "sk_resnext_50_32x4d": "skresnext50_32x4d",
    "resnet_18": "resnet18",
    "resnet_34": "resnet34",
    "resnet_50": "resnet50",
    "resnet_101": "resnet101",
    "resnet_152": "resnet152",
}

#: configs equal to timm's deep-stem, average-pool-shortcut variants
D_VARIANTS = {
    "skresnet50d": lambda: models.SKNet(models.SKNetConfig(
        block="bottleneck", layers=(3, 4, 6, 3), stem_type="deep", stem_width=32,
        avg_down=True, attn_ratio=1 / 16, attn_divisor=8, split_input=True)),
    "resnet50d": lambda: models.ResNet(models.ResNetConfig(
        block="bottleneck", layers=(3, 4, 6, 3), stem_type="deep", stem_width=32,
        avg_down=True)),
}

#: hand-written source -> lucid name pairs, one per kind of rule
EXPECTED_PAIRS = {
    "sk_resnet_18": {
        "conv1.weight": "stem.0.conv.weight",
        "bn1.running_var": "stem.0.bn.running_var",
        "layer1.1.conv1.paths.1.conv.weight": "layer1.1.conv1.paths.1.conv.weight",
        "layer2.0.conv1.attn.fc_select.weight": "layer2.0.conv1.attn.fc_select.weight",
        "layer3.0.downsample.1.running_mean": "layer3.0.downsample.1.running_mean",
        "layer4.1.conv2.bn.num_batches_tracked": "layer4.1.conv2.bn.num_batches_tracked",
        "fc.bias": "fc.bias",
    },
    "resnet_50": {
        "conv1.weight": "stem.0.conv.weight",
        "bn1.bias": "stem.0.bn.bias",
        "layer1.0.conv3.weight": "layer1.0.conv3.conv.weight",
        "layer2.3.bn2.running_mean": "layer2.3.conv2.bn.running_mean",
        "layer4.0.downsample.0.weight": "layer4.0.downsample.0.weight",
        "fc.weight": "fc.weight",
    },
    "resnet50d": {
        "conv1.0.weight": "stem.0.conv.weight",
        "conv1.4.running_var": "stem.1.bn.running_var",
        "conv1.6.weight": "stem.2.conv.weight",
        "bn1.weight": "stem.2.bn.weight",
        "layer2.0.downsample.1.weight": "layer2.0.downsample.1.weight",
        "layer2.0.downsample.2.bias": "layer2.0.downsample.2.bias",
    },
}

_MODEL_CACHE: dict[str, object] = {}


def build(name: str):
    """A lucid preset or D variant (cached: building is the slow part of these tests)."""
    if name not in _MODEL_CACHE:
        _MODEL_CACHE[name] = D_VARIANTS[name]() if name in D_VARIANTS else models.get(name)
    return _MODEL_CACHE[name]


def public_keys(public_name: str) -> dict[str, tuple[int, ...]]:
    """The key list of a public model: name -> shape."""
    out = {}
    for line in (KEYS_DIR / f"{public_name}.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            key, shape = line.split()
            out[key] = tuple(int(d) for d in shape.strip("[]").split(",") if d)
    return out


def zeros_like_keys(keys: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    """Zero-memory arrays of the listed shapes (int64 batch counters, float32 otherwise)."""
    return {k: np.broadcast_to(np.int64(0) if k.endswith("num_batches_tracked")
                               else np.float32(0), shape) for k, shape in keys.items()}


def small_sknet():
    """A small SKNet in timm naming for file tests (plain stem, SK basic blocks)."""
    return models.get("sk_resnet_mini", num_classes=5)


# --------------------------------------------------------------------- the mapping table
ALL_MODELS = {**PRESETS, **{n: n for n in D_VARIANTS}}


@pytest.mark.parametrize("name", list(ALL_MODELS))
def test_mapping_covers_every_public_key_both_ways(name):
    model = build(name)
    keymap = key_map_for(model)
    source = public_keys(ALL_MODELS[name])
    lucid_shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    mapped = {}
    for key, shape in source.items():
        target = keymap.to_lucid(key)
        assert target in lucid_shapes, f"{name}: {key!r} -> {target!r}"
        assert lucid_shapes[target] == shape, f"{name}: {key!r} shape"
        assert keymap.to_source(target) == key
        mapped[target] = key
    assert sorted(mapped) == sorted(lucid_shapes)  # a bijection onto lucid's keys
    for key in lucid_shapes:
        assert keymap.to_source(key) in source
    assert list(to_source_state_dict(model)) == list(source)  # same names, same order
    converted = convert_state_dict(zeros_like_keys(source), model)
    assert set(converted) == set(lucid_shapes)


@pytest.mark.parametrize("name", list(EXPECTED_PAIRS))
def test_values_land_under_the_documented_names(name):
    model = build(name)
    source = public_keys(ALL_MODELS[name])
    rng = np.random.default_rng(0)
    arrays = zeros_like_keys(source)
    for key in EXPECTED_PAIRS[name]:
        arrays[key] = (rng.integers(1, 9, source[key]) if key.endswith("tracked")
                       else rng.standard_normal(source[key]).astype(np.float32))
    out = convert_state_dict(arrays, model)
    for src_key, lucid_key in EXPECTED_PAIRS[name].items():
        np.testing.assert_array_equal(out[lucid_key], arrays[src_key])


def test_naming_families_and_unsupported_models():
    assert key_map_for(build("sk_resnet_18")).naming == "timm-skresnet"
    assert key_map_for(build("resnet_50")).naming == "torchvision-resnet"
    assert key_map_for(build("sk_resnet_18")).to_lucid("layer1.0.bn1.weight") is None
    assert key_map_for(build("resnet_50")).to_lucid("layer1.0.conv1.conv.weight") is None
    with pytest.raises(TypeError, match=r"key_map\(\) method .* object has none"):
        key_map_for(object())


def test_a_key_map_must_be_a_key_map():
    class Pretender:
        def key_map(self):
            return {"conv1.weight": "stem.0.conv.weight"}

    with pytest.raises(TypeError,
                       match=r"Pretender.key_map\(\) must return a mapping table.*got dict"):
        key_map_for(Pretender())


def test_any_model_with_a_key_map_converts():
    """lucid.io knows no model: a table and a state_dict() are all it needs."""
    import lucid.nn as nn

    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 2)

        def key_map(self):
            return KeyMap("tiny", [KeyRule("head.{wb}", "fc.{wb}")])

    src = {"head.weight": np.ones((2, 3), np.float32), "head.bias": np.zeros(2, np.float64)}
    out = convert_state_dict(src, Tiny())
    assert out["fc.bias"].dtype == np.float32 and out["fc.weight"].shape == (2, 3)
    assert to_source_state_dict(Tiny()).keys() == {"head.weight", "head.bias"}


# --------------------------------------------------------------------- the I/O boundary
@pytest.mark.parametrize("path", sorted(IO_DIR.glob("*.py")), ids=lambda p: p.name)
def test_lucid_io_imports_no_model_nn_or_convert_module(path):
    """Not even inside a function: models find io, io never finds models."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            names = [("." * node.level) + (node.module or "")]
            names += [f"{names[0]}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            parts = name.lstrip(".").split(".")
            assert not {"models", "nn", "convert"} & set(parts), f"{path.name} imports {name}"


def test_importing_lucid_io_loads_no_model_nn_or_convert_module():
    code = ("import sys, lucid.io\n"
            "print(sorted(m for m in sys.modules if m.startswith(('lucid.models', 'lucid.nn',"
            " 'lucid.convert'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# --------------------------------------------------------------------- validation errors
@pytest.fixture(scope="module")
def sk18_source() -> dict[str, np.ndarray]:
    return zeros_like_keys(public_keys("skresnet18"))


def test_missing_tensor_is_named(sk18_source):
    src = dict(sk18_source)
    del src["layer2.0.conv1.paths.1.bn.weight"]
    with pytest.raises(ConversionError, match=r"missing tensors \(1\)") as info:
        convert_state_dict(src, build("sk_resnet_18"))
    assert "'layer2.0.conv1.paths.1.bn.weight'" in str(info.value)
    assert "expected shape (128,)" in str(info.value)


def test_missing_torchvision_tensor_is_named_in_source_and_lucid_terms():
    src = zeros_like_keys(public_keys("resnet50"))
    del src["layer3.2.bn2.running_var"]
    with pytest.raises(ConversionError) as info:
        convert_state_dict(src, build("resnet_50"))
    assert "'layer3.2.bn2.running_var' (lucid 'layer3.2.conv2.bn.running_var')" in \
        str(info.value)


def test_unexpected_tensors_are_named(sk18_source):
    src = dict(sk18_source)
    src["head.fc.weight"] = np.zeros((3, 3), np.float32)
    src["layer1.0.conv3.conv.weight"] = np.zeros((3, 3), np.float32)
    with pytest.raises(ConversionError, match=r"unexpected tensors \(2\)") as info:
        convert_state_dict(src, build("sk_resnet_18"))
    text = str(info.value)
    assert "'head.fc.weight': no rule" in text
    assert "'layer1.0.conv3.conv.weight': maps to" in text and "does not have" in text


def test_misshaped_tensor_is_named(sk18_source):
    src = dict(sk18_source, **{"fc.weight": np.zeros((10, 512), np.float32)})
    with pytest.raises(ConversionError, match=r"mis-shaped tensors \(1\)") as info:
        convert_state_dict(src, build("sk_resnet_18"))
    assert "'fc.weight'" in str(info.value)
    assert "expected shape (1000, 512), got (10, 512)" in str(info.value)


def test_non_numeric_tensor_is_refused(sk18_source):
    src = dict(sk18_source, **{"fc.bias": np.array(["x"] * 1000)})
    with pytest.raises(ConversionError, match=r"'fc.bias' has dtype <U1"):
        convert_state_dict(src, build("sk_resnet_18"))


def test_long_error_lists_are_capped(sk18_source):
    src = {k: v for k, v in sk18_source.items() if not k.startswith("layer")}
    with pytest.raises(ConversionError) as info:
        convert_state_dict(src, build("sk_resnet_18"))
    assert "missing tensors (183)" in str(info.value)  # 218 less 35 filled counters
    assert "... and 163 more" in str(info.value)


def test_num_batches_tracked_may_be_absent_and_is_filled_with_zero():
    src = {k: v for k, v in zeros_like_keys(public_keys("resnet18")).items()
           if not k.endswith("num_batches_tracked")}
    out = convert_state_dict(src, build("resnet_18"))
    assert out["layer1.0.conv1.bn.num_batches_tracked"].shape == ()
    assert out["layer1.0.conv1.bn.num_batches_tracked"].dtype == np.int64
    assert int(out["stem.0.bn.num_batches_tracked"]) == 0


def test_dtypes_are_cast_to_the_model(sk18_source):
    src = dict(sk18_source)
    src["fc.weight"] = np.full((1000, 512), 0.5, np.float64)
    src["bn1.running_mean"] = np.full(64, 0.25, np.float16)
    src["bn1.num_batches_tracked"] = np.array([7], np.int32)  # size-1 counters are accepted
    out = convert_state_dict(src, build("sk_resnet_18"))
    assert out["fc.weight"].dtype == np.float32 and out["fc.weight"][0, 0] == 0.5
    assert out["stem.0.bn.running_mean"].dtype == np.float32
    assert out["stem.0.bn.num_batches_tracked"].shape == ()
    assert out["stem.0.bn.num_batches_tracked"].dtype == np.int64
    assert int(out["stem.0.bn.num_batches_tracked"]) == 7


def test_wrappers_and_prefixes_are_unwrapped(sk18_source):
    wrapped = {"state_dict": {f"module.{k}": v for k, v in sk18_source.items()}, "epoch": 3}
    assert len(convert_state_dict(wrapped, build("sk_resnet_18"))) == 226
    compiled = {"model": {f"_orig_mod.{k}": v for k, v in sk18_source.items()}}
    assert len(convert_state_dict(compiled, build("sk_resnet_18"))) == 226


def test_lucid_named_state_dict_passes_through():
    model = small_sknet()
    state = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    out = convert_state_dict(state, model)
    for key, value in state.items():
        np.testing.assert_array_equal(out[key], value)


def test_model_given_by_name():
    out = convert_state_dict(zeros_like_keys(public_keys("resnet18")), "resnet-18")
    assert len(out) == 122


# --------------------------------------------------------------------- files
def timm_named(model) -> dict[str, np.ndarray]:
    """Random weights for ``model``, under its timm/torchvision names."""
    rng = np.random.default_rng(1)
    return {k: (v if k.endswith("tracked") else rng.standard_normal(v.shape).astype(np.float32))
            for k, v in to_source_state_dict(model).items()}


def assert_loaded(model, timm_arrays):
    keymap = key_map_for(model)
    state = model.state_dict()
    for key, value in timm_arrays.items():
        np.testing.assert_array_equal(state[keymap.to_lucid(key)].detach().numpy(), value)


def test_safetensors_and_npz_sources_load_without_torch(tmp_path):
    from safetensors.numpy import save_file

    arrays = timm_named(small_sknet())
    st_path, npz_path = tmp_path / "w.safetensors", tmp_path / "w.npz"
    save_file(arrays, str(st_path))
    np.savez(npz_path, **arrays)
    for path, kind in ((st_path, "safetensors"), (npz_path, "npz")):
        model = small_sknet()
        report = load_weights(model, path)
        assert report.source_format == kind and report.naming == "timm-skresnet"
        assert report.n_tensors == len(arrays)
        assert_loaded(model, arrays)


def test_file_kind_is_recognised_by_content_not_extension(tmp_path):
    from safetensors.numpy import save_file

    arrays = timm_named(small_sknet())
    disguised = tmp_path / "weights.npz"  # really safetensors
    save_file(arrays, str(disguised))
    assert sniff_format(disguised) == "safetensors"
    model = small_sknet()
    load_weights(model, disguised)
    assert_loaded(model, arrays)

    trained = small_sknet()
    lucid_ckpt = checkpoint.save(trained, tmp_path / "checkpoint.bin",
                                 metadata={"model": "sk_resnet_mini"})  # really .npz
    assert sniff_format(lucid_ckpt) == "npz"
    fresh = small_sknet()
    report = load_weights(fresh, lucid_ckpt, model_name="sk_resnet_mini")
    assert report.source_format == "lucid checkpoint" and report.naming == "lucid"
    for key, value in trained.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[key].detach().numpy(),
                                      value.detach().numpy())


def test_lucid_checkpoint_of_another_model_is_refused(tmp_path):
    path = checkpoint.save(small_sknet(), tmp_path / "c.npz", metadata={"model": "resnet_18"})
    with pytest.raises(ConversionError, match="lucid checkpoint of 'resnet_18', not of"):
        load_weights(small_sknet(), path, model_name="sk_resnet_mini")


def test_registry_get_with_weights(tmp_path):
    from safetensors.numpy import save_file

    arrays = timm_named(small_sknet())
    path = tmp_path / "w.safetensors"
    save_file(arrays, str(path))
    model = models.get("sk_resnet_mini", num_classes=5, weights=path)
    assert_loaded(model, arrays)
    del arrays["layer3.0.conv1.attn.bn.running_var"]
    save_file(arrays, str(path))
    with pytest.raises(ConversionError, match=r"'layer3.0.conv1.attn.bn.running_var'"):
        models.get("sk_resnet_mini", num_classes=5, weights=path)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


class _Payload:
    """A pickle that would create a file if it were ever unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def fake_torch_zip(path: Path, marker: Path) -> Path:
    """A file laid out like torch.save's zip format, whose data.pkl is hostile."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps(_Payload(marker), protocol=2))
        zf.writestr("archive/version", "3\n")
    return path


@pytest.fixture
def no_torch(monkeypatch):
    """Make ``import torch`` fail, as on a machine without PyTorch."""
    monkeypatch.setitem(sys.modules, "torch", None)


def test_pth_without_torch_gives_the_install_hint_and_never_unpickles(tmp_path, no_torch):
    marker = tmp_path / "pwned"
    legacy = write(tmp_path / "legacy.pth", pickle.dumps(_Payload(marker), protocol=2))
    zipped = fake_torch_zip(tmp_path / "new.pt", marker)
    for path in (legacy, zipped):
        assert sniff_format(path) == "torch"
        with pytest.raises(ImportError, match=r"needs PyTorch \(pip install torch\)") as info:
            load_weights(small_sknet(), path)
        assert "safetensors" in str(info.value)
    assert not marker.exists()
    assert main(["convert", "sk_resnet_mini", str(zipped), str(tmp_path / "o.npz")]) == 1
    assert not marker.exists()


def test_pth_is_read_with_torch_load_weights_only(tmp_path, monkeypatch):
    calls = []
    arrays = timm_named(small_sknet())

    def fake_load(path, **kwargs):
        calls.append(kwargs)
        return {"state_dict": {f"module.{k}": v for k, v in arrays.items()}}

    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(load=fake_load))
    path = fake_torch_zip(tmp_path / "w.pth", tmp_path / "unused")
    weights = read_weights_file(path)
    assert calls == [{"map_location": "cpu", "weights_only": True}]
    assert weights.file_format == "torch" and set(weights.arrays) == set(arrays)


def test_torch_refusal_is_reported(tmp_path, monkeypatch):
    def refusing_load(path, **kwargs):
        raise RuntimeError("Weights only load failed: unsupported global GLOBAL os.system")

    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(load=refusing_load))
    path = fake_torch_zip(tmp_path / "w.pth", tmp_path / "unused")
    with pytest.raises(CheckpointError, match="safe weights_only mode.*os.system"):
        read_weights_file(path)


def _huge_header_safetensors() -> bytes:
    return (10**7).to_bytes(8, "little") + b'{"a": 1}'


def _truncated_safetensors() -> bytes:
    from safetensors.numpy import save

    return save({"fc.weight": np.ones((64, 64), np.float32)})[:-100]


def _object_npz() -> bytes:
    buf = io.BytesIO()
    np.savez(buf, w=np.array([{"x": 1}], dtype=object))
    return buf.getvalue()


def _odd_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hello")
    return buf.getvalue()


def _npy() -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.zeros(3))
    return buf.getvalue()


@pytest.mark.parametrize("make, message", [
    (lambda: b"", "is empty"),
    (lambda: b"GIF89a, or anything else that is not a weights file" * 3, "not a recognised"),
    (_huge_header_safetensors, "not a valid safetensors file"),
    (_truncated_safetensors, "not a valid safetensors file"),
    (_object_npz, "unsupported dtype object|not a readable lucid checkpoint"),
    (_odd_zip, "neither an .npz"),
    (lambda: b"PK\x03\x04" + b"\x00" * 40, "corrupt"),
    (_npy, "single .npy array"),
], ids=["empty", "other", "huge-header", "truncated-safetensors", "object-npz", "odd-zip",
        "broken-zip", "npy"])
def test_corrupt_and_hostile_files_fail_clearly(tmp_path, make, message):
    path = write(tmp_path / "weights.safetensors", make())
    with pytest.raises(CheckpointError, match=message):
        load_weights(small_sknet(), path)


def test_missing_path_and_directory_fail_clearly(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_weights(small_sknet(), tmp_path / "nope.pth")
    with pytest.raises(CheckpointError, match="not a file"):
        load_weights(small_sknet(), tmp_path)


# --------------------------------------------------------------------- the command line
def test_cli_convert_writes_a_lucid_checkpoint(tmp_path, capsys):
    from safetensors.numpy import save_file

    arrays = timm_named(small_sknet())
    src = tmp_path / "timm.safetensors"
    save_file(arrays, str(src))
    for dst in (tmp_path / "out.npz", tmp_path / "out.safetensors"):
        assert main(["convert", "sk_resnet_mini", str(src), str(dst)]) == 0
        out = capsys.readouterr().out
        n_params = sum(int(np.prod(v.shape)) for k, v in arrays.items()
                       if not k.endswith(("running_mean", "running_var", "tracked")))
        assert f"read {len(arrays)} tensors" in out and "timm-skresnet naming" in out
        assert f"wrote {len(arrays)} tensors ({n_params:,} parameters" in out
        assert "with 5 classes" in out  # taken from the source's fc.weight
        saved, meta = checkpoint.load(dst)
        assert meta["format"] == "lucid" and meta["model"] == "sk_resnet_mini"
        assert meta["num_classes"] == 5
        model = models.get("sk_resnet_mini", num_classes=5, weights=dst)
        assert_loaded(model, arrays)


def test_cli_convert_reports_the_bad_tensor(tmp_path, capsys):
    from safetensors.numpy import save_file

    arrays = timm_named(small_sknet())
    arrays["conv1.weight"] = np.zeros((16, 3, 7, 7), np.float32)
    save_file(arrays, str(tmp_path / "bad.safetensors"))
    code = main(["convert", "sk_resnet_mini", str(tmp_path / "bad.safetensors"),
                 str(tmp_path / "o.npz")])
    assert code == 1
    err = capsys.readouterr().err
    assert "'conv1.weight' (lucid 'stem.0.conv.weight'): expected shape (16, 3, 3, 3)" in err
    assert not (tmp_path / "o.npz").exists()
