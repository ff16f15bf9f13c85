"""Writes that would change values saved for backward make backward raise, never a wrong
gradient: through lucid (setitem, in-place ops, assigning ``.data``), through the array
``.data`` hands out, through ``numpy()`` (refused on the spot) and through the NumPy array
given to ``from_numpy``. The reference for every gradient checked here is computed by hand.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import lucid

MODIFIED = "modified"  # both of lucid's messages say "has been modified ..."


def _square_sum(t: lucid.Tensor) -> lucid.Tensor:
    return (t * t).sum()  # MulBackward saves t's array


WRITES: dict[str, Callable[[lucid.Tensor], None]] = {
    "data[...] = v": lambda t: t.data.__setitem__(0, 5.0),
    "data = array": lambda t: setattr(t, "data", t.detach().numpy() * 0 + 5.0),
    "data += v": lambda t: t.data.__iadd__(1.0),
}


@pytest.mark.parametrize("name", sorted(WRITES))
def test_writing_a_leaf_through_data_after_use_makes_backward_raise(name: str) -> None:
    x = lucid.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = _square_sum(x)
    WRITES[name](x)
    with pytest.raises(RuntimeError, match=MODIFIED + r".*input \d of MulBackward"):
        y.backward()


def test_writing_a_non_leaf_through_data_after_use_makes_backward_raise() -> None:
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    y = _square_sum(h)
    h.data[0] = 100.0
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.backward()


def test_initialising_through_data_before_the_forward_pass_is_fine() -> None:
    x = lucid.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x.data[0] = 4.0           # the PyTorch idiom for initialisation
    _square_sum(x).backward()
    np.testing.assert_allclose(x.grad.tolist(), [8.0, 4.0, 6.0])  # 2x by hand


def test_data_setter_bumps_the_version() -> None:
    x = lucid.zeros(2)
    before = x._version
    x.data = x.detach().numpy() + 1.0
    assert x._version == before + 1 and x.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("op", ["add_", "mul_", "zero_", "setitem", "exp_", "clamp_"])
def test_inplace_ops_on_a_saved_tensor_make_backward_raise_naming_the_op(op: str) -> None:
    x = lucid.tensor([0.5, 1.0], requires_grad=True)
    h = x * 1.0
    y = _square_sum(h)
    with lucid.no_grad():
        if op == "setitem":
            h[0] = 2.0
        elif op == "clamp_":
            h.clamp_(0.0, 0.7)
        elif op in ("add_", "mul_"):
            getattr(h, op)(2.0)
        else:
            getattr(h, op)()
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*MulBackward"):
        y.backward()


def test_numpy_of_a_tensor_that_requires_grad_is_read_only() -> None:
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    y = _square_sum(x)
    view = x.numpy()
    with pytest.raises(ValueError, match="read-only"):
        view[0] = 5.0
    with pytest.raises(ValueError, match="read-only"):
        np.asarray(x)[0] = 5.0
    y.backward()
    np.testing.assert_allclose(x.grad.tolist(), [2.0, 4.0])


def test_numpy_without_grad_shares_memory_as_in_pytorch() -> None:
    x = lucid.tensor([1.0, 2.0])
    x.numpy()[0] = 7.0
    assert x.tolist() == [7.0, 2.0]
    w = lucid.tensor([1.0, 2.0], requires_grad=True)
    w.detach().numpy()[1] = 9.0  # detach() is the documented way to get a writable array
    assert w.tolist() == [1.0, 9.0]


def test_writing_the_array_of_a_from_numpy_leaf_after_use_makes_backward_raise() -> None:
    a = np.array([1.0, 2.0, 3.0], np.float32)
    t = lucid.from_numpy(a).requires_grad_()
    y = _square_sum(t)
    a[1] = 10.0
    with pytest.raises(RuntimeError, match="from_numpy.*written to after the forward pass"):
        y.backward()


def test_a_from_numpy_leaf_left_alone_gives_the_right_gradient() -> None:
    a = np.array([1.0, -2.0], np.float64)
    t = lucid.from_numpy(a).requires_grad_()
    a[0] = 3.0  # before the forward pass: shared memory, seen by the tensor (as PyTorch)
    assert t.tolist() == [3.0, -2.0]
    _square_sum(t).backward()
    np.testing.assert_allclose(t.grad.tolist(), [6.0, -4.0])


def test_a_nan_in_a_from_numpy_leaf_is_not_mistaken_for_a_write() -> None:
    a = np.array([np.nan, 1.0])
    t = lucid.from_numpy(a).requires_grad_()
    y = (t * 2.0).sum() + (t * t).sum()
    y.backward()  # no error: NaN compares equal to itself in the check
    assert np.isnan(t.grad.tolist()[0]) and t.grad.tolist()[1] == 4.0


def test_from_numpy_refuses_what_is_not_an_array_or_of_an_unsupported_dtype() -> None:
    with pytest.raises(TypeError, match="expected a numpy.ndarray, got list"):
        lucid.from_numpy([1.0, 2.0])
    with pytest.raises(TypeError, match="uint16.*supported types are bool, float16"):
        lucid.from_numpy(np.zeros(2, np.uint16))


def test_the_tensor_constructor_sharing_a_callers_array_is_watched_too() -> None:
    a = np.array([1.0, 2.0], np.float32)
    t = lucid.Tensor(a, requires_grad=True)  # keeps ``a`` itself (no copy), as from_numpy
    y = _square_sum(t)
    a[0] = -1.0
    with pytest.raises(RuntimeError, match="from_numpy"):
        y.backward()
