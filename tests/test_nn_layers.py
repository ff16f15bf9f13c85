"""Layers against NumPy math written here, parameter counts against PyTorch's, and init."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid.autograd import gradcheck
from lucid.nn import init


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _t(a: np.ndarray) -> lucid.Tensor:
    return lucid.tensor(a)


# ----------------------------------------------------------------- reference math
def naive_conv2d(x, w, b, stride, padding, dilation, groups):
    """Direct loops over output positions (cross-correlation, PyTorch's definition)."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, ho, wo))
    og = o // groups
    for oc in range(o):
        g = oc // og
        for i in range(ho):
            for j in range(wo):
                patch = xp[:, g * cg:(g + 1) * cg,
                           i * sh:i * sh + dh * (kh - 1) + 1:dh,
                           j * sw:j * sw + dw * (kw - 1) + 1:dw]
                out[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3))
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def naive_pool(x, k, s, p, mode):
    n, c, h, w = x.shape
    fill = -np.inf if mode == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=fill)
    ho, wo = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    out = np.zeros((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            win = xp[:, :, i * s:i * s + k, j * s:j * s + k]
            out[:, :, i, j] = win.max(axis=(2, 3)) if mode == "max" else win.mean(axis=(2, 3))
    return out


# ------------------------------------------------------------------------- Conv2d
@pytest.mark.parametrize("cfg", [
    dict(cin=3, cout=4, k=3, stride=1, padding=0, dilation=1, groups=1, bias=True),
    dict(cin=4, cout=6, k=3, stride=2, padding=1, dilation=1, groups=2, bias=False),
    dict(cin=2, cout=2, k=3, stride=1, padding=2, dilation=2, groups=2, bias=True),
    dict(cin=3, cout=2, k=(1, 3), stride=(2, 1), padding=(0, 1), dilation=1, groups=1,
         bias=True),
])
def test_conv2d_forward_matches_naive_loops(cfg):
    lucid.manual_seed(0)
    conv = nn.Conv2d(cfg["cin"], cfg["cout"], cfg["k"], cfg["stride"], cfg["padding"],
                     cfg["dilation"], cfg["groups"], cfg["bias"])
    x = _rng().standard_normal((2, cfg["cin"], 7, 6)).astype(np.float32)

    def pair(v):
        return (v, v) if isinstance(v, int) else v

    want = naive_conv2d(x.astype(np.float64), conv.weight.numpy().astype(np.float64),
                        None if conv.bias is None else conv.bias.numpy().astype(np.float64),
                        pair(cfg["stride"]), pair(cfg["padding"]), pair(cfg["dilation"]),
                        cfg["groups"])
    got = conv(_t(x)).numpy()
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("k,d", [(3, 1), (4, 1), (3, 2), (2, 3)])
def test_conv2d_same_padding_keeps_size_and_matches_pytorch_split(k, d):
    """'same' pads total d(k-1): floor half before, the rest after (PyTorch's convention)."""
    lucid.manual_seed(1)
    conv = nn.Conv2d(2, 3, k, padding="same", dilation=d)
    x = _rng(1).standard_normal((1, 2, 6, 5))
    total = d * (k - 1)
    xp = np.pad(x, ((0, 0), (0, 0), (total // 2, total - total // 2),
                    (total // 2, total - total // 2)))
    want = naive_conv2d(xp, conv.weight.numpy().astype(np.float64),
                        conv.bias.numpy().astype(np.float64), (1, 1), (0, 0), (d, d), 1)
    got = conv(_t(x.astype(np.float32))).numpy()
    assert got.shape == (1, 3, 6, 5)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    valid = nn.Conv2d(2, 3, k, padding="valid", dilation=d)
    assert valid(_t(x.astype(np.float32))).shape == (1, 3, 6 - total, 5 - total)


def test_conv2d_validation_names_the_fields():
    with pytest.raises(ValueError, match=r"in_channels=3 and out_channels=4 .* groups=2"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"in_channels=4 and out_channels=6 .* groups=4"):
        nn.Conv2d(4, 6, 3, groups=4)
    with pytest.raises(ValueError, match="padding must be an int, a pair, 'same' or 'valid'"):
        nn.Conv2d(3, 4, 3, padding="full")
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="in_channels must be a positive int, got 0"):
        nn.Conv2d(0, 4, 3)
    with pytest.raises(ValueError, match="kernel_size must be >= 1"):
        nn.Conv2d(3, 4, 0)
    with pytest.raises(ValueError, match="padding must be >= 0"):
        nn.Conv2d(3, 4, 3, padding=-1)
    with pytest.raises(TypeError, match="stride must be an int or a pair"):
        nn.Conv2d(3, 4, 3, stride=(1, 2, 3))


@pytest.mark.parametrize("make,count", [
    (lambda: nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False), 9408),
    (lambda: nn.Conv2d(3, 64, 7), 9472),
    (lambda: nn.Conv2d(128, 128, 3, groups=32, bias=False), 4608),
    (lambda: nn.Conv2d(256, 64, 1, bias=False), 16384),
    (lambda: nn.Linear(2048, 1000), 2_049_000),
    (lambda: nn.Linear(512, 10, bias=False), 5120),
    (lambda: nn.BatchNorm2d(64), 128),
    (lambda: nn.BatchNorm2d(64, affine=False), 0),
    (lambda: nn.ConvBNReLU2d(3, 64, 7, 2), 9408 + 128),
])
def test_parameter_counts_match_pytorch(make, count):
    assert make().num_parameters() == count


def test_parameter_shapes():
    conv = nn.Conv2d(64, 128, (3, 5), groups=4)
    assert conv.weight.shape == (128, 16, 3, 5) and conv.bias.shape == (128,)
    lin = nn.Linear(7, 3)
    assert lin.weight.shape == (3, 7) and lin.bias.shape == (3,)
    assert nn.Conv2d(3, 3, 1, bias=False).bias is None


def test_conv2d_gradients_against_finite_differences():
    lucid.manual_seed(0)
    conv = nn.Conv2d(2, 4, 3, stride=2, padding=1, groups=2).double()
    x = lucid.tensor(_rng(2).standard_normal((2, 2, 5, 5)), dtype=lucid.float64,
                     requires_grad=True)
    assert gradcheck(lambda x, w, b: nn.functional.conv2d(x, w, b, 2, 1, 1, 2),
                     [x, conv.weight, conv.bias])


# ------------------------------------------------------------------- initialisation
def test_default_init_follows_pytorch_bounds_and_is_seeded():
    lucid.manual_seed(3)
    conv = nn.Conv2d(64, 128, 3)
    fan_in = 64 * 9
    bound = 1.0 / math.sqrt(fan_in)  # kaiming_uniform(a=√5): gain·√(3/fan_in) = 1/√fan_in
    w = conv.weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert np.abs(conv.bias.numpy()).max() <= bound
    lin = nn.Linear(100, 50)
    assert np.abs(lin.weight.numpy()).max() <= 0.1 and np.abs(lin.bias.numpy()).max() <= 0.1
    lucid.manual_seed(3)
    again = nn.Conv2d(64, 128, 3)
    np.testing.assert_array_equal(again.weight.numpy(), w)
    np.testing.assert_array_equal(again.bias.numpy(), conv.bias.numpy())
    bn = nn.BatchNorm2d(5)
    np.testing.assert_array_equal(bn.weight.numpy(), np.ones(5, np.float32))
    np.testing.assert_array_equal(bn.bias.numpy(), np.zeros(5, np.float32))


def test_kaiming_normal_fan_out_std():
    lucid.manual_seed(0)
    w = lucid.zeros(256, 128, 3, 3)
    out = init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert out is w
    want = math.sqrt(2.0 / (256 * 9))
    a = w.numpy()
    assert abs(a.std() - want) < 0.01 * want and abs(a.mean()) < 0.01 * want


def test_kaiming_uniform_and_xavier_statistics():
    lucid.manual_seed(0)
    w = init.kaiming_uniform_(lucid.zeros(200, 300), mode="fan_in", nonlinearity="relu")
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 300)
    assert np.abs(w.numpy()).max() <= bound and abs(w.numpy().std() - bound / math.sqrt(3)) \
        < 0.01 * bound
    xu = init.xavier_uniform_(lucid.zeros(200, 300), gain=2.0).numpy()
    bound = 2.0 * math.sqrt(6.0 / 500)
    assert np.abs(xu).max() <= bound and abs(xu.std() - bound / math.sqrt(3)) < 0.01 * bound
    xn = init.xavier_normal_(lucid.zeros(200, 300)).numpy()
    assert abs(xn.std() - math.sqrt(2.0 / 500)) < 0.01 * math.sqrt(2.0 / 500)


def test_simple_initialisers_and_gains():
    lucid.manual_seed(0)
    t = lucid.zeros(100_000)
    init.normal_(t, mean=3.0, std=0.5)
    assert abs(t.numpy().mean() - 3.0) < 0.01 and abs(t.numpy().std() - 0.5) < 0.01
    init.uniform_(t, -2.0, 4.0)
    assert t.numpy().min() >= -2.0 and t.numpy().max() < 4.0
    assert abs(t.numpy().mean() - 1.0) < 0.03
    tn = init.trunc_normal_(lucid.zeros(10_000), std=1.0, a=-1.0, b=1.0).numpy()
    assert tn.min() >= -1.0 and tn.max() <= 1.0 and tn.std() > 0.4
    np.testing.assert_array_equal(init.ones_(lucid.zeros(3)).numpy(), [1, 1, 1])
    np.testing.assert_array_equal(init.zeros_(lucid.ones(3)).numpy(), [0, 0, 0])
    np.testing.assert_array_equal(init.constant_(lucid.zeros(2), 2.5).numpy(), [2.5, 2.5])
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("conv2d") == 1.0
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75


def test_init_keeps_parameters_as_trainable_leaves_and_validates():
    p = nn.Parameter(lucid.zeros(4, 4))
    init.kaiming_normal_(p)
    assert p.is_leaf and p.requires_grad and p.dtype == lucid.float32
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.kaiming_normal_(lucid.zeros(4))
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_normal_(lucid.zeros(4, 4), mode="fan")
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(TypeError, match="floating-point"):
        init.normal_(lucid.zeros(3, dtype=lucid.int64))


def test_init_keeps_float64_dtype():
    t = init.normal_(lucid.zeros(3, 3, dtype=lucid.float64))
    assert t.dtype == lucid.float64


# ----------------------------------------------------------------------- BatchNorm
def test_batchnorm2d_training_forward_and_running_stats():
    bn = nn.BatchNorm2d(3, momentum=0.2)
    bn.weight.data = bn.weight.backend.asarray(np.array([1.0, 2.0, 0.5], np.float32))
    bn.bias.data = bn.bias.backend.asarray(np.array([0.0, -1.0, 3.0], np.float32))
    rm, rv = np.zeros(3), np.ones(3)
    for step in range(1, 3):
        x = _rng(step).standard_normal((4, 3, 5, 5)) * 3 + 1
        y = bn(_t(x.astype(np.float32))).numpy()
        mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
        want = (x - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5)
        want = want * np.array([1, 2, 0.5])[None, :, None, None] \
            + np.array([0, -1, 3])[None, :, None, None]
        np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-4)
        m = x.size // 3
        rm = 0.8 * rm + 0.2 * mean
        rv = 0.8 * rv + 0.2 * var * m / (m - 1)  # the running variance is unbiased
        np.testing.assert_allclose(bn.running_mean.numpy(), rm, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(bn.running_var.numpy(), rv, rtol=1e-5)
        assert bn.num_batches_tracked.item() == step
        assert bn.num_batches_tracked.dtype == lucid.int64 and bn.num_batches_tracked.shape == ()


def test_batchnorm_cumulative_average_when_momentum_is_none():
    bn = nn.BatchNorm1d(2, momentum=None)
    xs = [_rng(i).standard_normal((8, 2)) + i for i in range(3)]
    for x in xs:
        bn(_t(x.astype(np.float32)))
    want = np.mean([x.mean(axis=0) for x in xs], axis=0)
    np.testing.assert_allclose(bn.running_mean.numpy(), want, rtol=1e-5, atol=1e-6)


def test_batchnorm2d_eval_uses_running_stats_and_does_not_update_them():
    bn = nn.BatchNorm2d(2)
    rm = np.array([0.5, -1.0], np.float32)
    rv = np.array([4.0, 0.25], np.float32)
    bn.load_state_dict({"weight": np.array([2.0, 1.0]), "bias": np.array([0.0, 1.0]),
                        "running_mean": rm, "running_var": rv, "num_batches_tracked": 7})
    bn.eval()
    x = _rng(4).standard_normal((3, 2, 4, 4))
    y = bn(_t(x.astype(np.float32))).numpy()
    want = (x - rm[None, :, None, None]) / np.sqrt(rv[None, :, None, None] + 1e-5) \
        * np.array([2, 1])[None, :, None, None] + np.array([0, 1])[None, :, None, None]
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(bn.running_mean.numpy(), rm)
    assert bn.num_batches_tracked.item() == 7


def test_batchnorm_without_running_stats_or_affine():
    bn = nn.BatchNorm2d(2, affine=False, track_running_stats=False)
    assert list(bn.state_dict()) == [] and bn.running_mean is None and bn.weight is None
    bn.eval()  # without running stats, evaluation still normalises with batch statistics
    x = _rng(5).standard_normal((2, 2, 3, 3))
    y = bn(_t(x.astype(np.float32))).numpy()
    want = (x - x.mean(axis=(0, 2, 3), keepdims=True)) / np.sqrt(
        x.var(axis=(0, 2, 3), keepdims=True) + 1e-5)
    np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-4)


def test_batchnorm_state_dict_keys_and_input_checks():
    assert list(nn.BatchNorm2d(4).state_dict()) == [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    with pytest.raises(ValueError, match="BatchNorm2d expects a 4-D input"):
        nn.BatchNorm2d(3)(lucid.zeros(2, 3))
    with pytest.raises(ValueError, match="BatchNorm1d expects a 2-D or 3-D input"):
        nn.BatchNorm1d(3)(lucid.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match="num_features must be a positive int"):
        nn.BatchNorm2d(0)
    with pytest.raises(ValueError, match="momentum must be in"):
        nn.BatchNorm2d(3, momentum=1.5)
    x = _rng(6).standard_normal((4, 3, 5))
    y = nn.BatchNorm1d(3)(_t(x.astype(np.float32))).numpy()
    want = (x - x.mean(axis=(0, 2), keepdims=True)) / np.sqrt(
        x.var(axis=(0, 2), keepdims=True) + 1e-5)
    np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------------- ConvBNReLU2d
def test_conv_bn_relu_structure_padding_and_forward():
    lucid.manual_seed(0)
    block = nn.ConvBNReLU2d(3, 4, 3, stride=1, dilation=2, groups=1)
    assert block.conv.padding == (2, 2) and block.conv.bias is None
    assert nn.ConvBNReLU2d(3, 4, 7, 2).conv.padding == (3, 3)
    assert nn.ConvBNReLU2d(3, 4, 3, padding=0).conv.padding == (0, 0)
    assert block._parameters == {}  # all parameters live in conv and bn
    assert list(block.state_dict()) == [
        "conv.weight", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
        "bn.num_batches_tracked"]
    x = _rng(7).standard_normal((2, 3, 6, 6))
    conv = naive_conv2d(x, block.conv.weight.numpy().astype(np.float64), None, (1, 1), (2, 2),
                        (2, 2), 1)
    norm = (conv - conv.mean(axis=(0, 2, 3), keepdims=True)) / np.sqrt(
        conv.var(axis=(0, 2, 3), keepdims=True) + 1e-5)
    np.testing.assert_allclose(block(_t(x.astype(np.float32))).numpy(), np.maximum(norm, 0),
                               rtol=1e-3, atol=1e-4)
    plain = nn.ConvBNReLU2d(3, 4, 3, act=False)
    assert isinstance(plain.act, nn.Identity)
    assert (plain(_t(x.astype(np.float32))).numpy() < 0).any()
    with pytest.raises(TypeError, match="act must be a bool or a Module"):
        nn.ConvBNReLU2d(3, 4, 3, act="relu")  # type: ignore[arg-type]


def test_conv_bn_relu_eval_fuses_batch_norm_and_relu_with_the_same_values():
    """In eval, ConvBNReLU2d runs batch norm and ReLU as one kernel (one recorded node): the
    values and gradients are those of the three modules called one by one, and with a hook
    on ``bn`` or ``act`` the modules are called (so the hook runs)."""
    lucid.manual_seed(0)
    block = nn.ConvBNReLU2d(3, 5, 3)
    rng = _rng(9)
    block.bn.running_mean.data = rng.standard_normal(5).astype(np.float32)
    block.bn.running_var.data = (rng.random(5) + 0.5).astype(np.float32)
    block.bn.weight.data = rng.standard_normal(5).astype(np.float32)
    block.eval()
    x = _t(rng.standard_normal((2, 3, 6, 6)).astype(np.float32))
    x.requires_grad = True
    fused = block(x)
    assert fused.grad_fn.function.__name__ == "BatchNormEval"
    fused.sum().backward()
    grads = [x.grad.numpy().copy(), block.conv.weight.grad.numpy().copy(),
             block.bn.weight.grad.numpy().copy(), block.bn.bias.grad.numpy().copy()]
    for p in (x, block.conv.weight, block.bn.weight, block.bn.bias):
        p.grad = None
    seen = []
    handle = block.act.register_forward_hook(lambda m, a, out: seen.append(out))
    unfused = block(x)
    assert len(seen) == 1 and unfused.grad_fn.function.__name__ == "ReLU"
    np.testing.assert_array_equal(fused.numpy(), unfused.numpy())
    unfused.sum().backward()
    for got, p in zip(grads, (x, block.conv.weight, block.bn.weight, block.bn.bias)):
        np.testing.assert_allclose(got, p.grad.numpy(), rtol=1e-5, atol=1e-6)
    handle.remove()
    conv = block.conv(x).numpy().astype(np.float64)
    bn = block.bn
    inv = 1 / np.sqrt(bn.running_var.numpy().astype(np.float64) + bn.eps)
    want = ((conv - bn.running_mean.numpy().reshape(1, 5, 1, 1)) * (inv * bn.weight.numpy())
            .reshape(1, 5, 1, 1) + bn.bias.numpy().reshape(1, 5, 1, 1))
    np.testing.assert_allclose(fused.numpy(), np.maximum(want, 0), rtol=1e-5, atol=1e-6)
    block.train()  # training normalises with the batch's statistics: no fusion
    assert block(x).grad_fn.function.__name__ == "ReLU"


# ------------------------------------------------------------------- activations
def test_activations_match_numpy():
    x = _rng(8).standard_normal((3, 5)).astype(np.float32)
    np.testing.assert_allclose(nn.ReLU(inplace=True)(_t(x)).numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(nn.Sigmoid()(_t(x)).numpy(), 1 / (1 + np.exp(-x)), rtol=1e-5)
    np.testing.assert_allclose(nn.Tanh()(_t(x)).numpy(), np.tanh(x), rtol=1e-5, atol=1e-6)
    e = np.exp(x - x.max(axis=0, keepdims=True))
    np.testing.assert_allclose(nn.Softmax(axis=0)(_t(x)).numpy(), e / e.sum(axis=0),
                               rtol=1e-5)
    np.testing.assert_allclose(nn.Softmax(dim=0)(_t(x)).numpy(), e / e.sum(axis=0), rtol=1e-5)
    e1 = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(nn.Softmax()(_t(x)).numpy(), e1 / e1.sum(axis=1, keepdims=True),
                               rtol=1e-5)
    np.testing.assert_allclose(nn.LogSoftmax(1)(_t(x)).numpy(),
                               np.log(e1 / e1.sum(axis=1, keepdims=True)), rtol=1e-5,
                               atol=1e-6)
    with pytest.raises(ValueError, match="not both"):
        nn.Softmax(axis=0, dim=1)


# ------------------------------------------------------------------------ pooling
@pytest.mark.parametrize("k,s,p", [(2, None, 0), (3, 2, 1), (3, 1, 0)])
def test_max_and_avg_pool_match_naive_loops(k, s, p):
    x = _rng(9).standard_normal((2, 3, 7, 7))
    xs = _t(x.astype(np.float32))
    stride = k if s is None else s
    np.testing.assert_allclose(nn.MaxPool2d(k, s, p)(xs).numpy(),
                               naive_pool(x, k, stride, p, "max"), rtol=1e-6)
    np.testing.assert_allclose(nn.AvgPool2d(k, s, p)(xs).numpy(),
                               naive_pool(x, k, stride, p, "avg"), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("out", [1, (2, 3), 3])
def test_adaptive_avg_pool_uses_pytorch_bins(out):
    x = _rng(10).standard_normal((2, 2, 6, 7))
    oh, ow = (out, out) if isinstance(out, int) else out
    want = np.zeros((2, 2, oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, h1 = (i * 6) // oh, -(-((i + 1) * 6) // oh)
            w0, w1 = (j * 7) // ow, -(-((j + 1) * 7) // ow)
            want[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    got = nn.AdaptiveAvgPool2d(out)(_t(x.astype(np.float32))).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------- Linear, Flatten, Dropout
def test_linear_and_flatten_match_numpy():
    lucid.manual_seed(0)
    lin = nn.Linear(12, 5)
    x = _rng(11).standard_normal((4, 3, 2, 2)).astype(np.float32)
    flat = nn.Flatten()(_t(x))
    assert flat.shape == (4, 12)
    assert nn.Flatten(0, 1)(_t(x)).shape == (12, 2, 2)
    assert nn.Flatten(start_dim=2)(_t(x)).shape == (4, 3, 4)
    want = x.reshape(4, 12) @ lin.weight.numpy().T + lin.bias.numpy()
    np.testing.assert_allclose(lin(flat).numpy(), want, rtol=1e-5, atol=1e-6)
    assert nn.Identity(3, foo=1)(flat) is flat


def test_dropout_statistics_in_training_and_identity_in_eval():
    lucid.manual_seed(0)
    drop = nn.Dropout(0.25)
    x = lucid.ones(200_000)
    y = drop(x).numpy()
    kept = y != 0
    assert abs(1 - kept.mean() - 0.25) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    drop.eval()
    assert drop(x) is x
    with pytest.raises(ValueError, match=r"p must be a probability in \[0, 1\], got 1.5"):
        nn.Dropout(1.5)


# --------------------------------------------------------------------------- losses
def test_cross_entropy_loss_with_label_smoothing_matches_numpy():
    logits = _rng(12).standard_normal((5, 4))
    target = np.array([0, 3, 1, 1, 2])
    logp = logits - logits.max(axis=1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(axis=1, keepdims=True))
    eps = 0.1
    dist = np.full((5, 4), eps / 4)
    dist[np.arange(5), target] += 1 - eps
    per = -(dist * logp).sum(axis=1)
    lt = _t(logits.astype(np.float32))
    got = nn.CrossEntropyLoss(label_smoothing=eps)(lt, lucid.tensor(target))
    np.testing.assert_allclose(got.item(), per.mean(), rtol=1e-5)
    got = nn.CrossEntropyLoss(reduction="none")(lt, lucid.tensor(target)).numpy()
    np.testing.assert_allclose(got, -logp[np.arange(5), target], rtol=1e-5)
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.CrossEntropyLoss(reduction="avg")


def test_mse_loss_matches_numpy():
    a, b = _rng(13).standard_normal((2, 3, 4))
    got = nn.MSELoss()(_t(a.astype(np.float32)), _t(b.astype(np.float32))).item()
    np.testing.assert_allclose(got, ((a - b) ** 2).mean(), rtol=1e-5)
    got = nn.MSELoss(reduction="sum")(_t(a.astype(np.float32)), _t(b.astype(np.float32)))
    np.testing.assert_allclose(got.item(), ((a - b) ** 2).sum(), rtol=1e-5)


# ----------------------------------------------------------------------------- repr
def test_layer_reprs():
    assert repr(nn.Conv2d(3, 64, 7, 2, 3, bias=False)) == \
        "Conv2d(3, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3), bias=False)"
    assert repr(nn.Conv2d(8, 8, 3, dilation=2, groups=4)) == \
        "Conv2d(8, 8, kernel_size=(3, 3), stride=(1, 1), dilation=(2, 2), groups=4)"
    assert repr(nn.BatchNorm2d(64)) == \
        "BatchNorm2d(64, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"
    assert repr(nn.MaxPool2d(3, 2, 1)) == \
        "MaxPool2d(kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"
    assert repr(nn.Linear(4, 2)) == "Linear(in_features=4, out_features=2, bias=True)"
    assert repr(nn.ReLU()) == "ReLU()"


def test_eval_batch_norm_accepts_an_empty_batch():
    """As in PyTorch, batch norm with running statistics maps an empty batch to an empty
    batch (alone and fused with its ReLU in ConvBNReLU2d), and back-propagates through it."""
    x = lucid.zeros(0, 4, 5, 5, requires_grad=True)
    for module in (nn.BatchNorm2d(4).eval(), nn.ConvBNReLU2d(4, 4, 3).eval()):
        y = module(x)
        assert y.shape == (0, 4, 5, 5)
        y.sum().backward()
        assert x.grad.shape == (0, 4, 5, 5)
        x.grad = None
