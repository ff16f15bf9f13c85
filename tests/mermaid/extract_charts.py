"""Write the Mermaid charts the render check needs as ``.mmd`` files.

    python tests/mermaid/extract_charts.py OUT_DIR

* the charts the documentation's model pages get at build time: each page under docs/models
  has ``<!-- lucid: mermaid PRESET -->`` markers, which the MkDocs hook
  (docs/_hooks/lucid_pages.py) replaces with lucid's chart of that preset; the same hook
  function writes them here
  (``sknet-1.mmd``: sk_resnet_50, ``resnet-1.mmd``: resnet_50);
* every ```mermaid block written by hand in docs/architecture.md.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
HAND_WRITTEN = [DOCS / "architecture.md"]


def _hook():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("lucid_pages",
                                                  DOCS / "_hooks" / "lucid_pages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(out_dir: str) -> int:
    hook = _hook()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pages = {}
    for page in sorted((DOCS / "models").glob("*.md")):
        presets = [m["arg"] for m in hook.MARKER.finditer(page.read_text())
                   if m["kind"] == "mermaid"]      # only the charts: tables take seconds
        pages[page] = "\n".join(hook.mermaid_chart(p) for p in presets)
    pages.update({page: page.read_text() for page in HAND_WRITTEN})
    written = 0
    for page, text in pages.items():
        for i, block in enumerate(re.findall(r"```mermaid\n(.*?)```", text, re.S), 1):
            (out / f"{page.stem}-{i}.mmd").write_text(block)
            written += 1
    if not written:
        raise SystemExit("no mermaid chart found in the model pages or docs/architecture.md")
    print("\n".join(str(p) for p in sorted(out.glob("*.mmd"))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "mermaid-charts"))
