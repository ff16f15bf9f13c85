"""Record one forward pass through global module hooks: which module ran, inside which, on
what shapes. The summary table, the MAC count and the Mermaid chart all read this record,
so they work for any :class:`~lucid.nn.Module` (plugin models included) without knowing its
classes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import _creation
from .._tensor import Tensor
from ..autograd import no_grad
from ..nn import Module
from ..nn.hooks import register_module_forward_hook, register_module_forward_pre_hook


@dataclass(eq=False)
class Call:
    """One call of one module during the traced forward pass."""

    module: Module
    name: str                       # dotted path in the model ("" for the model itself)
    depth: int                      # 0 for the model, 1 for its children, ...
    parent: Call | None
    inputs: tuple[Any, ...] = ()    # the positional arguments (tensors kept alive)
    output: Any = None
    children: list[Call] = field(default_factory=list)

    @property
    def type_name(self) -> str:
        """The module's class name."""
        return type(self.module).__name__

    @property
    def short_name(self) -> str:
        """The last part of the dotted name (the model's own class name at the root)."""
        return self.name.rsplit(".", 1)[-1] if self.name else self.type_name

    @property
    def input_shapes(self) -> list[tuple[int, ...]]:
        """Shapes of the tensor arguments."""
        return [t.shape for t in self.inputs if isinstance(t, Tensor)]

    @property
    def output_shapes(self) -> list[tuple[int, ...]]:
        """Shapes of the output tensor(s)."""
        return [t.shape for t in tensors_in(self.output)]

    def walk(self) -> Iterator[Call]:
        """This call and every call inside it, in call order."""
        yield self
        for c in self.children:
            yield from c.walk()


def tensors_in(value: Any) -> list[Tensor]:
    """The tensors in a module's output (a tensor, or a tuple/list/dict of them)."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in tensors_in(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in tensors_in(v)]
    return []


def parse_input_size(input_size: Any, argument: str = "input_size") -> tuple[int, ...]:
    """``(1, 3, 224, 224)``, ``[1, 3, 224, 224]`` or ``"1,3,224,224"`` as a tuple of ints."""
    if isinstance(input_size, str):
        parts = [p.strip() for p in input_size.replace("x", ",").split(",") if p.strip()]
        try:
            input_size = [int(p) for p in parts]
        except ValueError:
            raise ValueError(f"{argument}={input_size!r}: expected comma-separated positive "
                             f"integers such as '1,3,224,224'") from None
    if not isinstance(input_size, Sequence) or not input_size or not all(
            isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in input_size):
        raise ValueError(f"{argument}={input_size!r}: expected a non-empty sequence of positive "
                         f"integers such as (1, 3, 224, 224)")
    return tuple(input_size)


def trace(model: Module, input_size: Any = None, *, inputs: Any = None, dtype: Any = None,
          record_graph: bool = False) -> tuple[Call, Tensor, Any]:
    """Run ``model`` once in eval mode and return ``(root call, input, output)``.

    ``input_size`` gives the shape of one zero-filled input (on the model's backend and
    dtype unless ``dtype`` says otherwise); ``inputs`` passes a ready tensor instead.
    ``record_graph`` keeps the autograd graph (the Mermaid chart follows data flow through
    functional ops with it). The model's train/eval modes are restored afterwards.
    """
    if not isinstance(model, Module):
        raise TypeError(f"model must be a lucid.nn.Module, got {type(model).__name__}")
    if inputs is None:
        if input_size is None:
            raise ValueError("give input_size (e.g. (1, 3, 224, 224)) or inputs")
        shape = parse_input_size(input_size)
        ref = next(iter(model.parameters()), None)
        backend = ref.backend if ref is not None else None
        dt = dtype if dtype is not None else (ref.dtype if ref is not None else None)
        inputs = _creation.zeros(*shape, dtype=dt, backend=backend)
    elif not isinstance(inputs, Tensor):
        raise TypeError(f"inputs must be a lucid.Tensor, got {type(inputs).__name__}")
    names = {id(m): n for n, m in model.named_modules()}
    stack: list[Call] = []
    root: list[Call] = []

    def pre(module: Module, args: tuple[Any, ...]) -> None:
        name = names.get(id(module))
        if name is None:               # a module outside this model
            return
        parent = stack[-1] if stack else None
        call = Call(module, name, 0 if parent is None else parent.depth + 1, parent, args)
        (parent.children if parent is not None else root).append(call)
        stack.append(call)

    def post(module: Module, args: tuple[Any, ...], output: Any) -> None:
        if stack and stack[-1].module is module:
            stack.pop().output = output

    modes = {id(m): m.training for m in model.modules()}
    handles = [register_module_forward_pre_hook(pre),
               register_module_forward_hook(post, always_call=True)]
    x = inputs.detach().requires_grad_(True) if record_graph else inputs
    try:
        model.eval()
        if record_graph:
            out = model(x)
        else:
            with no_grad():
                out = model(x)
    finally:
        for h in handles:
            h.remove()
        for m in model.modules():
            m.__dict__["training"] = modes[id(m)]
    if not root:
        raise RuntimeError(f"tracing {type(model).__name__} recorded no module call")
    return root[0], x, out


__all__ = ["Call", "parse_input_size", "tensors_in", "trace"]
