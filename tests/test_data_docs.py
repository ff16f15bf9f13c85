"""The Python examples of docs/data.md run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "data.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_data_examples_run(index: int) -> None:
    """Each example runs; its own asserts check the results."""
    exec(compile(BLOCKS[index], f"{DOC.name}[block {index}]", "exec"), {})


def test_the_document_has_examples() -> None:
    """The parametrisation above is not empty."""
    assert len(BLOCKS) == 2
