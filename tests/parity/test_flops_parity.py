"""MAC counts against PyTorch's ``torch.utils.flop_counter.FlopCounterMode`` on timm's SKNets.

PyTorch counts matrix products and convolutions only (FLOPs = 2 × MACs, biases left out);
lucid counts those the same way and adds per-element work for batch norm, activations and
pooling. So lucid's convolution + linear MACs must equal PyTorch's exactly, and its total
(everything included) must stay within 1 % of PyTorch's count.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
timm = pytest.importorskip("timm")

import lucid  # noqa: E402
import lucid.models as models  # noqa: E402
from lucid.profiling import count_flops  # noqa: E402

pytestmark = pytest.mark.parity

#: lucid preset -> timm model name
PRESETS = {"sk_resnet_18": "skresnet18", "sk_resnet_34": "skresnet34",
           "sk_resnet_50": "skresnet50", "sk_resnext_50_32x4d": "skresnext50_32x4d"}
SIZE = (1, 3, 224, 224)


def _torch_flops(name: str) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    model = timm.create_model(name, pretrained=False).eval()
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(torch.zeros(SIZE))
    return int(counter.get_total_flops())


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_macs_match_pytorch_flop_counter(preset: str) -> None:
    reference = _torch_flops(PRESETS[preset])
    count = count_flops(models.get(preset), SIZE)
    dense = sum(v for k, v in count.by_type.items() if k in ("Conv2d", "Linear"))
    print(f"{preset}: lucid {count.flops:,} FLOPs ({count.macs:,} MACs), conv+linear "
          f"{2 * dense:,}; torch {reference:,}; total/torch = {count.flops / reference:.5f}")
    assert 2 * dense == reference
    assert abs(count.flops - reference) <= 0.01 * reference
    assert not count.uncounted


def test_conv1d_transposed_grouped_dilated_and_linear_match_pytorch() -> None:
    """The dense-layer formulas on every convolution variant, against PyTorch's counter."""
    from torch.utils.flop_counter import FlopCounterMode

    def build(nn):  # the same layers in both frameworks
        return [(nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2), (2, 4, 17)),
                (nn.Conv2d(4, 8, 3, stride=2, padding=2, dilation=2, groups=4), (2, 4, 15, 13)),
                (nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
                 (2, 4, 7, 9)),
                (nn.Linear(5, 3), (2, 7, 5))]

    for (lm, shape), (tm, _) in zip(build(lucid.nn), build(torch.nn)):
        counter = FlopCounterMode(display=False)
        with torch.no_grad(), counter:
            tm(torch.zeros(shape))
        assert count_flops(lm, shape).flops == counter.get_total_flops(), type(lm).__name__


def test_summary_totals_match_the_model_and_timm() -> None:
    model = models.get("sk_resnet_18")
    s = lucid.summary(model, SIZE)
    reference = timm.create_model("skresnet18", pretrained=False)
    assert s.total_params == model.num_parameters() == sum(
        p.numel() for p in reference.parameters())
    assert s.total_macs == count_flops(model, SIZE).macs
