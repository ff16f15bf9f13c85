"""``ReduceOp``: how a collective combines the ranks' values."""

from __future__ import annotations

import enum


class ReduceOp(enum.Enum):
    """The reductions :func:`~lucid.distributed.all_reduce` and
    :func:`~lucid.distributed.reduce_scatter` offer.

    ``MEAN`` is the sum divided by the world size (floating-point tensors only); PyTorch
    calls it ``AVG``, and ``ReduceOp.AVG is ReduceOp.MEAN``.
    """

    SUM = "sum"
    MEAN = "mean"
    AVG = "mean"  # PyTorch's name: an alias of MEAN
    MAX = "max"
    MIN = "min"
    PRODUCT = "product"
