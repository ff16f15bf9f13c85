"""Module hooks with PyTorch's semantics: how tools (``lucid.summary``, the Mermaid chart)
and users see a model run without special cases per layer.

``Module.__call__`` runs, in PyTorch's order: the forward pre-hooks (global, then the
module's), which may replace the positional arguments; ``forward``; the forward hooks
(global, then the module's), which may replace the output. Full backward hooks are built
as PyTorch's ``BackwardHook`` is: identity :class:`~lucid.autograd.Function` nodes around
the module's tensor inputs and output, whose backward sees ``grad_output`` first and
``grad_input`` once the module's gradient has passed through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._tensor import Tensor
from ..autograd import Function, is_grad_enabled
from ..autograd.hooks import RemovableHandle, add_hook

if TYPE_CHECKING:
    from .module import Module

#: Hooks every module runs (PyTorch's ``register_module_forward_*_hook``), before its own.
_global_forward_pre_hooks: dict[int, Callable[..., Any]] = {}
_global_forward_hooks: dict[int, Callable[..., Any]] = {}
_global_forward_hooks_always_called: dict[int, bool] = {}
_global_backward_hooks: dict[int, Callable[..., Any]] = {}


def register_module_forward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Run ``hook(module, args)`` before every module's forward (it may return new args)."""
    return add_hook(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook: Callable[..., Any], *,
                                 always_call: bool = False) -> RemovableHandle:
    """Run ``hook(module, args, output)`` after every module's forward (may return output)."""
    handle = add_hook(_global_forward_hooks, hook, False, _global_forward_hooks_always_called)
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def register_module_full_backward_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Run ``hook(module, grad_input, grad_output)`` in every module's backward."""
    return add_hook(_global_backward_hooks, hook)


_HOOK_DICTS = ("_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_forward_hooks",
               "_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_backward_hooks",
               "_backward_pre_hooks")


def init_hook_dicts(d: dict[str, Any]) -> dict[str, Any]:
    """Give a module's ``__dict__`` its (empty) hook dicts if it lacks them; returns ``d``."""
    for name in _HOOK_DICTS:
        if name not in d:
            d[name] = {}
    return d


def any_global_hooks() -> bool:
    """Whether a global hook is registered (``Module.__call__``'s fast path checks this)."""
    return bool(_global_forward_pre_hooks or _global_forward_hooks or _global_backward_hooks)


class _BackwardHookFunction(Function):
    """Identity whose backward hands the gradient to a :class:`_BackwardHook`."""

    @staticmethod
    def forward(ctx: Any, x: Any, state: _BackwardHook, side: str) -> Any:
        ctx.state = state
        ctx.side = side
        return x

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        state: _BackwardHook = ctx.state
        if ctx.side == "output":
            return state.on_grad_output(grad, ctx.backend), None, None
        return state.on_grad_input(grad, ctx.backend), None, None


def _tensor_positions(values: tuple[Any, ...], tensor_class: type) -> list[int]:
    return [i for i, v in enumerate(values) if isinstance(v, tensor_class)]


class _BackwardHook:
    """One forward call's backward hooks (PyTorch's ``torch.utils.hooks.BackwardHook``).

    Supports modules whose inputs and output hold at most one tensor that requires grad
    each (every lucid layer and model); a module with several raises a clear error rather
    than calling hooks with partial gradients.
    """

    def __init__(self, module: Module, full_hooks: list[Callable[..., Any]],
                 pre_hooks: list[Callable[..., Any]], tensor_class: type) -> None:
        self.module = module
        self.full_hooks = full_hooks
        self.pre_hooks = pre_hooks
        self.tensor_class = tensor_class
        self.n_inputs = 0
        self.input_index: int | None = None
        self.n_outputs = 1
        self.output_index = 0
        self.grad_outputs: tuple[Any, ...] | None = None

    def _only_one(self, values: tuple[Any, ...], what: str) -> int | None:
        wanted = [i for i in _tensor_positions(values, self.tensor_class)
                  if values[i].requires_grad]
        if len(wanted) > 1:
            raise RuntimeError(
                f"full backward hooks of {type(self.module).__name__}: its {what} holds "
                f"{len(wanted)} tensors that require grad; lucid supports backward hooks on "
                f"modules with at most one (hook a submodule or the tensors instead)")
        return wanted[0] if wanted else None

    def setup_inputs(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        """Wrap the input tensor that requires grad in an identity node."""
        self.n_inputs = len(args)
        if not is_grad_enabled():
            return args
        self.input_index = i = self._only_one(args, "input")
        if i is None:
            return args
        wrapped = _BackwardHookFunction.apply(args[i], self, "input")
        return args[:i] + (wrapped,) + args[i + 1:]

    def setup_output(self, result: Any) -> Any:
        """Wrap the output tensor (or the one tensor of a tuple output) in an identity node."""
        if not is_grad_enabled():
            return result
        is_tuple = isinstance(result, tuple)
        values = result if is_tuple else (result,)
        i = self._only_one(values, "output")
        if i is None:
            return result
        self.n_outputs, self.output_index = len(values), i
        wrapped = _BackwardHookFunction.apply(values[i], self, "output")
        if not is_tuple:
            return wrapped
        return values[:i] + (wrapped,) + values[i + 1:]

    def _wrap(self, grad: Any, backend: Any) -> Tensor:
        return self.tensor_class._wrap(grad, backend)

    def _pack(self, n: int, index: int | None, grad: Any) -> tuple[Any, ...]:
        return tuple(grad if k == index else None for k in range(n))

    def _unpack(self, res: Any, index: int | None, n: int, hook: Any) -> Any:
        if not isinstance(res, tuple) or len(res) != n:
            raise RuntimeError(f"backward hook {getattr(hook, '__name__', hook)!r} returned "
                               f"{res!r}; expected None or a tuple of {n} gradients")
        return res

    def on_grad_output(self, grad: Any, backend: Any) -> Any:
        grads = self._pack(self.n_outputs, self.output_index, self._wrap(grad, backend))
        for hook in self.pre_hooks:
            res = hook(self.module, grads)
            if res is not None:
                grads = self._unpack(res, None, self.n_outputs, hook)
        self.grad_outputs = grads
        if self.input_index is None:  # nothing upstream: the hooks run now, as in PyTorch
            none_inputs = (None,) * self.n_inputs
            for hook in self.full_hooks:
                res = hook(self.module, none_inputs, grads)
                if res is not None and not all(r is None for r in res):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
            self.grad_outputs = None
        out = grads[self.output_index]
        return None if out is None else out.data

    def on_grad_input(self, grad: Any, backend: Any) -> Any:
        grads = self._pack(self.n_inputs, self.input_index, self._wrap(grad, backend))
        for hook in self.full_hooks:
            res = hook(self.module, grads, self.grad_outputs)
            if res is not None:
                grads = self._unpack(res, self.input_index, self.n_inputs, hook)
        self.grad_outputs = None
        out = grads[self.input_index] if self.input_index is not None else None
        return None if out is None else out.data


def call_with_hooks(module: Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``module(*args, **kwargs)`` with every applicable hook (PyTorch's ``_call_impl``)."""
    d = init_hook_dicts(module.__dict__)
    full = [*_global_backward_hooks.values(), *d["_backward_hooks"].values()]
    pre_bw = list(d["_backward_pre_hooks"].values())
    bw = _BackwardHook(module, full, pre_bw, Tensor) if (full or pre_bw) else None
    for hook in _global_forward_pre_hooks.values():
        res = hook(module, args)
        if res is not None:
            args = res if isinstance(res, tuple) else (res,)
    for hid, hook in list(d["_forward_pre_hooks"].items()):
        if hid in d["_forward_pre_hooks_with_kwargs"]:
            res = hook(module, args, kwargs)
            if res is not None:
                if not (isinstance(res, tuple) and len(res) == 2):
                    raise RuntimeError(f"forward pre-hook {getattr(hook, '__name__', hook)!r} "
                                       f"registered with_kwargs=True must return None or a "
                                       f"tuple (args, kwargs), got {res!r}")
                args, kwargs = res
        else:
            res = hook(module, args)
            if res is not None:
                args = res if isinstance(res, tuple) else (res,)
    if bw is not None:
        args = bw.setup_inputs(args)
    called: set[int] = set()
    try:
        result = module.forward(*args, **kwargs)
        for hid, hook in _global_forward_hooks.items():
            called.add(hid)
            res = hook(module, args, result)
            if res is not None:
                result = res
        for hid, hook in list(d["_forward_hooks"].items()):
            called.add(hid)
            if hid in d["_forward_hooks_with_kwargs"]:
                res = hook(module, args, kwargs, result)
            else:
                res = hook(module, args, result)
            if res is not None:
                result = res
    except Exception:
        _always_call(module, args, kwargs, called)
        raise
    if bw is not None:
        result = bw.setup_output(result)
    return result


def _always_call(module: Module, args: tuple[Any, ...], kwargs: dict[str, Any],
                 called: set[int]) -> None:
    """After a failed forward, run the hooks registered with ``always_call=True`` (output None)."""
    d = module.__dict__
    for hid, hook in _global_forward_hooks.items():
        if hid in _global_forward_hooks_always_called and hid not in called:
            hook(module, args, None)
    for hid, hook in d["_forward_hooks"].items():
        if hid in d["_forward_hooks_always_called"] and hid not in called:
            if hid in d["_forward_hooks_with_kwargs"]:
                hook(module, args, kwargs, None)
            else:
                hook(module, args, None)


__all__ = ["RemovableHandle", "any_global_hooks", "call_with_hooks", "init_hook_dicts",
           "register_module_forward_hook", "register_module_forward_pre_hook",
           "register_module_full_backward_hook"]
