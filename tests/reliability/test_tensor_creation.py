"""Creation functions and operators refuse what lucid cannot represent, with messages that
name the problem, instead of storing it and breaking later (or computing NaN).

References: PyTorch's documented behaviour for each case (a TypeError for non-numeric data
and unsupported operands, RuntimeError for impossible ranges), NumPy for values.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import pytest

import lucid

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SUPPORTED = "bool, float16, float32, float64, int32, int64, uint8"


@pytest.mark.parametrize("data", ["abc", b"abc", None, {"a": 1}, {1, 2}, 1 + 2j])
def test_non_numeric_data_is_refused(data: Any) -> None:
    with pytest.raises(TypeError, match="data must be a number"):
        lucid.tensor(data)


@pytest.mark.parametrize("array", [
    np.array([1 + 2j]), np.array([1, None], dtype=object), np.array([1], np.uint16),
    np.array(["a"]), np.array([1], np.int8), np.array([1], np.uint32),
])
def test_arrays_of_unsupported_dtypes_are_refused_listing_the_supported_ones(
        array: np.ndarray) -> None:
    with pytest.raises(TypeError, match=f"{array.dtype}.*{SUPPORTED}"):
        lucid.tensor(array)


def test_an_explicit_dtype_converts_integer_data_of_another_width() -> None:
    t = lucid.tensor(np.array([1, 300], np.uint16), dtype=lucid.int64)
    assert t.dtype == lucid.int64 and t.tolist() == [1, 300]
    with pytest.raises(TypeError, match="complex128"):
        lucid.tensor(np.array([1j]), dtype=lucid.float32)  # would drop the imaginary part


def test_ragged_lists_are_refused_by_lucid_not_numpy() -> None:
    with pytest.raises(ValueError, match="nested sequences must be rectangular"):
        lucid.tensor([[1.0, 2.0], [3.0]])


BINARY = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
          operator.matmul, operator.lt, operator.and_]


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("other", [None, "abc", 1 + 2j, object(), {1: 2}])
def test_operators_with_an_unsupported_operand_raise_type_error_naming_both_types(
        op: Any, other: Any) -> None:
    x = lucid.ones(2)
    for left, right in ((x, other), (other, x)):
        with pytest.raises(TypeError) as info:
            op(left, right)
        message = str(info.value)
        if isinstance(other, str) and op is operator.mul:
            # Python's sequence repetition asks the tensor for an index instead
            assert "used as an index" in message, message
            continue
        assert "Tensor" in message or "tensor" in message, message
        assert type(other).__name__ in message, message


def test_functional_ops_refuse_unsupported_operands_too() -> None:
    x = lucid.ones(2)
    with pytest.raises(TypeError, match="add: unsupported operand types Tensor and NoneType"):
        lucid.ops.add(x, None)
    with pytest.raises(TypeError, match="not rectangular numeric data"):
        lucid.ops.mul(x, ["a", "b"])
    assert (x == None) is False  # noqa: E711  (Python's identity fallback, as in PyTorch)


@pytest.mark.parametrize("call, error, words", [
    (lambda: lucid.zeros(2, 3).reshape(-2, 3), RuntimeError, "invalid shape dimension -2"),
    (lambda: lucid.zeros(2, 3).reshape(-1, -1), RuntimeError, "only one dimension"),
    (lambda: lucid.zeros(2, 3).reshape(2.5, 2), TypeError, "must be an int, got float 2.5"),
    (lambda: lucid.zeros(2, 3).reshape(4, 2), ValueError, r"\(2, 3\) into \(4, 2\)"),
    (lambda: lucid.zeros(2.0, 3), TypeError, "must be an int, got float"),
    (lambda: lucid.zeros(2, -3), ValueError, "negative dimension -3"),
    (lambda: lucid.randint(5, 3, (2,)), RuntimeError, "from=5 >= to=3"),
    (lambda: lucid.randint(0.5, 3, (2,)), TypeError, "low must be an int"),
    (lambda: lucid.linspace(0, 1, -1), RuntimeError, "non-negative, got -1"),
    (lambda: lucid.linspace(0, 1, 2.5), TypeError, "steps must be an int"),
    (lambda: lucid.arange(0, 5, 0), RuntimeError, "step must be nonzero"),
    (lambda: lucid.arange(0, 5, -1), RuntimeError, "inconsistent with step sign"),
    (lambda: lucid.arange(0, float("inf")), RuntimeError, "must be finite"),
    (lambda: lucid.full((2,), "x"), TypeError, "fill_value must be a number"),
    (lambda: lucid.uniform(2, low=3.0, high=1.0), RuntimeError, "from=3.0 > to=1.0"),
    (lambda: lucid.zeros(2).broadcast_to(3), ValueError, r"expanded size .*\(3\).*\(2\)"),
    (lambda: lucid.zeros(2).new_zeros(2.5), TypeError, "must be an int, got float 2.5"),
    (lambda: lucid.zeros(2).new_full((2, -1), 1.0), ValueError, "negative dimension -1"),
    (lambda: lucid.ops.pad(lucid.zeros(2, 3), ((1, 1),)), ValueError, "one .* pair per dim"),
    (lambda: lucid.ops.pad(lucid.zeros(2), ((-1, 0),)), ValueError, "non-negative"),
    (lambda: lucid.zeros(2).clamp(min="a"), TypeError, "min must be a number or a tensor"),
    (lambda: lucid.zeros(2).clamp(), RuntimeError, "At least one of 'min' or 'max'"),
])
def test_impossible_shapes_and_ranges_raise(call: Any, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        call()


def test_valid_creation_calls_match_numpy() -> None:
    np.testing.assert_allclose(lucid.linspace(0, 1, 5).tolist(), np.linspace(0, 1, 5))
    assert lucid.linspace(0, 1, 0).shape == (0,)
    assert lucid.arange(5, 0, -2).tolist() == list(range(5, 0, -2))
    assert lucid.arange(3, 3).shape == (0,)
    r = lucid.randint(7, (50,))  # PyTorch's randint(high, size)
    assert r.dtype == lucid.int64 and 0 <= min(r.tolist()) and max(r.tolist()) < 7


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(size=st.integers(0, 24), shape=st.lists(st.integers(-3, 6), min_size=1, max_size=3))
def test_reshape_accepts_exactly_the_shapes_pytorch_accepts(size: int,
                                                            shape: list[int]) -> None:
    """PyTorch's rule: entries >= -1, at most one -1, and the sizes must multiply out."""
    x = lucid.arange(size)
    known = int(np.prod([s for s in shape if s != -1]))
    inferred = shape.count(-1) == 1 and known > 0 and size % known == 0
    valid = (all(s >= -1 for s in shape) and shape.count(-1) <= 1
             and (inferred or (shape.count(-1) == 0 and known == size)))
    if valid:
        event("valid")
        out = x.reshape(tuple(shape))
        want = np.arange(size).reshape(tuple(shape))
        assert out.shape == want.shape and out.tolist() == want.tolist()
    else:
        event("refused")
        with pytest.raises((RuntimeError, ValueError)):
            x.reshape(tuple(shape))
