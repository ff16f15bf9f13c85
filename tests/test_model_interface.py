"""timm's model interface on lucid's presets: pretrained cfgs, the registry's pretrained/tag
handling, factory overrides, feature extraction, forward_* methods, the classifier head and
stochastic depth. References: timm's published cfg values (copied by hand from timm 1.0),
NumPy reductions, the model's own submodules composed by hand, and hand-computed rates.
The values against timm itself are in tests/parity/test_model_interface_parity.py."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

import lucid
import lucid.models as models
import lucid.nn as nn
from lucid.models.features import FeatureListNet

PRESETS_WITH_WEIGHTS = {
    "resnet_18": "timm/resnet18.a1_in1k", "resnet_34": "timm/resnet34.a1_in1k",
    "resnet_50": "timm/resnet50.a1_in1k", "resnet_101": "timm/resnet101.a1h_in1k",
    "resnet_152": "timm/resnet152.a1h_in1k", "sk_resnet_18": "timm/skresnet18.ra_in1k",
    "sk_resnet_34": "timm/skresnet34.ra_in1k",
    "sk_resnext_50_32x4d": "timm/skresnext50_32x4d.ra_in1k",
}


def small_sknet(**overrides):
    """An SK-ResNet-18 layout with one block per stage (quick to run)."""
    return models.get("sk_resnet_18", layers=(1, 1, 1, 1), **overrides)


def x_of(shape, seed=0):
    return lucid.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


# ------------------------------------------------------------------ pretrained cfgs
@pytest.mark.parametrize("name", sorted(PRESETS_WITH_WEIGHTS))
def test_default_weights_are_timms_default_tag(name):
    entry = models.model_entry(name)  # readable without building a model
    cfg = entry.pretrained_cfgs[entry.default_tag]
    assert cfg["hf_hub_id"] == PRESETS_WITH_WEIGHTS[name]
    assert cfg["num_classes"] == 1000 and cfg["input_size"] == (3, 224, 224)
    assert cfg["first_conv"] == "conv1" and cfg["classifier"] == "fc"


def test_sknet_cfg_values_and_the_alias():
    model = models.get("sk_resnet_18")
    cfg = model.pretrained_cfg
    assert model.default_cfg is cfg
    assert (cfg["crop_pct"], cfg["interpolation"], cfg["pool_size"], cfg["crop_mode"]) == \
        (0.875, "bicubic", (7, 7), "center")
    assert cfg["mean"] == (0.485, 0.456, 0.406) and cfg["std"] == (0.229, 0.224, 0.225)
    assert cfg["license"] == "apache-2.0"
    assert "test_input_size" not in cfg
    rsb = models.get("resnet_18").pretrained_cfg
    assert (rsb["test_input_size"], rsb["test_crop_pct"], rsb["crop_pct"]) == \
        ((3, 288, 288), 1.0, 0.95)


def test_sk_resnet_50_has_no_published_weights():
    cfg = models.get("sk_resnet_50", layers=(1, 1, 1, 1)).pretrained_cfg
    assert "hf_hub_id" not in cfg and cfg["url"] == "" and cfg["tag"] == "untrained"


def test_overrides_show_on_the_model_and_leave_the_weights_cfg_alone():
    model = small_sknet(num_classes=10, in_chans=1)
    assert model.num_classes == 10 and model.in_chans == 1
    assert model.config.num_classes == 10 and model.config.in_channels == 1
    # the cfg describes the published weights (as in timm): the loader compares the two
    assert model.pretrained_cfg["num_classes"] == 1000
    assert model.pretrained_cfg["input_size"] == (3, 224, 224)


def test_weight_tags_select_another_cfg():
    model = models.get("resnet_50.tv_in1k", layers=(1, 1, 1, 1))
    assert model.pretrained_cfg["hf_hub_id"] == "timm/resnet50.tv_in1k"
    assert model.pretrained_cfg["interpolation"] == "bilinear"
    with pytest.raises(LookupError, match="no weight tag 'nope'.*a1_in1k, tv_in1k, tv2_in1k"):
        models.get("resnet_50.nope")


def test_list_models_pretrained_follows_timm():
    assert models.list_models("sk_*", pretrained=True) == [
        "sk_resnet_18.ra_in1k", "sk_resnet_34.ra_in1k", "sk_resnext_50_32x4d.ra_in1k"]
    assert models.list_models("sk_*", pretrained=True, include_tags=False) == [
        "sk_resnet_18", "sk_resnet_34", "sk_resnext_50_32x4d"]
    assert models.list_models("resnet_50*", include_tags=True) == [
        "resnet_50.a1_in1k", "resnet_50.tv2_in1k", "resnet_50.tv_in1k"]
    assert models.list_models("*.tv2*", pretrained=True) == [
        "resnet_101.tv2_in1k", "resnet_152.tv2_in1k", "resnet_50.tv2_in1k"]
    assert "sk_resnet_mini" not in models.list_models(pretrained=True, include_tags=False)


# ------------------------------------------------------------------ pretrained=True wiring
@pytest.fixture
def fake_hub(monkeypatch):
    """A stand-in ``lucid.models.hub`` recording what load_pretrained was given."""
    calls = []
    module = types.ModuleType("lucid.models.hub")

    def load_pretrained(model):
        calls.append((model, dict(model.pretrained_cfg), type(model.fc).__name__))

    module.load_pretrained = load_pretrained
    monkeypatch.setitem(sys.modules, "lucid.models.hub", module)
    monkeypatch.setattr(models, "hub", module, raising=False)
    return calls


def test_pretrained_calls_the_hub_loader_with_the_built_model(fake_hub):
    model = models.get("sk_resnet_18", pretrained=True, num_classes=5, in_chans=1)
    assert len(fake_hub) == 1 and fake_hub[0][0] is model
    assert fake_hub[0][1]["hf_hub_id"] == "timm/skresnet18.ra_in1k"
    assert model.config.num_classes == 5 and model.config.in_channels == 1


def test_pretrained_tag_and_features_only_load_before_cutting(fake_hub):
    feats = models.get("resnet_18.tv_in1k", pretrained=True, features_only=True,
                       out_indices=(2, 4))
    assert isinstance(feats, FeatureListNet)
    model, cfg, head = fake_hub[0]
    assert cfg["hf_hub_id"] == "timm/resnet18.tv_in1k"
    assert head == "Linear"  # the loader saw the whole classifier model
    assert feats.pretrained_cfg["tag"] == "tv_in1k"


def test_pretrained_refusals(fake_hub):
    with pytest.raises(ValueError, match="either pretrained=True .* or weights="):
        models.get("sk_resnet_18", pretrained=True, weights="w.safetensors")
    with pytest.raises(ValueError, match="sk_resnet_50 has no published weights"):
        models.get("sk_resnet_50", pretrained=True)
    with pytest.raises(ValueError, match="layers cannot be overridden"):
        models.get("sk_resnet_18", pretrained=True, layers=(1, 1, 1, 1))
    with pytest.raises(TypeError, match="pretrained must be a bool"):
        models.get("sk_resnet_18", "weights.pth")
    assert fake_hub == []


def test_pretrained_without_the_hub_module_fails_at_call_time_only(monkeypatch):
    monkeypatch.setitem(sys.modules, "lucid.models.hub", None)  # import of it fails
    small_sknet()  # building never imports it
    with pytest.raises(ImportError):
        models.get("sk_resnet_18", pretrained=True)


# ------------------------------------------------------------------ factory overrides
def test_any_config_field_can_be_overridden():
    net = models.get("sk_resnet_50", layers=(1, 1, 1, 1), kernel_sizes=[3, 5, 7],
                     split_input=False, stem_type="deep", drop_rate=0.2, drop_path_rate=0.1,
                     global_pool="max")
    c = net.config
    assert (c.kernel_sizes, c.stem_type, c.drop_rate, c.drop_path_rate, c.global_pool) == \
        ((3, 5, 7), "deep", 0.2, 0.1, "max")
    assert len(net.layer1[0].conv2.paths) == 3
    assert net.drop_rate == 0.2 and net.global_pool.pool_type == "max"


def test_in_chans_alias_and_conflicts():
    assert small_sknet(in_chans=2).stem[0].conv.weight.shape[1] == 2
    assert small_sknet(in_chans=2, in_channels=2).config.in_channels == 2
    with pytest.raises(ValueError, match="in_chans=1 and in_channels=3"):
        small_sknet(in_chans=1, in_channels=3)


def test_unknown_keyword_names_it_the_model_the_fields_and_a_close_match():
    with pytest.raises(TypeError) as info:
        models.get("sk_resnet_18", kernel_size=(3, 5))
    msg = str(info.value)
    assert "sk_resnet_18() got an unexpected keyword argument 'kernel_size'" in msg
    assert "did you mean 'kernel_sizes'" in msg and "SKNetConfig" in msg
    assert "attn_ratio" in msg and "in_chans" in msg
    with pytest.raises(TypeError, match="'num_class' \\(did you mean 'num_classes'"):
        models.get("resnet_18", num_class=3)


def test_bad_override_values_name_the_field():
    with pytest.raises(ValueError, match="global_pool='mean' is not supported"):
        small_sknet(global_pool="mean")
    with pytest.raises(ValueError, match="drop_path_rate must be in"):
        small_sknet(drop_path_rate=1.5)
    with pytest.raises(TypeError, match="features_only must be a bool"):
        small_sknet(features_only="yes")
    with pytest.raises(TypeError, match="out_indices=.*needs features_only=True"):
        small_sknet(out_indices=(1,))


# ------------------------------------------------------------------ feature extraction
def test_feature_info_of_sk_resnet_18_and_its_feature_maps():
    feats = models.get("sk_resnet_18", features_only=True).eval()
    info = feats.feature_info
    assert info.channels() == [64, 64, 128, 256, 512]
    assert info.reduction() == [2, 4, 8, 16, 32]
    assert info.module_name() == ["stem.0", "layer1", "layer2", "layer3", "layer4"]
    assert info.out_indices == (0, 1, 2, 3, 4)
    with lucid.no_grad():
        maps = feats(x_of((2, 3, 64, 96)))
    assert [m.shape for m in maps] == [(2, c, 64 // r, 96 // r)
                                       for c, r in zip(info.channels(), info.reduction())]


def test_feature_info_on_the_classifier_and_other_stems():
    assert models.get("resnet_50").feature_info == [
        {"num_chs": 64, "reduction": 2, "module": "stem.0"},
        {"num_chs": 256, "reduction": 4, "module": "layer1"},
        {"num_chs": 512, "reduction": 8, "module": "layer2"},
        {"num_chs": 1024, "reduction": 16, "module": "layer3"},
        {"num_chs": 2048, "reduction": 32, "module": "layer4"}]
    deep = small_sknet(stem_type="deep", stem_width=16)
    assert deep.feature_info[0] == {"num_chs": 32, "reduction": 2, "module": "stem.2"}
    mini = models.get("sk_resnet_mini")
    assert [f["reduction"] for f in mini.feature_info] == [1, 1, 2, 4, 8]
    for model in (deep, mini):
        for fi in model.feature_info:  # every tap names a real module
            assert isinstance(model.get_submodule(fi["module"]), nn.Module)


def test_feature_maps_equal_the_layers_composed_by_hand():
    model = small_sknet().eval()
    feats = models.get("sk_resnet_18", layers=(1, 1, 1, 1), features_only=True,
                       out_indices=(-4, 3)).eval()
    missing, unexpected = feats.load_state_dict(model.state_dict(), strict=False)
    assert missing == []  # the classifier and the stage after the last tap are gone
    assert {k.split(".")[0] for k in unexpected} == {"fc", "layer4"}
    assert feats.feature_info.channels() == [64, 256]
    x = x_of((2, 3, 64, 64), 1)
    with lucid.no_grad():
        tap1 = model.layer1(model.stem[1](model.stem[0](x)))
        tap3 = model.layer3(model.layer2(tap1))
        got = feats(x)
    assert len(got) == 2
    np.testing.assert_allclose(got[0].numpy(), tap1.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got[1].numpy(), tap3.numpy(), rtol=1e-6, atol=1e-6)
    assert len(feats.layer4) == 0  # pruned after the last tap


def test_out_indices_as_timm_reads_them():
    feats = small_sknet(features_only=True, out_indices=2)
    assert feats.feature_info.out_indices == (-2, -1)
    assert feats.feature_info.channels() == [256, 512]
    with pytest.raises(IndexError, match="feature index 5 is out of range"):
        small_sknet(features_only=True, out_indices=(1, 5))
    with pytest.raises(IndexError, match="last 6 features"):
        small_sknet(features_only=True, out_indices=6)


# ------------------------------------------------------------------ forward_* methods
def test_forward_head_pre_logits_and_global_pools_against_numpy():
    model = small_sknet(num_classes=4).eval()
    x = x_of((2, 3, 64, 64), 2)
    with lucid.no_grad():
        feats = model.forward_features(x)
        f = feats.numpy()
        pooled = model.forward_head(feats, pre_logits=True).numpy()
        logits = model.forward_head(feats).numpy()
    np.testing.assert_allclose(pooled, f.mean(axis=(2, 3)), rtol=1e-5, atol=1e-6)
    w, b = model.fc.weight.detach().numpy(), model.fc.bias.detach().numpy()
    np.testing.assert_allclose(logits, pooled @ w.T + b, rtol=1e-5, atol=1e-5)
    expected = {"avg": f.mean(axis=(2, 3)), "max": f.max(axis=(2, 3)),
                "avgmax": 0.5 * (f.mean(axis=(2, 3)) + f.max(axis=(2, 3))),
                "catavgmax": np.concatenate([f.mean(axis=(2, 3)), f.max(axis=(2, 3))], 1)}
    for pool, ref in expected.items():
        model.reset_classifier(3, pool)
        assert model.fc.weight.shape == (3, ref.shape[1])
        assert model.head_hidden_size == ref.shape[1]
        with lucid.no_grad():
            got = model.forward_head(feats, pre_logits=True).numpy()
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6, err_msg=pool)


def test_reset_classifier_and_get_classifier():
    model = small_sknet()
    assert model.get_classifier() is model.fc and model.get_classifier(name_only=True) == "fc"
    model.reset_classifier(0)
    assert isinstance(model.fc, nn.Identity) and model.num_classes == 0
    assert model.config.num_classes == 0
    assert model.eval()(x_of((2, 3, 32, 32))).shape == (2, model.num_features)
    model.reset_classifier(0, "")
    assert model.eval()(x_of((2, 3, 32, 32))).shape == (2, 512, 1, 1)
    with pytest.raises(ValueError, match="global_pool='' .* needs num_classes=0"):
        model.reset_classifier(10, "")
    with pytest.raises(ValueError, match="global_pool='sum' is not supported"):
        model.reset_classifier(10, "sum")
    with pytest.raises(ValueError, match="num_classes must be >= 0"):
        model.reset_classifier(-1)
    double = small_sknet().double()
    double.reset_classifier(7)
    assert double.fc.weight.dtype == lucid.float64  # follows the model's dtype


def test_forward_intermediates_conventions():
    model = small_sknet().eval()
    x = x_of((2, 3, 64, 64), 3)
    with lucid.no_grad():
        final, inter = model.forward_intermediates(x)
        ref = model.forward_features(x)
        last_two = model.forward_intermediates(x, indices=2, intermediates_only=True)
        early = model.forward_intermediates(x, indices=[1], stop_early=True)
    np.testing.assert_array_equal(final.numpy(), ref.numpy())
    assert [t.shape[1] for t in inter] == [64, 64, 128, 256, 512]
    assert [t.shape[1] for t in last_two] == [256, 512]
    np.testing.assert_array_equal(last_two[1].numpy(), ref.numpy())
    assert early[0].shape == (2, 64, 16, 16) and early[1][0].shape == (2, 64, 16, 16)
    with pytest.raises(ValueError, match="output_fmt='NHWC' is not supported"):
        model.forward_intermediates(x, output_fmt="NHWC")


def test_prune_intermediate_layers():
    model = small_sknet().eval()
    assert model.prune_intermediate_layers([0, 2]) == [0, 2]
    assert len(model.layer3) == 0 and len(model.layer4) == 0
    assert model.num_features == 128 and isinstance(model.fc, nn.Identity)
    with lucid.no_grad():
        assert model.forward_features(x_of((2, 3, 64, 64))).shape == (2, 128, 8, 8)
    stem_only = small_sknet()
    stem_only.prune_intermediate_layers(1)  # keeps the last tap: only the head goes
    assert len(stem_only.layer4) == 1 and stem_only.num_features == 512
    first = small_sknet()
    first.prune_intermediate_layers([0])
    assert isinstance(first.stem[1], nn.Identity)  # its max-pool follows tap 0


# ------------------------------------------------------------------ stochastic depth
def test_drop_path_statistics_and_eval_identity():
    lucid.manual_seed(0)
    x = lucid.ones(20000, 2, 3)
    y = nn.DropPath(0.25).train()(x).numpy()
    per_sample = y.reshape(20000, -1)
    assert (per_sample == per_sample[:, :1]).all()  # a whole sample is kept or dropped
    kept = per_sample[:, 0] != 0
    np.testing.assert_allclose(per_sample[kept, 0], 1 / 0.75, rtol=1e-6)
    assert abs(kept.mean() - 0.75) < 0.015  # 5 standard deviations of a binomial mean
    assert abs(y.mean() - 1.0) < 0.03
    assert (nn.DropPath(0.25).eval()(x).numpy() == 1).all()
    assert (nn.DropPath(1.0).train()(x).numpy() == 0).all()
    unscaled = nn.DropPath(0.5, scale_by_keep=False).train()(x).numpy()
    assert set(np.unique(unscaled)) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="drop_prob must be a probability in"):
        nn.DropPath(1.5)


def test_drop_path_rates_grow_linearly_over_blocks():
    model = models.get("sk_resnet_18", drop_path_rate=0.35)
    blocks = [b for i in range(1, 5) for b in getattr(model, f"layer{i}")]
    rates = [0.0 if b.drop_path is None else b.drop_path.drop_prob for b in blocks]
    np.testing.assert_allclose(rates, [0.35 * i / 7 for i in range(8)], rtol=1e-12)
    assert blocks[0].drop_path is None


def test_drop_path_is_identity_in_eval_and_drops_branches_in_training():
    plain = small_sknet()
    dropped = small_sknet(drop_path_rate=1.0)
    dropped.load_state_dict(plain.state_dict())
    x = x_of((2, 3, 32, 32), 4)
    with lucid.no_grad():
        np.testing.assert_array_equal(dropped.eval()(x).numpy(), plain.eval()(x).numpy())
        # rate 1.0: the last block's branch is always dropped, so layer4 is its shortcut
        block = dropped.layer4[0].train()
        h = x_of((2, 256, 4, 4), 5)
        expected = lucid.relu(block.downsample(h))
        np.testing.assert_allclose(block(h).numpy(), expected.numpy(), rtol=1e-6, atol=1e-6)
