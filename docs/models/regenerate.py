"""Regenerate the parts of the model pages that lucid computes itself.

    python docs/models/regenerate.py            # rewrite docs/models/sknet.md in place
    python docs/models/regenerate.py --check    # exit 1 (and say which part) when it is stale

A generated part sits between ``<!-- generated: NAME -->`` and ``<!-- end generated -->``.
``presets`` is the preset table (parameters, GMACs at 1×3×224×224 from ``lucid.count_flops``);
``sk_resnet_50`` is ``lucid.visual.build_module_mermaid_chart`` of that preset;
``example`` is the chart of the model that the page's example (its first ``python`` block)
builds, so the example and its picture cannot drift apart. tests/test_model_docs.py runs the
check.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import sys
from collections.abc import Callable
from pathlib import Path

import lucid
import lucid.models as models
from lucid.visual import build_module_mermaid_chart

PAGE = Path(__file__).resolve().parent / "sknet.md"
BLOCK = re.compile(
    r"(<!-- generated: (?P<name>[\w.-]+) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.S)
#: lucid preset -> the timm model with the same weights layout
SKNET_PRESETS = {"sk_resnet_18": "skresnet18", "sk_resnet_34": "skresnet34",
                 "sk_resnet_50": "skresnet50", "sk_resnext_50_32x4d": "skresnext50_32x4d",
                 "sk_resnet_mini": None}


def _mermaid(chart: str) -> str:
    return f"```mermaid\n{chart}```\n"


def presets_table() -> str:
    """Parameters and GMACs of every SKNet preset."""
    lines = ["| preset | timm model | parameters | GMACs (1×3×224×224) |", "|---|---|---:|---:|"]
    for name, timm_name in SKNET_PRESETS.items():
        model = models.get(name)
        macs = lucid.count_flops(model, (1, 3, 224, 224)).macs
        timm = f"`{timm_name}`" if timm_name else "—"
        lines.append(f"| `{name}` | {timm} | {model.num_parameters():,} | {macs / 1e9:.2f} |")
    return "\n".join(lines) + "\n"


def sk_resnet_50_chart() -> str:
    """The chart at the top of the page."""
    return _mermaid(build_module_mermaid_chart(models.get("sk_resnet_50"), (1, 3, 224, 224),
                                               depth=3))


def example_chart(page: str) -> str:
    """The chart of the model the page's first python block builds (its ``model``)."""
    code = re.search(r"```python\n(.*?)```", page, re.S)
    if code is None:
        raise RuntimeError(f"{PAGE} has no python example block")
    namespace: dict[str, object] = {}
    with contextlib.redirect_stdout(io.StringIO()):     # the example prints; the page needs none
        exec(compile(code.group(1), f"{PAGE.name} example", "exec"), namespace)
    model = namespace["model"]
    assert isinstance(model, lucid.nn.Module)
    return _mermaid(build_module_mermaid_chart(model, (1, 1, 224, 224), depth=2))


def render(page: str) -> str:
    """``page`` with every generated part recomputed."""
    makers: dict[str, Callable[[], str]] = {
        "presets": presets_table, "sk_resnet_50": sk_resnet_50_chart,
        "example": lambda: example_chart(page)}

    def fill(m: re.Match[str]) -> str:
        name = m.group("name")
        if name not in makers:
            raise KeyError(f"unknown generated part {name!r} in {PAGE}")
        return m.group(1) + makers[name]() + m.group(4)

    return BLOCK.sub(fill, page)


def stale_parts(page: str) -> list[str]:
    """Names of the generated parts whose checked-in text differs from a fresh one."""
    fresh = {m.group("name"): m.group("body") for m in BLOCK.finditer(render(page))}
    return [m.group("name") for m in BLOCK.finditer(page)
            if m.group("body") != fresh[m.group("name")]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if stale")
    args = parser.parse_args(argv)
    page = PAGE.read_text()
    if args.check:
        stale = stale_parts(page)
        if stale:
            print(f"{PAGE} is stale in: {', '.join(stale)}; run python docs/models/regenerate.py")
            return 1
        print(f"{PAGE} is up to date")
        return 0
    PAGE.write_text(render(page))
    print(f"rewrote the generated parts of {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
