"""ResNet / SKNet models: documented example, preset shapes and parameter counts, the SK unit
against an independent NumPy implementation, config validation, and a training step."""

from __future__ import annotations

import numpy as np
import pytest

import lucid
import lucid.models as models
import lucid.nn as nn
from lucid.nn import functional as F

# Parameter counts of the public PyTorch implementations at 1000 classes (timm's skresnet18,
# skresnet34, skresnet50, skresnext50_32x4d; torchvision's resnet18/34/50/101/152).
PUBLIC_PARAM_COUNTS = {
    "sk_resnet_18": 11_958_056,
    "sk_resnet_34": 22_282_376,
    "sk_resnet_50": 25_803_160,
    "sk_resnext_50_32x4d": 27_479_784,
    "resnet_18": 11_689_512,
    "resnet_34": 21_797_672,
    "resnet_50": 25_557_032,
    "resnet_101": 44_549_160,
    "resnet_152": 60_192_808,
}

# Squeeze widths of the SK attention per stage in timm's presets (facts of the public models).
ATTENTION_WIDTHS = {
    "sk_resnet_18": (16, 16, 32, 64),
    "sk_resnet_50": (8, 8, 16, 32),
    "sk_resnext_50_32x4d": (32, 32, 32, 64),
}


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_documentation_example_runs_as_written():
    config = models.SKNetConfig(block="basic", layers=[2, 2, 2, 2], kernel_sizes=[3, 7],
                                num_classes=10, in_channels=1, stem_type="deep", stem_width=32)
    model = models.SKNet(config).eval()  # a batch of one: training-mode batch norm refuses it
    output = model(lucid.zeros(1, 1, 224, 224))
    assert output.shape == (1, 10)
    assert model.kernel_sizes == (3, 7)
    assert model.base_width == 64 and model.cardinality == 1
    assert model.config is config
    for name in ("stem", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"):
        assert isinstance(getattr(model, name), nn.Module)
    # kernel 7 is realised as a 3x3 conv with dilation 3
    sk = model.layer1[0].conv1
    assert [p.conv.dilation for p in sk.paths] == [(1, 1), (3, 3)]
    assert all(p.conv.weight.shape[2:] == (3, 3) for p in sk.paths)


@pytest.mark.parametrize("name", sorted(PUBLIC_PARAM_COUNTS))
def test_preset_parameter_counts_match_public_implementations(name):
    model = models.get(name)
    assert n_params(model) == PUBLIC_PARAM_COUNTS[name]


@pytest.mark.parametrize("name", sorted(ATTENTION_WIDTHS))
def test_attention_widths_match_public_presets(name):
    model = models.get(name)
    widths = tuple(_sk_unit(getattr(model, f"layer{i}")[0]).attn.fc_reduce.weight.shape[0]
                   for i in range(1, 5))
    assert widths == ATTENTION_WIDTHS[name]


def _sk_unit(block: nn.Module) -> nn.SelectiveKernel:
    for m in block.modules():
        if isinstance(m, nn.SelectiveKernel):
            return m
    raise AssertionError("no SelectiveKernel in block")


def test_sk_resnext_forward_shape_and_param_count():
    model = models.get("sk_resnext_50_32x4d")
    assert isinstance(model, models.SKNet)
    assert n_params(model) == 27_479_784
    model.eval()
    with lucid.no_grad():
        out = model(lucid.randn(2, 3, 224, 224))
    assert out.shape == (2, 1000)
    assert np.isfinite(out.numpy()).all()


@pytest.mark.parametrize("name", ["sk_resnet_18", "sk_resnet_34", "sk_resnet_50", "resnet_50"])
def test_presets_map_images_to_logits(name):
    model = models.get(name, num_classes=7).eval()
    with lucid.no_grad():
        out = model(lucid.randn(2, 3, 64, 48))
    assert out.shape == (2, 7)


def test_presets_accept_any_config_field_as_timm_does():
    """timm merges factory keywords over the preset's arguments; so does lucid."""
    small = models.get("sk_resnet_50", layers=(1, 1, 1, 1))
    assert small.config.layers == (1, 1, 1, 1) and len(small.layer3) == 1
    grouped = models.get("sk_resnext_50_32x4d", cardinality=8)
    assert grouped.config.cardinality == 8
    assert grouped.layer1[0].conv2.paths[0].conv.groups == 8
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        models.get("sk_resnet_18", colour="blue")
    m = models.get("sk_resnet_18", num_classes=3, in_channels=1)
    assert m.fc.weight.shape == (3, 512)
    assert m.config.in_channels == 1


# --------------------------------------------------------- the SK unit, independently
def _np_conv(x, w, stride, pad, dil, groups):
    """Direct NumPy convolution (sliding windows + einsum), float64."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho = (h + 2 * pad - dil * (kh - 1) - 1) // stride + 1
    wo = (wd + 2 * pad - dil * (kw - 1) - 1) // stride + 1
    out = np.zeros((n, o, ho, wo))
    og = o // groups
    for g in range(groups):
        xs = xp[:, g * cg:(g + 1) * cg]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * dil:i * dil + stride * (ho - 1) + 1:stride,
                           j * dil:j * dil + stride * (wo - 1) + 1:stride]
                out[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", patch,
                                                         w[g * og:(g + 1) * og, :, i, j])
    return out


def _np_bn_train(x, gamma, beta, eps=1e-5):
    axes = (0, 2, 3)
    mu = x.mean(axes, keepdims=True)
    var = x.var(axes, keepdims=True)
    shape = (1, -1, 1, 1)
    return (x - mu) / np.sqrt(var + eps) * gamma.reshape(shape) + beta.reshape(shape)


@pytest.mark.parametrize("split_input,groups,kernels", [(True, 1, (3, 5)), (False, 4, (3, 5, 7))])
def test_selective_kernel_matches_paper_computation(split_input, groups, kernels):
    lucid.manual_seed(3)
    cin, cout = 12 if split_input else 8, 8
    sk = nn.SelectiveKernel(cin, cout, kernel_sizes=kernels, stride=2, groups=groups,
                            attn_ratio=0.5, attn_divisor=4, split_input=split_input).double()
    for m in sk.modules():  # non-trivial BN affine parameters
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data = m.weight.data * 0 + np.linspace(0.5, 1.5, m.weight.shape[0])
            m.bias.data = m.bias.data * 0 + np.linspace(-0.2, 0.3, m.bias.shape[0])
    x = np.random.default_rng(0).standard_normal((3, cin, 9, 10))
    got = sk(lucid.tensor(x, dtype=lucid.float64)).detach().numpy()

    m_paths = len(kernels)
    cb = cin // m_paths if split_input else cin
    outs = []
    for idx, (path, k) in enumerate(zip(sk.paths, kernels)):
        xi = x[:, idx * cb:(idx + 1) * cb] if split_input else x
        d = (k - 1) // 2
        y = _np_conv(xi, path.conv.weight.detach().numpy(), 2, d, d, groups)
        y = _np_bn_train(y, path.bn.weight.detach().numpy(), path.bn.bias.detach().numpy())
        outs.append(np.maximum(y, 0))
    u = sum(outs)
    s = u.mean(axis=(2, 3), keepdims=True)
    a = sk.attn
    z = _np_conv(s, a.fc_reduce.weight.detach().numpy(), 1, 0, 1, 1)
    z = np.maximum(_np_bn_train(z, a.bn.weight.detach().numpy(), a.bn.bias.detach().numpy()), 0)
    logits = _np_conv(z, a.fc_select.weight.detach().numpy(), 1, 0, 1, 1)
    logits = logits.reshape(3, m_paths, cout, 1, 1)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    att = e / e.sum(axis=1, keepdims=True)  # softmax across branches, per channel
    expected = sum(att[:, i] * outs[i] for i in range(m_paths))
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_selective_kernel_gradients_match_finite_differences():
    lucid.manual_seed(1)
    sk = nn.SelectiveKernel(4, 4, kernel_sizes=(3, 5), attn_channels=4).double()
    x = lucid.randn(2, 4, 5, 5, dtype=lucid.float64, requires_grad=True)
    assert lucid.autograd.gradcheck(lambda t: sk(t), [x], atol=1e-5, rtol=1e-3)


# ------------------------------------------------------------------- validation
VALID = dict(block="basic", layers=[1, 1, 1, 1])


@pytest.mark.parametrize("field,value,exc,words", [
    ("block", "wide", ValueError, "block='wide'"),
    ("layers", [1, 1, 1], ValueError, "layers must have exactly 4"),
    ("layers", "1111", TypeError, "layers must be a list"),
    ("layers", [1, 0, 1, 1], ValueError, r"layers\[1\] must be >= 1"),
    ("layers", [1, 1.5, 1, 1], TypeError, r"layers\[1\] must be an int"),
    ("kernel_sizes", [3], ValueError, "at least 2"),
    ("kernel_sizes", [3, 4], ValueError, "odd"),
    ("kernel_sizes", 3, TypeError, "kernel_sizes must be a list"),
    ("base_width", 0, ValueError, "base_width must be >= 1"),
    ("cardinality", 2, ValueError, "cardinality=1"),
    ("cardinality", "2", TypeError, "cardinality must be an int"),
    ("num_classes", -1, ValueError, "num_classes must be >= 0"),
    ("num_classes", 10.0, TypeError, "num_classes must be an int"),
    ("in_channels", 0, ValueError, "in_channels must be >= 1"),
    ("stem_type", "tiered", ValueError, "stem_type='tiered'"),
    ("stem_width", True, TypeError, "stem_width must be an int"),
    ("avg_down", "yes", TypeError, "avg_down must be a bool"),
    ("channels", (64, 128, 256), ValueError, "channels must have exactly 4"),
    ("block_args", {"colour": 1}, ValueError, "unknown keys"),
    ("block_args", [1], TypeError, "block_args must be a dict"),
    ("attn_ratio", 0.0, ValueError, "attn_ratio must be in"),
    ("attn_ratio", "big", TypeError, "attn_ratio must be a number"),
    ("attn_divisor", 0, ValueError, "attn_divisor must be >= 1"),
    ("attn_min", 0, ValueError, "attn_min must be >= 1"),
    ("split_input", 1, TypeError, "split_input must be a bool"),
    ("dilated_kernels", None, TypeError, "dilated_kernels must be a bool"),
    ("zero_init_last", "no", TypeError, "zero_init_last must be a bool"),
    ("drop_rate", 1.0, ValueError, "drop_rate must be < 1"),
    ("drop_rate", -0.1, ValueError, "drop_rate must be in"),
])
def test_sknet_config_validation_names_field_and_value(field, value, exc, words):
    with pytest.raises(exc, match=words):
        models.SKNetConfig(**{**VALID, field: value})


def test_split_input_requires_divisible_widths():
    with pytest.raises(ValueError, match="not divisible"):
        models.SKNetConfig(block="basic", layers=[1, 1, 1, 1], kernel_sizes=[3, 5, 7])
    cfg = models.SKNetConfig(block="basic", layers=[1, 1, 1, 1], kernel_sizes=[3, 5, 7],
                             split_input=False)
    assert cfg.kernel_sizes == (3, 5, 7)


BOTTLENECK = dict(block="bottleneck", layers=[1, 1, 1, 1])


@pytest.mark.parametrize("kwargs, words", [
    # each of these used to pass the config and fail while building, naming no field
    (dict(kernel_sizes=(1, 3)), r"kernel_sizes=\[1, 3\]: with dilated_kernels=True"),
    (dict(block_args={"attn_channels": 0}), r"block_args\['attn_channels'\] must be >= 1"),
    (dict(BOTTLENECK, base_width=1, channels=(32, 64, 64, 64)),
     r"base_width=1 is too small .* expected base_width >= 2"),
    (dict(BOTTLENECK, base_width=1), r"not divisible: \[1\]; change channels/base_width"),
    (dict(BOTTLENECK, base_width=8, channels=(4, 8, 8, 8)),
     r"base_width=8 is too small .* expected base_width >= 16"),
    # 96 channels split in 2 branches of 48, which 32 groups cannot divide
    (dict(BOTTLENECK, cardinality=32, base_width=3, channels=(64, 64, 64, 64)),
     r"branches .* \[48\] input channels, which cardinality=32 groups cannot divide"),
    (dict(global_pool="", num_classes=10), r"global_pool='' .* needs num_classes=0"),
    (dict(drop_path_rate=-0.5), r"drop_path_rate must be in \[0.0, 1.0\]"),
])
def test_combinations_that_cannot_build_are_refused_naming_the_field(kwargs, words):
    with pytest.raises(ValueError, match=words):
        models.SKNetConfig(**{**VALID, **kwargs})
    with pytest.raises(TypeError, match=r"block_args\['attn_channels'\] must be an int"):
        models.SKNetConfig(**{**VALID, "block_args": {"attn_channels": 2.0}})


def test_the_refused_combinations_build_once_corrected():
    assert models.SKNetConfig(**{**VALID, "kernel_sizes": (1, 3), "dilated_kernels": False})
    net = models.SKNet(models.SKNetConfig(**{**VALID, **BOTTLENECK, "base_width": 1,
                                             "channels": (64, 64, 64, 64),
                                             "split_input": False}))
    assert net.layer1[0].conv1.conv.weight.shape[0] == 1  # floor(64 * 1/64) = 1 channel
    assert models.SKNetConfig(**{**VALID, **BOTTLENECK, "cardinality": 32, "base_width": 4})


def test_resnet_config_validation():
    with pytest.raises(ValueError, match="block='basic' supports only"):
        models.ResNetConfig(block="basic", layers=[2, 2, 2, 2], cardinality=32)
    with pytest.raises(ValueError, match="block_args has unknown keys"):
        models.ResNetConfig(block="basic", layers=[2, 2, 2, 2], block_args={"x": 1})
    with pytest.raises(TypeError, match="needs a ResNetConfig"):
        models.ResNet(models.SKNetConfig(**VALID))
    with pytest.raises(TypeError, match="needs an SKNetConfig"):
        models.SKNet(models.ResNetConfig(**VALID))


def test_wrong_input_channels_is_a_clear_error():
    model = models.get("sk_resnet_mini", num_classes=10, in_channels=1)
    with pytest.raises(ValueError, match=r"expects input of shape \(N, 1, H, W\)"):
        model(lucid.zeros(2, 3, 16, 16))


def test_zero_init_last_and_weight_init():
    lucid.manual_seed(0)
    model = models.get("resnet_18")  # zero_init_last defaults to True for ResNets
    assert np.all(model.layer1[0].conv2.bn.weight.detach().numpy() == 0)
    sk = models.get("sk_resnet_18")  # the SK presets keep it off, like the public ones
    assert np.all(sk.layer1[0].conv2.bn.weight.detach().numpy() == 1)
    w = model.layer3[0].conv1.conv.weight.detach().numpy()  # kaiming normal, fan-out, relu gain
    fan_out = w.shape[0] * w.shape[2] * w.shape[3]
    assert abs(w.std() - np.sqrt(2.0 / fan_out)) / np.sqrt(2.0 / fan_out) < 0.05


def test_avg_down_deep_stem_variant_handles_odd_sizes():
    cfg = models.SKNetConfig(block="bottleneck", layers=[1, 1, 1, 1], stem_type="deep",
                             stem_width=8, avg_down=True, channels=(8, 8, 16, 16),
                             num_classes=4)
    model = models.SKNet(cfg).eval()
    with lucid.no_grad():
        out = model(lucid.randn(2, 3, 45, 37))
    assert out.shape == (2, 4)
    down = model.layer2[0].downsample
    assert isinstance(down[0], models.resnet.AvgDownPool)
    # ceil-mode average over real pixels only: a 3x3 map of ones pools to ones
    pooled = down[0](lucid.ones(1, 1, 3, 3))
    np.testing.assert_allclose(pooled.numpy(), np.ones((1, 1, 2, 2)))


def test_one_training_step_lowers_the_loss_on_a_fixed_batch():
    lucid.manual_seed(0)
    model = models.get("sk_resnet_mini", num_classes=4, in_channels=1)
    x = lucid.randn(8, 1, 16, 16)
    y = lucid.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    opt = lucid.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model.train()
    before = F.cross_entropy(model(x), y)
    opt.zero_grad()
    before.backward()
    opt.step()
    after = F.cross_entropy(model(x), y)
    assert after.item() < before.item()


def test_deep_copied_model_shares_the_backend_and_runs():
    import copy

    model = models.get("sk_resnet_mini", num_classes=3, in_channels=1).eval()
    clone = copy.deepcopy(model)
    x = lucid.randn(2, 1, 16, 16)
    with lucid.no_grad():
        np.testing.assert_allclose(clone(x).numpy(), model(x).numpy(), rtol=1e-6)
    assert clone.fc.weight.backend is model.fc.weight.backend
    assert clone.fc.weight is not model.fc.weight


def test_input_dtype_mismatch_is_a_clear_error():
    model = models.get("sk_resnet_mini", num_classes=3, in_channels=1)
    with pytest.raises(TypeError, match="input dtype float64 does not match weight dtype float32"):
        model(lucid.zeros(1, 1, 16, 16, dtype=lucid.float64))
    with pytest.raises(TypeError, match="input dtype uint8"):
        model(lucid.zeros(1, 1, 16, 16, dtype=lucid.uint8))
    with pytest.raises(TypeError, match="linear: input dtype float64"):
        nn.Linear(3, 2)(lucid.zeros(1, 3, dtype=lucid.float64))


# ------------------------------------------------------------------- one builder
def test_config_fields_after_block_and_layers_are_keyword_only():
    with pytest.raises(TypeError):
        models.ResNetConfig("basic", (2, 2, 2, 2), 10)  # 10 would have been num_classes
    with pytest.raises(TypeError):
        models.SKNetConfig("basic", (2, 2, 2, 2), (3, 5))  # the seed's kernel_sizes slot
    cfg = models.SKNetConfig("basic", (2, 2, 2, 2), kernel_sizes=(3, 5))
    assert (cfg.block, cfg.layers, cfg.kernel_sizes) == ("basic", (2, 2, 2, 2), (3, 5))


def test_both_configs_share_one_base_and_differ_in_their_defaults():
    base = models.BaseResNetConfig
    assert issubclass(models.ResNetConfig, base) and issubclass(models.SKNetConfig, base)
    assert not issubclass(models.SKNetConfig, models.ResNetConfig)
    assert models.ResNetConfig(**VALID).zero_init_last is True
    assert models.SKNetConfig(**VALID).zero_init_last is False
    with pytest.raises(ValueError, match="block='basic' supports only"):
        models.SKNetConfig(block="basic", layers=[2, 2, 2, 2], cardinality=32)


def test_blocks_take_their_spatial_layer_as_an_argument():
    built = []

    def spatial(cin, cout, *, stride, groups):
        built.append((cin, cout, stride, groups))
        return nn.ConvBNReLU2d(cin, cout, 3, stride=stride, groups=groups)

    models.BasicBlock(8, 16, 2, spatial_layer=spatial)
    models.Bottleneck(64, 16, 2, cardinality=4, base_width=8, spatial_layer=spatial)
    assert built == [(8, 16, 2, 1), (8, 8, 2, 4)]  # bottleneck width floor(16*8/64)*4 = 8
    block = models.BasicBlock(8, 8)
    assert type(block.conv1) is nn.ConvBNReLU2d and block.conv1.conv.weight.shape == (8, 8, 3, 3)
    with pytest.raises(ValueError, match="BasicBlock supports only cardinality=1"):
        models.BasicBlock(8, 8, cardinality=2)


def test_sk_blocks_are_resnet_blocks_with_a_selective_kernel_spatial_layer():
    sk = dict(kernel_sizes=(3, 5), attn_channels=4)
    basic = models.SKBasicBlock(8, 8, sk_kwargs=sk)
    bottleneck = models.SKBottleneck(32, 8, 2, cardinality=2, base_width=64, sk_kwargs=sk)
    assert isinstance(basic.conv1, nn.SelectiveKernel) and basic.conv1.kernel_sizes == (3, 5)
    assert isinstance(bottleneck.conv2, nn.SelectiveKernel)
    assert bottleneck.conv2.paths[0].conv.stride == (2, 2)
    assert bottleneck.conv2.paths[0].conv.groups == 2
    assert bottleneck.conv2.attn.fc_reduce.weight.shape[0] == 4
    assert not hasattr(basic, "_sk_kwargs")


def test_sknet_is_the_resnet_builder_given_sk_blocks():
    cfg = models.SKNetConfig(block="bottleneck", layers=[1, 2, 1, 1], channels=(8, 8, 16, 16),
                             stem_width=8, num_classes=3)
    sknet = models.SKNet(cfg)
    plain = models.ResNet(models.ResNetConfig(block="bottleneck", layers=[1, 2, 1, 1],
                                              channels=(8, 8, 16, 16), stem_width=8,
                                              num_classes=3),
                          block_types={"basic": models.SKBasicBlock,
                                       "bottleneck": models.SKBottleneck},
                          block_kwargs={"sk_kwargs": cfg.sk_kwargs()})
    shapes = {k: tuple(v.shape) for k, v in sknet.state_dict().items()}
    assert shapes == {k: tuple(v.shape) for k, v in plain.state_dict().items()}
    assert list(shapes) == list(plain.state_dict())  # same names, same order
    with pytest.raises(ValueError, match="block_types has no class for block='bottleneck'"):
        models.ResNet(models.ResNetConfig(block="bottleneck", layers=[1, 1, 1, 1]),
                      block_types={"basic": models.BasicBlock})


def test_each_family_provides_its_weight_key_map():
    resnet, sknet = models.get("resnet_18"), models.get("sk_resnet_18")
    assert resnet.key_map().naming == "torchvision-resnet"
    assert sknet.key_map().naming == "timm-skresnet"
    assert resnet.key_map().to_lucid("layer1.0.bn2.running_var") == \
        "layer1.0.conv2.bn.running_var"
    deep = models.ResNet(models.ResNetConfig(block="basic", layers=[1, 1, 1, 1],
                                             stem_type="deep", stem_width=8))
    assert deep.key_map().to_lucid("conv1.3.weight") == "stem.1.conv.weight"


def test_a_plugin_builds_presets_with_the_public_preset_builder():
    fixed = dict(block="basic", layers=(1, 1, 1, 1), channels=(8, 8, 16, 16),
                 stem_type="small", stem_width=8)
    net = models.build_from_preset("tiny_sk", models.SKNet, fixed,
                                   {"num_classes": 3, "in_channels": 1})
    assert isinstance(net, models.SKNet) and isinstance(net.config, models.SKNetConfig)
    assert net.fc.weight.shape == (3, 16) and net.config.in_channels == 1
    assert set(models.PRESET_OVERRIDABLE) == {"num_classes", "in_channels", "drop_rate",
                                              "drop_path_rate", "global_pool", "zero_init_last"}
    wider = models.build_from_preset("tiny_sk", models.SKNet, fixed, {"stem_width": 16})
    assert wider.stem[0].conv.weight.shape == (16, 3, 3, 3)
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        models.build_from_preset("tiny_sk", models.SKNet, fixed, {"colour": "red"})
