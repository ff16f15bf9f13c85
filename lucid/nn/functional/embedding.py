"""Embedding lookup: rows of a weight matrix picked by integer indices."""

from __future__ import annotations

from typing import Any

from ..._tensor import Tensor
from ...autograd import Function
from ...autograd.engine import Node


class EmbeddingLookup(Function):
    """``weight[indices]``; the gradient scatter-adds into the used rows only.

    Rows looked up through ``padding_idx`` receive no gradient, as in PyTorch.
    """

    @staticmethod
    def forward(ctx: Node, weight: Any, indices: Any, padding_idx: int | None) -> Any:
        b = ctx.backend
        ctx.save_for_backward(indices)
        ctx.params = (tuple(b.shape(weight)), b.dtype_of(weight), padding_idx)
        return b.getitem(weight, indices)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, None, None]:
        b = ctx.backend
        (indices,) = ctx.saved_tensors
        shape, dtype, padding_idx = ctx.params
        if padding_idx is not None:
            keep = b.not_equal(indices, padding_idx)
            g = b.where(b.reshape(keep, tuple(b.shape(keep)) + (1,)), g, 0.0)
        return b.scatter_add(b.zeros(shape, dtype), indices, g), None, None


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Look up rows of the ``(num_embeddings, dim)`` ``weight`` at the integer ``input``."""
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
    return EmbeddingLookup.apply(weight, input, padding_idx)
