"""``lucid backends``: list backends and why any is unavailable."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    """Register the ``backends`` command on the subparsers ``sub``."""
    b = sub.add_parser("backends", help="list backends and why any is unavailable")
    b.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit status."""
    import lucid

    for status in lucid.backends.available().values():
        print(status)
    return 0
