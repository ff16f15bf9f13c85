"""In-place ops: PyTorch's version-counter and leaf rules, and gradients through them."""

from __future__ import annotations

import numpy as np
import pytest

import lucid


def test_inplace_on_a_leaf_that_requires_grad_raises_outside_no_grad() -> None:
    w = lucid.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w.add_(1.0)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w[0] = 3.0
    with lucid.no_grad():
        w.mul_(2.0).sub_(1.0)
    assert w.tolist() == [1.0, 3.0] and w.is_leaf and w._version == 2


def test_modified_saved_tensor_makes_backward_raise_with_versions() -> None:
    x = lucid.tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()  # exp saves its output
    y.add_(1.0)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*ExpBackward.*"
                                           r"version 1; expected version 0"):
        y.sum().backward()
    a = x * 1.0
    b = a * a  # saves a
    a.zero_()
    with pytest.raises(RuntimeError, match="input 0 of MulBackward, is at version 1"):
        b.sum().backward()


def test_inplace_on_a_non_leaf_is_recorded_and_history_is_kept() -> None:
    x = lucid.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = x * 2.0
    z = y + 1.0  # recorded before the in-place op: its gradient goes through y's old state
    y.mul_(x).clamp_(min=-5.0)
    assert y.grad_fn is not None and y._version == 2
    (y.sum() + z.sum()).backward()
    # d/dx [clamp(2x*x, -5) + 2x + 1] = 4x + 2
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.array([1.0, -2.0, 3.0]) + 2.0)


def test_setitem_sends_gradient_to_the_value_and_the_untouched_part() -> None:
    x = lucid.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    v = lucid.tensor([10.0, 20.0], requires_grad=True)
    y = x * 1.0
    y[0] = v * 2.0
    (y * lucid.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 0.0], [3.0, 4.0]])
    np.testing.assert_allclose(v.grad.numpy(), [2.0, 4.0])


def test_leaf_without_grad_becomes_a_graph_node_when_given_a_grad_value() -> None:
    buf = lucid.zeros(3)
    w = lucid.tensor(2.0, requires_grad=True)
    buf[1] = w
    buf.add_(w)
    assert not buf.is_leaf
    buf.sum().backward()
    assert w.grad.item() == 4.0


def test_inplace_keeps_dtype_and_shape() -> None:
    i = lucid.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.add_(0.5)
    x = lucid.zeros(3)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        x.add_(lucid.zeros(2, 3))
    x.fill_(2).copy_(lucid.tensor([1.0, 2.0, 3.0], dtype="float64"))
    assert x.dtype == lucid.float32 and x.tolist() == [1.0, 2.0, 3.0]


def test_empty_list_index_selects_nothing() -> None:
    x = lucid.randn(3, 2)
    assert x[[]].shape == (0, 2)
