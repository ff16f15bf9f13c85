"""Reverse-mode automatic differentiation: graph nodes and the backward pass."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._tensor import Tensor

BackwardFn = Callable[[Any], Sequence[Any]]


def _graph_freed(_g: Any) -> Sequence[Any]:
    raise RuntimeError(
        "trying to backward through the graph a second time; its saved arrays were freed "
        "after the first backward. Pass retain_graph=True to the first backward() to keep them."
    )


class Node:
    """One recorded operation: its input tensors and a rule mapping output grad to input grads."""

    __slots__ = ("name", "inputs", "backward")

    def __init__(self, name: str, inputs: tuple[Tensor, ...], backward: BackwardFn) -> None:
        self.name = name
        self.inputs = inputs
        self.backward = backward

    def __repr__(self) -> str:
        return f"<{self.name}Backward>"


def _topological_order(root: Tensor) -> list[Tensor]:
    """Tensors reachable from ``root`` that require grad, each after all its consumers."""
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        t, done = stack.pop()
        if done:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        node = t._node
        if node is not None:
            for p in node.inputs:
                if p.requires_grad and id(p) not in seen:
                    stack.append((p, False))
    order.reverse()
    return order


def backward(root: Tensor, grad: Any = None, retain_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) into ``leaf.grad`` for every leaf that requires grad."""
    from .._tensor import Tensor

    if not root.requires_grad:
        raise RuntimeError(
            "backward() called on a tensor that does not require grad; create the inputs "
            "with requires_grad=True (and outside lucid.no_grad())"
        )
    b = root.backend
    if grad is None:
        if root.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs; got shape {root.shape}. "
                "Pass a gradient tensor of the same shape to backward()."
            )
        g0 = b.ones(root.shape, root.dtype)
    else:
        g0 = grad.data if isinstance(grad, Tensor) else b.asarray(grad, root.dtype)
        if tuple(b.shape(g0)) != root.shape:
            raise ValueError(f"gradient shape {tuple(b.shape(g0))} does not match output shape "
                             f"{root.shape}")
    grads: dict[int, Any] = {id(root): g0}
    fresh: set[int] = set()  # grads that are sums we own (safe to store without copying)
    for t in _topological_order(root):
        g = grads.pop(id(t), None)
        if g is None:
            continue
        node = t._node
        if node is None or t._retains_grad:
            tb = t.backend  # a leaf's gradient lives on its own backend (``to()`` crosses them)
            owned = id(t) in fresh
            if t.grad is None:
                t.grad = Tensor._wrap(g if owned else tb.add(g, 0), tb)
            else:
                t.grad = Tensor._wrap(tb.add(t.grad.data, g), tb)
        if node is None:
            continue
        input_grads = node.backward(g)
        if not retain_graph:
            node.backward = _graph_freed
        for p, gp in zip(node.inputs, input_grads):
            if gp is None or not p.requires_grad:
                continue
            key = id(p)
            if key in grads:
                grads[key] = p.backend.add(grads[key], gp)
                fresh.add(key)
            else:
                grads[key] = gp
