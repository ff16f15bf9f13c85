"""Indexing errors are lucid's: they name the tensor's shape and the index, in PyTorch's
words (dimension, tensor), and valid integer indices give NumPy's values."""

from __future__ import annotations

import numpy as np
import pytest

import lucid

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple),
       index=st.lists(st.integers(-6, 6), min_size=1, max_size=4).map(tuple))
def test_integer_indices_are_checked_against_the_shape(shape: tuple[int, ...],
                                                       index: tuple[int, ...]) -> None:
    a = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    x = lucid.tensor(a, dtype=lucid.float64)
    valid = len(index) <= len(shape) and all(-n <= i < n for i, n in zip(index, shape))
    if valid:
        event("valid")
        got = x[index]
        np.testing.assert_array_equal(np.asarray(got.tolist()), a[index])
        return
    event("refused")
    with pytest.raises(IndexError) as info:
        x[index]
    message = str(info.value)
    assert f"shape {shape}" in message and str(index) in message, message
    assert "axis" not in message and "array" not in message, message


@pytest.mark.parametrize("index", [1.5, "a", (0, 0.5)])
def test_non_integer_indices_are_index_errors_naming_the_index(index: object) -> None:
    with pytest.raises(IndexError, match=r"shape \(3, 2\) with .*valid indices"):
        lucid.zeros(3, 2)[index]


def test_setitem_names_the_value_and_target_shapes() -> None:
    x = lucid.zeros(3, 2)
    with pytest.raises(ValueError, match=r"shape \(5,\) cannot be broadcast to x\[0\] of shape "
                                         r"\(2,\)"):
        x[0] = lucid.zeros(5)
    with pytest.raises(IndexError, match="index 7 is out of bounds for dimension 0 with size 3"):
        x[7] = 1.0
    assert x.tolist() == [[0.0, 0.0]] * 3  # nothing was written by the refused assignments
