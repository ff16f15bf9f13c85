"""Compare autograd gradients with central finite differences.

Written against the tensor's interface and its backend only (host values as Python floats
through ``Backend.tolist``), so it checks any backend and needs no array library of its own.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from .grad_mode import no_grad


class GradcheckError(AssertionError):
    """Analytic and numerical gradients disagree."""


def _flat(t: Any) -> list[float]:
    """The values of tensor ``t`` as a flat list of Python floats."""
    b = t.backend
    return [float(v) for v in b.tolist(b.reshape(t.data, (-1,)))]


def _with_values(t: Any, values: list[float]) -> Any:
    """A detached tensor like ``t`` holding ``values`` (flat, in row-major order)."""
    b = t.backend
    probe = t.detach()
    probe.data = b.reshape(b.asarray(values, t.dtype), t.shape)
    return probe


def gradcheck(fn: Callable[..., Any], inputs: Sequence[Any], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
              seed: int = 0) -> bool:
    """Check ``fn``'s gradients w.r.t. every input that requires grad (use float64 inputs).

    A non-scalar output is reduced with a fixed random projection ``sum(out * v)`` so every
    output element contributes.
    """
    inputs = list(inputs)
    checked = [i for i, t in enumerate(inputs)
               if getattr(t, "requires_grad", False) and hasattr(t, "backend")]
    if not checked:
        raise ValueError("gradcheck: no input tensor has requires_grad=True")
    for i in checked:
        if inputs[i].dtype.name != "float64":
            raise TypeError(f"gradcheck: input {i} is {inputs[i].dtype}; use float64 inputs")

    out = fn(*inputs)
    b = out.backend
    rng = random.Random(seed)
    v = [rng.gauss(0.0, 1.0) for _ in range(out.numel())]

    def projected(outputs: Any) -> float:
        return sum(x * w for x, w in zip(_flat(outputs), v))

    for i in checked:
        inputs[i].grad = None
    out.backward(b.reshape(b.asarray(v, out.dtype), out.shape))
    ok = True
    messages = []
    for i in checked:
        t = inputs[i]
        base = _flat(t)
        analytic = [0.0] * len(base) if t.grad is None else _flat(t.grad)
        worst: tuple[float, int, float] | None = None
        for k, orig in enumerate(base):
            values = []
            for delta in (eps, -eps):
                probe = list(inputs)
                probe[i] = _with_values(t, base[:k] + [orig + delta] + base[k + 1:])
                with no_grad():
                    values.append(projected(fn(*probe)))
            numeric = (values[0] - values[1]) / (2 * eps)
            err = abs(analytic[k] - numeric)
            if err > atol + rtol * abs(numeric) and (worst is None or err > worst[0]):
                worst = (err, k, numeric)
        if worst is not None:
            ok = False
            err, k, numeric = worst
            messages.append(
                f"input {i} (shape {t.shape}): max |analytic - numeric| = {err:.3g} at flat "
                f"index {k} (analytic {analytic[k]:.6g}, numeric {numeric:.6g})"
            )
    if not ok and raise_exception:
        raise GradcheckError("gradient check failed:\n" + "\n".join(messages))
    return ok
