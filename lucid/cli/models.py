"""``lucid models``: list registered models with parameters and GMACs."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._table import print_table


def model_stats(name: str, image_size: int) -> dict[str, Any]:
    """Parameters and GMACs of a registered model at ``image_size`` (errors as text)."""
    import lucid
    from lucid import models

    try:
        model = models.get(name)
        in_channels = getattr(getattr(model, "config", None), "in_channels", 3)
        macs = lucid.count_flops(model, (1, in_channels, image_size, image_size)).macs
        return {"params": model.num_parameters(), "gmacs": round(macs / 1e9, 3)}
    except Exception as exc:  # a plugin model that cannot run here is listed, not fatal
        return {"params": None, "gmacs": None, "error": f"{type(exc).__name__}: {exc}"}



def add_parser(sub: Any) -> None:
    """Register the ``models`` command on the subparsers ``sub``."""
    m = sub.add_parser("models", help="list registered models with parameters and GMACs")
    m.add_argument("pattern", nargs="?", default="*", help="shell-style wildcard")
    m.add_argument("--family", default=None)
    m.add_argument("--json", action="store_true", help="print JSON instead of a table")
    m.add_argument("--image-size", type=int, default=224,
                   help="square input size the GMACs are counted at (default 224)")
    m.add_argument("--no-stats", action="store_true",
                   help="do not build the models (no parameter and GMAC columns; fast)")
    m.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit status."""
    import json

    from lucid import models

    found = []
    for name in models.list_models(args.pattern, family=args.family):
        entry = models.model_entry(name)
        row: dict[str, Any] = {"name": name, "family": entry.family, "source": entry.source}
        if not args.no_stats:
            row.update(model_stats(name, args.image_size))
        found.append(row)
    if args.json:
        print(json.dumps(found, indent=2))
    else:
        gmacs = f"GMACs@{args.image_size}"
        header = ["model", "family", "params", gmacs, "source"]
        if args.no_stats:
            header = ["model", "family", "source"]
        cells = []
        for r in found:
            stats = [] if args.no_stats else [
                "?" if r["params"] is None else f"{r['params']:,}",
                "?" if r["gmacs"] is None else f"{r['gmacs']:.2f}"]
            cells.append([r["name"], r["family"], *stats, str(r["source"])])
        print_table(header, cells, set() if args.no_stats else {2, 3})
    for r in found:
        if r.get("error"):
            print(f"! {r['name']}: {r['error']}", file=sys.stderr)
    for label, reason in models.plugin_failures().items():
        print(f"! model plugin {label} failed: {reason}", file=sys.stderr)
    return 0
