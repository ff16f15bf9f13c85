"""``lucid.nn.utils.fuse_conv_bn*`` against ``torch.nn.utils.fusion.fuse_conv_bn_eval``.

The same weights are folded by both libraries: the fused weights and biases must agree, and
a whole SKNet fused by lucid must give the logits of timm's model fused pair by pair with
PyTorch's function (and of the unfused model).
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
timm = pytest.importorskip("timm")
safetensors_torch = pytest.importorskip("safetensors.torch")
safetensors_numpy = pytest.importorskip("safetensors.numpy")

from torch.nn.utils.fusion import fuse_conv_bn_eval as torch_fuse  # noqa: E402

import lucid  # noqa: E402
from lucid import models, nn  # noqa: E402
from lucid.convert import convert_state_dict  # noqa: E402
from lucid.nn.utils import fuse_conv_bn, fuse_conv_bn_eval  # noqa: E402

pytestmark = pytest.mark.parity


def _randomise_torch_bn(model, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                n = mod.num_features
                mod.weight.copy_(0.5 + torch.rand(n, generator=gen))
                mod.bias.copy_(0.2 * torch.randn(n, generator=gen))
                mod.running_mean.copy_(0.2 * torch.randn(n, generator=gen))
                mod.running_var.copy_(0.3 + torch.rand(n, generator=gen))


@pytest.mark.parametrize("bias,groups,stride,eps", [
    (False, 1, 1, 1e-5), (True, 2, 2, 1e-3), (False, 4, 1, 1e-5)])
def test_one_pair_matches_pytorch(bias, groups, stride, eps):
    torch.manual_seed(0)
    tconv = torch.nn.Conv2d(8, 12, 3, stride=stride, padding=1, groups=groups, bias=bias)
    tbn = torch.nn.BatchNorm2d(12, eps=eps)
    _randomise_torch_bn(tbn, 1)
    tconv.eval(), tbn.eval()
    conv = nn.Conv2d(8, 12, 3, stride=stride, padding=1, groups=groups, bias=bias)
    bn = nn.BatchNorm2d(12, eps=eps)
    conv.load_state_dict({k: v.detach().numpy() for k, v in tconv.state_dict().items()})
    bn.load_state_dict({k: v.detach().numpy() for k, v in tbn.state_dict().items()})
    conv.eval(), bn.eval()
    want, got = torch_fuse(tconv, tbn), fuse_conv_bn_eval(conv, bn)
    np.testing.assert_allclose(got.weight.numpy(), want.weight.detach().numpy(),
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(got.bias.numpy(), want.bias.detach().numpy(),
                               rtol=1e-6, atol=1e-7)
    x = np.random.default_rng(2).standard_normal((2, 8, 9, 9)).astype(np.float32)
    with torch.no_grad():
        ref = want(torch.from_numpy(x)).numpy()
    with lucid.no_grad():
        out = got(lucid.tensor(x)).numpy()
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


def _torch_fuse_model(model):
    """timm's SKNet with every (conv, bn) pair folded by PyTorch's function (timm's
    ``BatchNormAct2d`` keeps its dropout and activation after the fold)."""
    for mod in list(model.modules()):
        for conv_name, bn_name in (("conv", "bn"), ("fc_reduce", "bn"), ("conv1", "bn1")):
            conv, bn = getattr(mod, conv_name, None), getattr(mod, bn_name, None)
            if isinstance(conv, torch.nn.Conv2d) and isinstance(bn, torch.nn.BatchNorm2d):
                setattr(mod, conv_name, torch_fuse(conv, bn))
                rest = [getattr(bn, a) for a in ("drop", "act") if hasattr(bn, a)]
                setattr(mod, bn_name, torch.nn.Sequential(*rest))
        if isinstance(mod, torch.nn.Sequential):
            kids = list(mod.named_children())
            for (cn, conv), (bn_n, bn) in zip(kids, kids[1:]):
                if isinstance(conv, torch.nn.Conv2d) and isinstance(bn, torch.nn.BatchNorm2d):
                    mod._modules[cn] = torch_fuse(conv, bn)
                    mod._modules[bn_n] = torch.nn.Identity()
    return model


@pytest.mark.parametrize("name,timm_name", [("sk_resnet_18", "skresnet18"),
                                            ("sk_resnext_50_32x4d", "skresnext50_32x4d")])
def test_fused_model_matches_pytorch_fused_model(name, timm_name):
    torch.manual_seed(0)
    ref = timm.create_model(timm_name, pretrained=False)
    _randomise_torch_bn(ref, 3)
    ref.eval()
    converted = convert_state_dict(
        safetensors_numpy.load(safetensors_torch.save(ref.state_dict())), name)
    model = models.get(name)
    model.load_state_dict(converted)
    fused = fuse_conv_bn(model.eval())
    ref_fused = _torch_fuse_model(ref)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in ref_fused.modules())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fused.modules())
    x = np.random.default_rng(4).standard_normal((2, 3, 96, 96)).astype(np.float32)
    with torch.no_grad():
        want = ref_fused(torch.from_numpy(x)).numpy()
    with lucid.no_grad():
        got = fused(lucid.tensor(x)).numpy()
        unfused = model(lucid.tensor(x)).numpy()
    scale = max(1.0, float(np.abs(want).max()))
    assert float(np.abs(got - want).max()) <= 1e-4 * scale
    assert float(np.abs(got - unfused).max()) <= 1e-4 * scale
