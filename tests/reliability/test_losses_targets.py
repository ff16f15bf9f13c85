"""Class-index losses refuse bad labels with a clear error and compute the right value for
good ones; every input/target loss refuses mismatched shapes instead of broadcasting.

Oracles: PyTorch's documented rule for labels (``ignore_index`` skipped, anything else
outside ``[0, C)`` an error) and naive NumPy loops over the samples for the values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SETTINGS = settings(max_examples=300, deadline=None, derandomize=True, database=None)


def _naive_cross_entropy(logits: np.ndarray, labels: np.ndarray, weight: np.ndarray | None,
                         ignore_index: int, log_probs: bool) -> float:
    """PyTorch's weighted mean over the samples that count, one sample at a time."""
    total, weights = 0.0, 0.0
    for row, label in zip(logits, labels):
        if label == ignore_index:
            continue
        if log_probs:
            logp = row[label]
        else:
            m = row.max()
            logp = row[label] - (m + np.log(np.exp(row - m).sum()))
        w = 1.0 if weight is None else weight[label]
        total -= w * logp
        weights += w
    return total / weights


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # 0/0 = nan
@SETTINGS
@given(n=st.integers(1, 5), c=st.integers(1, 5), data=st.data(), weighted=st.booleans(),
       ignore_index=st.sampled_from([-100, -1, 0, 2]))
def test_labels_are_checked_and_valid_ones_give_the_naive_loss(
        loss: str, n: int, c: int, data: Any, weighted: bool, ignore_index: int) -> None:
    label = st.one_of(st.integers(0, c - 1), st.integers(0, c - 1), st.integers(0, c - 1),
                      st.integers(-3, c + 2), st.just(-100))  # mostly valid, some not
    labels = np.array(data.draw(st.lists(label, min_size=n, max_size=n)), np.int64)
    rng = np.random.default_rng(n * 31 + c)
    logits = rng.standard_normal((n, c))
    if loss == "nll_loss":
        logits = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    weight = rng.uniform(0.5, 2.0, c) if weighted else None
    fn = getattr(F, loss)
    x = lucid.tensor(logits, dtype=lucid.float64)
    w = None if weight is None else lucid.tensor(weight, dtype=lucid.float64)
    counted = labels[labels != ignore_index]
    bad = counted[(counted < 0) | (counted >= c)]
    if bad.size:
        event("refused")
        with pytest.raises(IndexError) as info:
            fn(x, lucid.tensor(labels), w, ignore_index=ignore_index)
        message = str(info.value)
        assert f"target {bad[0]} is out of bounds for {c} classes" in message, message
        return
    if counted.size == 0:
        event("all ignored")  # PyTorch: 0/0 = nan for the mean
        assert np.isnan(fn(x, lucid.tensor(labels), w, ignore_index=ignore_index).item())
        return
    event("computed")
    got = fn(x, lucid.tensor(labels), w, ignore_index=ignore_index).item()
    want = _naive_cross_entropy(logits, labels, weight, ignore_index, loss == "nll_loss")
    assert got == pytest.approx(want, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("dtype", [lucid.float32, lucid.float64, lucid.bool_])
def test_non_integer_labels_of_the_wrong_shape_are_refused_naming_the_dtype(dtype: Any
                                                                           ) -> None:
    x = lucid.randn(4, 3)
    target = lucid.tensor([0, 1, 2, 1], dtype=dtype)
    with pytest.raises(ValueError, match=dtype.name):
        F.cross_entropy(x, target)
    with pytest.raises(ValueError, match=dtype.name):
        F.nll_loss(x.log_softmax(1), target)


def test_float_targets_of_the_input_shape_are_class_probabilities() -> None:
    logits = np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]])
    probs = np.array([[0.2, 0.5, 0.3], [1.0, 0.0, 0.0]])
    got = F.cross_entropy(lucid.tensor(logits, dtype=lucid.float64),
                          lucid.tensor(probs, dtype=lucid.float64)).item()
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    assert got == pytest.approx(-(probs * logp).sum() / 2, rel=1e-12)


INPUT_TARGET_LOSSES = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div",
                       "binary_cross_entropy", "binary_cross_entropy_with_logits"]


@pytest.mark.parametrize("loss", INPUT_TARGET_LOSSES)
@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(sa=st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple),
       sb=st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple))
def test_input_and_target_shapes_must_match_exactly(loss: str, sa: tuple[int, ...],
                                                    sb: tuple[int, ...]) -> None:
    """Stricter than PyTorch, which broadcasts (4, 1) against (4,) with only a warning."""
    x = lucid.full(sa, 0.5, dtype=lucid.float64)
    t = lucid.full(sb, 0.25, dtype=lucid.float64)
    fn = getattr(F, loss)
    if sa == sb:
        event("same shape")
        assert np.isfinite(fn(x, t).item())
        return
    event("refused")
    with pytest.raises(ValueError) as info:
        fn(x, t)
    assert str(sa) in str(info.value) and str(sb) in str(info.value)


@pytest.mark.parametrize("layer, x", [
    (lambda: lucid.nn.BatchNorm1d(3), lucid.tensor([[1, 2, 3], [4, 5, 6]])),
    (lambda: lucid.nn.BatchNorm1d(3), lucid.randn(2, 3, dtype=lucid.float64)),
    (lambda: lucid.nn.LayerNorm(3), lucid.randn(2, 3, dtype=lucid.float64)),
    (lambda: lucid.nn.GroupNorm(1, 3), lucid.randn(2, 3, 2, dtype=lucid.float64)),
    (lambda: lucid.nn.Linear(3, 2), lucid.randn(2, 3, dtype=lucid.float64)),
    (lambda: lucid.nn.Linear(3, 2), lucid.tensor([[1, 2, 3]])),
    (lambda: lucid.nn.PReLU(), lucid.randn(2, 3, dtype=lucid.float64)),
])
def test_layers_refuse_an_input_dtype_other_than_their_parameters(layer: Any, x: Any) -> None:
    with pytest.raises(TypeError) as info:
        layer()(x)
    message = str(info.value)
    assert x.dtype.name in message, message
