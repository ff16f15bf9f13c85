"""Numerical parity with PyTorch: timm's SKNets and torchvision's ResNet-50, converted to lucid.

For each preset the reference model is built with a fixed seed, its batch norms are
randomised (so that no BN is the identity), and its state dict travels to lucid the
PyTorch-free way: safetensors bytes read back as NumPy arrays, then
:func:`lucid.convert.convert_state_dict`. Tolerance everywhere: the largest absolute
difference is at most ``1e-4 * max(1, max|reference|)``.

* eval mode, float32, non-square input with batch 2: logits;
* train mode, float32: logits, the classifier's weight gradient, and every BN's running
  statistics after the momentum update;
* train mode, float64: logits and the gradients of the input, the first conv, an SK
  attention layer and the classifier. Gradients are compared in float64 because in float32
  they are not reproducible to 1e-4 even within PyTorch: a max-pool or ReLU whose inputs
  nearly tie routes the gradient differently under another rounding, and train-mode BN
  through 50 layers amplifies rounding (PyTorch float32 vs PyTorch float64 differ by
  0.2–5 % in the input gradient of these networks), so that bound is a float64 bound.

The last BN of each residual branch is scaled down (γ ≈ 0.25), as in trained networks (timm
initialises it to zero): with unit γ everywhere a random deep network's train-mode output
is chaotic enough that float32 logits disagree at 1e-4 between any two implementations.
"""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")
timm = pytest.importorskip("timm")
safetensors_torch = pytest.importorskip("safetensors.torch")
safetensors_numpy = pytest.importorskip("safetensors.numpy")

import lucid  # noqa: E402
import lucid.models as models  # noqa: E402
from lucid.convert import convert_state_dict, to_source_state_dict  # noqa: E402

pytestmark = pytest.mark.parity

#: lucid preset -> (library, reference model name, an SK attention / middle conv to check)
PRESETS = {
    "sk_resnet_18": ("timm", "skresnet18", "layer2.0.conv1.attn.fc_reduce.weight"),
    "sk_resnet_34": ("timm", "skresnet34", "layer3.1.conv1.attn.fc_select.weight"),
    "sk_resnet_50": ("timm", "skresnet50", "layer2.0.conv2.attn.fc_reduce.weight"),
    "sk_resnext_50_32x4d": ("timm", "skresnext50_32x4d", "layer3.0.conv2.attn.fc_select.weight"),
    "resnet_50": ("torchvision", "resnet50", "layer3.0.conv2.conv.weight"),
}
EVAL_SHAPE = (2, 3, 160, 128)
TRAIN_SHAPE = (2, 3, 128, 96)
GRAD_SHAPE = (2, 3, 64, 48)  # float64 PyTorch convolutions are slow on a CPU


def assert_close(name: str, got: np.ndarray, ref: np.ndarray) -> None:
    """max|got - ref| <= 1e-4 * max(1, max|ref|), with the numbers in the message."""
    got, ref = np.asarray(got, np.float64), np.asarray(ref, np.float64)
    assert got.shape == ref.shape, f"{name}: shape {got.shape} != reference {ref.shape}"
    scale = max(1.0, float(np.abs(ref).max()))
    diff = float(np.abs(got - ref).max())
    assert diff <= 1e-4 * scale, f"{name}: max |diff| {diff:.3g} > 1e-4 * {scale:.3g}"


def _block_last_bn(block):
    """The BN that closes a residual branch (timm ConvNormAct or torchvision naming)."""
    for path in ("bn3", "conv3.bn", "bn2", "conv2.bn"):
        obj = block
        for part in path.split("."):
            obj = getattr(obj, part, None)
        if isinstance(obj, torch.nn.BatchNorm2d):
            return obj
    raise AssertionError(f"no closing BN in {type(block).__name__}")


def build_reference(lib: str, ref_name: str):
    """The PyTorch model with seeded weights and randomised batch norms, in eval mode."""
    torch.manual_seed(0)
    if lib == "timm":
        model = timm.create_model(ref_name, pretrained=False)
    else:
        torchvision = pytest.importorskip("torchvision")
        model = getattr(torchvision.models, ref_name)(weights=None)
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                n = mod.num_features
                mod.weight.copy_(0.5 + torch.rand(n, generator=gen))
                mod.bias.copy_(0.2 * torch.randn(n, generator=gen))
                mod.running_mean.copy_(0.2 * torch.randn(n, generator=gen))
                mod.running_var.copy_(0.5 + torch.rand(n, generator=gen))
                mod.num_batches_tracked.fill_(7)
        for stage in (model.layer1, model.layer2, model.layer3, model.layer4):
            for block in stage:
                _block_last_bn(block).weight.mul_(0.25)
    return model.eval()


def to_lucid_arrays(model) -> dict[str, np.ndarray]:
    """The state dict as NumPy arrays via safetensors bytes (the path that needs no PyTorch)."""
    return safetensors_numpy.load(safetensors_torch.save(model.state_dict()))


@pytest.fixture(scope="module", params=list(PRESETS))
def pair(request):
    """(preset name, reference model, converted lucid state dict)."""
    name = request.param
    lib, ref_name, _ = PRESETS[name]
    ref = build_reference(lib, ref_name)
    converted = convert_state_dict(to_lucid_arrays(ref), name)
    return name, ref, converted


def lucid_model(name: str, converted: dict[str, np.ndarray]):
    model = models.get(name)
    model.load_state_dict(converted)
    return model


def sample_input(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Images that differ globally (scale and per-channel offset), not just by pixel noise."""
    rng = np.random.default_rng(seed)
    n, c = shape[:2]
    x = rng.uniform(0.5, 2.0, (n, 1, 1, 1)) * rng.standard_normal(shape)
    return x + rng.standard_normal((n, c, 1, 1))


def test_eval_logits_match(pair):
    name, ref, converted = pair
    x = sample_input(EVAL_SHAPE, 0).astype(np.float32)
    with torch.no_grad():
        expected = ref(torch.from_numpy(x)).numpy()
    model = lucid_model(name, converted).eval()
    with lucid.no_grad():
        got = model(lucid.tensor(x)).numpy()
    assert np.abs(expected).max() > 0.1  # the comparison is not between near-zeros
    assert_close(f"{name} eval logits", got, expected)


def test_train_forward_and_running_stats_match(pair):
    name, ref, converted = pair
    x = sample_input(TRAIN_SHAPE, 1).astype(np.float32)
    weights = np.random.default_rng(2).standard_normal((x.shape[0], 1000)).astype(np.float32)
    ref = copy.deepcopy(ref).train()
    out_ref = ref(torch.from_numpy(x))
    (out_ref * torch.from_numpy(weights)).sum().backward()
    model = lucid_model(name, converted).train()
    out = model(lucid.tensor(x))
    (out * lucid.tensor(weights)).sum().backward()

    assert_close(f"{name} train logits", out.detach().numpy(), out_ref.detach().numpy())
    assert_close(f"{name} fc.weight grad", model.fc.weight.grad.numpy(),
                 ref.fc.weight.grad.numpy())
    stats_ref = convert_state_dict(to_lucid_arrays(ref), name)
    stats = model.state_dict()
    checked = 0
    for key, value in stats_ref.items():
        if key.endswith(("running_mean", "running_var")):
            assert_close(f"{name} {key}", stats[key].numpy(), value)
            checked += 1
        elif key.endswith("num_batches_tracked"):
            assert int(stats[key].item()) == int(value) == 8, key
    assert checked > 50
    assert not np.allclose(stats_ref["stem.0.bn.running_mean"],
                           converted["stem.0.bn.running_mean"])  # the update happened


def test_train_gradients_match_in_float64(pair):
    name, ref, converted = pair
    inner = PRESETS[name][2]
    x = sample_input(GRAD_SHAPE, 3)
    weights = np.random.default_rng(4).standard_normal((x.shape[0], 1000))
    ref = copy.deepcopy(ref).double().train()
    x_ref = torch.from_numpy(x).requires_grad_(True)
    out_ref = ref(x_ref)
    (out_ref * torch.from_numpy(weights)).sum().backward()
    ref_params = dict(ref.named_parameters())

    model = lucid_model(name, converted).double().train()
    x_l = lucid.tensor(x, requires_grad=True)
    out = model(x_l)
    (out * lucid.tensor(weights)).sum().backward()
    params = dict(model.named_parameters())

    assert_close(f"{name} float64 train logits", out.detach().numpy(),
                 out_ref.detach().numpy())
    assert_close(f"{name} input grad", x_l.grad.numpy(), x_ref.grad.numpy())
    checks = {"stem.0.conv.weight": "conv1.weight", "fc.weight": "fc.weight",
              inner: re.sub(r"conv(\d)\.conv\.weight$", r"conv\1.weight", inner)
              if PRESETS[name][0] == "torchvision" else inner}
    for lucid_key, ref_key in checks.items():
        assert_close(f"{name} grad of {lucid_key}", params[lucid_key].grad.numpy(),
                     ref_params[ref_key].grad.numpy())


def test_reverse_mapping_loads_into_pytorch(pair):
    """lucid -> timm names: PyTorch loads the exported dict strictly and computes the same."""
    name, ref, converted = pair
    exported = to_source_state_dict(lucid_model(name, converted))
    fresh = copy.deepcopy(ref)
    for p in fresh.parameters():
        p.data.zero_()
    fresh.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in exported.items()},
                          strict=True)
    x = torch.from_numpy(sample_input((2, 3, 64, 64), 5).astype(np.float32))
    with torch.no_grad():
        assert_close(f"{name} re-exported", fresh.eval()(x).numpy(), ref(x).numpy())


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_files_load_through_the_registry(tmp_path, suffix):
    """``lucid.models.get(name, weights=file)`` for a torch.save file and a safetensors file."""
    lib, ref_name, _ = PRESETS["sk_resnet_18"]
    ref = build_reference(lib, ref_name)
    path = tmp_path / f"weights{suffix}"
    if suffix == ".pth":
        torch.save({"state_dict": {f"module.{k}": v for k, v in ref.state_dict().items()}},
                   path)
    else:
        safetensors_torch.save_file(ref.state_dict(), str(path))
    model = models.get("sk_resnet_18", weights=path).eval()
    x = sample_input((2, 3, 96, 64), 6).astype(np.float32)
    with torch.no_grad():
        expected = ref(torch.from_numpy(x)).numpy()
    with lucid.no_grad():
        assert_close(f"sk_resnet_18 from {suffix}", model(lucid.tensor(x)).numpy(), expected)


#: timm's deep-stem, average-pool-shortcut variants as lucid configs
D_VARIANTS = {
    "skresnet50d": lambda: models.SKNet(models.SKNetConfig(
        block="bottleneck", layers=(3, 4, 6, 3), stem_type="deep", stem_width=32,
        avg_down=True, attn_ratio=1 / 16, attn_divisor=8, split_input=True)),
    "resnet50d": lambda: models.ResNet(models.ResNetConfig(
        block="bottleneck", layers=(3, 4, 6, 3), stem_type="deep", stem_width=32,
        avg_down=True)),
}


@pytest.mark.parametrize("ref_name", list(D_VARIANTS))
def test_deep_stem_and_avg_down_variants_match_in_eval(ref_name):
    """The deep-stem table and the ceil-mode average-pool shortcut (odd sizes: 19 -> 10)."""
    ref = build_reference("timm", ref_name)
    model = D_VARIANTS[ref_name]()
    model.load_state_dict(convert_state_dict(to_lucid_arrays(ref), model))
    x = sample_input((2, 3, 150, 118), 7).astype(np.float32)
    with torch.no_grad():
        expected = ref(torch.from_numpy(x)).numpy()
    with lucid.no_grad():
        assert_close(f"{ref_name} eval logits", model.eval()(lucid.tensor(x)).numpy(), expected)


def test_hostile_pth_is_refused_by_weights_only(tmp_path):
    """A torch.save file holding an arbitrary object fails to load and never runs it."""
    from lucid.io.checkpoint import CheckpointError

    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.pth"
    torch.save({"fc.weight": Payload()}, path)
    with pytest.raises(CheckpointError, match="weights_only"):
        models.get("sk_resnet_18", weights=path)
    assert not marker.exists()


def test_preprocessing_matches_torchvision():
    """resize-shorter 256 / center-crop 224 / normalise against torchvision's transforms."""
    torchvision = pytest.importorskip("torchvision")
    pil_image = pytest.importorskip("PIL.Image")
    from torchvision.transforms import functional as TF

    from lucid.data.transforms import IMAGENET_MEAN, IMAGENET_STD, preprocess_imagenet

    yy, xx = np.mgrid[0:333, 0:517]
    img = np.stack([127 + 120 * np.sin(xx / 17 + k) * np.cos(yy / 23) for k in range(3)], -1)
    img = img.astype(np.uint8)
    got = preprocess_imagenet(img)

    chw = torch.from_numpy(img).permute(2, 0, 1).float() / 255
    ref = TF.normalize(TF.center_crop(TF.resize(chw, 256, antialias=True), 224),
                       IMAGENET_MEAN, IMAGENET_STD)
    assert_close("preprocessing vs torchvision (float tensors)", got[0], ref.numpy())

    # Pillow resizes in uint8: one rounding step of 1/255 apart after normalisation
    pipeline = torchvision.transforms.Compose([
        torchvision.transforms.Resize(256), torchvision.transforms.CenterCrop(224),
        torchvision.transforms.ToTensor(),
        torchvision.transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    ref_pil = pipeline(pil_image.fromarray(img)).numpy()
    assert np.abs(got[0] - ref_pil).max() <= 1.01 / 255 / min(IMAGENET_STD)
