"""Stateless neural-network operations (the differentiable forms behind ``lucid.nn``).

Built only from public pieces: the op table (:mod:`lucid.ops`), the backend's NN kernels and
:class:`lucid.autograd.Function` for the ops with a kernel of their own (convolution,
pooling, batch norm) -- the same way a user writes a custom differentiable op. One module
per kind: ``conv``, ``pooling``, ``normalization``, ``linear`` (with dropout), ``loss``.
"""

from ...ops import log_softmax, relu, softmax
from .conv import conv2d
from .linear import dropout, linear
from .loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from .normalization import batch_norm
from .pooling import adaptive_avg_pool2d, avg_pool2d, global_avg_pool2d, max_pool2d

__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "conv2d", "cross_entropy", "dropout",
    "linear", "log_softmax", "max_pool2d", "mse_loss", "nll_loss", "relu", "softmax",
    "global_avg_pool2d",
]
__all__ += ["binary_cross_entropy", "binary_cross_entropy_with_logits", "huber_loss", "kl_div",
            "l1_loss", "smooth_l1_loss"]
