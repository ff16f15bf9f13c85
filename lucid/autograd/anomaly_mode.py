"""Anomaly detection, as PyTorch's ``torch.autograd.detect_anomaly``: find the op that made a NaN.

Off by default; the only cost then is one attribute read per op (``flags.enabled``) and per
module call. When on (``with lucid.autograd.detect_anomaly(): ...``,
``@detect_anomaly()`` or ``set_detect_anomaly(True)``):

- every op recorded for backward keeps the stack of its forward call, and the modules it ran
  in (``Module.__call__`` publishes them through :func:`enter_module`);
- with ``check_nan=True`` (the default), the first op whose **forward** output has NaN or
  infinite values while its inputs had none (tensors, or a number such as the ``-inf`` that
  max pooling pads with) raises a ``RuntimeError`` naming the op and, inside a model, the
  module (``"layer2.0.conv1 (Conv2d)"``). PyTorch checks only the backward pass;
  lucid checks both, since the op that creates the NaN is the one worth naming;
- in **backward**, the first function whose computed gradient has NaN or infinite values
  (while the gradient it received had none) raises ``RuntimeError("Function 'LogBackward'
  returned nan values in its 0th output.")``, PyTorch's wording (lucid also refuses ``inf``,
  which PyTorch lets through until it turns into a NaN further down);
- any error raised in a backward function is reported with the forward call's traceback: a
  ``UserWarning`` like PyTorch's "Error detected in ...", and a note on the exception.

The mode is global to the process, like PyTorch's; the module stack is context-local.
"""

from __future__ import annotations

import contextvars
import functools
import math
import traceback
import warnings
from collections.abc import Callable
from typing import Any


class _Flags:
    """The switches read on the hot path (plain attributes of one object)."""

    __slots__ = ("enabled", "check_nan")

    def __init__(self) -> None:
        self.enabled = False
        self.check_nan = True


#: Read by ``Function.apply``, the backward pass and ``Module.__call__``.
flags = _Flags()

#: The modules whose forward is running, outermost first (maintained only when enabled).
_modules: contextvars.ContextVar[tuple[Any, ...]] = contextvars.ContextVar(
    "lucid_anomaly_modules", default=())


def is_anomaly_enabled() -> bool:
    """Return True while anomaly detection is on."""
    return flags.enabled


def is_anomaly_check_nan_enabled() -> bool:
    """Return True when anomaly detection also checks values for NaN/inf."""
    return flags.check_nan


def _check_mode(mode: Any, check_nan: Any, owner: str) -> None:
    for name, v in (("mode", mode), ("check_nan", check_nan)):
        if not isinstance(v, bool):
            raise TypeError(f"{owner}: {name} must be a bool, got {v!r}")


class detect_anomaly:
    """Context manager / decorator turning anomaly detection on inside (as in PyTorch)."""

    def __init__(self, check_nan: bool = True) -> None:
        _check_mode(True, check_nan, "detect_anomaly")
        self.check_nan = check_nan
        self.prev: tuple[bool, bool] = (flags.enabled, flags.check_nan)

    def __enter__(self) -> None:
        self.prev = (flags.enabled, flags.check_nan)
        flags.enabled, flags.check_nan = True, self.check_nan

    def __exit__(self, *exc: Any) -> None:
        flags.enabled, flags.check_nan = self.prev

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off now; as a context manager, restore it on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        _check_mode(mode, check_nan, "set_detect_anomaly")
        self.prev = (flags.enabled, flags.check_nan)
        flags.enabled, flags.check_nan = mode, check_nan

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        flags.enabled, flags.check_nan = self.prev


# ---------------------------------------------------------------------- the module stack
def enter_module(module: Any) -> contextvars.Token[tuple[Any, ...]]:
    """Record that ``module``'s forward is running (call :func:`exit_module` with the token)."""
    return _modules.set(_modules.get() + (module,))


def exit_module(token: contextvars.Token[tuple[Any, ...]]) -> None:
    """Undo the matching :func:`enter_module`."""
    _modules.reset(token)


def _child_name(parent: Any, child: Any) -> str | None:
    """``child``'s qualified name inside ``parent`` (duck-typed: this layer sits below nn)."""
    named = getattr(parent, "named_modules", None)
    if named is None:
        return None
    for name, m in named():
        if m is child and name:
            return str(name)
    return None


def module_path(stack: tuple[Any, ...]) -> str | None:
    """``"layer2.0.conv1 (Conv2d)"`` for a stack of running modules (None when empty).

    Names are relative to the outermost module; a module that is not a registered submodule of
    the one that called it starts the path again from itself.
    """
    if not stack:
        return None
    parts: list[str] = []
    for parent, child in zip(stack, stack[1:], strict=False):
        name = _child_name(parent, child)
        parts = parts + [name] if name is not None else []
    leaf = type(stack[-1]).__name__
    return f"{'.'.join(parts)} ({leaf})" if parts else f"the top-level module ({leaf})"


# ---------------------------------------------------------------------- checks
def _bad_values(b: Any, a: Any) -> str | None:
    """``"nan"`` or ``"inf"`` when the floating array ``a`` has such values, else None."""
    dt = b.dtype_of(a)
    if not getattr(dt, "is_floating", False):
        return None
    if b.item(b.all(b.isfinite(a), None, False)):
        return None
    return "nan" if b.item(b.any(b.isnan(a), None, False)) else "inf"


def record_forward(ctx: Any) -> None:
    """Keep the forward call's stack and modules on the graph node (for backward errors)."""
    ctx.__dict__["_anomaly_forward"] = (traceback.extract_stack()[:-2], _modules.get())


def check_forward(fn: type, ctx: Any, backend: Any, arrays: list[Any], is_tensor: list[bool],
                  out: Any) -> None:
    """Raise when ``fn`` produced NaN/inf from inputs without any.

    ``backend`` is the inputs' backend; the output's is ``ctx.backend`` (an op may move it).
    """
    if not flags.check_nan:
        return
    what = _bad_values(ctx.backend, out)
    if what is None:
        return
    for a, tensor in zip(arrays, is_tensor, strict=True):
        if tensor and _bad_values(backend, a) is not None:
            return  # propagated from an input: an earlier op (or the data) made it
        if not tensor and isinstance(a, float) and not math.isfinite(a):
            return  # asked for (padding or filling with -inf, as max pooling does)
    where = module_path(_modules.get())
    inside = f" in module {where}" if where else ""
    raise RuntimeError(f"Function '{fn.__name__}' returned {what} values in its output{inside}"
                       f" (forward), though its inputs had none. Anomaly detection is on "
                       f"(lucid.autograd.detect_anomaly); the forward call is in the "
                       f"traceback below.")


def run_backward(node: Any, grad: Any) -> tuple[Any, ...]:
    """``node.run_backward(grad)``, checked for NaN/inf, with the forward traceback on error."""
    try:
        grads = node.run_backward(grad)
        if flags.check_nan:
            b = node.backend
            for i, g in enumerate(grads):
                what = None if g is None else _bad_values(b, g)
                if what is not None and _bad_values(b, grad) is None:
                    raise RuntimeError(f"Function '{node.name}Backward' returned {what} values "
                                       f"in its {i}th output.")
        return grads
    except Exception as e:
        _report(node, e)
        raise


def _report(node: Any, error: BaseException) -> None:
    """Warn with, and note on ``error``, where the failing node's forward was called."""
    forward = node.__dict__.get("_anomaly_forward")
    if forward is None:  # recorded before the mode was turned on
        return
    stack, modules = forward
    where = module_path(modules)
    inside = f" (in module {where})" if where else ""
    text = (f"Error detected in {node.name}Backward{inside}. Traceback of forward call that "
            f"caused the error:\n{''.join(traceback.format_list(stack))}")
    warnings.warn(text, stacklevel=4)
    add_note = getattr(error, "add_note", None)  # Python 3.11+: printed with the traceback
    if add_note is not None:
        add_note(text)
    else:  # Python 3.10 keeps it there, for whoever catches the error
        error.__notes__ = [*getattr(error, "__notes__", []), text]  # type: ignore[attr-defined]


__all__ = ["detect_anomaly", "is_anomaly_check_nan_enabled", "is_anomaly_enabled",
           "set_detect_anomaly"]
