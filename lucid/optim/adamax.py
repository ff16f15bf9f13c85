"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._tensor import Tensor
from ._common import check_betas, check_nonnegative, coupled_grad, zeros_state
from .optimizer import Optimizer


class Adamax(Optimizer):
    """Adamax with PyTorch's update rule.

    ``m ← β1·m + (1−β1)·g``, ``u ← max(β2·u, |g| + eps)``, ``p ← p − lr/(1−β1^t)·m/u``.
    """

    def __init__(self, params: Iterable[Any], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        check_betas(group, "Adamax")
        check_nonnegative(group, "Adamax", "eps", "weight_decay")

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        b = p.backend
        beta1, beta2 = group["betas"]
        g = coupled_grad(p, grad, group)
        if not state:
            state.update(step=0, exp_avg=zeros_state(p), exp_inf=zeros_state(p))
        state["step"] += 1
        m = state["exp_avg"].data
        m = b.add(m, b.multiply(b.subtract(g, m), 1.0 - beta1))
        u = b.maximum(b.multiply(state["exp_inf"].data, beta2), b.add(b.abs(g), group["eps"]))
        state["exp_avg"] = Tensor._wrap(m, b)
        state["exp_inf"] = Tensor._wrap(u, b)
        clr = group["lr"] / (1.0 - beta1 ** state["step"])
        p.data = b.astype(b.subtract(p.data, b.multiply(b.divide(m, u), clr)), p.dtype)
