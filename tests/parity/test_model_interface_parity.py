"""timm's model interface, lucid against timm 1.0: pretrained cfgs, the registry's pretrained
listing, feature extraction, forward_features / forward_head / forward_intermediates, the
head's pool types, pruning and stochastic-depth rates.

Values are compared with timm's weights copied into lucid (seeded, batch norms randomised,
as in test_timm_parity.py) under that file's tolerance: max |diff| <= 1e-4·max(1, max|ref|).
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
timm = pytest.importorskip("timm")

import lucid  # noqa: E402
import lucid.models as models  # noqa: E402
from lucid.convert import convert_state_dict  # noqa: E402

from .test_timm_parity import (  # noqa: E402
    assert_close,
    build_reference,
    sample_input,
    to_lucid_arrays,
)

pytestmark = pytest.mark.parity

#: lucid preset -> timm architecture
TIMM_NAMES = {
    "resnet_18": "resnet18", "resnet_34": "resnet34", "resnet_50": "resnet50",
    "resnet_101": "resnet101", "resnet_152": "resnet152", "sk_resnet_18": "skresnet18",
    "sk_resnet_34": "skresnet34", "sk_resnet_50": "skresnet50",
    "sk_resnext_50_32x4d": "skresnext50_32x4d",
}
SMALL = (2, 3, 64, 80)


@pytest.mark.parametrize("name", sorted(TIMM_NAMES))
def test_pretrained_cfgs_equal_timms(name):
    entry = models.model_entry(name)
    arch = TIMM_NAMES[name]
    assert entry.default_tag == timm.models.get_pretrained_cfg(arch).tag  # timm's default
    for tag, cfg in entry.pretrained_cfgs.items():
        assert cfg == timm.models.get_pretrained_cfg(f"{arch}.{tag}").to_dict(), tag
    model = models.get(name, layers=(1, 1, 1, 1))
    assert model.pretrained_cfg == timm.models.get_pretrained_cfg(arch).to_dict()


def test_models_with_weights_are_timms():
    ours = {n.split(".")[0] for n in models.list_models(pretrained=True)}
    assert ours == {n for n, arch in TIMM_NAMES.items()
                    if timm.list_models(arch, pretrained=True)}
    for name, arch in TIMM_NAMES.items():  # each lucid tag is a tag timm publishes
        tags = {t.split(".")[1] for t in timm.list_models(arch, pretrained=True)}
        assert set(models.model_entry(name).tags(pretrained=True)) <= tags


@pytest.mark.parametrize("name", sorted(TIMM_NAMES))
def test_feature_info_and_feature_shapes_equal_timms(name):
    arch = TIMM_NAMES[name]
    variants = [(1, -1), 3] if name == "sk_resnet_18" else []  # one quick model for these
    for out_indices in [*variants, (0, 1, 2, 3, 4)]:
        ref = timm.create_model(arch, features_only=True, out_indices=out_indices).eval()
        ours = models.get(name, features_only=True, out_indices=out_indices).eval()
        assert ours.feature_info.channels() == ref.feature_info.channels()
        assert ours.feature_info.reduction() == ref.feature_info.reduction()
        assert ours.feature_info.out_indices == tuple(ref.feature_info.out_indices)
    x = sample_input(SMALL, 0).astype(np.float32)
    with torch.no_grad():
        ref_shapes = [tuple(t.shape) for t in ref(torch.from_numpy(x))]
    with lucid.no_grad():
        shapes = [tuple(t.shape) for t in ours(lucid.tensor(x))]
    assert shapes == ref_shapes
    classifier = models.get(name)
    assert [(f["num_chs"], f["reduction"]) for f in classifier.feature_info] == \
        [(f["num_chs"], f["reduction"]) for f in timm.create_model(arch).feature_info]


def _pair(name):
    """(timm model, lucid model) with the same weights, both in eval mode."""
    ref = build_reference("timm", TIMM_NAMES[name])
    model = models.get(name)
    model.load_state_dict(convert_state_dict(to_lucid_arrays(ref), name))
    return ref, model.eval()


@pytest.mark.parametrize("name", ["sk_resnet_18", "sk_resnext_50_32x4d"])
def test_feature_values_equal_timms(name):
    ref_full = build_reference("timm", TIMM_NAMES[name])
    ref = timm.create_model(TIMM_NAMES[name], features_only=True, out_indices=(0, 1, 2, 3, 4))
    missing, unexpected = ref.load_state_dict(ref_full.state_dict(), strict=False)
    assert not missing and set(unexpected) == {"fc.weight", "fc.bias"}
    ref.eval()
    feats = models.get(name, features_only=True).eval()
    converted = convert_state_dict(to_lucid_arrays(ref_full), name)
    feats.load_state_dict({k: v for k, v in converted.items() if not k.startswith("fc.")})
    x = sample_input(SMALL, 1).astype(np.float32)
    with torch.no_grad():
        expected = [t.numpy() for t in ref(torch.from_numpy(x))]
    with lucid.no_grad():
        got = [t.numpy() for t in feats(lucid.tensor(x))]
    assert len(got) == len(expected) == 5
    for i, (g, e) in enumerate(zip(got, expected)):
        assert_close(f"{name} feature {i}", g, e)


@pytest.mark.parametrize("name", ["sk_resnet_18", "sk_resnext_50_32x4d", "resnet_50"])
def test_forward_methods_equal_timms(name):
    ref, model = _pair(name)
    x = sample_input(SMALL, 2).astype(np.float32)
    with torch.no_grad():
        tx = torch.from_numpy(x)
        r_feat = ref.forward_features(tx)
        r_pre = ref.forward_head(r_feat, pre_logits=True).numpy()
        r_final, r_inter = ref.forward_intermediates(tx, indices=[0, 2, -1])
        r_early = ref.forward_intermediates(tx, indices=2, stop_early=True,
                                            intermediates_only=True)
    with lucid.no_grad():
        lx = lucid.tensor(x)
        feat = model.forward_features(lx)
        pre = model.forward_head(feat, pre_logits=True).numpy()
        final, inter = model.forward_intermediates(lx, indices=[0, 2, -1])
        early = model.forward_intermediates(lx, indices=2, stop_early=True,
                                            intermediates_only=True)
    assert_close(f"{name} forward_features", feat.numpy(), r_feat.numpy())
    assert_close(f"{name} pre_logits", pre, r_pre)
    assert_close(f"{name} intermediates final", final.numpy(), r_final.numpy())
    assert len(inter) == len(r_inter) == 3 and len(early) == len(r_early) == 2
    for i, (g, e) in enumerate(zip(inter + early, r_inter + r_early)):
        assert_close(f"{name} intermediate {i}", g.numpy(), e.numpy())


@pytest.mark.parametrize("pool", ["avg", "max", "avgmax", "catavgmax"])
def test_head_pool_types_equal_timms(pool):
    ref, model = _pair("sk_resnet_18")
    ref.reset_classifier(7, pool)
    model.reset_classifier(7, pool)
    assert model.head_hidden_size == ref.head_hidden_size
    assert tuple(model.fc.weight.shape) == tuple(ref.fc.weight.shape)
    model.fc.weight.data = lucid.tensor(ref.fc.weight.detach().numpy()).data
    model.fc.bias.data = lucid.tensor(ref.fc.bias.detach().numpy()).data
    x = sample_input(SMALL, 3).astype(np.float32)
    with torch.no_grad():
        expected = ref(torch.from_numpy(x)).numpy()
        expected_pre = ref.forward_head(ref.forward_features(torch.from_numpy(x)),
                                        pre_logits=True).numpy()
    with lucid.no_grad():
        got = model(lucid.tensor(x)).numpy()
        got_pre = model.forward_head(model.forward_features(lucid.tensor(x)),
                                     pre_logits=True).numpy()
    assert_close(f"{pool} logits", got, expected)
    assert_close(f"{pool} pre_logits", got_pre, expected_pre)


def test_classifier_free_heads_equal_timms():
    ref, model = _pair("sk_resnet_18")
    x = sample_input(SMALL, 4).astype(np.float32)
    for pool in ("avg", ""):
        ref.reset_classifier(0, pool)
        model.reset_classifier(0, pool)
        assert model.num_classes == ref.num_classes == 0
        with torch.no_grad():
            expected = ref(torch.from_numpy(x)).numpy()
        with lucid.no_grad():
            got = model(lucid.tensor(x)).numpy()
        assert_close(f"num_classes=0 global_pool={pool!r}", got, expected)


@pytest.mark.parametrize("indices", [1, [0], [1, 3], [-2]])
def test_prune_intermediate_layers_equals_timms(indices):
    ref = timm.create_model("skresnet18")
    model = models.get("sk_resnet_18")
    assert model.prune_intermediate_layers(indices) == ref.prune_intermediate_layers(indices)
    assert model.num_features == ref.num_features
    assert model.head_hidden_size == ref.head_hidden_size
    for i in range(1, 5):
        assert len(getattr(model, f"layer{i}")) == len(getattr(ref, f"layer{i}")), i


@pytest.mark.parametrize("name", ["sk_resnet_18", "sk_resnet_50", "resnet_101"])
def test_drop_path_rates_equal_timms_and_eval_is_unchanged(name):
    arch = TIMM_NAMES[name]
    ref = timm.create_model(arch, drop_path_rate=0.2, drop_rate=0.3)
    model = models.get(name, drop_path_rate=0.2, drop_rate=0.3)

    def rates(net):  # both DropPath classes keep the rate as drop_prob
        return [0.0 if b.drop_path is None else b.drop_path.drop_prob
                for i in range(1, 5) for b in getattr(net, f"layer{i}")]

    assert len(rates(model)) == len(rates(ref))
    np.testing.assert_allclose(rates(model), rates(ref), rtol=1e-12)
    if name == "sk_resnet_18":  # stochastic depth and dropout leave eval mode unchanged
        plain_ref, plain = _pair(name)
        model.load_state_dict(plain.state_dict())
        x = sample_input(SMALL, 5).astype(np.float32)
        with torch.no_grad():
            expected = plain_ref(torch.from_numpy(x)).numpy()
        with lucid.no_grad():
            assert_close("eval with drop_path", model.eval()(lucid.tensor(x)).numpy(), expected)
