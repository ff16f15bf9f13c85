"""Affine maps and dropout (element-wise and channel-wise)."""

from __future__ import annotations

from ..._tensor import Tensor
from ...ops import add, matmul, mul, permute
from ._args import check_dtypes


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ weight.T + bias`` with ``weight`` of shape ``(out_features, in_features)``."""
    if weight.ndim != 2 or x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} does not fit weight of shape "
                         f"{weight.shape}; expected a 2-D weight (out_features, in_features) "
                         f"and an input whose last axis has in_features entries")
    check_dtypes("linear", x, weight)
    check_dtypes("linear", x, bias, "bias")
    if bias is not None and bias.shape not in ((weight.shape[0],), (1,), ()):
        raise ValueError(f"linear: bias of shape {bias.shape} does not fit weight of shape "
                         f"{weight.shape}; expected ({weight.shape[0]},), one per output "
                         f"feature")
    y = matmul(x, permute(weight, (1, 0)))
    return y if bias is None else add(y, bias)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero elements with probability ``p`` and rescale the rest by ``1/(1-p)`` (training only)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    b = x.backend
    if p == 1.0:
        return mul(x, 0.0)
    keep = b.less(b.random_uniform(x.shape, 0.0, 1.0, x.dtype), 1.0 - p)
    mask = b.multiply(b.astype(keep, x.dtype), 1.0 / (1.0 - p))
    return mul(x, mask)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero whole channels with probability ``p`` (``(N, C, H, W)`` input).

    The kept channels are rescaled by ``1/(1-p)``; outside training it is the identity. A 3-D
    input is read as ``(N, C, L)``, as PyTorch 2 does (it warns that this will change).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout2d probability must be in [0, 1], got {p}")
    if input.ndim not in (3, 4):
        raise ValueError(f"dropout2d expects a 3-D or 4-D input, got shape {input.shape}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return mul(input, 0.0)
    b = input.backend
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    keep = b.less(b.random_uniform(shape, 0.0, 1.0, input.dtype), 1.0 - p)
    return mul(input, b.multiply(b.astype(keep, input.dtype), 1.0 / (1.0 - p)))
