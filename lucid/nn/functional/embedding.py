"""Embedding lookup: rows of a weight matrix picked by integer indices."""

from __future__ import annotations

from typing import Any

from ..._tensor import Tensor
from ...autograd import Function
from ...autograd.engine import Node


class EmbeddingLookup(Function):
    """``weight[indices]``; the gradient scatter-adds into the used rows only.

    Rows looked up through ``padding_idx`` receive no gradient, as in PyTorch; with
    ``scale_grad_by_freq`` each row's gradient is divided by how often the batch used it.
    """

    @staticmethod
    def forward(ctx: Node, weight: Any, indices: Any, padding_idx: int | None,
                scale_grad_by_freq: bool) -> Any:
        b = ctx.backend
        ctx.save_for_backward(indices)
        ctx.params = (tuple(b.shape(weight)), b.dtype_of(weight), padding_idx,
                      scale_grad_by_freq)
        return b.getitem(weight, indices)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None, None, None]:
        b = ctx.backend
        (indices,) = ctx.saved_tensors
        shape, dtype, padding_idx, by_freq = ctx.params
        column = tuple(b.shape(indices)) + (1,)
        if padding_idx is not None:
            g = b.where(b.reshape(b.not_equal(indices, padding_idx), column), g, 0.0)
        if by_freq:
            counts = b.scatter_add(b.zeros((shape[0],), dtype), indices,
                                   b.ones(tuple(b.shape(indices)), dtype))
            g = b.divide(g, b.reshape(b.getitem(counts, indices), column))
        return b.scatter_add(b.zeros(shape, dtype), indices, g), None, None, None


def _renorm_rows(weight: Tensor, indices: Tensor, max_norm: float, norm_type: float) -> None:
    """Scale the looked-up rows whose ``norm_type``-norm exceeds ``max_norm`` down to it, in
    place and outside autograd (PyTorch's ``embedding_renorm_``)."""
    b = weight.backend
    w = weight._data
    used = b.greater(b.scatter_add(b.zeros((weight.shape[0],), weight.dtype), indices._data,
                                   b.ones(indices.shape, weight.dtype)), 0)
    norms = b.power(b.sum(b.power(b.abs(w), norm_type), (1,), False), 1.0 / norm_type)
    shrink = b.logical_and(used, b.greater(norms, max_norm))
    scale = b.where(shrink, b.divide(max_norm, b.add(norms, 1e-7)), 1.0)
    weight.data = b.multiply(w, b.reshape(b.astype(scale, weight.dtype), (weight.shape[0], 1)))


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look up rows of the ``(num_embeddings, dim)`` ``weight`` at the integer ``input``.

    ``max_norm`` renormalises the looked-up rows of ``weight`` in place first, as PyTorch.
    """
    if sparse:
        raise ValueError("embedding: sparse=True is not supported (lucid has no sparse "
                         "gradients); use sparse=False")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {weight.shape}")
    if not isinstance(input, Tensor):
        input = Tensor(input, backend=weight.backend)
    if input.dtype.name not in ("int32", "int64", "uint8"):
        raise TypeError(f"embedding: input must hold integer indices, got dtype "
                        f"{input.dtype.name}")
    num = weight.shape[0]
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"embedding: padding_idx={padding_idx} must be within "
                             f"[-{num}, {num - 1}] for {num} embeddings")
        padding_idx %= num
    if input.numel():
        lo, hi = int(input.min().item()), int(input.max().item())
        if lo < 0 or hi >= num:
            raise IndexError(f"embedding: index {lo if lo < 0 else hi} is out of range for "
                             f"{num} embeddings (input values must be in [0, {num - 1}])")
    if max_norm is not None:
        _renorm_rows(weight, input, float(max_norm), float(norm_type))
    return EmbeddingLookup.apply(weight, input, padding_idx, bool(scale_grad_by_freq))
