"""``lucid.nn.utils.fuse_conv_bn``: eval-mode batch norm folded into the conv before it.

The reference is the unfused model itself (and, for one pair, the batch-norm formula written
out in NumPy): outputs must agree to float32 rounding, and a batch norm is only folded when
the convolution's output feeds nothing else.
"""

from __future__ import annotations

import numpy as np
import pytest

import lucid
from lucid import models, nn
from lucid.nn.utils import fuse_conv_bn, fuse_conv_bn_eval


def _randomise_bn(model: nn.Module, seed: int = 0) -> None:
    """Give every batch norm non-trivial running statistics and affine parameters."""
    rng = np.random.default_rng(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d) and m.running_mean is not None:
            c = m.num_features
            m.running_mean.data[...] = rng.standard_normal(c).astype(np.float32) * 0.2
            m.running_var.data[...] = (rng.random(c) + 0.3).astype(np.float32)
            if m.weight is not None:
                m.weight.data[...] = (rng.random(c) + 0.5).astype(np.float32)
                m.bias.data[...] = rng.standard_normal(c).astype(np.float32) * 0.2


def _count(model: nn.Module, cls: type) -> int:
    return sum(isinstance(m, cls) for m in model.modules())


def _eval_out(model: nn.Module, x: lucid.Tensor) -> np.ndarray:
    model.eval()
    with lucid.no_grad():
        return model(x).numpy()


@pytest.mark.parametrize("name", ["sk_resnet_18", "sk_resnext_50_32x4d"])
def test_whole_model_outputs_unchanged_and_every_bn_folded(name):
    model = models.get(name, num_classes=10)
    _randomise_bn(model)
    x = lucid.tensor(np.random.default_rng(1).standard_normal((2, 3, 64, 64))
                     .astype(np.float32))
    want = _eval_out(model, x)
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    fused = fuse_conv_bn(model)
    assert fused is not model
    assert _count(fused, nn.BatchNorm2d) == 0  # in these models every BN follows a conv
    np.testing.assert_allclose(_eval_out(fused, x), want, rtol=1e-4, atol=1e-4)
    # the original is untouched
    after = model.state_dict()
    assert set(after) == set(before)
    for k, v in before.items():
        np.testing.assert_array_equal(after[k].numpy(), v)


def test_one_pair_matches_the_formula():
    rng = np.random.default_rng(2)
    conv = nn.Conv2d(3, 5, 3, padding=1, bias=True)
    bn = nn.BatchNorm2d(5, eps=1e-3)
    _randomise_bn(bn)
    conv.eval(), bn.eval()
    x = rng.standard_normal((2, 3, 6, 7)).astype(np.float32)
    with lucid.no_grad():
        c = conv(lucid.tensor(x)).numpy().astype(np.float64)
    rm, rv = bn.running_mean.numpy(), bn.running_var.numpy()
    want = ((c - rm[:, None, None]) / np.sqrt(rv[:, None, None] + 1e-3)
            * bn.weight.numpy()[:, None, None] + bn.bias.numpy()[:, None, None])
    fused = fuse_conv_bn_eval(conv, bn)
    with lucid.no_grad():
        got = fused(lucid.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="eval mode"):
        fuse_conv_bn_eval(conv.train(), bn)


class _Shared(nn.Module):
    """conv -> bn, but the conv's output is also added back: must not be folded."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(4)
        self.plain = nn.BatchNorm2d(4, track_running_stats=False)
        self.conv3 = nn.Conv2d(4, 4, 1, bias=False)

    def forward(self, x):
        c = self.conv(x)
        y = self.bn(c) + c  # c read twice
        y = self.bn2(self.conv2(y))  # foldable
        return self.plain(self.conv3(y))  # batch statistics: not foldable


def test_only_sole_consumers_with_running_stats_are_folded():
    model = _Shared()
    _randomise_bn(model)
    x = lucid.tensor(np.random.default_rng(3).standard_normal((3, 4, 5, 5)).astype(np.float32))
    want = _eval_out(model, x)
    fused = fuse_conv_bn(model, x)
    assert isinstance(fused.bn, nn.BatchNorm2d)
    assert isinstance(fused.bn2, nn.Identity)
    assert isinstance(fused.plain, nn.BatchNorm2d)
    assert fused.conv2.bias is not None and fused.conv.bias is None
    np.testing.assert_allclose(_eval_out(fused, x), want, rtol=1e-5, atol=1e-5)


def test_inplace_and_errors():
    model = nn.Sequential(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3), nn.ReLU())
    _randomise_bn(model)
    x = lucid.tensor(np.random.default_rng(4).standard_normal((1, 2, 4, 4)).astype(np.float32))
    want = _eval_out(model, x)
    same = fuse_conv_bn(model, inplace=True)
    assert same is model and isinstance(model[1], nn.Identity)
    # replacing a layer keeps its place (PyTorch's Module.__setattr__ does not reorder)
    assert [type(m).__name__ for m in model] == ["Conv2d", "Identity", "ReLU"]
    assert list(model[0].state_dict()) == ["weight", "bias"]
    np.testing.assert_allclose(_eval_out(model, x), want, rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match="lucid.nn.Module"):
        fuse_conv_bn(object())
    with pytest.raises(ValueError, match="no Conv2d"):
        fuse_conv_bn(nn.Sequential(nn.ReLU()))
