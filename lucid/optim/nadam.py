"""NAdam: Adam with Nesterov momentum (Dozat), with PyTorch's momentum schedule."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._tensor import Tensor
from ._common import check_betas, check_nonnegative, decayed_grad, zeros_state
from .optimizer import Optimizer


class NAdam(Optimizer):
    """NAdam with PyTorch's update rule.

    ``μ_t = β1·(1 − ½·0.96^(t·momentum_decay))``, ``Π_t = Π_{t−1}·μ_t``;
    ``m``, ``v`` as in Adam; ``d = √(v/(1−β2^t)) + eps``;
    ``p ← p − lr·(1−μ_t)/(1−Π_t)·g/d − lr·μ_{t+1}/(1−Π_t·μ_{t+1})·m/d``.
    ``decoupled_weight_decay`` shrinks ``p`` by ``1 − lr·weight_decay`` instead of adding
    L2 decay to the gradient (NAdamW).
    """

    def __init__(self, params: Iterable[Any], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        check_betas(group, "NAdam")
        check_nonnegative(group, "NAdam", "eps", "weight_decay", "momentum_decay")

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        b = p.backend
        lr, eps = group["lr"], group["eps"]
        beta1, beta2 = group["betas"]
        g, param = decayed_grad(p, grad, group)
        if not state:
            state.update(step=0, mu_product=1.0, exp_avg=zeros_state(p),
                         exp_avg_sq=zeros_state(p))
        step = state["step"] = state["step"] + 1
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * group["momentum_decay"]))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * group["momentum_decay"]))
        mu_product = state["mu_product"] = state["mu_product"] * mu
        m = state["exp_avg"].data
        m = b.add(m, b.multiply(b.subtract(g, m), 1.0 - beta1))
        v = b.add(b.multiply(state["exp_avg_sq"].data, beta2),
                  b.multiply(b.multiply(g, g), 1.0 - beta2))
        state["exp_avg"] = Tensor._wrap(m, b)
        state["exp_avg_sq"] = Tensor._wrap(v, b)
        denom = b.add(b.sqrt(b.divide(v, 1.0 - beta2**step)), eps)
        c_grad = lr * (1.0 - mu) / (1.0 - mu_product)
        c_avg = lr * mu_next / (1.0 - mu_product * mu_next)
        param = b.subtract(param, b.multiply(b.divide(g, denom), c_grad))
        param = b.subtract(param, b.multiply(b.divide(m, denom), c_avg))
        p.data = b.astype(param, p.dtype)
