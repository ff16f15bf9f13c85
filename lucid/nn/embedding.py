"""``Embedding``: a lookup table of learned vectors."""

from __future__ import annotations

from typing import Any

from .. import _creation
from .._dtype import int64
from .._tensor import Tensor
from . import init
from .functional.embedding import embedding
from .module import Module, Parameter


class Embedding(Module):
    """``num_embeddings`` vectors of ``embedding_dim``, initialised N(0, 1) as PyTorch's.

    The ``padding_idx`` row starts at zero and never receives a gradient.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight: Any = None) -> None:
        super().__init__()
        for name, v in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"Embedding: {name} must be a positive int, got {v!r}")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx={padding_idx} must be within "
                                 f"[-{num_embeddings}, {num_embeddings - 1}]")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = padding_idx
        if sparse:
            raise ValueError("Embedding: sparse=True is not supported (lucid has no sparse "
                             "gradients); use sparse=False")
        self.max_norm, self.norm_type = max_norm, float(norm_type)
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            self.weight = Parameter(_creation.zeros(num_embeddings, embedding_dim))
            self.reset_parameters()
        else:
            w = Tensor(_weight)
            if w.shape != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: _weight has shape {w.shape}, expected "
                                 f"({num_embeddings}, {embedding_dim})")
            self.weight = Parameter(w)

    def reset_parameters(self) -> None:
        """N(0, 1) weights; the padding row zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            b = self.weight.backend
            rows = b.reshape(b.arange(0, self.num_embeddings, 1, int64),
                             (self.num_embeddings, 1))
            keep = b.not_equal(rows, self.padding_idx)
            self.weight.data = b.where(keep, self.weight._data, 0.0)

    def forward(self, input: Tensor) -> Tensor:
        """Return the rows at the integer indices ``input`` (shape ``input.shape + (dim,)``)."""
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")
