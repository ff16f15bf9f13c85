"""lucid.visual's Mermaid charts: structure, shapes and edges read from the model.

The charts are also rendered by the real Mermaid library in ``nox -s mermaid``.
"""

from __future__ import annotations

import re

import pytest

import lucid
import lucid.nn as nn
from lucid.visual import build_module_mermaid_chart, build_tensor_mermaid_chart


class Block(nn.Module):
    """A residual block: the shortcut edge must come out dashed."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)
        self.act = nn.ReLU()

    def forward(self, x: lucid.Tensor) -> lucid.Tensor:
        return self.act(self.conv(x)) + x


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.BatchNorm2d(4))
        self.blocks = nn.Sequential(Block(4), Block(4), Block(4))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(4, 3)

    def forward(self, x: lucid.Tensor) -> lucid.Tensor:
        return self.head(lucid.flatten(self.pool(self.blocks(self.stem(x))), 1))


def _labels(chart: str) -> dict[str, str]:
    return dict(re.findall(r'^\s*(n\d+)\["(.*)"\]$', chart, re.M))


def _edges(chart: str) -> list[tuple[str, str, str]]:
    return re.findall(r"^\s*(\w+) (-->|-\.->) (\w+)$", chart, re.M)


def test_module_chart_structure_shapes_and_repeats() -> None:
    chart = build_module_mermaid_chart(Net(), (1, 1, 8, 8), depth=2)
    assert chart.startswith("flowchart LR\n")
    labels = _labels(chart)
    assert list(labels.values()) == [
        "Conv2d<br/>(1,1,8,8) → (1,4,4,4)", "BatchNorm2d", "Block × 3",
        "AdaptiveAvgPool2d<br/>(1,4,4,4) → (1,4,1,1)", "Linear<br/>(1,4) → (1,3)"]
    assert 'subgraph g0["stem: Sequential"]' in chart
    assert 'subgraph g1["blocks: Sequential"]' in chart
    assert _edges(chart) == [("input", "-->", "n0"), ("n0", "-->", "n1"), ("n1", "-->", "n2"),
                             ("n2", "-->", "n3"), ("n3", "-->", "n4"), ("n4", "-->", "output")]
    assert "class n0 conv" in chart and "class n2 repeat" in chart


def test_residual_edges_are_dashed_and_repeats_can_be_expanded() -> None:
    chart = build_module_mermaid_chart(Net(), (1, 1, 8, 8), depth=3, collapse_repeats=False,
                                       show_params=True)
    labels = _labels(chart)
    ids = {v.split("<br/>")[0]: k for k, v in labels.items()}
    assert sum(v.startswith("Conv2d") for v in labels.values()) == 4
    assert "ReLU<br/>40 params" not in chart and "Conv2d<br/>148 params" in chart
    edges = _edges(chart)
    # each block's "+ x" is drawn as a junction; the shortcut into it is dashed
    assert re.findall(r'(j\d)\(\("Add"\)\)', chart) == ["j0", "j1", "j2"]
    assert [(u, v) for u, s, v in edges if s == "-.->"] == [
        (ids["BatchNorm2d"], "j0"), ("j0", "j1"), ("j1", "j2")]
    assert ("n3", "-->", "j0") in edges and ("j0", "-->", "n4") in edges
    assert ("j2", "-->", "n8") in edges
    assert chart.count("subgraph") == 5             # stem, blocks, three blocks


def test_module_chart_errors_name_the_argument() -> None:
    with pytest.raises(ValueError, match="direction='XY'"):
        build_module_mermaid_chart(Net(), (1, 1, 8, 8), direction="XY")
    with pytest.raises(ValueError, match="repeat_min=1"):
        build_module_mermaid_chart(Net(), (1, 1, 8, 8), repeat_min=1)
    with pytest.raises(ValueError, match="depth=0"):
        build_module_mermaid_chart(Net(), (1, 1, 8, 8), depth=0)


def test_tensor_chart_follows_grad_fn() -> None:
    lin = nn.Linear(2, 1)
    x = lucid.ones(3, 2, requires_grad=True)
    y = (lin(x) * 2).sum()
    chart = build_tensor_mermaid_chart(y, names={"x": x, **dict(lin.named_parameters())})
    assert chart.startswith("flowchart BT\n")
    for text in ('(["x<br/>(3,2)"])', '(["weight<br/>(1,2)"])', '(["bias<br/>(1)"])',
                 "<br/>()\"]"):
        assert text in chart, chart
    assert len(_edges(chart)) >= 5
    with pytest.raises(TypeError, match="lucid.Tensor"):
        build_tensor_mermaid_chart("y")  # type: ignore[arg-type]
