"""Loss functions."""

from __future__ import annotations

from typing import Any

from ... import _dtype
from ..._tensor import Tensor
from ...backends import MixedBackendError
from ...ops import add, getitem, log_softmax, mean, mul, sub


def nll_loss(log_probs: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of integer class targets given log-probabilities ``(N, C)``."""
    b = log_probs.backend
    n = log_probs.shape[0]
    tgt = target.data if isinstance(target, Tensor) else b.asarray(target)
    rows = b.arange(0, n, 1, _dtype.int64)
    picked = getitem(log_probs, (rows, tgt))
    return _reduce(mul(picked, -1.0), reduction)


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return mean(loss)
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def cross_entropy(logits: Tensor, target: Any, label_smoothing: float = 0.0,
                  reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of ``(N, C)`` logits against int64 class indices ``(N,)``.

    With ``label_smoothing`` ε the target distribution is ``(1-ε)·onehot + ε/C``.
    """
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy expects (N, C) logits, got shape {logits.shape}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    if not isinstance(target, Tensor):
        target = Tensor(target, dtype=_dtype.int64, backend=logits.backend)
    if target.backend is not logits.backend:
        raise MixedBackendError(
            f"cross_entropy: the logits are on backend {logits.backend.name!r} and the target "
            f"on {target.backend.name!r}; move one with .to({logits.backend.name!r}) first")
    if target.dtype.is_floating or target.shape != logits.shape[:1]:
        raise ValueError(f"cross_entropy target must be int class indices of shape "
                         f"{logits.shape[:1]}, got {target.dtype} {target.shape}")
    logp = log_softmax(logits, 1)
    loss = nll_loss(logp, target, "none")
    if label_smoothing > 0.0:
        smooth = mul(mean(logp, 1), -1.0)
        loss = add(mul(loss, 1.0 - label_smoothing), mul(smooth, label_smoothing))
    return _reduce(loss, reduction)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error."""
    diff = sub(input, target)
    return _reduce(mul(diff, diff), reduction)
