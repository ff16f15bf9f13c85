"""``lucid summary``: per-layer table, JSON or Mermaid chart of a model."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._table import print_table


def add_parser(sub: Any) -> None:
    """Register the ``summary`` command on the subparsers ``sub``."""
    s = sub.add_parser("summary", help="per-layer table, JSON or Mermaid chart of a model",
                       description="Run MODEL once on zeros of --input-size and show its "
                       "layers: output shapes, parameters and MACs (table or json), or a "
                       "Mermaid flowchart (mermaid).")
    s.add_argument("model", help="registered model name, e.g. sk_resnet_50")
    s.add_argument("--input-size", default="1,3,224,224",
                   help="input shape, batch included (default 1,3,224,224)")
    s.add_argument("--depth", type=int, default=3, help="levels of submodules shown")
    s.add_argument("--format", choices=("table", "mermaid", "json"), default="table")
    s.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit status."""
    import json

    import lucid
    from lucid import models
    from lucid.visual import build_module_mermaid_chart

    model = models.get(args.model)
    if args.format == "mermaid":
        sys.stdout.write(build_module_mermaid_chart(model, args.input_size, depth=args.depth))
        return 0
    s = lucid.summary(model, args.input_size, depth=args.depth)
    if args.format == "json":
        print(json.dumps(s.to_dict(), indent=2))
    else:
        header, cells = s.table_cells()
        print_table(header, cells, {3, 4}, s.totals_lines())
    return 0
