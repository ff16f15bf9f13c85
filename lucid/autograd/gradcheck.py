"""Compare autograd gradients with central finite differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


class GradcheckError(AssertionError):
    """Analytic and numerical gradients disagree."""


def gradcheck(fn: Callable[..., Any], inputs: Sequence[Any], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
              seed: int = 0) -> bool:
    """Check ``fn``'s gradients w.r.t. every input that requires grad (use float64 inputs).

    A non-scalar output is reduced with a fixed random projection ``sum(out * v)`` so every
    output element contributes.
    """
    import numpy as np  # host-side bookkeeping only; fn runs on the inputs' backend

    from .._tensor import Tensor
    from .grad_mode import no_grad

    inputs = list(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input tensor has requires_grad=True")
    for i in checked:
        if inputs[i].dtype.name != "float64":
            raise TypeError(f"gradcheck: input {i} is {inputs[i].dtype}; use float64 inputs")

    out = fn(*inputs)
    b = out.backend
    rng = np.random.default_rng(seed)
    v_host = rng.standard_normal(out.shape)
    v = Tensor._wrap(b.asarray(v_host, out.dtype), b)

    def scalar(outputs: Any) -> float:
        return float(np.sum(np.asarray(b.to_numpy(outputs.data), dtype=np.float64) * v_host))

    for i in checked:
        inputs[i].grad = None
    (out * v).sum().backward()
    ok = True
    messages = []
    for i in checked:
        t = inputs[i]
        analytic = np.zeros(t.shape) if t.grad is None else np.asarray(t.grad.numpy())
        base = np.array(t.backend.to_numpy(t.data), dtype=np.float64, copy=True)
        numeric = np.zeros_like(base)
        flat = base.reshape(-1)
        for k in range(flat.size):
            orig = flat[k]
            vals = []
            for delta in (eps, -eps):
                flat[k] = orig + delta
                probe = [x for x in inputs]
                probe[i] = Tensor._wrap(t.backend.asarray(base.copy(), t.dtype), t.backend)
                with no_grad():
                    vals.append(scalar(fn(*probe)))
            flat[k] = orig
            numeric.reshape(-1)[k] = (vals[0] - vals[1]) / (2 * eps)
        err = np.abs(analytic - numeric)
        bad = err > atol + rtol * np.abs(numeric)
        if bad.any():
            ok = False
            j = np.unravel_index(int(np.argmax(err)), err.shape) if err.ndim else ()
            messages.append(
                f"input {i} (shape {t.shape}): max |analytic - numeric| = {err.max():.3g} at "
                f"{tuple(int(x) for x in j)} (analytic {analytic[j]:.6g}, numeric {numeric[j]:.6g})"
            )
    if not ok and raise_exception:
        raise GradcheckError("gradient check failed:\n" + "\n".join(messages))
    return ok
