"""``lucid.nn.utils`` against ``torch.nn.utils``: the same gradients clipped the same way."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lucid  # noqa: E402
from lucid.nn import utils  # noqa: E402

pytestmark = pytest.mark.parity

SHAPES = [(3, 4), (5,), (2, 2, 2)]


def _pair(seed: int, scale: float = 1.0):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s) for s in SHAPES]
    grads = [rng.standard_normal(s) * scale for s in SHAPES]
    ours, theirs = [], []
    for v, g in zip(values, grads):
        p = lucid.tensor(v, requires_grad=True)
        p.grad = lucid.tensor(g)
        t = torch.tensor(v, requires_grad=True)
        t.grad = torch.tensor(g)
        ours.append(p)
        theirs.append(t)
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, 0.5, math.inf, 0])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_pytorch(norm_type, max_norm) -> None:
    """Same total norm returned and same clipped gradients (clipping and not clipping)."""
    ours, theirs = _pair(1)
    total = utils.clip_grad_norm_(ours, max_norm, norm_type)
    ref = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    np.testing.assert_allclose(total.numpy(), ref.numpy(), rtol=1e-12)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_clip_grad_norm_nonfinite() -> None:
    """A NaN gradient raises with error_if_nonfinite, and spreads NaN without it, like PyTorch."""
    ours, theirs = _pair(2)
    bad = ours[0].grad.numpy().copy()
    bad[0, 0] = np.nan
    ours[0].grad = lucid.tensor(bad)
    theirs[0].grad = torch.tensor(bad)
    with pytest.raises(RuntimeError, match="nan"):
        utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError):
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=True)
    total = utils.clip_grad_norm_(ours, 1.0)
    ref = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert math.isnan(total.item()) and math.isnan(ref.item())


def test_clip_grad_value_matches_pytorch() -> None:
    """Entries are clamped to ``[-v, v]``."""
    ours, theirs = _pair(3, scale=2.0)
    utils.clip_grad_value_(ours, 0.7)
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    for p, t in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())


def test_parameters_vector_round_trip_matches_pytorch() -> None:
    """Flattening order and the write-back are PyTorch's; the vector is differentiable."""
    ours, theirs = _pair(4)
    vec = utils.parameters_to_vector(ours)
    ref = torch.nn.utils.parameters_to_vector(theirs)
    np.testing.assert_array_equal(vec.numpy(), ref.detach().numpy())
    w = np.arange(vec.shape[0], dtype=np.float64)
    (vec * lucid.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    for p, t in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())
    new = np.linspace(-1, 1, vec.shape[0])
    utils.vector_to_parameters(lucid.tensor(new), ours)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), theirs)
    for p, t in zip(ours, theirs):
        np.testing.assert_array_equal(p.numpy(), t.detach().numpy())


@pytest.mark.parametrize("norm_type", [2.0, 1.5, math.inf])
def test_get_total_norm_and_clip_grads_with_norm_match_pytorch(norm_type) -> None:
    """The two halves of clip_grad_norm_, as PyTorch splits it (a norm shared across calls)."""
    ours, theirs = _pair(5)
    total = utils.get_total_norm([p.grad for p in ours], norm_type)
    ref = torch.nn.utils.get_total_norm([t.grad for t in theirs], norm_type)
    np.testing.assert_allclose(total.numpy(), ref.numpy(), rtol=1e-12)
    utils.clip_grads_with_norm_(ours, 0.3, total)
    torch.nn.utils.clip_grads_with_norm_(theirs, 0.3, ref)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert utils.get_total_norm([]).item() == torch.nn.utils.get_total_norm([]).item() == 0.0
