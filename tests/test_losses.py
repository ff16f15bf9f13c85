"""Loss functions: bad input raises naming the argument, the value and what was expected."""

from __future__ import annotations

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F


def test_class_index_out_of_range_names_index_and_class_count() -> None:
    x = lucid.randn(3, 4)
    with pytest.raises(IndexError, match=r"target 4 is out of bounds for 4 classes"):
        F.cross_entropy(x, lucid.tensor([0, 4, 1]))
    with pytest.raises(IndexError, match=r"target -1 .* 4 classes"):
        F.nll_loss(x, lucid.tensor([0, -1, 1]))  # -1 is not the last class
    loss = F.cross_entropy(x, lucid.tensor([0, -1, 1]), ignore_index=-1)
    ref = F.cross_entropy(x[np.array([0, 2])], lucid.tensor([0, 1]))
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-6)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_all_ignored_mean_is_nan_like_pytorch() -> None:
    out = F.cross_entropy(lucid.randn(2, 3), lucid.tensor([-100, -100]))
    assert np.isnan(out.item())


def test_target_and_weight_shapes_are_checked() -> None:
    x = lucid.randn(2, 3, 4)
    with pytest.raises(ValueError, match=r"\(2, 4\).*\(2, 3\)"):
        F.cross_entropy(x, lucid.tensor(np.zeros((2, 3), dtype=np.int64)))
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\).*\(4,\)"):
        F.cross_entropy(x, lucid.tensor(np.zeros((2, 4), dtype=np.int64)), lucid.ones(4))
    with pytest.raises(ValueError, match="probability targets"):
        F.cross_entropy(lucid.randn(2, 3), lucid.rand(2, 4))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(lucid.randn(2, 3), lucid.tensor([0, 1]), label_smoothing=-0.1)


@pytest.mark.parametrize("fn", [F.mse_loss, F.l1_loss, F.smooth_l1_loss, F.huber_loss,
                                F.binary_cross_entropy_with_logits, F.kl_div])
def test_no_silent_broadcasting(fn) -> None:
    with pytest.raises(ValueError, match=r"target shape \(3,\) differs from input shape \(3, 1\)"):
        fn(lucid.rand(3, 1), lucid.rand(3))


def test_bad_options_raise() -> None:
    a = lucid.rand(3)
    with pytest.raises(ValueError, match=r"probability in \[0, 1\]"):
        F.binary_cross_entropy(a + 1.0, a)
    with pytest.raises(ValueError, match="beta must be >= 0, got -1"):
        F.smooth_l1_loss(a, a, beta=-1)
    with pytest.raises(ValueError, match="delta must be > 0, got 0"):
        F.huber_loss(a, a, delta=0)
    with pytest.raises(ValueError, match="'batchmean'"):
        F.kl_div(a, a, reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        F.l1_loss(a, a, reduction="batchmean")
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="batchmean")
    with pytest.raises(TypeError, match="floating"):
        F.mse_loss(lucid.tensor([1, 2]), lucid.tensor([1, 2]))
    with pytest.raises(TypeError):
        F.cross_entropy(lucid.randn(2, 3), lucid.tensor([0, 1]), None, -100)  # keyword-only


def test_modules_keep_weight_as_buffer_and_repr() -> None:
    m = nn.CrossEntropyLoss(lucid.tensor([1.0, 2.0]), ignore_index=0, label_smoothing=0.1)
    assert "weight" in m.state_dict() and "ignore_index=0" in repr(m)
    assert "pos_weight" in nn.BCEWithLogitsLoss(pos_weight=lucid.ones(2)).state_dict()
    assert nn.KLDivLoss(reduction="batchmean").reduction == "batchmean"
    with pytest.raises(TypeError, match="weight"):
        nn.NLLLoss([1.0, 2.0])  # type: ignore[arg-type]


def test_elementwise_weight_shape_is_checked() -> None:
    a = lucid.rand(2, 3)
    with pytest.raises(ValueError, match=r"weight shape \(3,\) differs from input shape \(2, 3\)"):
        F.mse_loss(a, a, weight=lucid.ones(3))
    w = lucid.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    got = F.l1_loss(a, lucid.zeros(2, 3), weight=w).item()
    assert got == pytest.approx((a.numpy()[0, 0] + a.numpy()[1, 2]) / 2)
