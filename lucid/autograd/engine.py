"""Reverse-mode automatic differentiation: the recorded graph and the backward pass.

A tensor produced by a :class:`~lucid.autograd.Function` while gradients are recorded keeps
that call's :class:`Node` as its ``grad_fn``. The node is also the ``ctx`` the function's
``forward`` and ``backward`` see: it holds the inputs, the arrays saved for backward and any
attributes ``forward`` set.

This layer sits below :class:`lucid.Tensor` and never imports it: it works with any object
that has the tensor's autograd attributes (``requires_grad``, ``grad_fn``, ``backend``,
``shape``, ``dtype``) and its ``_accumulate_grad`` method. Gradients travel as native
arrays of the tensors' backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..backends import Backend
    from .function import Function

_FREED = (
    "trying to backward through the graph a second time; its saved arrays were freed after "
    "the first backward. Pass retain_graph=True to the first backward() to keep them."
)


class Node:
    """One recorded call of a Function (a tensor's ``grad_fn``; the ``ctx`` of that call).

    ``forward`` may store arrays with :meth:`save_for_backward` and any other value as an
    attribute; ``backward`` reads them back. ``needs_input_grad`` tells, per forward argument,
    whether its gradient is wanted. ``backend`` is the backend of the inputs and of the
    output; a forward that moves its result to another backend sets it to that one.
    """

    __slots__ = ("function", "backend", "inputs", "needs_input_grad", "saved_tensors",
                 "_released", "__dict__")

    def __init__(self, function: type[Function], backend: Backend,
                 needs_input_grad: tuple[bool, ...]) -> None:
        self.function = function
        self.backend = backend
        self.needs_input_grad = needs_input_grad
        self.inputs: tuple[Any, ...] = ()
        self.saved_tensors: tuple[Any, ...] = ()
        self._released = False

    @property
    def name(self) -> str:
        """The recorded operation's name (its Function class)."""
        return self.function.__name__

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep ``arrays`` (native arrays) for :meth:`Function.backward` as ``saved_tensors``."""
        self.saved_tensors = arrays

    def release(self) -> None:
        """Drop everything saved for backward (after a backward pass without retain_graph)."""
        self.saved_tensors = ()
        self.__dict__.clear()
        self._released = True

    def run_backward(self, grad: Any) -> tuple[Any, ...]:
        """Gradients for each forward argument (None where there is none) given ``grad``."""
        if self._released:
            raise RuntimeError(_FREED)
        grads = self.function.backward(self, grad)
        return grads if isinstance(grads, tuple) else (grads,)

    def __getattr__(self, name: str) -> Any:  # only called for attributes never set
        if name.startswith("_"):
            raise AttributeError(name)
        if self._released:
            raise RuntimeError(_FREED)
        raise AttributeError(f"{self.function.__name__}'s ctx has no attribute {name!r}: its "
                             f"forward() did not set it")

    if TYPE_CHECKING:  # forward() may set any attribute on its ctx
        def __setattr__(self, name: str, value: Any) -> None: ...

    def __repr__(self) -> str:
        return f"<{self.function.__name__}Backward>"


def _topological_order(root: Any) -> list[Any]:
    """Tensors reachable from ``root`` that require grad, each after all its consumers."""
    order: list[Any] = []
    seen: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        t, done = stack.pop()
        if done:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        node = t.grad_fn
        if node is not None:
            for p in node.inputs:
                if p is not None and p.requires_grad and id(p) not in seen:
                    stack.append((p, False))
    order.reverse()
    return order


def backward(root: Any, grad: Any, retain_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

    ``grad`` is a native array of ``root``'s backend and shape (the caller checks it).
    """
    grads: dict[int, Any] = {id(root): grad}
    fresh: set[int] = set()  # grads that are sums we own (safe to store without copying)
    for t in _topological_order(root):
        g = grads.pop(id(t), None)
        if g is None:
            continue
        hooks = getattr(t, "_grad_hooks", None)
        if hooks:  # Tensor.register_hook: the complete gradient, before it is used
            g = _run_grad_hooks(t, hooks, g)
            fresh.discard(id(t))
        node = t.grad_fn
        if node is None or t._retains_grad:
            t._accumulate_grad(g, owned=id(t) in fresh)
        if node is None:
            continue
        input_grads = node.run_backward(g)
        if not retain_graph:
            node.release()
        for p, gp in zip(node.inputs, input_grads):
            if gp is None or p is None or not p.requires_grad:
                continue
            key = id(p)
            if key in grads:
                grads[key] = p.backend.add(grads[key], gp)
                fresh.add(key)
            else:
                grads[key] = gp


def _run_grad_hooks(t: Any, hooks: dict[int, Any], g: Any) -> Any:
    """Pass ``g`` through ``t``'s gradient hooks in order; each may return a replacement.

    The hooks stored by ``Tensor.register_hook`` take and return native arrays (None: keep);
    a replacement must keep the gradient's shape, as in PyTorch.
    """
    b = t.backend
    for hook in list(hooks.values()):
        new = hook(g)
        if new is None:
            continue
        if tuple(b.shape(new)) != tuple(b.shape(g)):
            raise RuntimeError(f"hook {getattr(hook, '__name__', hook)!r} changed the gradient's "
                               f"shape from {tuple(b.shape(g))} to {tuple(b.shape(new))}; a "
                               f"tensor hook must return a gradient of the same shape or None")
        g = new
    return g
