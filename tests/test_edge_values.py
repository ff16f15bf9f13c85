"""Edge values where PyTorch defines the answer: gradients at kinks, 0 ** y, promotion."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lucid


def test_clamp_gradient_is_zero_at_the_bounds() -> None:
    x = lucid.tensor([-1.0, 0.5, 1.0, 2.0], requires_grad=True)
    x.clamp(-1.0, 1.0).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0, 0.0]


def test_power_gradients_at_zero_are_zero_not_nan() -> None:
    x = lucid.tensor([0.0, 1.0, -2.0], requires_grad=True)
    (x ** 0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    y = lucid.tensor([0.0, 1.0, 2.0], requires_grad=True)
    (0.0 ** y).sum().backward()
    assert y.grad.tolist() == [0.0, 0.0, 0.0]
    a = lucid.tensor([0.0, 0.0], requires_grad=True)
    b = lucid.tensor([0.0, 2.0], requires_grad=True)
    (a ** b).sum().backward()
    assert a.grad.tolist() == [0.0, 0.0] and b.grad.tolist() == [0.0, 0.0]


def test_var_with_correction_over_one_element_is_nan() -> None:
    assert math.isnan(lucid.tensor([3.0]).var().item())
    assert lucid.tensor([3.0]).var(correction=0).item() == 0.0
    assert lucid.tensor([1.0, 2.0]).var().item() == 0.5  # correction=1 by default


@pytest.mark.parametrize("other, expected", [
    (np.float64(2.0), "float32"),                          # a NumPy scalar is a number
    (lucid.tensor(2.0, dtype="float64"), "float32"),       # a 0-d tensor loses to a 1-d one
    (lucid.tensor([2.0, 3.0], dtype="float64"), "float64"),
    (2, "float32"),
])
def test_float32_tensor_keeps_its_dtype(other, expected) -> None:
    x = lucid.ones(2)
    assert (x * other).dtype.name == expected and (other + x).dtype.name == expected


def test_integer_promotion_follows_pytorch() -> None:
    i = lucid.tensor([1, 2])
    assert (i * 2.5).dtype == lucid.float32
    assert (i / 2).dtype == lucid.float32
    assert (i * lucid.tensor(2.5, dtype="float64")).dtype == lucid.float64
    assert (lucid.tensor([True, False]) + 1).dtype == lucid.int64


def test_gradient_returns_in_each_operand_dtype() -> None:
    x = lucid.ones(2, requires_grad=True)
    s = lucid.tensor(3.0, dtype="float64", requires_grad=True)
    (x * s).sum().backward()
    assert x.grad.dtype == lucid.float32 and s.grad.dtype == lucid.float64
    assert s.grad.item() == 2.0


def test_tensor_of_numpy_scalar_keeps_its_dtype() -> None:
    assert lucid.tensor(np.float64(1.5)).dtype == lucid.float64
    assert lucid.tensor(1.5).dtype == lucid.float32


def test_bad_dims_name_the_dim_and_ndim() -> None:
    x = lucid.zeros(2, 3)
    with pytest.raises(IndexError, match=r"range of \[-2, 1\], but got 3"):
        x.sum(3)
    with pytest.raises(IndexError, match=r"range of \[-2, 1\], but got 5"):
        x.size(5)
    with pytest.raises(IndexError, match="index 3 is out of range for dimension 1"):
        x.gather(1, lucid.tensor([[3], [0]]))
    with pytest.raises(ValueError, match="k=4 is out of range"):
        x.topk(4)
