"""Run one expression in lucid and in PyTorch and compare values and gradients.

The tinygrad way of differential testing: a test names the expression once for each
framework (usually the same lambda body, since lucid follows PyTorch's names) and
:func:`compare` feeds both the same seeded inputs::

    compare(lambda x: x.logsumexp(1), lambda x: x.logsumexp(1), [(3, 4)])
    compare(F.gelu, torch.nn.functional.gelu, [(2, 5)], dtype="float32")

Inputs are given as shapes (standard normal values, shifted/scaled by ``low``/``high`` when
given) or as NumPy arrays (used as they are; integer arrays never require grad). The
outputs must agree to ``float64`` tight / ``float32`` loose tolerances, and so must the
gradients of every floating input, taken through the same random projection of the output.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import lucid

#: (rtol, atol) per dtype: float64 tight, float32 loose.
TOLERANCES = {"float64": (1e-10, 1e-12), "float32": (1e-5, 1e-6)}


def make_inputs(specs: Sequence[Any], dtype: str, seed: int, low: float | None = None,
                high: float | None = None) -> list[np.ndarray]:
    """Host arrays for ``specs`` (shapes become seeded normal or uniform values)."""
    rng = np.random.default_rng(seed)
    out = []
    for spec in specs:
        if isinstance(spec, np.ndarray):
            out.append(spec)
        elif low is not None and high is not None:
            out.append(rng.uniform(low, high, size=spec).astype(dtype))
        else:
            out.append(rng.standard_normal(spec).astype(dtype))
    return out


def _to_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach") and hasattr(value, "cpu") and not isinstance(value,
                                                                          lucid.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value.numpy() if isinstance(value, lucid.Tensor) else value)


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def compare(lucid_fn: Callable[..., Any], torch_fn: Callable[..., Any],
            inputs: Sequence[Any], *, dtype: str = "float64", seed: int = 0,
            grad: bool = True, low: float | None = None, high: float | None = None,
            rtol: float | None = None, atol: float | None = None) -> None:
    """Assert ``lucid_fn(*inputs)`` equals ``torch_fn(*inputs)``, values and input gradients.

    Tuple outputs are compared element by element; only floating outputs carry gradients.
    """
    import torch

    base_rtol, base_atol = TOLERANCES[dtype]
    rtol = base_rtol if rtol is None else rtol
    atol = base_atol if atol is None else atol
    host = make_inputs(inputs, dtype, seed, low, high)
    wants = [grad and a.dtype.kind == "f" for a in host]
    ours = [lucid.tensor(a, requires_grad=w) for a, w in zip(host, wants)]
    theirs = [torch.tensor(a, requires_grad=w) for a, w in zip(host, wants)]
    got, ref = _as_tuple(lucid_fn(*ours)), _as_tuple(torch_fn(*theirs))
    assert len(got) == len(ref), f"{len(got)} outputs, PyTorch gives {len(ref)}"
    for i, (g, r) in enumerate(zip(got, ref)):
        g_np, r_np = _to_numpy(g), _to_numpy(r)
        assert g_np.shape == r_np.shape, f"output {i}: shape {g_np.shape} != {r_np.shape}"
        np.testing.assert_allclose(g_np, r_np, rtol=rtol, atol=atol,
                                   err_msg=f"output {i} differs from PyTorch")
    if not any(wants):
        return
    rng = np.random.default_rng(seed + 1)
    ours_loss, theirs_loss = None, None
    for g, r in zip(got, ref):
        if not (isinstance(g, lucid.Tensor) and g.requires_grad):
            continue
        v = rng.standard_normal(g.shape).astype(dtype)
        term_ours = (g * lucid.tensor(v)).sum()
        term_theirs = (r * torch.tensor(v)).sum()
        ours_loss = term_ours if ours_loss is None else ours_loss + term_ours
        theirs_loss = term_theirs if theirs_loss is None else theirs_loss + term_theirs
    if ours_loss is None:
        return
    ours_loss.backward()
    theirs_loss.backward()
    for i, (o, t) in enumerate(zip(ours, theirs)):
        if not wants[i]:
            continue
        g_o = np.zeros(o.shape) if o.grad is None else o.grad.numpy()
        g_t = np.zeros(tuple(t.shape)) if t.grad is None else t.grad.numpy()
        np.testing.assert_allclose(g_o, g_t, rtol=rtol * 10, atol=atol * 10,
                                   err_msg=f"gradient of input {i} differs from PyTorch")
