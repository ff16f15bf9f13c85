"""The autograd engine features DDP relies on: queue_callback (code run when a backward pass
has finished) and leaf gradients that are final as early as possible."""

from __future__ import annotations

import pytest

import lucid
from lucid.autograd.engine import queue_callback


def test_outside_backward_it_raises() -> None:
    with pytest.raises(RuntimeError, match="no backward pass is running"):
        queue_callback(lambda: None)


def test_callbacks_run_in_order_after_every_gradient_is_in_place() -> None:
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    w = lucid.tensor([3.0, 4.0], requires_grad=True)
    seen: list[object] = []

    def hook(g: lucid.Tensor) -> None:
        if not seen:
            queue_callback(lambda: seen.append(("first", x.grad.tolist(), w.grad.tolist())))
            queue_callback(lambda: seen.append("second"))
        seen.append("hook")

    x.register_hook(hook)
    (x * w).sum().backward()
    # x's hook ran during the pass; both callbacks after it, when w.grad was also set
    assert seen == ["hook", ("first", [3.0, 4.0], [1.0, 2.0]), "second"]


def test_a_callback_belongs_to_the_pass_it_was_queued_in() -> None:
    x = lucid.tensor([1.0], requires_grad=True)
    ran: list[str] = []
    x.register_hook(lambda g: queue_callback(lambda: ran.append("cb")))
    (x * 2).sum().backward()
    assert ran == ["cb"]
    (x * 3).sum().backward()
    assert ran == ["cb", "cb"]


def test_a_failed_pass_runs_no_callback_and_leaves_no_state() -> None:
    x = lucid.tensor([1.0], requires_grad=True)
    ran: list[str] = []

    def hook(g: lucid.Tensor) -> None:
        queue_callback(lambda: ran.append("cb"))
        raise ValueError("hook failed")

    x.register_hook(hook)
    with pytest.raises(ValueError, match="hook failed"):
        (x * 2).sum().backward()
    assert ran == []
    with pytest.raises(RuntimeError, match="no backward pass is running"):
        queue_callback(lambda: None)


def test_a_leaf_gradient_is_final_as_soon_as_its_consumer_is_done() -> None:
    """The engine places each parameter right after the op that used it, so the last
    layer's hooks fire before earlier layers' gradients are computed (what lets DDP start
    reducing during backward)."""
    lucid.manual_seed(0)
    layers = [lucid.nn.Linear(3, 3) for _ in range(3)]
    order: list[str] = []
    for i, layer in enumerate(layers):
        for name, p in layer.named_parameters():
            p.register_hook(lambda g, tag=f"{i}.{name}": order.append(tag))
    h = lucid.ones(2, 3)
    for layer in layers:
        h = layer(h).tanh()
    h.sum().backward()
    assert [tag[0] for tag in order] == ["2", "2", "1", "1", "0", "0"], order
