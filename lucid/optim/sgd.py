"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._tensor import Tensor
from .optimizer import Optimizer, check_float


class SGD(Optimizer):
    """SGD with PyTorch's update rule.

    With ``g = grad + weight_decay·p``: when ``momentum > 0`` the buffer starts as ``g`` and
    then becomes ``momentum·buf + (1 − dampening)·g``; the step direction is the buffer, or
    ``g + momentum·buf`` with ``nesterov``. Then ``p ← p − lr·direction``. ``lr`` defaults to
    PyTorch's (since 2.6) ``1e-3``.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        check_float(group["momentum"], "momentum", "SGD")
        check_float(group["dampening"], "dampening", "SGD")
        check_float(group["weight_decay"], "weight_decay", "SGD")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        b = p.backend
        g = b.negative(grad) if group["maximize"] else grad
        wd, mu = group["weight_decay"], group["momentum"]
        if wd != 0:
            g = b.add(g, b.multiply(p.data, wd))
        if mu != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                new_buf = b.add(g, 0.0)  # a copy: never alias the gradient array
            else:
                new_buf = b.add(b.multiply(buf.data, mu), b.multiply(g, 1.0 - group["dampening"]))
            state["momentum_buffer"] = Tensor._wrap(new_buf, b)
            g = b.add(g, b.multiply(new_buf, mu)) if group["nesterov"] else new_buf
        p.data = b.astype(b.subtract(p.data, b.multiply(g, group["lr"])), p.dtype)
