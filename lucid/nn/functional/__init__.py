"""Stateless neural-network operations (the differentiable forms behind ``lucid.nn``).

Built only from public pieces: the op table (:mod:`lucid.ops`), the backend's NN kernels and
:class:`lucid.autograd.Function` for the ops with a kernel of their own (convolution,
pooling, batch norm) -- the same way a user writes a custom differentiable op. One module
per kind: ``activation``, ``conv``, ``embedding``, ``linear`` (with dropout), ``loss``,
``normalization``, ``padding``, ``pooling``, ``sampling``.
"""

from ...ops import log_softmax, relu, sigmoid, softmax, tanh
from .activation import (
    elu,
    gelu,
    hardsigmoid,
    hardswish,
    leaky_relu,
    mish,
    prelu,
    selu,
    silu,
    softplus,
)
from .conv import conv1d, conv2d, conv_transpose2d
from .embedding import embedding
from .linear import dropout, dropout2d, linear
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
from .normalization import batch_norm, group_norm, instance_norm, layer_norm
from .padding import pad
from .pooling import (
    adaptive_avg_pool2d,
    adaptive_max_pool2d,
    avg_pool2d,
    global_avg_pool2d,
    max_pool2d,
)
from .sampling import interpolate

__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "conv2d", "cross_entropy", "dropout",
    "linear", "log_softmax", "max_pool2d", "mse_loss", "nll_loss", "relu", "softmax",
    "global_avg_pool2d",
]
__all__ += ["binary_cross_entropy", "binary_cross_entropy_with_logits", "huber_loss", "kl_div",
            "l1_loss", "smooth_l1_loss"]
__all__ += ["adaptive_max_pool2d", "conv1d", "conv_transpose2d", "dropout2d", "elu",
            "embedding", "gelu", "group_norm", "hardsigmoid", "hardswish", "instance_norm",
            "interpolate", "layer_norm", "leaky_relu", "mish", "pad", "prelu", "selu",
            "sigmoid", "silu", "softplus", "tanh"]
