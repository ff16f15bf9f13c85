"""Anomaly mode against PyTorch's: the same scenario, the same backward function named.

PyTorch's anomaly mode checks only gradients, and only for NaN; its function names carry a
version suffix (``SqrtBackward0``). Where lucid deliberately differs (it also refuses an
infinite gradient, so it names the op one step earlier) the test says so.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lucid  # noqa: E402
from lucid.autograd import detect_anomaly  # noqa: E402

pytestmark = pytest.mark.parity


def _named(run: Callable[[], None], anomaly: Callable[[], Any]) -> str | None:
    """The backward function the anomaly error names (version suffix dropped), or None."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with anomaly():
                run()
        except RuntimeError as e:
            m = re.search(r"Function '(\w+?)\d*' returned (nan|inf) values", str(e))
            assert m, f"an error that is not an anomaly report: {e}"
            return m[1]
    return None


def _both(build: Callable[[Any, Any], Any], values: list[float]) -> tuple[Any, Any]:
    a = np.array(values)

    def ours() -> None:
        x = lucid.tensor(a, requires_grad=True)
        build(lucid, x).backward()

    def theirs() -> None:
        x = torch.tensor(a, requires_grad=True)
        build(torch, x).backward()

    return _named(ours, detect_anomaly), _named(theirs, torch.autograd.detect_anomaly)


@pytest.mark.parametrize("name, build, values, expected", [
    ("sqrt at 0 times 0", lambda m, x: (m.sqrt(x) * 0.0).sum(), [0.0, 4.0], "SqrtBackward"),
    ("sqrt of 0 masked by where", lambda m, x: m.where(x > 0, m.sqrt(x), x * 0.0).sum(),
     [0.0, 1.0], "SqrtBackward"),
    ("0/0 slope of pow(x, 0.5) times 0", lambda m, x: ((x ** 0.5) * 0.0).sum(), [0.0, 1.0],
     "PowBackward"),
    ("healthy graph", lambda m, x: (m.exp(x) * x).sum(), [0.5, -1.0], None),
])
def test_the_same_backward_function_is_named(name: str, build: Any, values: list[float],
                                             expected: str | None) -> None:
    ours, theirs = _both(build, values)
    assert theirs == expected, f"{name}: PyTorch names {theirs}"
    assert ours == theirs, f"{name}: lucid names {ours}, PyTorch {theirs}"


def test_an_infinite_gradient_is_named_where_it_appears() -> None:
    """‖x‖ at x = 0: sqrt's slope is inf (lucid stops there); PyTorch goes on to the product
    ``inf · 0`` in the square's backward, where the inf becomes NaN, and names that."""
    ours, theirs = _both(lambda m, x: m.sqrt((x * x).sum()), [0.0, 0.0])
    assert theirs == "MulBackward" and ours == "SqrtBackward"
