"""lucid: a small, readable deep-learning library with pluggable array backends.

``import lucid`` loads no backend: the first tensor created loads the selected one
(NumPy unless ``LUCID_BACKEND``, :func:`lucid.backends.set_backend` or
:func:`lucid.backends.use_backend` say otherwise).
"""

from __future__ import annotations

import importlib
import os
from typing import Any

# Before NumPy loads OpenBLAS (it reads this once): OpenBLAS's worker threads otherwise keep
# spinning for 2^28 cycles (~0.1 s) after every threaded GEMM, and that takes a core from the
# NumPy backend's own thread pool, which runs the next convolution blocks and element-wise
# passes. 2^4 cycles lets them sleep at once; back-to-back GEMMs are as fast as before.
# Measured on 2 cores: sk_resnet_18 train step 1.63-1.73 s -> 1.29-1.41 s. A value the user
# set wins; with NumPy imported before lucid, it comes too late (docs/guides/performance.md).
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

from . import backends
from ._creation import (
    arange,
    empty,
    empty_like,
    from_numpy,
    full,
    full_like,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    tensor,
    uniform,
    zeros,
    zeros_like,
)
from ._dtype import DType, bool_, float16, float32, float64, int32, int64, uint8
from ._tensor import Tensor
from .autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .backends import get_backend, set_backend, use_backend
from .ops import (
    abs,
    acos,
    acosh,
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    argsort,
    asin,
    asinh,
    atan,
    atanh,
    bmm,
    broadcast_to,
    cat,
    ceil,
    chunk,
    clamp,
    clip,
    concatenate,
    cos,
    cosh,
    cumprod,
    cumsum,
    dot,
    einsum,
    eq,
    erf,
    exp,
    expm1,
    flatten,
    flip,
    floor,
    gather,
    ge,
    gt,
    index_select,
    isfinite,
    isinf,
    isnan,
    le,
    log,
    log1p,
    log_softmax,
    logsumexp,
    lt,
    masked_fill,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mm,
    ne,
    norm,
    pad,
    permute,
    pow,
    prod,
    relu,
    reshape,
    roll,
    round,
    scatter,
    scatter_add,
    sigmoid,
    sign,
    sin,
    sinh,
    softmax,
    sort,
    split,
    sqrt,
    squeeze,
    stack,
    std,
    sum,
    tan,
    tanh,
    tile,
    topk,
    transpose,
    trunc,
    unsqueeze,
    var,
    where,
)

__version__ = "0.1.0"

_LAZY_SUBMODULES = {"nn", "optim", "models", "data", "io", "cli", "autograd", "testing", "convert",
                    "train", "ops", "profiling", "visual"}
#: Tools exported at the top level, loaded on first use (they import lucid.nn).
_LAZY_TOOLS = {"summary": "profiling", "count_flops": "profiling"}


def __getattr__(name: str) -> Any:
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY_TOOLS:
        return getattr(importlib.import_module(f".{_LAZY_TOOLS[name]}", __name__), name)
    raise AttributeError(f"module 'lucid' has no attribute {name!r}")


__all__ = [
    "DType", "Tensor", "abs", "arange", "argmax", "argmin", "backends", "bool_", "broadcast_to",
    "cat", "clamp", "clip", "concatenate", "count_flops", "enable_grad", "exp", "flatten",
    "float16",
    "float32", "float64", "from_numpy", "full", "full_like", "get_backend", "inference_mode",
    "int32", "int64", "is_grad_enabled", "is_inference_mode_enabled", "linspace", "log",
    "log_softmax", "manual_seed", "matmul", "max",
    "maximum", "mean", "min", "minimum", "no_grad", "ones", "ones_like", "pad", "permute",
    "pow", "rand", "rand_like", "randint", "randn", "randn_like", "relu", "reshape",
    "set_backend", "set_grad_enabled", "sigmoid", "softmax", "sqrt", "squeeze", "stack", "sum",
    "summary", "tanh", "tensor", "transpose", "uint8", "uniform", "unsqueeze", "use_backend",
    "var",
    "where", "zeros", "zeros_like",
    # math (trigonometric, special, rounding, classification)
    "acos", "acosh", "asin", "asinh", "atan", "atanh", "ceil", "cos", "cosh", "erf", "expm1",
    "floor", "isfinite", "isinf", "isnan", "log1p", "round", "sign", "sin", "sinh", "tan",
    "trunc",
    "amax", "amin", "cumprod", "cumsum", "logsumexp", "norm", "prod", "std",
    "argsort", "bmm", "chunk", "dot", "einsum", "empty", "empty_like", "eq", "flip", "gather",
    "ge", "gt", "index_select", "le", "lt", "masked_fill", "mm", "ne", "roll", "scatter",
    "scatter_add", "sort", "split", "tile", "topk", "all", "any",
]
