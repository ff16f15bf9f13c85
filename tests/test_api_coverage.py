"""docs/api-coverage.md and the code agree: listed names exist (or deliberately do not)."""

from __future__ import annotations

import importlib
import re
import types
from pathlib import Path
from typing import Any

import pytest

import lucid

DOC = Path(__file__).resolve().parents[1] / "docs" / "api-coverage.md"
ROW = re.compile(r"^\|\s*`([\w.]+)`\s*\|\s*(yes|no)\s*\|")
#: The namespaces the table covers, and how to list their public names.
NAMESPACES = ("lucid", "lucid.Tensor", "lucid.nn", "lucid.nn.functional", "lucid.optim",
              "lucid.optim.lr_scheduler", "lucid.nn.utils", "lucid.visual")


def _rows() -> list[tuple[str, str]]:
    return [(m[1], m[2]) for line in DOC.read_text().splitlines() if (m := ROW.match(line))]


def _resolve(name: str) -> Any:
    """The object a dotted name refers to, or None."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr, None)
            if obj is None:
                return None
        return obj
    return None


def _public(namespace: str) -> set[str]:
    obj = _resolve(namespace)
    if obj is None:
        return set()
    if isinstance(obj, type):
        names = [n for n in dir(obj) if not n.startswith("_")]
    else:
        names = getattr(obj, "__all__", None) or [n for n in dir(obj) if not n.startswith("_")]
    return {f"{namespace}.{n}" for n in names if not n.startswith("_")
            and not isinstance(getattr(obj, n, None), types.ModuleType)}


@pytest.mark.parametrize("name, status", _rows())
def test_listed_names_match_the_code(name: str, status: str) -> None:
    """A ``yes`` row names something lucid has; a ``no`` row something it does not."""
    exists = _resolve(name) is not None
    assert exists == (status == "yes"), (
        f"{name} is listed as {status!r} but {'exists' if exists else 'does not exist'}")


def test_every_public_name_is_listed() -> None:
    """Adding a public name without a row in docs/api-coverage.md fails here."""
    listed = {name for name, _ in _rows()}
    public = set().union(*(_public(ns) for ns in NAMESPACES))
    missing = sorted(public - listed)
    assert not missing, f"public names missing from docs/api-coverage.md: {missing}"
    assert lucid.Tensor  # the table is about this package
