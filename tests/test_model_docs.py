"""docs/models/sknet.md: its generated parts (preset table, Mermaid charts) are what lucid
computes now, and its example runs.

Regenerate with ``python docs/models/regenerate.py`` when this fails.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

DOCS = Path(__file__).resolve().parents[1] / "docs" / "models"


def _regenerate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("regenerate", DOCS / "regenerate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sknet_page_generated_parts_are_fresh() -> None:
    regenerate = _regenerate()
    page = regenerate.PAGE.read_text()
    parts = [m.group("name") for m in regenerate.BLOCK.finditer(page)]
    assert parts == ["sk_resnet_50", "presets", "example"]
    fresh = regenerate.render(page)
    stale = [name for name, old, new in zip(parts, regenerate.BLOCK.finditer(page),
                                            regenerate.BLOCK.finditer(fresh))
             if old.group("body") != new.group("body")]
    assert not stale, (f"docs/models/sknet.md is stale in {stale}; run "
                       f"python docs/models/regenerate.py")


def test_sknet_page_shows_what_the_issue_asks_for() -> None:
    page = (DOCS / "sknet.md").read_text()
    chart = page.split("<!-- generated: sk_resnet_50 -->")[1].split("<!-- end generated")[0]
    for text in ("Conv2d<br/>(1,3,224,224) → (1,64,112,112)",
                 "MaxPool2d<br/>(1,64,112,112) → (1,64,56,56)",
                 "AdaptiveAvgPool2d<br/>(1,2048,7,7) → (1,2048,1,1)",
                 "Linear<br/>(1,2048) → (1,1000)", "SKBottleneck × 2", "SelectiveKernel",
                 'subgraph g0["stem: Sequential"]', "-.->", "classDef conv"):
        assert text in chart, text
    assert re.search(r"\| `sk_resnet_50` \| `skresnet50` \| 25,803,160 \| 4\.11 \|", page)
