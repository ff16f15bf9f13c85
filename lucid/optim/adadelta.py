"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._tensor import Tensor
from ._common import check_nonnegative, coupled_grad, zeros_state
from .optimizer import Optimizer, check_float


class Adadelta(Optimizer):
    """Adadelta with PyTorch's update rule.

    ``v ← ρ·v + (1−ρ)·g²``, ``Δ = √(u + eps)/√(v + eps)·g``, ``u ← ρ·u + (1−ρ)·Δ²``,
    ``p ← p − lr·Δ``.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0.0, *,
                 maximize: bool = False) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        check_float(group["rho"], "rho", "Adadelta", 0.0, 1.0, inclusive_high=True)
        check_nonnegative(group, "Adadelta", "eps", "weight_decay")

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        b = p.backend
        rho, eps = group["rho"], group["eps"]
        g = coupled_grad(p, grad, group)
        if not state:
            state.update(step=0, square_avg=zeros_state(p), acc_delta=zeros_state(p))
        state["step"] += 1
        v = b.add(b.multiply(state["square_avg"].data, rho), b.multiply(b.multiply(g, g),
                                                                        1.0 - rho))
        u = state["acc_delta"].data
        delta = b.multiply(b.divide(b.sqrt(b.add(u, eps)), b.sqrt(b.add(v, eps))), g)
        u = b.add(b.multiply(u, rho), b.multiply(b.multiply(delta, delta), 1.0 - rho))
        state["square_avg"] = Tensor._wrap(v, b)
        state["acc_delta"] = Tensor._wrap(u, b)
        p.data = b.astype(b.subtract(p.data, b.multiply(delta, group["lr"])), p.dtype)
