"""Broadcasting failures are lucid's errors naming the op, both shapes and the rule; valid
pairs give NumPy's values. ``numpy.broadcast_shapes`` is the oracle for which pairs fit.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)

#: name -> (lucid op, NumPy op, op name in the message)
BINARY: dict[str, tuple[Callable[[Any, Any], Any], Callable[[Any, Any], Any], str]] = {
    "add": (operator.add, np.add, "add"),
    "sub": (operator.sub, np.subtract, "sub"),
    "mul": (operator.mul, np.multiply, "mul"),
    "div": (operator.truediv, np.divide, "div"),
    "pow": (lambda a, b: a.abs() ** b, lambda a, b: np.abs(a) ** b, "pow"),
    "maximum": (lucid.ops.maximum, np.maximum, "maximum"),
    "minimum": (lucid.ops.minimum, np.minimum, "minimum"),
    "lt": (operator.lt, np.less, "less"),
    "eq": (operator.eq, np.equal, "equal"),
    "where": (lambda a, b: lucid.ops.where(a > 0, a, b), lambda a, b: np.where(a > 0, a, b),
              "where"),
}


def _fits(sa: tuple[int, ...], sb: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(sa, sb)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(sa=shapes, sb=shapes, seed=st.integers(0, 2**16))
def test_broadcasting_fails_exactly_where_numpy_says_and_names_both_shapes(
        name: str, sa: tuple[int, ...], sb: tuple[int, ...], seed: int) -> None:
    ours, reference, opname = BINARY[name]
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(sa) + 0.5, rng.standard_normal(sb)
    x, y = lucid.tensor(a, dtype=lucid.float64), lucid.tensor(b, dtype=lucid.float64)
    if _fits(sa, sb):
        event("broadcasts")
        np.testing.assert_allclose(np.asarray(ours(x, y).tolist()), reference(a, b),
                                   rtol=1e-12, atol=1e-12)
        return
    event("refused")
    with pytest.raises(ValueError) as info:
        ours(x, y)
    message = str(info.value)
    assert message.startswith(f"{opname}: shapes "), message
    assert str(sa) in message and str(sb) in message, message
    assert "cannot be broadcast" in message and "equal or one of them 1" in message, message


def test_a_bias_of_the_wrong_length_is_named_by_linear() -> None:
    with pytest.raises(ValueError, match=r"linear: bias of shape \(5,\).*expected \(2,\)"):
        F.linear(lucid.zeros(4, 3), lucid.zeros(2, 3), lucid.zeros(5))


def test_where_needs_a_bool_condition_as_in_pytorch() -> None:
    x = lucid.ones(3)
    with pytest.raises(TypeError, match="condition to be a boolean tensor.*float32"):
        lucid.ops.where(x, x, x)


def test_inplace_ops_cannot_grow_the_tensor() -> None:
    x = lucid.zeros(3)
    with pytest.raises(RuntimeError, match=r"output with shape \(3,\).*\(2, 3\)"):
        x.add_(lucid.zeros(2, 3))


def test_masked_fill_names_itself_when_the_mask_does_not_broadcast() -> None:
    with pytest.raises(ValueError, match=r"masked_fill: shapes \(2, 3\) and \(4,\)"):
        lucid.zeros(2, 3).masked_fill(lucid.ones(4, dtype=lucid.bool_), 1.0)
    # a mask with more dimensions broadcasts the input, as torch.masked_fill does
    assert lucid.zeros(3).masked_fill(lucid.ones(2, 3, dtype=lucid.bool_), 1.0).shape == (2, 3)
