"""Stochastic depth ("drop path", Huang et al. 2016): drop a whole residual branch per sample.

Residual networks regularised this way skip a block's branch for a random subset of the
batch during training; the kept samples are scaled by ``1/keep_prob`` so the expectation
is unchanged, and evaluation is the identity (the semantics of timm's ``DropPath`` and
torchvision's ``stochastic_depth(mode="row")``).
"""

from __future__ import annotations

from .._tensor import Tensor
from ..ops import mul
from .module import Module


def _check_prob(drop_prob: object, owner: str) -> float:
    if isinstance(drop_prob, bool) or not isinstance(drop_prob, (int, float)) \
            or not 0.0 <= drop_prob <= 1.0:
        raise ValueError(f"{owner}: drop_prob must be a probability in [0, 1], got {drop_prob!r}")
    return float(drop_prob)


def drop_path(x: Tensor, drop_prob: float = 0.0, training: bool = False,
              scale_by_keep: bool = True) -> Tensor:
    """Zero each sample of ``x`` (axis 0) with probability ``drop_prob`` while training."""
    p = _check_prob(drop_prob, "drop_path")
    if p == 0.0 or not training:
        return x
    keep_prob = 1.0 - p
    b = x.backend
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    keep = b.astype(b.less(b.random_uniform(shape, 0.0, 1.0, x.dtype), keep_prob), x.dtype)
    if keep_prob > 0.0 and scale_by_keep:
        keep = b.multiply(keep, 1.0 / keep_prob)
    return mul(x, keep)


class DropPath(Module):
    """Stochastic depth on a residual branch: :func:`drop_path` as a layer."""

    def __init__(self, drop_prob: float = 0.0, scale_by_keep: bool = True) -> None:
        super().__init__()
        self.drop_prob = _check_prob(drop_prob, "DropPath")
        self.scale_by_keep = bool(scale_by_keep)

    def forward(self, x: Tensor) -> Tensor:
        """Drop whole samples in training mode; identity in evaluation mode."""
        return drop_path(x, self.drop_prob, self.training, self.scale_by_keep)

    def extra_repr(self) -> str:
        return f"drop_prob={round(self.drop_prob, 3):0.3f}"
