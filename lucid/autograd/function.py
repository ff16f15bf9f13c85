"""``Function``: the one way to define a differentiable operation in lucid.

Every built-in op (``lucid.add``, ``lucid.nn.functional.conv2d``, ...) is a subclass, and
so is a user's custom op. As in PyTorch, a subclass defines two static methods and is called
through :meth:`Function.apply`::

    class Square(lucid.autograd.Function):
        @staticmethod
        def forward(ctx, x):                     # x: the native array of the input tensor
            ctx.save_for_backward(x)
            return ctx.backend.multiply(x, x)

        @staticmethod
        def backward(ctx, grad):                 # grad: native array shaped like the output
            (x,) = ctx.saved_tensors
            b = ctx.backend
            return b.multiply(grad, b.multiply(x, 2.0))

    y = Square.apply(x)                          # a Tensor with grad_fn <SquareBackward>

Unlike PyTorch's, lucid's ``forward`` and ``backward`` work on the backend's **native
arrays** through ``ctx.backend`` (the :class:`lucid.backends.Backend` of the inputs): that
keeps built-in ops free of Tensor overhead and makes every custom op run on every backend.
Tensor arguments arrive as their arrays; other arguments (numbers, shapes, flags, native
arrays) arrive unchanged. ``forward`` returns one array; ``backward`` returns one gradient
per ``forward`` argument (or a single one for a one-argument op), None where there is none.
Use ``ctx.needs_input_grad`` to skip gradients nobody asked for.
"""

from __future__ import annotations

import weakref
from typing import Any

from ..backends import MixedBackendError
from . import anomaly_mode
from .anomaly_mode import flags as _anomaly
from .engine import Node, _shared_with_host, host_copies
from .grad_mode import is_grad_enabled

#: The tensor class results are wrapped in. :mod:`lucid._tensor` registers ``lucid.Tensor``
#: here when it defines it: this layer sits below the tensor and cannot import it.
_tensor_class: Any = None


def register_tensor_class(cls: type) -> None:
    """Make :meth:`Function.apply` take and return instances of ``cls`` (lucid.Tensor)."""
    global _tensor_class
    _tensor_class = cls


class Function:
    """Base class of differentiable operations: override ``forward`` and ``backward``."""

    @staticmethod
    def forward(ctx: Node, *args: Any) -> Any:
        """Compute the output array from the inputs' arrays; save what backward needs."""
        raise NotImplementedError("a Function subclass must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx: Node, grad: Any) -> Any:
        """Return the gradient of each forward argument (None where there is none)."""
        raise NotImplementedError("a Function subclass must define backward(ctx, grad) to be "
                                  "differentiated")

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run the operation on ``args`` and return a Tensor, recording it for backward."""
        tensor_class = _tensor_class
        backend = None
        arrays = []
        needs = []
        requires_grad = False
        for a in args:
            if isinstance(a, tensor_class):
                if backend is None:
                    backend = a.backend
                elif a.backend is not backend:
                    raise MixedBackendError(
                        f"{cls.__name__}: tensors are on different backends "
                        f"({backend.name!r} and {a.backend.name!r}); move one with "
                        f".to({backend.name!r}) first")
                arrays.append(a._data)
                needs.append(a.requires_grad)
                requires_grad = requires_grad or a.requires_grad
            else:
                arrays.append(a)
                needs.append(False)
        if backend is None:
            raise TypeError(f"{cls.__name__}.apply() needs at least one lucid.Tensor argument, "
                            f"got {', '.join(type(a).__name__ for a in args) or 'none'}")
        record = requires_grad and is_grad_enabled()
        ctx = Node(cls, backend, tuple(needs) if record else (False,) * len(args))
        out = cls.forward(ctx, *arrays)
        if _anomaly.enabled:  # anomaly mode: refuse a NaN made here; remember the call site
            anomaly_mode.check_forward(cls, ctx, backend, arrays,
                                       [isinstance(a, tensor_class) for a in args], out)
            if record:
                anomaly_mode.record_forward(ctx)
        if not record:  # (forward may have moved its output: see Node.backend)
            return tensor_class._wrap(out, ctx.backend)
        inputs = []
        nodes = []
        for a in args:
            if isinstance(a, tensor_class):
                inputs.append(a)
                nodes.append(a._node)
            else:
                inputs.append(None)
                nodes.append(None)
        ctx.inputs = tuple(inputs)
        ctx.input_nodes = tuple(nodes)
        result = tensor_class._wrap(out, ctx.backend, ctx)
        saved = ctx.saved_tensors
        if saved:  # remember versions, to refuse a backward through arrays changed in place
            kept = {id(s) for s in saved}
            versions = [(i, a._version) for i, a in enumerate(inputs)
                        if a is not None and id(a._data) in kept]
            if versions:
                ctx.saved_versions = tuple(versions)
                if _shared_with_host:  # tensors sharing a caller's NumPy array (rare)
                    ctx.saved_host_copies = host_copies(ctx.inputs, versions)
            if id(out) in kept:
                ctx.saved_output = (weakref.ref(result), 0)
        return result


__all__ = ["Function", "register_tensor_class"]
