"""Write the Mermaid charts the render check needs as ``.mmd`` files.

    python tests/mermaid/extract_charts.py OUT_DIR

* every ```mermaid block of docs/models/sknet.md (``sknet-1.mmd``: sk_resnet_50, ``sknet-2``:
  the page's example; tests/test_model_docs.py keeps them equal to lucid's output) and of
  docs/architecture.md;
* ``sk_resnet_50-live.mmd``: the chart lucid builds now, straight from the model.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "docs" / "models" / "sknet.md", ROOT / "docs" / "architecture.md"]


def main(out_dir: str) -> int:
    import lucid.models as models
    from lucid.visual import build_module_mermaid_chart

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for page in PAGES:
        blocks = re.findall(r"```mermaid\n(.*?)```", page.read_text(), re.S)
        if not blocks:
            raise SystemExit(f"{page} has no mermaid block")
        for i, block in enumerate(blocks, 1):
            (out / f"{page.stem}-{i}.mmd").write_text(block)
    chart = build_module_mermaid_chart(models.get("sk_resnet_50"), (1, 3, 224, 224))
    (out / "sk_resnet_50-live.mmd").write_text(chart)
    print("\n".join(str(p) for p in sorted(out.glob("*.mmd"))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "mermaid-charts"))
