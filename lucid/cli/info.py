"""``lucid info``: lucid, Python and NumPy versions, backends and models."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(sub: Any) -> None:
    """Register the ``info`` command on the subparsers ``sub``."""
    i = sub.add_parser("info", help="lucid, Python and NumPy versions, backends, models")
    i.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit status."""
    import platform

    import lucid
    from lucid import models

    try:
        import numpy
        numpy_version = numpy.__version__
    except ImportError:
        numpy_version = "not installed"
    print(f"lucid {lucid.__version__}")
    print(f"Python {platform.python_version()} ({sys.executable})")
    print(f"NumPy {numpy_version}")
    print("backends:")
    for status in lucid.backends.available().values():
        print(f"  {status}")
    print(f"models: {len(models.list_models())} registered")
    for label, reason in models.plugin_failures().items():
        print(f"  ! model plugin {label} failed: {reason}")
    return 0
