"""The ``lucid`` command line: one module per command, each with ``add_parser`` and ``run``.

Commands: ``train`` (the bundled digits by default), ``models``, ``summary``, ``info``,
``backends``, ``convert``, ``predict``. A command module registers its subparser in
``add_parser(sub)`` and sets ``func=run``; :func:`main` turns the user errors every command
can meet (unknown model or backend, bad value, unreadable file, missing optional package) into
one line and status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import backends, bench, convert, info, models, predict, summary, train

#: The command modules, in the order ``lucid --help`` lists them.
COMMANDS = (train, models, summary, info, backends, convert, predict, bench)


def _version() -> str:
    import lucid

    return lucid.__version__


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``lucid`` command."""
    parser = argparse.ArgumentParser(
        prog="lucid", description="lucid: train, inspect and convert models from the shell.")
    parser.add_argument("--version", action="version", version=f"lucid {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lucid`` command."""
    args = build_parser().parse_args(argv)
    from lucid.backends import BackendError
    from lucid.io import CheckpointError

    try:
        return int(args.func(args) or 0)
    except (BackendError, CheckpointError, LookupError, ValueError, ImportError) as exc:
        # user errors (unknown model/backend, bad config value, unreadable file, missing
        # optional package) get one clear line instead of a traceback, and status 1; 2 stays
        # argparse's status for a malformed command line
        print(f"lucid {args.command}: error: {exc}", file=sys.stderr)
        return 1
