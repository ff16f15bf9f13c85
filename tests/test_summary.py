"""lucid.summary / lucid.count_flops on small models, against MACs worked out by hand."""

from __future__ import annotations

import json

import pytest

import lucid
import lucid.models as models
import lucid.nn as nn


class Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(4, 8, 3, stride=2, padding=1, bias=False),          # 8x8 -> 4x4
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=4),          # 4x4 -> 4x4
            nn.MaxPool2d(2),                                              # -> 2x2
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 5)

    def forward(self, x: lucid.Tensor) -> lucid.Tensor:
        return self.fc(lucid.flatten(self.pool(self.body(x)), 1))


# MACs by hand, input (2, 4, 8, 8):
CONV1 = 2 * 8 * 4 * 4 * (4 * 3 * 3)      # output elements x (C_in/groups) x kH x kW = 9216
BN = RELU = 2 * 8 * 4 * 4                  # one per element = 256 each
CONV2 = 2 * 8 * 4 * 4 * (2 * 3 * 3)       # groups=4: 2 input channels per group = 4608
POOL = 2 * 8 * 2 * 2 * 4                   # 2x2 window per output element = 128
GAP = 2 * 8 * 2 * 2                        # one add per input element = 64
FC = 2 * 5 * 8                             # = 80


def test_count_flops_uses_the_layer_formulas() -> None:
    count = lucid.count_flops(Tiny(), (2, 4, 8, 8))
    assert count.by_layer == {"body.0": CONV1, "body.1": BN, "body.2": RELU, "body.3": CONV2,
                              "body.4": POOL, "pool": GAP, "fc": FC}
    assert count.macs == CONV1 + BN + RELU + CONV2 + POOL + GAP + FC
    assert count.flops == 2 * count.macs
    assert count.by_type["Conv2d"] == CONV1 + CONV2
    assert not count.uncounted


def test_summary_rows_totals_and_depth() -> None:
    model = Tiny()
    model.fc.weight.requires_grad_(False)
    s = lucid.summary(model, "2,4,8,8", depth=1)
    assert [(r.name, r.type_name) for r in s.rows] == [
        ("", "Tiny"), ("body", "Sequential"), ("pool", "AdaptiveAvgPool2d"), ("fc", "Linear")]
    body = s.rows[1]
    assert body.output_shape == [(2, 8, 2, 2)]
    assert body.num_params == 4 * 8 * 9 + 16 + 8 * 2 * 9 + 8       # collapsed: everything inside
    assert body.macs == CONV1 + BN + RELU + CONV2 + POOL
    assert s.total_params == model.num_parameters() == 288 + 16 + 152 + 45
    assert s.trainable_params == s.total_params - 40
    assert s.total_macs == CONV1 + BN + RELU + CONV2 + POOL + GAP + FC
    assert s.input_bytes == 2 * 4 * 8 * 8 * 4
    text = str(s)
    assert "Total params: 501" in text and "Trainable params: 461" in text
    assert "[2, 8, 2, 2]" in text
    assert json.loads(json.dumps(s.to_dict()))["total_macs"] == s.total_macs
    deep = lucid.summary(model, (2, 4, 8, 8), depth=5)
    assert [r.name for r in deep.rows][2:4] == ["body.0", "body.1"]
    assert deep.rows[1].num_params is None and deep.rows[1].macs is None   # expanded: "--"


def test_summary_restores_training_mode_and_leaves_batch_norm_alone() -> None:
    model = Tiny()
    before = model.body[1].running_mean.numpy().copy()
    lucid.summary(model, (1, 4, 8, 8))
    assert model.training and model.body[1].training
    assert (model.body[1].running_mean.numpy() == before).all()


@pytest.mark.parametrize("preset", ["sk_resnet_18", "resnet_18"])
def test_summary_params_equal_the_model_parameter_count(preset: str) -> None:
    model = models.get(preset)
    s = models.summarize(model, (1, 3, 64, 64), depth=2)
    assert s.total_params == model.num_parameters()
    # expanded rows show their own parameters only, collapsed rows everything inside
    assert sum(r.num_params or 0 for r in s.rows if not r.recursive) == s.total_params


def test_bad_arguments_name_the_argument() -> None:
    with pytest.raises(ValueError, match="input_size='1,a,3'"):
        lucid.summary(Tiny(), "1,a,3")
    with pytest.raises(ValueError, match=r"input_size=\(1, 0\)"):
        lucid.count_flops(Tiny(), (1, 0))
    with pytest.raises(ValueError, match="depth=-1"):
        lucid.summary(Tiny(), (1, 4, 8, 8), depth=-1)
    with pytest.raises(TypeError, match="lucid.nn.Module"):
        lucid.summary("model", (1, 4, 8, 8))  # type: ignore[arg-type]
