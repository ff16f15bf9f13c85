"""Training utilities in PyTorch's ``torch.nn.utils`` form: gradient clipping and flattening
parameters into one vector (for line searches, model averaging, second-order methods).

Gradients are replaced, never modified in place: several tensors may share one gradient
array (see :mod:`lucid.optim.optimizer`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .._creation import tensor
from .._tensor import Tensor
from ..backends import Backend, MixedBackendError
from ..ops import concatenate, reshape
from .fusion import fuse_conv_bn, fuse_conv_bn_eval, fuse_conv_bn_weights

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "fuse_conv_bn",
           "fuse_conv_bn_eval", "fuse_conv_bn_weights", "get_total_norm",
           "parameters_to_vector", "vector_to_parameters"]


def _tensors(parameters: Tensor | Iterable[Tensor], fn: str) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{fn}: parameter {i} is a {type(p).__name__}, expected a lucid "
                            "Tensor (e.g. from model.parameters())")
    return params


def _one_backend(tensors: list[Tensor], fn: str) -> Backend:
    b = tensors[0].backend
    for t in tensors[1:]:
        if t.backend is not b:
            raise MixedBackendError(f"{fn}: tensors are on backends {b.name!r} and "
                                    f"{t.backend.name!r}; move them to one backend first")
    return b


def _vector_norm(b: Backend, g: Any, norm_type: float) -> Any:
    """The ``norm_type``-norm of all entries of ``g`` as a 0-d array (like ``vector_norm``)."""
    a = b.abs(g)
    if norm_type == math.inf:
        return b.max(a, None, False)
    if norm_type == -math.inf:
        return b.min(a, None, False)
    if norm_type == 0:
        return b.sum(b.astype(b.not_equal(a, 0.0), b.dtype_of(g)), None, False)
    if norm_type == 1:
        return b.sum(a, None, False)
    if norm_type == 2:
        return b.sqrt(b.sum(b.multiply(a, a), None, False))
    return b.power(b.sum(b.power(a, float(norm_type)), None, False), 1.0 / norm_type)


def get_total_norm(tensors: Tensor | Iterable[Tensor], norm_type: float = 2.0,
                   error_if_nonfinite: bool = False) -> Tensor:
    """The ``norm_type``-norm of all the tensors' entries together, a 0-d tensor (0 for none).

    ``norm_type`` may be ``inf`` (largest magnitude) or 0 (count of non-zeros). With
    ``error_if_nonfinite`` a NaN or infinite norm raises ``RuntimeError``.
    """
    norm_type = float(norm_type)
    if math.isnan(norm_type):
        raise ValueError("get_total_norm: norm_type must be a number or inf, got nan")
    ts = _tensors(tensors, "get_total_norm")
    if not ts:
        return tensor(0.0)
    b = _one_backend(ts, "get_total_norm")
    dtype = ts[0].dtype
    norms = [b.astype(_vector_norm(b, t.data, norm_type), dtype) for t in ts]
    total = _vector_norm(b, b.stack(norms, 0), norm_type)
    if error_if_nonfinite and not math.isfinite(value := float(b.item(total))):
        raise RuntimeError(f"the total norm of order {norm_type} of the gradients is {value}, "
                           "so they cannot be clipped; pass error_if_nonfinite=False to clip "
                           "anyway")
    return Tensor._wrap(total, b)


def clip_grads_with_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                          total_norm: Tensor) -> None:
    """Scale every gradient by ``min(max_norm / (total_norm + 1e-6), 1)`` (PyTorch's factor)."""
    params = [p for p in _tensors(parameters, "clip_grads_with_norm_") if p.grad is not None]
    if not params:
        return
    grads: list[Tensor] = [p.grad for p in params]  # type: ignore[misc]
    b = _one_backend(grads, "clip_grads_with_norm_")
    total = total_norm.data if isinstance(total_norm, Tensor) else float(total_norm)
    coef = b.minimum(b.divide(float(max_norm), b.add(total, 1e-6)), 1.0)
    for p, g in zip(params, grads, strict=True):
        p.grad = Tensor._wrap(b.astype(b.multiply(g.data, coef), g.dtype), b)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale the gradients so that their joint ``norm_type``-norm is at most ``max_norm``.

    Returns the total norm before clipping, a 0-d tensor (0 when no parameter has a
    gradient): :func:`get_total_norm` of the gradients, then :func:`clip_grads_with_norm_`,
    as in PyTorch. With ``error_if_nonfinite`` a NaN or infinite total norm raises instead of
    spreading NaNs into every parameter.
    """
    params = _tensors(parameters, "clip_grad_norm_")
    grads = [p.grad for p in params if p.grad is not None]
    try:
        total = get_total_norm(grads, norm_type, error_if_nonfinite)  # type: ignore[arg-type]
    except (RuntimeError, ValueError) as e:
        raise type(e)(f"clip_grad_norm_: {e}") from None
    clip_grads_with_norm_(params, max_norm, total)
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry into ``[-clip_value, clip_value]``."""
    clip_value = float(clip_value)
    for p in _tensors(parameters, "clip_grad_value_"):
        if p.grad is not None:
            g = p.grad
            p.grad = Tensor._wrap(g.backend.clip(g.data, -clip_value, clip_value), g.backend)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Concatenate the parameters, flattened, into one 1-D tensor (differentiable)."""
    params = _tensors(parameters, "parameters_to_vector")
    if not params:
        raise ValueError("parameters_to_vector: got no parameters")
    _one_backend(params, "parameters_to_vector")
    return concatenate([reshape(p, -1) for p in params], 0)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters' data (not recorded)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: vec must be a lucid Tensor, got "
                        f"{type(vec).__name__}")
    if vec.ndim != 1:
        raise ValueError(f"vector_to_parameters: vec must be 1-D, got shape {vec.shape}")
    params = _tensors(parameters, "vector_to_parameters")
    total = sum(p.numel() for p in params)
    if total != vec.shape[0]:
        raise ValueError(f"vector_to_parameters: vec has {vec.shape[0]} elements, the "
                         f"parameters need {total}")
    b = vec.backend
    start = 0
    for p in params:
        if p.backend is not b:
            raise MixedBackendError(f"vector_to_parameters: vec is on backend {b.name!r}, a "
                                    f"parameter on {p.backend.name!r}")
        n = p.numel()
        piece = b.getitem(vec.data, slice(start, start + n))
        p.data = b.astype(b.reshape(piece, p.shape), p.dtype)
        start += n
