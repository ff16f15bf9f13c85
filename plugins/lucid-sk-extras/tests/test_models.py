"""The "-D" SKNets: their stems, shortcuts and parameter counts, checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

import lucid
import lucid.models

pytest.importorskip("lucid_sk_extras", reason="install plugins/lucid-sk-extras first")


def _sk_bottleneck_params(planes: int) -> int:
    """Parameters of an identity SK bottleneck block (1×1, SK unit, 1×1, three BN stages)."""
    attn = max(8, int(planes / 16 + 4) // 8 * 8)  # C/16 rounded to a multiple of 8, at least 8
    conv1, bn1 = 4 * planes * planes, 2 * planes
    branches = 2 * (planes // 2) * planes * 9  # two 3×3 branches, each on half the input
    branch_bns = 2 * 2 * planes
    attention = planes * attn + 2 * attn + attn * 2 * planes  # squeeze conv + BN, select conv
    conv3, bn3 = 4 * planes * planes, 2 * 4 * planes
    return conv1 + bn1 + branches + branch_bns + attention + conv3 + bn3


def test_deep_stem_adds_its_parameters_to_sk_resnet_50():
    deep = 3 * 32 * 9 + 2 * 32 + 32 * 32 * 9 + 2 * 32 + 32 * 64 * 9 + 2 * 64
    plain = 3 * 64 * 49 + 2 * 64  # the 7×7 stem it replaces
    p50 = lucid.models.get("sk_resnet_50").num_parameters()
    p50d = lucid.models.get("sk_resnet_50d").num_parameters()
    assert p50d - p50 == deep - plain == 19_232
    assert abs(p50d / 1e6 - 25.82) < 0.005  # timm's skresnet50d: 25.82 M parameters


def test_sk_resnet_26d_is_sk_resnet_50d_without_the_extra_blocks():
    # (3, 4, 6, 3) -> (2, 2, 2, 2): one, two, four and one identity blocks fewer
    removed = sum(n * _sk_bottleneck_params(p) for n, p in ((1, 64), (2, 128), (4, 256),
                                                             (1, 512)))
    p50d = lucid.models.get("sk_resnet_50d").num_parameters()
    assert lucid.models.get("sk_resnet_26d").num_parameters() == p50d - removed


@pytest.mark.parametrize("name,layers", [("sk_resnet_26d", (2, 2, 2, 2)),
                                         ("sk_resnet_50d", (3, 4, 6, 3))])
def test_config_is_the_d_variant(name, layers):
    net = lucid.models.get(name, num_classes=7)
    cfg = net.config
    assert (cfg.block, cfg.layers, cfg.stem_type, cfg.stem_width, cfg.avg_down) == \
        ("bottleneck", layers, "deep", 32, True)
    shapes = [tuple(p.shape) for n, p in net.stem.named_parameters() if n.endswith("weight")
              and len(p.shape) == 4]
    assert shapes == [(32, 3, 3, 3), (32, 32, 3, 3), (64, 32, 3, 3)]


def test_strided_shortcut_average_pools_before_projecting():
    net = lucid.models.get("sk_resnet_26d", num_classes=10)
    pool = net.layer2[0].downsample[0]
    x = np.arange(2 * 3 * 4 * 4, dtype=np.float32).reshape(2, 3, 4, 4)
    expected = x.reshape(2, 3, 2, 2, 2, 2).mean(axis=(3, 5))
    np.testing.assert_allclose(pool(lucid.tensor(x)).numpy(), expected, rtol=1e-6)


def test_forward_backward_on_a_small_batch():
    lucid.manual_seed(0)
    net = lucid.models.get("sk_resnet_26d", num_classes=5, in_channels=1)
    x = lucid.randn(2, 1, 32, 32)  # training-mode batch norm needs more than one value
    out = net(x)
    assert out.shape == (2, 5)
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_any_config_field_overrides_the_preset_as_in_timm():
    """Presets built with build_from_preset take any config field, as lucid's own do."""
    wide = lucid.models.get("sk_resnet_50d", stem_width=64)
    assert wide.config.stem_width == 64 and wide.config.stem_type == "deep"
    deeper = lucid.models.get("sk_resnet_26d", layers=(3, 4, 6, 3))
    assert deeper.config.layers == (3, 4, 6, 3)
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        lucid.models.get("sk_resnet_26d", colour="blue")


@pytest.mark.parametrize("field", lucid.models.PRESET_OVERRIDABLE)
def test_the_fields_pretrained_presets_accept_are_accepted(field):
    value = {"num_classes": 3, "in_channels": 1, "drop_rate": 0.25, "drop_path_rate": 0.1,
             "global_pool": "max", "zero_init_last": True}
    net = lucid.models.get("sk_resnet_26d", **{field: value[field]})
    assert getattr(net.config, field) == value[field]
