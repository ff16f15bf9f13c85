"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .._tensor import Tensor
from ._common import check_nonnegative, coupled_grad, zeros_state
from .optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad with PyTorch's update rule.

    ``clr = lr / (1 + (t−1)·lr_decay)``, ``s ← s + g²``, ``p ← p − clr·g/(√s + eps)``; the
    sum starts at ``initial_accumulator_value`` (state is created up front, as in PyTorch).
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps,
                        maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = {"step": 0, "sum": zeros_state(
                    p, group["initial_accumulator_value"])}

    def _validate_group(self, group: dict[str, Any]) -> None:
        super()._validate_group(group)
        check_nonnegative(group, "Adagrad", "lr_decay", "weight_decay",
                          "initial_accumulator_value", "eps")

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        b = p.backend
        g = coupled_grad(p, grad, group)
        if not state:  # a parameter added later with add_param_group
            state.update(step=0, sum=zeros_state(p, group["initial_accumulator_value"]))
        state["step"] += 1
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        s = b.add(state["sum"].data, b.multiply(g, g))
        state["sum"] = Tensor._wrap(s, b)
        step = b.multiply(b.divide(g, b.add(b.sqrt(s), group["eps"])), clr)
        p.data = b.astype(b.subtract(p.data, step), p.dtype)
