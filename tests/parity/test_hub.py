"""Pretrained loading against timm: the same published file gives the same logits.

A seeded timm model (batch norms randomised, so every residual branch counts) is saved as
timm publishes it (``safetensors.torch.save_file`` of its ``state_dict()``) into a fake,
offline Hugging Face cache; lucid loads it through :func:`lucid.models.hub.load_pretrained`
with timm's own ``pretrained_cfg``, and timm loads the same file through
``pretrained_cfg_overlay=dict(file=...)`` — also for ``num_classes=10`` and ``in_chans=1``,
where both drop the classifier and adapt the first convolution.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
timm = pytest.importorskip("timm")
safetensors_torch = pytest.importorskip("safetensors.torch")
pytest.importorskip("huggingface_hub")

from fake_hf_cache import use_offline_cache, write_snapshot  # noqa: E402

import lucid  # noqa: E402
import lucid.models as models  # noqa: E402
from lucid.models import hub  # noqa: E402

pytestmark = pytest.mark.parity

#: lucid preset -> (timm name, input shape); the ResNeXt at a small input to keep it quick
CASES = {
    "sk_resnet_18": ("skresnet18", (2, 3, 96, 80)),
    "sk_resnext_50_32x4d": ("skresnext50_32x4d", (1, 3, 64, 64)),
}


def seeded_timm(timm_name: str, **kwargs: Any) -> Any:
    """A timm model with seeded weights and random batch-norm statistics, in eval mode."""
    torch.manual_seed(0)
    model = timm.create_model(timm_name, **kwargs)
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                n = module.num_features
                module.weight.copy_(torch.rand(n, generator=gen) + 0.5)
                module.bias.copy_(torch.rand(n, generator=gen) * 0.4 - 0.2)
                module.running_mean.copy_(torch.rand(n, generator=gen) * 0.4 - 0.2)
                module.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
    return model.eval()


def publish(cache: Path, tmp_path: Path, timm_model: Any) -> tuple[str, Path]:
    """Save ``timm_model`` as its Hub repository would hold it; return (repo id, file)."""
    repo = timm_model.pretrained_cfg["hf_hub_id"]
    path = tmp_path / "model.safetensors"
    safetensors_torch.save_file(timm_model.state_dict(), str(path))
    write_snapshot(cache, repo, path.read_bytes())
    return repo, path


def logits(model: Any, x: np.ndarray) -> np.ndarray:
    with lucid.no_grad():
        return model(lucid.tensor(x)).numpy()


def torch_logits(model: Any, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


def assert_close(got: np.ndarray, ref: np.ndarray) -> None:
    """float32 agreement: max|got - ref| <= 1e-4 * max(1, max|ref|)."""
    assert got.shape == ref.shape
    scale = max(1.0, float(np.abs(ref).max()))
    diff = float(np.abs(got.astype(np.float64) - ref).max())
    assert diff <= 1e-4 * scale, f"max |diff| {diff:.3g} > 1e-4 * {scale:.3g}"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_offline_cache(tmp_path, monkeypatch)


@pytest.mark.parametrize("name", list(CASES))
def test_published_weights_give_timms_logits(name: str, cache: Path, tmp_path: Path) -> None:
    timm_name, shape = CASES[name]
    reference = seeded_timm(timm_name, pretrained=False)
    publish(cache, tmp_path, reference)
    model = models.get(name)
    model.pretrained_cfg = dict(reference.pretrained_cfg)
    hub.load_pretrained(model)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    assert_close(logits(model.eval(), x), torch_logits(reference, x))

    # the preset's own cfg names timm's repository; this load reads lucid's cached conversion
    again = models.get(name, pretrained=True)
    assert_close(logits(again.eval(), x), torch_logits(reference, x))


def test_ten_classes_and_one_channel_load_as_timm_loads_them(cache: Path,
                                                             tmp_path: Path) -> None:
    published = seeded_timm("skresnet18", pretrained=False)
    _, path = publish(cache, tmp_path, published)
    reference = timm.create_model("skresnet18", pretrained=True, num_classes=10, in_chans=1,
                                  pretrained_cfg_overlay=dict(file=str(path))).eval()
    model = models.get("sk_resnet_18", num_classes=10, in_channels=1)
    model.pretrained_cfg = dict(published.pretrained_cfg)
    hub.load_pretrained(model)
    # both heads are fresh (random, different): give lucid timm's, then compare everything
    head = reference.fc
    model.load_state_dict({"fc.weight": head.weight.detach().numpy(),
                           "fc.bias": head.bias.detach().numpy()}, strict=False)
    x = np.random.default_rng(1).standard_normal((2, 1, 96, 80)).astype(np.float32)
    assert_close(logits(model.eval(), x), torch_logits(reference, x))


def test_five_channels_adapt_the_first_conv_as_timm(cache: Path, tmp_path: Path) -> None:
    published = seeded_timm("skresnet18", pretrained=False)
    _, path = publish(cache, tmp_path, published)
    reference = timm.create_model("skresnet18", pretrained=True, in_chans=5,
                                  pretrained_cfg_overlay=dict(file=str(path)))
    model = models.get("sk_resnet_18", in_channels=5)
    model.pretrained_cfg = dict(published.pretrained_cfg)
    hub.load_pretrained(model)
    np.testing.assert_allclose(model.state_dict()["stem.0.conv.weight"].numpy(),
                               reference.conv1.weight.detach().numpy(), rtol=1e-6, atol=1e-8)
