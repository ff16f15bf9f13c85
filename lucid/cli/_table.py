"""Tables on the terminal: ``rich`` on a terminal when it is installed, else plain text."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def print_table(header: list[str], rows: list[list[str]], right: set[int],
                 footer: Sequence[str] = ()) -> None:
    """Print a table with ``rich`` on a terminal when it is installed, else as plain text."""
    if sys.stdout.isatty():
        try:
            from rich.console import Console
            from rich.table import Table
        except ImportError:
            pass
        else:
            table = Table(*header, show_lines=False, header_style="bold")
            for i, col in enumerate(table.columns):
                col.justify = "right" if i in right else "left"
            for r in rows:
                table.add_row(*r)
            console = Console()
            console.print(table)
            for text in footer:
                console.print(text)
            return
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if i in right else v.ljust(w)
                         for i, (v, w) in enumerate(zip(values, widths))).rstrip()

    print(line(header))
    print(line(["-" * w for w in widths]))
    for r in rows:
        print(line(r))
    for text in footer:
        print(text)

