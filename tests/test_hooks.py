"""Tensor and module hooks on the NumPy backend, against hand-computed values.

tests/parity/test_hooks_parity.py checks the same machinery event by event against PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import lucid
import lucid.nn as nn


class Scale(nn.Module):
    def __init__(self, k: float) -> None:
        super().__init__()
        self.k = k

    def forward(self, x: Any) -> Any:
        return x * self.k


class Add(nn.Module):
    def forward(self, a: Any, b: Any) -> Any:
        return a + b


def test_tensor_hook_replaces_the_gradient_before_accumulation() -> None:
    x = lucid.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x.register_hook(lambda g: g * 3)
    (x * x).sum().backward()                      # d/dx x^2 = 2x, times 3
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0, 18.0])


def test_tensor_hook_on_a_non_leaf_changes_what_flows_upstream() -> None:
    x = lucid.tensor([1.0, -1.0], requires_grad=True)
    y = x * 5
    seen: list[Any] = []
    y.register_hook(lambda g: seen.append(g.numpy().tolist()))
    y.register_hook(lambda g: g + 1)              # runs second, sees the original ones
    y.sum().backward()
    assert seen == [[1.0, 1.0]]
    np.testing.assert_allclose(x.grad.numpy(), [10.0, 10.0])   # (1 + 1) * 5


def test_tensor_hook_errors_name_what_is_wrong() -> None:
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        lucid.zeros(2).register_hook(lambda g: g)
    x = lucid.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="must be callable"):
        x.register_hook(3)  # type: ignore[arg-type]
    x.register_hook(lambda g: lucid.ones(3))
    with pytest.raises(RuntimeError, match=r"shape from \(2,\) to \(3,\)"):
        (x * 1).sum().backward()


def test_removed_tensor_hook_is_not_called_and_handles_are_context_managers() -> None:
    x = lucid.ones(2, requires_grad=True)
    with x.register_hook(lambda g: g * 100):
        pass
    h = x.register_hook(lambda g: g * 2)
    h.remove()
    h.remove()                                    # a second remove does nothing
    (x * 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_forward_hooks_replace_input_and_output() -> None:
    m = Scale(3.0)
    m.register_forward_pre_hook(lambda mod, args: args[0] + 1)
    m.register_forward_hook(lambda mod, args, out: out * 10)
    out = m(lucid.tensor([1.0, 2.0]))
    np.testing.assert_allclose(out.numpy(), [60.0, 90.0])     # ((x + 1) * 3) * 10


def test_full_backward_hook_sees_and_replaces_grad_input() -> None:
    m = Scale(3.0)
    seen: list[Any] = []

    def hook(mod: nn.Module, gi: tuple[Any, ...], go: tuple[Any, ...]) -> Any:
        seen.append((gi[0].numpy().tolist(), go[0].numpy().tolist()))
        return (gi[0] * 2,)

    m.register_full_backward_hook(hook)
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    (m(x) * lucid.tensor([1.0, 4.0])).sum().backward()
    assert seen == [([3.0, 12.0], [1.0, 4.0])]
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 24.0])


def test_full_backward_hook_refuses_several_inputs_that_need_grad() -> None:
    m = Add()
    m.register_full_backward_hook(lambda mod, gi, go: None)
    a, b = lucid.ones(2, requires_grad=True), lucid.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="2 tensors that require grad"):
        m(a, b)
    m(a, lucid.ones(2)).sum().backward()          # one of them: fine
    np.testing.assert_allclose(a.grad.numpy(), [1.0, 1.0])


def test_always_call_forward_hook_runs_when_forward_raises() -> None:
    m = Scale(2.0)
    log: list[Any] = []
    m.register_forward_hook(lambda mod, a, o: log.append(o), always_call=True)
    with pytest.raises(TypeError):
        m("not a tensor", 1)
    assert log == [None]


def test_global_forward_hooks_see_every_module_once_removed() -> None:
    model = nn.Sequential(Scale(2.0), Scale(3.0))
    log: list[str] = []
    h = nn.register_module_forward_hook(lambda mod, a, o: log.append(type(mod).__name__))
    model(lucid.ones(1))
    h.remove()
    model(lucid.ones(1))
    assert log == ["Scale", "Scale", "Sequential"]
