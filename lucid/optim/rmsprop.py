"""RMSprop, with momentum and the centered variant."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._tensor import Tensor
from ._common import check_nonnegative, coupled_grad, zeros_state
from .optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop with PyTorch's update rule.

    ``v ← α·v + (1−α)·g²``; centered: ``ḡ ← α·ḡ + (1−α)·g`` and ``avg = √(v − ḡ²) + eps``,
    else ``avg = √v + eps``. With momentum: ``buf ← μ·buf + g/avg``, ``p ← p − lr·buf``;
    without: ``p ← p − lr·g/avg``. ``g`` includes L2 ``weight_decay``.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        check_nonnegative(group, "RMSprop", "alpha", "eps", "weight_decay", "momentum")

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        b = p.backend
        alpha, eps, mu = group["alpha"], group["eps"], group["momentum"]
        g = coupled_grad(p, grad, group)
        if not state:
            state["step"] = 0
            state["square_avg"] = zeros_state(p)
        state["step"] += 1
        v = b.add(b.multiply(state["square_avg"].data, alpha), b.multiply(b.multiply(g, g),
                                                                          1.0 - alpha))
        state["square_avg"] = Tensor._wrap(v, b)
        if group["centered"]:
            prev = state["grad_avg"].data if "grad_avg" in state else b.zeros(p.shape, p.dtype)
            gavg = b.add(prev, b.multiply(b.subtract(g, prev), 1.0 - alpha))
            state["grad_avg"] = Tensor._wrap(gavg, b)
            avg = b.add(b.sqrt(b.subtract(v, b.multiply(gavg, gavg))), eps)
        else:
            avg = b.add(b.sqrt(v), eps)
        if mu > 0:
            prev = (state["momentum_buffer"].data if "momentum_buffer" in state
                    else b.zeros(p.shape, p.dtype))
            buf = b.add(b.multiply(prev, mu), b.divide(g, avg))
            state["momentum_buffer"] = Tensor._wrap(buf, b)
            step = b.multiply(buf, group["lr"])
        else:
            step = b.multiply(b.divide(g, avg), group["lr"])
        p.data = b.astype(b.subtract(p.data, step), p.dtype)
