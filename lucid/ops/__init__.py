"""lucid's op table: every tensor operation, each a :class:`lucid.autograd.Function`.

The functions here are what ``lucid.add``, ``Tensor.__add__`` and friends call. Each
differentiable op is a ``Function`` subclass (forward and backward written once against the
backend interface) with a thin function in front that checks and normalises arguments.
``lucid.Tensor`` and this package import each other: the tensor's methods are this table,
and the table's results are tensors. That pair is the one import cycle lucid allows (see
docs/architecture.md); everything else imports strictly downward.
"""

from .arithmetic import add, div, matmul, maximum, minimum, mul, neg, pow, sub, where
from .compare import (
    all,
    any,
    eq,
    ge,
    gt,
    isfinite,
    isinf,
    isnan,
    le,
    logical_and,
    logical_not,
    logical_or,
    lt,
    ne,
)
from .conversion import astype, to_backend
from .indexing import getitem
from .inplace import apply_inplace, fill, setitem
from .linalg import bmm, dot, einsum, mm
from .pointwise import abs, clamp, clip, exp, log, relu, sigmoid, sqrt, tanh
from .reduction import (
    amax,
    amin,
    argmax,
    argmin,
    cumprod,
    cumsum,
    logsumexp,
    max,
    mean,
    min,
    norm,
    prod,
    std,
    sum,
    var,
)
from .rounding import ceil, floor, round, sign, trunc
from .selection import (
    argsort,
    gather,
    index_select,
    masked_fill,
    scatter,
    scatter_add,
    sort,
    topk,
)
from .shape import (
    broadcast_to,
    cat,
    chunk,
    concatenate,
    flatten,
    flip,
    pad,
    permute,
    repeat,
    reshape,
    roll,
    split,
    squeeze,
    stack,
    tile,
    transpose,
    unsqueeze,
)
from .softmax import log_softmax, softmax
from .special import erf, expm1, log1p
from .trig import acos, acosh, asin, asinh, atan, atanh, cos, cosh, sin, sinh, tan

__all__ = [
    "abs", "add", "argmax", "argmin", "astype", "broadcast_to", "cat", "clamp", "clip",
    "concatenate", "div", "eq", "exp", "flatten", "ge", "getitem", "gt", "le", "log",
    "log_softmax", "logical_and", "logical_not", "logical_or", "lt", "matmul", "max",
    "maximum", "mean", "min", "minimum", "mul", "ne", "neg", "pad", "permute", "pow", "relu",
    "reshape", "sigmoid", "softmax", "sqrt", "squeeze", "stack", "sub", "sum", "tanh",
    "to_backend", "transpose", "unsqueeze", "var", "where",
    # trigonometric, special, rounding, classification
    "acos", "acosh", "asin", "asinh", "atan", "atanh", "ceil", "cos", "cosh", "erf", "expm1",
    "floor", "isfinite", "isinf", "isnan", "log1p", "round", "sign", "sin", "sinh", "tan",
    "trunc",
    # reductions
    "amax", "amin", "cumprod", "cumsum", "logsumexp", "norm", "prod", "std",
    # selection, shape, products
    "argsort", "bmm", "chunk", "dot", "einsum", "flip", "gather", "index_select",
    "masked_fill", "mm", "repeat", "roll", "scatter", "scatter_add", "sort", "split", "tile",
    "topk",
    # in-place support (Tensor.add_, x[i] = v, ...)
    "apply_inplace", "fill", "setitem",
    "all", "any",
]
