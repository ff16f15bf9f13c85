"""``Module`` (the base of every layer and model) and ``Parameter`` (a trainable tensor).

A module registers what it is assigned: a :class:`Parameter` becomes a parameter, another
``Module`` a submodule, and :meth:`Module.register_buffer` declares non-trainable state
(such as batch-norm running statistics). Registered objects are also kept in the
instance ``__dict__`` so that reading ``self.weight`` on the hot path is a plain attribute
lookup with no ``__getattr__`` detour.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .. import _dtype
from .._tensor import Tensor, _is_dtype_like
from ..autograd import anomaly_mode as _anomaly_mode
from ..autograd.anomaly_mode import flags as _anomaly
from ..autograd.hooks import RemovableHandle
from ..autograd.hooks import add_hook as _add_hook
from ..backends import Backend, get_backend
from . import hooks as _hooks


class Parameter(Tensor):
    """A tensor that a :class:`Module` registers as trainable (requires grad by default)."""

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = Tensor([])
        if isinstance(data, Tensor):
            self.data = data.data
            self.backend = data.backend
            self.grad = None
            self._node = None
            self._retains_grad = False
            self._version = 0
            self.requires_grad = False
        else:
            Tensor.__init__(self, data)
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)


class StateDictError(RuntimeError):
    """A state dict does not fit a module (missing/unexpected keys or mismatched shapes)."""


class _IncompatibleKeys(tuple):
    """``(missing_keys, unexpected_keys)`` returned by :meth:`Module.load_state_dict`."""

    __slots__ = ()

    def __new__(cls, missing: list[str], unexpected: list[str]) -> _IncompatibleKeys:
        return super().__new__(cls, (missing, unexpected))

    @property
    def missing_keys(self) -> list[str]:
        """Keys the module expected but the state dict lacked."""
        return self[0]

    @property
    def unexpected_keys(self) -> list[str]:
        """Keys in the state dict that the module does not have."""
        return self[1]

    def __repr__(self) -> str:
        if not self[0] and not self[1]:
            return "<All keys matched>"
        return f"IncompatibleKeys(missing_keys={self[0]}, unexpected_keys={self[1]})"


def _copy_native(b: Backend, value: Any, dtype: _dtype.DType) -> Any:
    """A fresh native array on ``b`` of ``dtype`` holding ``value`` (Tensor, array or number)."""
    if isinstance(value, Tensor):
        src = value.backend
        arr = value.data if src is b else b.asarray(src.to_numpy(value.data))
    else:
        arr = b.asarray(value)
    arr = b.astype(arr, dtype)
    return b.add(b.zeros(tuple(b.shape(arr)), dtype), arr)  # never alias the caller's array


def _value_shape(value: Any, b: Backend) -> tuple[int, ...]:
    """Shape of a Tensor, an array-like with ``.shape``, or nested lists/numbers."""
    shape = getattr(value, "shape", None)
    if shape is None:
        shape = b.shape(b.asarray(value))
    return tuple(int(s) for s in shape)


def clear_grads(params: Any, set_to_none: bool = True) -> None:
    """Set each tensor's ``.grad`` to None, or to fresh zeros (never zeroing a shared array)."""
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            g = p.grad
            p.grad = Tensor._wrap(g.backend.zeros(g.shape, g.dtype), g.backend)


class Module:
    """Base class of all layers and models: holds parameters, buffers and submodules."""

    training: bool

    def __init__(self) -> None:
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent"] = set()
        d["_modules"] = OrderedDict()
        _hooks.init_hook_dicts(d)

    # ------------------------------------------------------------- calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the module's output; subclasses override this."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # anomaly mode names the running module in its errors: publish it (else one flag read)
        token = _anomaly_mode.enter_module(self) if _anomaly.enabled else None
        try:
            if self._has_hooks():
                return _hooks.call_with_hooks(self, args, kwargs)
            return self.forward(*args, **kwargs)
        finally:
            if token is not None:
                _anomaly_mode.exit_module(token)

    def _has_hooks(self) -> bool:
        """True when calling the module runs hooks (its own or global) around ``forward``."""
        d = self.__dict__
        return bool(d.get("_forward_hooks") or d.get("_forward_pre_hooks")
                    or d.get("_backward_hooks") or d.get("_backward_pre_hooks")
                    or _hooks.any_global_hooks())

    def _calls_forward_only(self) -> bool:
        """True when ``module(x)`` is exactly ``module.forward(x)``: no hooks, no anomaly
        mode. A parent may then fuse this module's work into its own (ConvBNReLU2d)."""
        return not _anomaly.enabled and not self._has_hooks()

    # ---------------------------------------------------------------- hooks
    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Run ``hook(module, args)`` before ``forward``; a non-None result replaces ``args``.

        With ``with_kwargs=True`` the hook is ``hook(module, args, kwargs)`` and returns None
        or ``(args, kwargs)``. ``prepend`` runs it before the hooks already registered.
        """
        d = _hooks.init_hook_dicts(self.__dict__)
        handle = _add_hook(d["_forward_pre_hooks"], hook, prepend,
                           d["_forward_pre_hooks_with_kwargs"])
        if with_kwargs:
            d["_forward_pre_hooks_with_kwargs"][handle.id] = True
        return handle

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                              with_kwargs: bool = False, always_call: bool = False,
                              ) -> RemovableHandle:
        """Run ``hook(module, args, output)`` after ``forward``; a non-None result replaces
        the output. ``with_kwargs``: ``hook(module, args, kwargs, output)``; ``always_call``:
        also run (with output None) when ``forward`` raises.
        """
        d = _hooks.init_hook_dicts(self.__dict__)
        handle = _add_hook(d["_forward_hooks"], hook, prepend, d["_forward_hooks_with_kwargs"],
                           d["_forward_hooks_always_called"])
        if with_kwargs:
            d["_forward_hooks_with_kwargs"][handle.id] = True
        if always_call:
            d["_forward_hooks_always_called"][handle.id] = True
        return handle

    def register_full_backward_pre_hook(self, hook: Callable[..., Any], *,
                                        prepend: bool = False) -> RemovableHandle:
        """Run ``hook(module, grad_output)`` when the output's gradient is known; a non-None
        result (a tuple like ``grad_output``) replaces it."""
        d = _hooks.init_hook_dicts(self.__dict__)
        return _add_hook(d["_backward_pre_hooks"], hook, prepend)

    def register_full_backward_hook(self, hook: Callable[..., Any], *,
                                    prepend: bool = False) -> RemovableHandle:
        """Run ``hook(module, grad_input, grad_output)`` once the gradients with respect to
        the module's positional inputs are known; a non-None result replaces ``grad_input``.

        ``grad_input`` has one entry per positional argument (None for non-tensors and
        tensors that need no gradient), ``grad_output`` one per output, as in PyTorch.
        """
        d = _hooks.init_hook_dicts(self.__dict__)
        return _add_hook(d["_backward_hooks"], hook, prepend)

    # -------------------------------------------------------- registration
    def _require_init(self, what: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {what} before Module.__init__() is called; "
                                 f"call super().__init__() first in {type(self).__name__}")

    def _forget(self, name: str, keep: str = "") -> None:
        """Drop ``name`` from the registries other than ``keep`` (which keeps its position,
        as in PyTorch: replacing a Sequential's layer or a parameter keeps the order)."""
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry != keep:
                d[registry].pop(name, None)
        d["_non_persistent"].discard(name)

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if isinstance(value, Parameter):
            self._require_init("parameters")
            self._forget(name, "_parameters")
            d["_parameters"][name] = value
        elif isinstance(value, Module):
            self._require_init("submodules")
            self._forget(name, "_modules")
            d["_modules"][name] = value
        elif "_parameters" in d and name in d["_parameters"]:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} "
                                "(a lucid.nn.Parameter or None expected)")
            d["_parameters"][name] = None
        elif "_buffers" in d and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} "
                                "(a lucid.Tensor or None expected)")
            d["_buffers"][name] = value
        elif "_modules" in d and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as submodule {name!r} "
                                "(a lucid.nn.Module or None expected)")
            d["_modules"][name] = None
        d[name] = value

    def __delattr__(self, name: str) -> None:
        if name in self.__dict__.get("_parameters", ()) or name in self.__dict__.get(
                "_buffers", ()) or name in self.__dict__.get("_modules", ()):
            self._forget(name)
        object.__delattr__(self, name)

    def _check_name(self, name: Any, kind: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{kind} name must be a str, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{kind} name must be non-empty and contain no '.', got {name!r}")
        reg = (self.__dict__["_parameters"], self.__dict__["_buffers"],
               self.__dict__["_modules"])
        taken = name in self.__dict__ or hasattr(type(self), name)
        if taken and not any(name in r for r in reg):
            raise KeyError(f"attribute {name!r} already exists on {type(self).__name__}")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None, a declared-but-absent parameter) under ``name``."""
        self._require_init("parameters")
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter({name!r}): expected a lucid.nn.Parameter or "
                            f"None, got {type(param).__name__}")
        self._forget(name)
        self.__dict__["_parameters"][name] = param
        self.__dict__[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register non-trainable state; ``persistent=False`` keeps it out of the state dict."""
        self._require_init("buffers")
        self._check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer({name!r}): expected a lucid.Tensor or None, got "
                            f"{type(tensor).__name__}")
        self._forget(name)
        self.__dict__["_buffers"][name] = tensor
        if not persistent:
            self.__dict__["_non_persistent"].add(name)
        self.__dict__[name] = tensor

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a submodule called ``name``."""
        self._require_init("submodules")
        self._check_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module({name!r}): expected a lucid.nn.Module or None, got "
                            f"{type(module).__name__}")
        self._forget(name)
        self.__dict__["_modules"][name] = module
        self.__dict__[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """Return the submodule at the dotted path ``target`` ("" is the module itself)."""
        mod: Module = self
        if not target:
            return mod
        for part in target.split("."):
            child = mod._modules.get(part)
            if child is None:
                raise AttributeError(f"{type(mod).__name__} has no submodule {part!r} "
                                     f"(looking up {target!r})")
            mod = child
        return mod

    # ------------------------------------------------------------ iteration
    def named_modules(self, memo: set[int] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """Yield ``(dotted_name, module)`` for this module and every descendant, once each."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is None:
                continue
            yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                           remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """Yield this module and every descendant."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Yield ``(name, module)`` for the direct submodules."""
        seen: set[int] = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        """Yield the direct submodules."""
        for _, child in self.named_children():
            yield child

    def _named_members(self, attr: str, prefix: str, recurse: bool,
                       skip: Callable[[Module, str], bool] | None = None,
                       ) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        mods = self.named_modules(prefix=prefix) if recurse else iter([(prefix, self)])
        for mprefix, mod in mods:
            for name, t in getattr(mod, attr).items():
                if t is None or id(t) in seen or (skip is not None and skip(mod, name)):
                    continue
                seen.add(id(t))
                yield (f"{mprefix}.{name}" if mprefix else name), t

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         ) -> Iterator[tuple[str, Parameter]]:
        """Yield ``(dotted_name, parameter)``; a parameter shared by modules appears once."""
        yield from self._named_members("_parameters", prefix, recurse)  # type: ignore[misc]

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Yield the parameters (each shared parameter once)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      ) -> Iterator[tuple[str, Tensor]]:
        """Yield ``(dotted_name, buffer)`` for every registered buffer."""
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Yield the buffers."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def num_parameters(self, trainable_only: bool = False) -> int:
        """Total number of parameter elements (only those requiring grad if asked)."""
        return sum(p.numel() for p in self.parameters()
                   if p.requires_grad or not trainable_only)

    # ------------------------------------------------------------ modes, grads
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode on every module; returns self."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode) expects a bool, got {mode!r}")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        """Set evaluation mode (batch-norm uses running statistics, dropout is off)."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` on every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every parameter (to None, or to zeros)."""
        clear_grads(self.parameters(), set_to_none)

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule (children first) and then on self; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------ state dict
    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Parameters and persistent buffers by dotted name (detached unless ``keep_vars``)."""
        out: OrderedDict[str, Tensor] = OrderedDict()
        for mprefix, mod in self.named_modules(prefix=prefix, remove_duplicate=False):
            dot = f"{mprefix}." if mprefix else ""
            for name, p in mod._parameters.items():
                if p is not None:
                    out[dot + name] = p if keep_vars else p.detach()
            for name, b in mod._buffers.items():
                if b is not None and name not in mod._non_persistent:
                    out[dot + name] = b if keep_vars else b.detach()
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        ) -> _IncompatibleKeys:
        """Copy values (lucid Tensors or NumPy arrays) into the parameters and buffers.

        Returns ``(missing_keys, unexpected_keys)``; with ``strict`` either kind is an error.
        A shape mismatch is always an error. Values are converted to each target's dtype
        and backend.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict expects a mapping of name -> tensor, got "
                            f"{type(state_dict).__name__}")
        targets = self.state_dict(keep_vars=True)
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        if strict and (missing or unexpected):
            lines = [f"error(s) in loading state_dict for {type(self).__name__}:"]
            if missing:
                lines.append(f"  missing keys ({len(missing)}): {missing}")
            if unexpected:
                lines.append(f"  unexpected keys ({len(unexpected)}): {unexpected}")
            raise StateDictError("\n".join(lines))
        mismatched = []
        for key, target in targets.items():
            if key in state_dict:
                got = _value_shape(state_dict[key], target.backend)
                if got != target.shape:
                    mismatched.append(f"{key!r}: expected shape {target.shape}, got {got}")
        if mismatched:
            raise StateDictError(f"size mismatch in loading state_dict for {type(self).__name__}: "
                             + "; ".join(mismatched))
        for key, target in targets.items():
            if key in state_dict:
                target.data = _copy_native(target.backend, state_dict[key], target.dtype)
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------ conversion
    def _tensors(self) -> Iterator[Tensor]:
        seen: set[int] = set()
        for mod in self.modules():
            for t in list(mod._parameters.values()) + list(mod._buffers.values()):
                if t is not None and id(t) not in seen:
                    seen.add(id(t))
                    yield t

    def to(self, target: Any = None, dtype: Any = None) -> Module:
        """Move parameters and buffers in place to a backend and/or floating dtype; returns self.

        ``model.to("cupy")`` moves the model to CuPy; ``model.to(lucid.float64)`` casts the
        floating-point parameters and buffers (integer buffers keep their dtype).
        """
        if target is not None and dtype is None and _is_dtype_like(target):
            target, dtype = None, target
        new_b = get_backend(target) if target is not None else None
        new_dt = _dtype.get_dtype(dtype) if dtype is not None else None
        if new_dt is not None and not new_dt.is_floating:
            raise TypeError(f"Module.to(dtype) accepts only floating dtypes, got {new_dt}")
        for t in self._tensors():
            _move(t, new_b, new_dt)
            if t.grad is not None:
                _move(t.grad, new_b, new_dt)
        return self

    def float(self) -> Module:
        """Cast floating-point parameters and buffers to float32."""
        return self.to(_dtype.float32)

    def double(self) -> Module:
        """Cast floating-point parameters and buffers to float64."""
        return self.to(_dtype.float64)

    # ------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        """Extra text shown inside this module's ``repr`` parentheses (override in layers)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        children = [(n, m) for n, m in self._modules.items() if m is not None]
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = extra.split("\n") if extra else []
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {body}")
        inner = "\n  ".join(lines)
        return f"{type(self).__name__}(\n  {inner}\n)"


def _move(t: Tensor, backend: Backend | None, dtype: _dtype.DType | None) -> None:
    """Re-home ``t``'s data in place on ``backend`` and/or cast it to ``dtype`` if floating."""
    if backend is not None and backend is not t.backend:
        t.data = backend.asarray(t.backend.to_numpy(t.data))
        t.backend = backend
    if dtype is not None and t.dtype.is_floating and t.dtype != dtype:
        t.data = t.backend.astype(t.data, dtype)
