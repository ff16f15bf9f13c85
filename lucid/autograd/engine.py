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

import heapq
import itertools
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import anomaly_mode
from .anomaly_mode import flags as _anomaly

if TYPE_CHECKING:
    from ..backends import Backend
    from .function import Function

_FREED = (
    "trying to backward through the graph a second time; its saved arrays were freed after "
    "the first backward. Pass retain_graph=True to the first backward() to keep them."
)


#: numbers the recorded nodes in creation order
_node_counter = itertools.count()


class Node:
    """One recorded call of a Function (a tensor's ``grad_fn``; the ``ctx`` of that call).

    ``forward`` may store arrays with :meth:`save_for_backward` and any other value as an
    attribute; ``backward`` reads them back. ``needs_input_grad`` tells, per forward argument,
    whether its gradient is wanted. ``backend`` is the backend of the inputs and of the
    output; a forward that moves its result to another backend sets it to that one.
    """

    __slots__ = ("function", "backend", "seq", "inputs", "input_nodes", "needs_input_grad",
                 "saved_tensors", "saved_versions", "saved_output", "saved_host_copies",
                 "_released", "__dict__")

    def __init__(self, function: type[Function], backend: Backend,
                 needs_input_grad: tuple[bool, ...]) -> None:
        self.function = function
        self.backend = backend
        #: creation order: backward runs later-recorded nodes first (see _topological_order)
        self.seq = next(_node_counter)
        self.needs_input_grad = needs_input_grad
        self.inputs: tuple[Any, ...] = ()
        #: each input's ``grad_fn`` when this node was recorded: the graph's edges. An
        #: in-place op later gives the tensor a new grad_fn; this node still leads to the old.
        self.input_nodes: tuple[Any, ...] = ()
        self.saved_tensors: tuple[Any, ...] = ()
        #: ``(input position, version)`` of each input whose array was saved for backward
        self.saved_versions: tuple[tuple[int, int], ...] = ()
        #: ``(weak reference, version)`` of the output when its array was saved for
        #: backward (else None); an in-place op moves it to the tensor it changed
        self.saved_output: Any = None
        #: ``(input position, copy)`` of each saved input whose memory is shared with a host
        #: array (``lucid.from_numpy``): writes there bump no version, so backward compares
        self.saved_host_copies: tuple[tuple[int, Any], ...] = ()
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
        self.check_versions()
        grads = self.function.backward(self, grad)
        return grads if isinstance(grads, tuple) else (grads,)

    def check_versions(self) -> None:
        """Raise PyTorch's error when a tensor saved for backward was modified in place."""
        for i, expected in self.saved_versions:
            t = self.inputs[i]
            if t._version != expected:
                raise RuntimeError(_modified(t, f"input {i} of {self.name}Backward",
                                             expected))
        for i, copy in self.saved_host_copies:
            t = self.inputs[i]
            if not _same_values(t.backend, t._data, copy):
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified "
                    f"in place: [{t.dtype} [{', '.join(map(str, t.shape))}]], which is input "
                    f"{i} of {self.name}Backward, shares its memory with the NumPy array given "
                    f"to lucid.from_numpy (or lucid.Tensor), and that array was written to "
                    f"after the forward pass. Hint: keep the array unchanged until backward, "
                    f"or create the tensor with lucid.tensor(array), which copies.")
        if self.saved_output is not None:
            ref, expected = self.saved_output
            out = ref()
            if out is not None and out._version != expected:
                raise RuntimeError(_modified(out, f"output 0 of {self.name}Backward",
                                             expected))

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


#: ``id``\ s of the tensors whose array is shared with a host array the caller keeps
#: (``lucid.from_numpy``) and that require grad; see :func:`share_with_host`
_shared_with_host: set[int] = set()


def share_with_host(t: Any) -> None:
    """Watch tensor ``t``, whose array the caller also holds (``lucid.from_numpy``).

    Writes into that array are invisible to version counters. So while ``t`` requires grad,
    each node that saves its array keeps a copy, and backward raises if the values changed:
    a cost paid only by such tensors (data batches, which do not require grad, pay nothing).
    """
    key = id(t)
    if key not in _shared_with_host:
        _shared_with_host.add(key)
        weakref.finalize(t, _shared_with_host.discard, key)


def host_copies(inputs: tuple[Any, ...], positions: list[tuple[int, int]]
                ) -> tuple[tuple[int, Any], ...]:
    """Copies of the saved inputs (by position) that :func:`share_with_host` watches."""
    out = []
    for i, _ in positions:
        t = inputs[i]
        if id(t) in _shared_with_host and t.requires_grad:
            b = t.backend
            out.append((i, b.concatenate([b.reshape(t._data, (-1,))], 0)))
    return tuple(out)


def _same_values(b: Backend, current: Any, copy: Any) -> bool:
    """Do ``current`` (any shape) and the flat ``copy`` hold the same values (NaN = NaN)?"""
    flat = b.reshape(current, (-1,))
    same = b.logical_or(b.equal(flat, copy),
                        b.logical_and(b.not_equal(flat, flat), b.not_equal(copy, copy)))
    return bool(b.item(b.all(same, None, False)))


def _modified(t: Any, what: str, expected: int) -> str:
    dims = ", ".join(map(str, t.shape))
    return (f"one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{t.dtype} [{dims}]], which is {what}, is at version "
            f"{t._version}; expected version {expected} instead. Hint: clone() the tensor "
            f"before modifying it in place, or modify a copy. (Handing out the array of a "
            f"tensor that requires grad through .data also counts as a write; read values "
            f"with .detach(), .tolist() or .item().)")


def _key(t: Any, node: Any) -> int:
    """A graph vertex: a recorded node (one state of a tensor), or a leaf tensor."""
    return id(t) if node is None else id(node)


def _topological_order(root: Any) -> list[tuple[Any, Any]]:
    """``(tensor, grad_fn)`` vertices reachable from ``root`` needing grad, each after all
    its consumers. A tensor changed in place appears once per recorded state.

    A vertex is ready once all its consumers have been placed (Kahn's algorithm). A ready
    leaf is placed at once and, among ready nodes, the most recently recorded goes first
    (PyTorch's engine orders its ready queue the same way). So a parameter's gradient, and
    its hooks, is final as soon as its layer's backward has run rather than at the end of
    the pass: DistributedDataParallel starts reducing it while backward goes on.
    """
    first = root.grad_fn
    if first is None:
        return [(root, None)]
    vertices: dict[int, tuple[Any, Any]] = {id(first): (root, first)}
    consumers: dict[int, int] = {}
    stack = [first]
    while stack:  # every reachable vertex, and how many edges lead into it
        node = stack.pop()
        for p, pn, need in zip(node.inputs, node.input_nodes, node.needs_input_grad):
            if p is None or not need:
                continue
            key = id(p) if pn is None else id(pn)
            consumers[key] = consumers.get(key, 0) + 1
            if key not in vertices:
                vertices[key] = (p, pn)
                if pn is not None:
                    stack.append(pn)
    order: list[tuple[Any, Any]] = []
    ready: list[tuple[int, int]] = [(-first.seq, id(first))]
    while ready:
        t, node = vertices[heapq.heappop(ready)[1]]
        order.append((t, node))
        for p, pn, need in zip(node.inputs, node.input_nodes, node.needs_input_grad):
            if p is None or not need:
                continue
            key = id(p) if pn is None else id(pn)
            consumers[key] -= 1
            if consumers[key] == 0:
                if pn is None:
                    order.append((p, None))
                else:
                    heapq.heappush(ready, (-pn.seq, key))
    return order


#: per thread, one list of queued callbacks per backward pass now running (innermost last)
_running = threading.local()


def queue_callback(callback: Callable[[], None]) -> None:
    """Run ``callback()`` when the backward pass now running has finished, before
    ``backward()`` returns (PyTorch's ``Variable._execution_engine.queue_callback``).

    Call it from a tensor hook. DistributedDataParallel uses it to wait for the gradient
    all-reduces its hooks started and to write the averaged gradients into ``.grad``.
    Callbacks run in the order they were queued, and only if the pass succeeded.
    """
    passes: list[list[Callable[[], None]]] | None = getattr(_running, "passes", None)
    if not passes:
        raise RuntimeError("queue_callback: no backward pass is running; call it from a "
                           "tensor hook (Tensor.register_hook) during backward()")
    passes[-1].append(callback)


def backward(root: Any, grad: Any, retain_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) into ``leaf.grad`` for every leaf that requires grad, then
    run the callbacks queued during the pass (:func:`queue_callback`).

    ``grad`` is a native array of ``root``'s backend and shape (the caller checks it).
    """
    passes = _running.__dict__.setdefault("passes", [])
    callbacks: list[Callable[[], None]] = []
    passes.append(callbacks)
    try:
        _backward(root, grad, retain_graph)
    finally:
        passes.pop()
    for callback in callbacks:
        callback()


def _backward(root: Any, grad: Any, retain_graph: bool) -> None:
    """The pass itself: every vertex's gradient, in topological order."""
    grads: dict[int, Any] = {_key(root, root.grad_fn): grad}
    fresh: set[int] = set()  # grads that are sums we own (safe to store without copying)
    for t, node in _topological_order(root):
        vertex = id(t) if node is None else id(node)
        g = grads.pop(vertex, None)
        if g is None:
            continue
        current = node is t.grad_fn  # not an earlier state of a tensor changed in place
        hooks = getattr(t, "_grad_hooks", None) if current else None
        if hooks:  # Tensor.register_hook: the complete gradient, before it is used
            g = _run_grad_hooks(t, hooks, g)
            fresh.discard(vertex)
        if node is None or (current and t._retains_grad):
            t._accumulate_grad(g, owned=vertex in fresh)
        if node is None:
            continue
        input_grads = node.run_backward(g) if not _anomaly.enabled \
            else anomaly_mode.run_backward(node, g)  # checked, with the forward's traceback
        if not retain_graph:
            node.release()
        for p, pn, need, gp in zip(node.inputs, node.input_nodes, node.needs_input_grad,
                                   input_grads):
            if gp is None or p is None or not need:
                continue
            key = id(p) if pn is None else id(pn)
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
