"""``lucid.nn.utils`` and ``lucid.inference_mode``: behaviour and error messages."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lucid
from lucid.nn import utils


def test_clip_grad_norm_scales_to_max_norm_and_returns_total() -> None:
    p = lucid.tensor([3.0, 4.0], requires_grad=True)
    p.grad = lucid.tensor([3.0, 4.0])
    shared = p.grad
    total = utils.clip_grad_norm_(p, 1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-6)
    np.testing.assert_array_equal(shared.numpy(), [3.0, 4.0])  # replaced, not modified
    q = lucid.tensor([1.0, -2.0], requires_grad=True)
    q.grad = lucid.tensor([1.0, -2.0])
    assert utils.clip_grad_norm_([q], 10.0, norm_type=math.inf).item() == 2.0
    np.testing.assert_allclose(q.grad.numpy(), [1.0, -2.0], rtol=1e-6)


def test_clip_grad_norm_without_grads_is_zero_and_nonfinite_raises() -> None:
    p = lucid.tensor([1.0], requires_grad=True)
    assert utils.clip_grad_norm_([p], 1.0).item() == 0.0
    p.grad = lucid.tensor([math.inf])
    with pytest.raises(RuntimeError, match="inf"):
        utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    with pytest.raises(TypeError, match="parameter 0"):
        utils.clip_grad_norm_([[1.0]], 1.0)  # type: ignore[list-item]


def test_vector_to_parameters_checks_length_and_rank() -> None:
    ps = [lucid.zeros(2, 3), lucid.zeros(4)]
    with pytest.raises(ValueError, match="9 elements.*10"):
        utils.vector_to_parameters(lucid.zeros(9), ps)
    with pytest.raises(ValueError, match=r"\(2, 5\)"):
        utils.vector_to_parameters(lucid.zeros(2, 5), ps)
    utils.vector_to_parameters(lucid.arange(10).astype("float32"), ps)
    np.testing.assert_array_equal(ps[1].numpy(), [6, 7, 8, 9])


def test_inference_mode_records_no_graph_and_restores() -> None:
    x = lucid.randn(3, requires_grad=True)
    with lucid.inference_mode():
        assert lucid.is_inference_mode_enabled() and not lucid.is_grad_enabled()
        y = x * 2
    assert y.grad_fn is None and not y.requires_grad
    assert lucid.is_grad_enabled() and not lucid.is_inference_mode_enabled()
    with lucid.inference_mode(False):
        assert (x * 2).requires_grad

    @lucid.inference_mode()
    def f(t):
        return t * 3

    @lucid.inference_mode
    def g(t):
        return t * 3

    assert f(x).grad_fn is None and g(x).grad_fn is None
    assert (x * 3).grad_fn is not None
    with pytest.raises(TypeError, match="mode"):
        lucid.inference_mode("yes")  # type: ignore[arg-type]
