"""Adam and AdamW (decoupled weight decay), with optional AMSGrad."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .._tensor import Tensor
from ._common import decayed_grad
from .optimizer import Optimizer, check_float


class Adam(Optimizer):
    """Adam with PyTorch's update rule (L2 ``weight_decay`` added to the gradient, or with
    ``decoupled_weight_decay`` the AdamW shrinkage ``p ← p·(1 − lr·weight_decay)``).

    ``m ← β1·m + (1−β1)·g``, ``v ← β2·v + (1−β2)·g²``; with bias corrections
    ``c1 = 1 − β1^t``, ``c2 = 1 − β2^t``: ``p ← p − (lr/c1)·m / (√v/√c2 + eps)``
    (AMSGrad uses the running maximum of ``v`` instead of ``v``).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        name = type(self).__name__
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        group["betas"] = tuple(betas)
        check_float(betas[0], "betas[0]", name, 0.0, 1.0)
        check_float(betas[1], "betas[1]", name, 0.0, 1.0)
        check_float(group["eps"], "eps", name)
        check_float(group["weight_decay"], "weight_decay", name)

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        b = p.backend
        lr, eps = group["lr"], group["eps"]
        beta1, beta2 = group["betas"]
        g, param = decayed_grad(p, grad, group)
        if not state:
            state["step"] = 0
            state["exp_avg"] = Tensor._wrap(b.zeros(p.shape, p.dtype), b)
            state["exp_avg_sq"] = Tensor._wrap(b.zeros(p.shape, p.dtype), b)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = Tensor._wrap(b.zeros(p.shape, p.dtype), b)
        step = state["step"] + 1
        m = b.add(b.multiply(state["exp_avg"].data, beta1), b.multiply(g, 1.0 - beta1))
        v = b.add(b.multiply(state["exp_avg_sq"].data, beta2),
                  b.multiply(b.multiply(g, g), 1.0 - beta2))
        state["step"] = step
        state["exp_avg"] = Tensor._wrap(m, b)
        state["exp_avg_sq"] = Tensor._wrap(v, b)
        if group["amsgrad"]:
            if "max_exp_avg_sq" not in state:  # amsgrad switched on mid-training
                state["max_exp_avg_sq"] = Tensor._wrap(b.zeros(p.shape, p.dtype), b)
            v = b.maximum(state["max_exp_avg_sq"].data, v)
            state["max_exp_avg_sq"] = Tensor._wrap(v, b)
        bc1 = 1.0 - beta1**step
        bc2 = 1.0 - beta2**step
        denom = b.add(b.divide(b.sqrt(v), math.sqrt(bc2)), eps)
        update = b.multiply(b.divide(m, denom), lr / bc1)
        p.data = b.astype(b.subtract(param, update), p.dtype)


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p ← p·(1 − lr·weight_decay)`` before the Adam step
    (``Adam(..., decoupled_weight_decay=True)`` with PyTorch's default ``weight_decay=1e-2``).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
