"""Every ```python example in docs/**/*.md runs, so the documentation cannot rot.

A page's blocks run in order in one namespace (a later block builds on an earlier one), in a
fresh temporary working directory. The examples carry their own ``assert``s where they state
a result. A block that cannot run in a test (it downloads, needs a GPU or a package lucid does
not depend on, or is a fragment of a larger file) has ``<!-- skip-example: reason -->`` on the
line before its fence; the reason is printed. README.md is covered by
tests/test_readme_examples.py.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import lucid.models as models

DOCS = Path(__file__).resolve().parents[1] / "docs"
FENCE = re.compile(r"^```python[ \t]*\n(?P<code>.*?)^```[ \t]*$", re.M | re.S)
SKIP = re.compile(r"<!-- skip-example: (?P<reason>.+?) -->[ \t]*\n$")


@dataclass(frozen=True)
class Block:
    """One python fence: its number on the page (from 1), first line, code, skip reason."""

    number: int
    line: int
    code: str
    skip: str | None


def blocks(text: str) -> list[Block]:
    """The python fences of a page, each with the skip reason of the line before it."""
    found = []
    for number, match in enumerate(FENCE.finditer(text), 1):
        before = text[:match.start()]
        previous_line = before[before.rstrip("\n").rfind("\n") + 1:]
        skip = SKIP.search(previous_line)
        found.append(Block(number, before.count("\n") + 1, match.group("code"),
                           skip.group("reason") if skip else None))
    return found


PAGES = sorted(p for p in DOCS.rglob("*.md") if blocks(p.read_text()))


def run_page(page: Path) -> dict[str, object]:
    """Run the page's blocks in order in one namespace (a module, so that dataclasses and
    pickling find it in ``sys.modules`` as in a script); return the namespace."""
    name = str(page.relative_to(DOCS.parent))
    module = types.ModuleType("docs_example_" + re.sub(r"\W", "_", page.stem))
    sys.modules[module.__name__] = module
    try:
        _run_blocks(page, name, module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module.__dict__


def _run_blocks(page: Path, name: str, namespace: dict[str, object]) -> None:
    for block in blocks(page.read_text()):
        if block.skip is not None:
            print(f"{name} block {block.number} (line {block.line}) skipped: {block.skip}")
            continue
        code = compile(block.code, f"{name}[block {block.number}, line {block.line}]", "exec")
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(code, namespace)
        except Exception as exc:
            raise AssertionError(f"{name} block {block.number} (line {block.line}) failed: "
                                 f"{type(exc).__name__}: {exc}") from exc


@pytest.fixture
def restored_registry() -> Iterator[None]:
    """Examples may register models (the plugin guide does): unregister them afterwards."""
    before = set(models.list_models())
    yield None
    for name in set(models.list_models()) - before:
        models.unregister_model(name)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_page_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           restored_registry: object) -> None:
    """Each page's examples run as written; their own asserts check what they state."""
    monkeypatch.chdir(tmp_path)
    namespace = run_page(page)
    if page.name == "architecture.md":
        # the custom-op example claims d softplus / dx = sigmoid(x); check it independently
        x = namespace["x"]
        host = x.numpy()  # type: ignore[attr-defined]
        np.testing.assert_allclose(x.grad.numpy(), 1 / (1 + np.exp(-host)), rtol=1e-5)  # type: ignore[attr-defined]


def test_the_collector_finds_pages_skips_and_line_numbers() -> None:
    """The collection above is not empty, and skip markers attach to the next fence only."""
    assert {"architecture.md", "data.md"} <= {p.name for p in PAGES}
    text = ("# t\n\n```python\na = 1\n```\n\n<!-- skip-example: needs the Hub -->\n"
            "```python\nb = 2\n```\n\n```python\nc = a\n```\n")
    found = blocks(text)
    assert [(b.number, b.line, b.code, b.skip) for b in found] == [
        (1, 3, "a = 1\n", None), (2, 8, "b = 2\n", "needs the Hub"), (3, 12, "c = a\n", None)]


def test_a_failing_block_names_its_page_and_number(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken example fails with the page and block, not just a bare exception."""
    page = tmp_path / "docs" / "broken.md"
    page.parent.mkdir()
    page.write_text("```python\nx = 1\n```\n\n```python\nassert x == 2, 'x is 1'\n```\n")
    monkeypatch.setattr(f"{__name__}.DOCS", page.parent)
    with pytest.raises(AssertionError, match=r"docs/broken.md block 2 \(line 5\) failed: "
                                             r"AssertionError: x is 1"):
        run_page(page)
