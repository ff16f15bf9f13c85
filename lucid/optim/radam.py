"""RAdam: Adam with the variance of the adaptive learning rate rectified (Liu et al.)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .._tensor import Tensor
from ._common import check_betas, check_nonnegative, decayed_grad, zeros_state
from .optimizer import Optimizer


class RAdam(Optimizer):
    """RAdam with PyTorch's update rule.

    ``m``, ``v`` as in Adam; ``ρ∞ = 2/(1−β2) − 1``, ``ρ_t = ρ∞ − 2t·β2^t/(1−β2^t)``. While
    ``ρ_t ≤ 5`` the step is SGD with momentum, ``p ← p − lr·m/(1−β1^t)``; after it,
    ``p ← p − lr·m/(1−β1^t)·r_t·√(1−β2^t)/(√v + eps)`` with the rectification
    ``r_t = √((ρ_t−4)(ρ_t−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρ_t))``. ``decoupled_weight_decay`` as in AdamW.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *,
                 maximize: bool = False) -> None:
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        check_betas(group, "RAdam")
        check_nonnegative(group, "RAdam", "eps", "weight_decay")

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        b = p.backend
        lr, eps = group["lr"], group["eps"]
        beta1, beta2 = group["betas"]
        g, param = decayed_grad(p, grad, group)
        if not state:
            state.update(step=0, exp_avg=zeros_state(p), exp_avg_sq=zeros_state(p))
        step = state["step"] = state["step"] + 1
        m = state["exp_avg"].data
        m = b.add(m, b.multiply(b.subtract(g, m), 1.0 - beta1))
        v = b.add(b.multiply(state["exp_avg_sq"].data, beta2),
                  b.multiply(b.multiply(g, g), 1.0 - beta2))
        state["exp_avg"] = Tensor._wrap(m, b)
        state["exp_avg_sq"] = Tensor._wrap(v, b)
        bc1, bc2 = 1.0 - beta1**step, 1.0 - beta2**step
        rho_inf = 2.0 / (1.0 - beta2) - 1.0
        rho_t = rho_inf - 2.0 * step * beta2**step / bc2
        update = b.multiply(m, lr / bc1)
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                             / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive = b.divide(math.sqrt(bc2), b.add(b.sqrt(v), eps))
            update = b.multiply(b.multiply(update, adaptive), rect)
        p.data = b.astype(b.subtract(param, update), p.dtype)
