"""docs/_hooks/lucid_pages.py: what it writes into the pages is what lucid computes, checked
against models built independently and published figures, and a bad marker fails the build."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

import lucid
import lucid.models as models
from lucid.visual import build_module_mermaid_chart

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _load_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lucid_pages", DOCS / "_hooks" / "lucid_pages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hook = _load_hook()


def _table_rows(table: str) -> dict[str, list[str]]:
    """First-column name -> the row's cells, for a Markdown table."""
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        rows[cells[0].strip("`")] = cells
    return rows


def test_mermaid_marker_is_the_chart_of_the_model_built_from_its_config() -> None:
    page = "# SKNet\n\n<!-- lucid: mermaid sk_resnet_50 -->\n\ntext after\n"
    out = hook.render(page, "sknet.md")
    model = models.SKNet(models.SKNetConfig(
        block="bottleneck", layers=(3, 4, 6, 3), kernel_sizes=(3, 5), attn_ratio=1 / 16,
        attn_divisor=8, split_input=True))
    chart = build_module_mermaid_chart(model, (1, 3, 224, 224), depth=3)
    assert out == f"# SKNet\n\n```mermaid\n{chart.rstrip()}\n```\n\ntext after\n"
    for text in ("Conv2d<br/>(1,3,224,224) → (1,64,112,112)",
                 "MaxPool2d<br/>(1,64,112,112) → (1,64,56,56)",
                 "AdaptiveAvgPool2d<br/>(1,2048,7,7) → (1,2048,1,1)",
                 "Linear<br/>(1,2048) → (1,1000)", "SKBottleneck × 2", "SelectiveKernel",
                 'subgraph g0["stem: Sequential"]', "-.->", "classDef conv"):
        assert text in out, text


def test_preset_table_counts_parameters_and_gmacs() -> None:
    rows = _table_rows(hook.render("<!-- lucid: presets sknet -->", "x.md"))
    assert list(rows) == ["sk_resnet_18", "sk_resnet_34", "sk_resnet_50", "sk_resnet_mini",
                          "sk_resnext_50_32x4d"]
    for name, cells in rows.items():
        params = sum(p.numel() for p in models.get(name).parameters())
        assert cells[2] == f"{params:,}", name
    # the parameter counts of timm's skresnet50, skresnet18 and skresnext50_32x4d
    assert rows["sk_resnet_50"][2:] == ["25,803,160", "4.11"]
    assert rows["sk_resnet_18"][2] == "11,958,056"
    assert rows["sk_resnext_50_32x4d"][2] == "27,479,784"
    assert rows["sk_resnet_18"][1] == "`timm/skresnet18.ra_in1k`"
    assert rows["sk_resnet_50"][1] == "—"          # timm publishes no skresnet50 weights


def test_preset_table_gmacs_match_a_naive_count_for_the_mini_preset() -> None:
    """GMACs of sk_resnet_mini, counted by hand from its layer shapes (convs + classifier +
    BN/ReLU/pool elementwise work as lucid.count_flops defines it), equal the table's."""
    rows = _table_rows(hook.presets_table("sknet"))
    macs = lucid.count_flops(models.get("sk_resnet_mini"), (1, 3, 224, 224)).macs
    conv_macs = 0
    model = models.get("sk_resnet_mini")
    shapes: dict[int, tuple[int, ...]] = {}

    def grab(module: lucid.nn.Module, inputs: tuple, output: lucid.Tensor) -> None:
        shapes[id(module)] = tuple(output.shape)

    handles = [m.register_forward_hook(grab) for m in model.modules()
               if isinstance(m, (lucid.nn.Conv2d, lucid.nn.Linear))]
    model.eval()
    with lucid.no_grad():
        model(lucid.zeros(1, 3, 224, 224))
    for h in handles:
        h.remove()
    for m in model.modules():
        if isinstance(m, lucid.nn.Conv2d):
            out = shapes[id(m)]
            k = m.weight.shape[1] * m.weight.shape[2] * m.weight.shape[3]
            conv_macs += out[1] * out[2] * out[3] * k
        elif isinstance(m, lucid.nn.Linear):
            conv_macs += m.weight.shape[0] * m.weight.shape[1]
    # convolutions dominate; the rest (BN, activations, pooling) adds a few per cent
    assert conv_macs <= macs <= 1.1 * conv_macs
    assert rows["sk_resnet_mini"][3] == f"{macs / 1e9:.2f}"


def test_config_table_has_every_field_with_type_default_and_meaning() -> None:
    rows = _table_rows(hook.render("<!-- lucid: config SKNetConfig -->"))
    fields = dataclasses.fields(models.SKNetConfig)
    assert list(rows) == [f.name for f in fields]
    assert rows["block"][2] == "required"
    assert rows["kernel_sizes"][1:3] == ["<code>tuple[int, ...]</code>", "<code>(3, 5)</code>"]
    assert rows["stem_type"][1] == "<code>str &#124; None</code>"   # no raw pipe in a cell
    assert rows["global_pool"][2] == "<code>'avg'</code>"
    assert rows["zero_init_last"][2] == "<code>False</code>"   # SKNet's default, not ResNet's
    assert "dilation (k−1)/2" in rows["dilated_kernels"][3]
    assert all(cells[3] for cells in rows.values())
    resnet = _table_rows(hook.config_table("ResNetConfig"))
    assert resnet["zero_init_last"][2] == "<code>True</code>"
    assert "kernel_sizes" not in resnet


def test_a_field_without_a_documented_meaning_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    @dataclasses.dataclass
    class HalfDocumented:
        """A config.

        Attributes:
            width: Documented.
        """

        width: int = 1
        depth: int = 2

    monkeypatch.setattr(models, "HalfDocumented", HalfDocumented, raising=False)
    with pytest.raises(hook.MarkerError, match="no documented meaning for depth"):
        hook.config_table("HalfDocumented")


def test_signature_marker() -> None:
    out = hook.render("<!-- lucid: signature SKNet -->")
    assert out == "```python\nclass lucid.models.SKNet(config: SKNetConfig)\n```"


@pytest.mark.parametrize(("page", "message"), [
    ("<!-- lucid: diagram sk_resnet_50 -->", "unknown lucid marker kind 'diagram'"),
    ("<!-- lucid: mermaid -->", "malformed lucid marker"),
    ("<!--lucid: mermaid sk_resnet_50-->", "malformed lucid marker"),
    ("<!-- lucid: mermaid no_such_model -->", "'no_such_model' is not a lucid model"),
    ("<!-- lucid: presets nofamily -->", "unknown model family 'nofamily'"),
    ("<!-- lucid: config NoSuchConfig -->", "lucid.models has no 'NoSuchConfig'"),
    ("<!-- lucid: config SKNet -->", "'SKNet' is not a dataclass"),
])
def test_bad_markers_fail_naming_the_page(page: str, message: str) -> None:
    with pytest.raises(hook.MarkerError, match=re.escape(message)) as info:
        hook.render(f"# Title\n\n{page}\n", "models/broken.md")
    assert str(info.value).startswith("models/broken.md: ")


def test_on_page_markdown_turns_a_bad_marker_into_a_build_error() -> None:
    exceptions = pytest.importorskip("mkdocs.exceptions")

    class File:
        src_path = "guides/x.md"

    class Page:
        file = File()

    with pytest.raises(exceptions.PluginError, match="guides/x.md: unknown lucid marker"):
        hook.on_page_markdown("<!-- lucid: nope x -->", page=Page(), config={}, files=[])
    assert hook.on_page_markdown("no markers", page=Page(), config={}, files=[]) == "no markers"


def test_every_marker_in_the_docs_renders() -> None:
    """The pages' markers all resolve (what ``mkdocs build --strict`` would report)."""
    pages = sorted(DOCS.rglob("*.md"))
    used = 0
    for page in pages:
        text = page.read_text()
        used += len(hook.MARKER.findall(text))
        out = hook.render(text, str(page.relative_to(DOCS)))
        assert "<!-- lucid:" not in out, page
    assert used >= 6      # charts, preset tables and config tables of the SKNet and ResNet pages
