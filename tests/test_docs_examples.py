"""The Python examples of docs/architecture.md run, so the documented op mechanism cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_architecture_examples_run(index: int) -> None:
    """Each example runs as written; the custom-op example's gradient is sigmoid(x)."""
    namespace: dict[str, object] = {}
    exec(compile(BLOCKS[index], f"{DOC.name}[block {index}]", "exec"), namespace)
    x = namespace.get("x")
    if "Softplus" in namespace and x is not None:
        host = x.numpy()  # type: ignore[attr-defined]
        np.testing.assert_allclose(x.grad.numpy(), 1 / (1 + np.exp(-host)), rtol=1e-5)  # type: ignore[attr-defined]


def test_the_document_has_examples() -> None:
    """The parametrisation above is not empty."""
    assert BLOCKS
