"""Pieces shared by the optimizers: fresh state buffers, the common gradient preamble and
the option checks (each raising ``ValueError`` naming the option, as PyTorch's do)."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from .optimizer import check_float


def zeros_state(p: Tensor, fill: float = 0.0) -> Tensor:
    """A state buffer shaped like ``p``, on its backend, filled with ``fill``."""
    b = p.backend
    arr = b.zeros(p.shape, p.dtype) if fill == 0 else b.full(p.shape, fill, p.dtype)
    return Tensor._wrap(arr, b)


def coupled_grad(p: Tensor, grad: Any, group: dict[str, Any]) -> Any:
    """``±grad + weight_decay·p``: maximize flips the sign, L2 decay joins the gradient."""
    b = p.backend
    g = b.negative(grad) if group.get("maximize") else grad
    wd = group.get("weight_decay", 0.0)
    if wd != 0:
        g = b.add(g, b.multiply(p.data, wd))
    return g


def decayed_grad(p: Tensor, grad: Any, group: dict[str, Any]) -> tuple[Any, Any]:
    """``(g, param)`` for the Adam family: maximize flips the gradient's sign, and weight
    decay either joins it (L2) or, with ``decoupled_weight_decay``, shrinks the parameter by
    ``1 - lr·weight_decay`` (AdamW)."""
    if not group.get("decoupled_weight_decay"):
        return coupled_grad(p, grad, group), p.data
    b = p.backend
    g = b.negative(grad) if group.get("maximize") else grad
    wd = group.get("weight_decay", 0.0)
    param = b.multiply(p.data, 1.0 - group["lr"] * wd) if wd != 0 else p.data
    return g, param


def check_betas(group: dict[str, Any], owner: str) -> None:
    """``betas`` is a pair in ``[0, 1)``; stored as a tuple."""
    betas = group["betas"]
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}")
    group["betas"] = tuple(betas)
    check_float(betas[0], "betas[0]", owner, 0.0, 1.0)
    check_float(betas[1], "betas[1]", owner, 0.0, 1.0)


def check_nonnegative(group: dict[str, Any], owner: str, *names: str) -> None:
    """Each named option is a number ``>= 0``."""
    for name in names:
        check_float(group[name], name, owner)
