"""The table of differentiable operations that the conformance kit checks.

Each :class:`OpCase` names the lucid function it exercises, how to draw its differentiable
inputs, the lucid computation and an independent NumPy reference for the forward values.
The kit runs every case twice: forward values (float32 and float64) against the reference,
and gradients against central finite differences in float64.

Non-differentiable arguments (class targets, masks, running statistics, index arrays) are
fixed host arrays captured by the case and moved to the inputs' backend with :func:`on`.
"""

from __future__ import annotations

import math
import operator
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import lucid
import lucid.nn.functional as F
import lucid.testing.numpy_layers as nl
import lucid.testing.numpy_math as nm  # not "from . import": no cycle with the package

Shape = tuple[int, ...]
Domain = Callable[[np.random.Generator, Shape], np.ndarray]


# ------------------------------------------------------------------ input domains
def normal(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Standard normal values."""
    return rng.standard_normal(shape)


def positive(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Values in ``[0.5, 2)``: safe for ``log``, ``sqrt`` and as a power's base."""
    return rng.uniform(0.5, 2.0, shape)


def nonzero(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Values with ``0.3 <= |x| < 1.5``: away from the kinks of ``abs``/``relu`` and from 0."""
    return rng.uniform(0.3, 1.5, shape) * rng.choice([-1.0, 1.0], shape)


def distinct(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """A shuffled evenly spaced grid: no two values closer than ``3/n`` (no max/min ties)."""
    n = math.prod(shape)
    return ((rng.permutation(n) - (n - 1) / 2) * (3.0 / max(n, 1))).reshape(shape)


def away_from(*points: float) -> Domain:
    """Normal values moved at least 0.05 away from each of ``points`` (e.g. clip bounds)."""

    def draw(rng: np.random.Generator, shape: Shape) -> np.ndarray:
        x = rng.standard_normal(shape)
        for p in points:
            x = np.where(np.abs(x - p) < 0.05, x + 0.1, x)
        return x

    return draw


@dataclass(frozen=True)
class In:
    """One differentiable input: its shape and the domain its values are drawn from."""

    shape: Shape
    domain: Domain = normal


@dataclass(frozen=True)
class OpCase:
    """One checked use of a differentiable lucid operation."""

    op: str  #: the function exercised: ``"add"`` (lucid) or ``"functional.conv2d"``
    name: str  #: unique id shown by pytest
    inputs: tuple[In, ...]
    fn: Callable[..., lucid.Tensor]  #: lucid computation on the input tensors
    ref: Callable[..., Any]  #: NumPy reference on float64 host arrays
    loose: bool = False  #: accumulates many terms: wider float32 tolerance

    def draw(self) -> list[np.ndarray]:
        """Draw the inputs as float64 host arrays, reproducibly for this case."""
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        return [np.asarray(spec.domain(rng, spec.shape), dtype=np.float64)
                for spec in self.inputs]


def on(like: lucid.Tensor, host: Any, dtype: Any = None) -> lucid.Tensor:
    """A constant tensor from host data on the backend of ``like`` (float: ``like``'s dtype)."""
    host = np.asarray(host)
    if dtype is None and host.dtype.kind == "f":
        dtype = like.dtype
    return lucid.tensor(host, dtype=dtype, backend=like.backend)


#: Every op case of the conformance kit, filled by the registrations below.
CASES: list[OpCase] = []


def _case(op: str, name: str, inputs: Sequence[In], fn: Callable[..., lucid.Tensor],
          ref: Callable[..., Any], loose: bool = False) -> None:
    CASES.append(OpCase(op, name, tuple(inputs), fn, ref, loose))


def _dims(shape: Shape) -> str:
    return "x".join(map(str, shape)) if shape else "scalar"


# ------------------------------------------------------------------ elementwise
_UNARY: list[tuple[str, str, Domain, Callable[..., Any], Callable[..., Any]]] = [
    ("neg", "neg", normal, operator.neg, np.negative),
    ("exp", "exp", normal, lucid.exp, np.exp),
    ("exp", "exp_method", normal, lambda x: x.exp(), np.exp),
    ("log", "log", positive, lucid.log, np.log),
    ("log", "log_method", positive, lambda x: x.log(), np.log),
    ("sqrt", "sqrt", positive, lucid.sqrt, np.sqrt),
    ("abs", "abs", nonzero, lucid.abs, np.abs),
    ("abs", "abs_builtin", nonzero, abs, np.abs),
    ("tanh", "tanh", normal, lucid.tanh, np.tanh),
    ("sigmoid", "sigmoid", normal, lucid.sigmoid, nm.sigmoid),
    ("sigmoid", "sigmoid_method", normal, lambda x: x.sigmoid(), nm.sigmoid),
    ("relu", "relu", nonzero, lucid.relu, lambda a: np.maximum(a, 0.0)),
    ("relu", "relu_functional", nonzero, F.relu, lambda a: np.maximum(a, 0.0)),
    ("clip", "clip", away_from(-0.5, 0.7), lambda x: lucid.clip(x, -0.5, 0.7),
     lambda a: np.clip(a, -0.5, 0.7)),
    ("clip", "clip_min_only", away_from(-0.5), lambda x: x.clip(min=-0.5),
     lambda a: np.maximum(a, -0.5)),
    ("clip", "clamp_max_only", away_from(0.7), lambda x: lucid.clamp(x, max=0.7),
     lambda a: np.minimum(a, 0.7)),
    # Python scalars on either side of an operator
    ("add", "add_scalar", normal, lambda x: x + 1.5, lambda a: a + 1.5),
    ("add", "radd_scalar", normal, lambda x: 1.5 + x, lambda a: 1.5 + a),
    ("sub", "sub_scalar", normal, lambda x: x - 2.0, lambda a: a - 2.0),
    ("sub", "rsub_scalar", normal, lambda x: 2.0 - x, lambda a: 2.0 - a),
    ("mul", "mul_scalar", normal, lambda x: x * 3.0, lambda a: a * 3.0),
    ("mul", "rmul_int", normal, lambda x: 3 * x, lambda a: 3 * a),
    ("div", "div_scalar", normal, lambda x: x / 4.0, lambda a: a / 4.0),
    ("div", "rdiv_scalar", nonzero, lambda x: 2.0 / x, lambda a: 2.0 / a),
    ("pow", "square", normal, lambda x: x ** 2, lambda a: a ** 2),
    ("pow", "cube", normal, lambda x: x ** 3, lambda a: a ** 3),
    ("pow", "power_half", positive, lambda x: x ** 0.5, lambda a: a ** 0.5),
    ("pow", "rpow_scalar", normal, lambda x: 2.0 ** x, lambda a: 2.0 ** a),
    ("pow", "pow_function", positive, lambda x: lucid.pow(x, -1.5), lambda a: a ** -1.5),
    ("maximum", "maximum_scalar", away_from(0.2), lambda x: lucid.maximum(x, 0.2),
     lambda a: np.maximum(a, 0.2)),
    ("minimum", "minimum_scalar", away_from(0.2), lambda x: lucid.minimum(0.2, x),
     lambda a: np.minimum(0.2, a)),
]
for _op, _name, _domain, _fn, _ref in _UNARY:
    _case(_op, _name, [In((3, 4), _domain)], _fn, _ref)


def _within(low: float, high: float) -> Domain:
    """Uniform values in ``[low, high)`` (the domain of asin, acosh, atanh, ...)."""
    return lambda rng, shape: rng.uniform(low, high, shape)


#: Trigonometric, hyperbolic, special and rounding functions (op, domain, lucid, NumPy).
_MATH: list[tuple[str, Domain, Callable[..., Any], Callable[..., Any]]] = [
    ("sin", normal, lucid.sin, np.sin),
    ("cos", normal, lucid.cos, np.cos),
    ("tan", _within(-1.2, 1.2), lucid.tan, np.tan),
    ("asin", _within(-0.9, 0.9), lucid.asin, np.arcsin),
    ("acos", _within(-0.9, 0.9), lucid.acos, np.arccos),
    ("atan", normal, lucid.atan, np.arctan),
    ("sinh", normal, lucid.sinh, np.sinh),
    ("cosh", normal, lucid.cosh, np.cosh),
    ("asinh", normal, lucid.asinh, np.arcsinh),
    ("acosh", _within(1.2, 3.0), lucid.acosh, np.arccosh),
    ("atanh", _within(-0.9, 0.9), lucid.atanh, np.arctanh),
    ("log1p", _within(-0.5, 2.0), lucid.log1p, np.log1p),
    ("expm1", normal, lucid.expm1, np.expm1),
    ("erf", normal, lucid.erf, nm.erf),
    ("floor", away_from(-2, -1, 0, 1, 2), lucid.floor, np.floor),
    ("ceil", away_from(-2, -1, 0, 1, 2), lucid.ceil, np.ceil),
    ("trunc", away_from(-2, -1, 0, 1, 2), lucid.trunc, np.trunc),
    ("round", away_from(-1.5, -0.5, 0.5, 1.5), lucid.round, np.round),
    ("sign", nonzero, lucid.sign, np.sign),
]
for _op, _domain, _fn, _ref in _MATH:
    _case(_op, _op, [In((3, 4), _domain)], _fn, _ref)
    _case(_op, f"{_op}_method", [In((2, 3), _domain)], getattr(lucid.Tensor, _op), _ref)
_case("erf", "erf_wide", [In((4, 5), _within(-6.0, 6.0))], lucid.erf, nm.erf)
_case("round", "round_decimals", [In((3, 4), away_from(-0.15, -0.05, 0.05, 0.15))],
      lambda x: lucid.round(x, decimals=1), lambda a: np.round(a, 1))

_BINARY: list[tuple[str, Callable[..., Any], Callable[..., Any], Domain, Domain]] = [
    ("add", operator.add, np.add, normal, normal),
    ("sub", operator.sub, np.subtract, normal, normal),
    ("mul", operator.mul, np.multiply, normal, normal),
    ("div", operator.truediv, np.divide, normal, nonzero),
    ("pow", operator.pow, np.power, positive, normal),
    ("maximum", lucid.maximum, np.maximum, normal, normal),
    ("minimum", lucid.minimum, np.minimum, normal, normal),
]
#: Operand shapes covering equal shapes, trailing-axis, two-sided and rank broadcasting, 0-d.
BROADCAST_PAIRS: list[tuple[Shape, Shape]] = [
    ((2, 3), (2, 3)), ((2, 3), (3,)), ((3, 1), (1, 4)), ((2, 1, 3), (4, 1)), ((2, 3), ()),
    ((), (2, 3)),
]
for _op, _fn, _ref, _da, _db in _BINARY:
    for _sa, _sb in BROADCAST_PAIRS:
        _case(_op, f"{_op}-{_dims(_sa)}-{_dims(_sb)}", [In(_sa, _da), In(_sb, _db)], _fn, _ref)

_MASK = np.array([[True, False, True], [False, False, True]])
_case("where", "where-broadcast", [In((2, 3)), In((3,))],
      lambda a, b: lucid.where(on(a, _MASK), a, b), lambda a, b: np.where(_MASK, a, b))
_case("where", "where-scalar", [In((2, 3))],
      lambda a: lucid.where(on(a, _MASK), a, 0.5), lambda a: np.where(_MASK, a, 0.5))

# ----------------------------------------------------------------------- matmul
MATMUL_SHAPES: list[tuple[Shape, Shape]] = [
    ((3, 4), (4, 2)),  # matrix @ matrix
    ((2, 3, 4), (4, 5)),  # batch @ matrix
    ((2, 1, 3, 4), (5, 4, 2)),  # both batches broadcast
    ((1, 3, 4), (2, 4, 2)),  # batch of one broadcasts
    ((4,), (4, 2)),  # vector @ matrix
    ((3, 4), (4,)),  # matrix @ vector
    ((4,), (4,)),  # inner product
    ((2, 3, 4), (4,)),  # batch @ vector
    ((4,), (2, 4, 3)),  # vector @ batch
]
for _sa, _sb in MATMUL_SHAPES:
    _case("matmul", f"matmul-{_dims(_sa)}-{_dims(_sb)}", [In(_sa), In(_sb)], operator.matmul,
          np.matmul, loose=True)
_case("matmul", "matmul_function", [In((3, 4)), In((4, 2))], lucid.matmul, np.matmul, True)
_case("functional.linear", "linear_bias", [In((4, 3)), In((5, 3)), In((5,))], F.linear,
      lambda x, w, b: x @ w.T + b, loose=True)
_case("functional.linear", "linear_batched_no_bias", [In((2, 4, 3)), In((5, 3))], F.linear,
      lambda x, w: x @ w.T, loose=True)

# ------------------------------------------------------------------- reductions
_REDUCTIONS: list[tuple[str, str, Callable[..., Any], Callable[..., Any], Domain]] = [
    ("sum", "sum", lucid.sum, np.sum, normal),
    ("mean", "mean", lucid.mean, np.mean, normal),
    ("var", "var", lambda x, axis, keepdims: lucid.var(x, axis, keepdim=keepdims),
     lambda a, axis, keepdims: np.var(a, axis=axis, keepdims=keepdims, ddof=1), normal),
    ("var", "var_biased", lambda x, axis, keepdims: lucid.var(x, axis, False, keepdims),
     np.var, normal),
    ("std", "std", lambda x, axis, keepdims: lucid.std(x, axis, keepdim=keepdims),
     lambda a, axis, keepdims: np.std(a, axis=axis, keepdims=keepdims, ddof=1), normal),
    ("amax", "amax", lucid.amax, np.max, distinct),
    ("amin", "amin", lucid.amin, np.min, distinct),
    ("prod", "prod", lucid.prod, np.prod, positive),
    ("logsumexp", "logsumexp", lucid.logsumexp,
     lambda a, axis, keepdims: np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims)), normal),
    ("norm", "norm", lambda x, axis, keepdims: lucid.norm(x, 2, axis, keepdims),
     lambda a, axis, keepdims: np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdims)), normal),
]
REDUCTION_AXES: list[Any] = [None, 0, -1, (0, 2), (2, 0, 1)]


def _reduction(fn: Callable[..., Any], ref: Callable[..., Any], axis: Any,
               keepdims: bool) -> tuple[Callable[..., Any], Callable[..., Any]]:
    return (lambda x: fn(x, axis, keepdims),
            lambda a: np.asarray(ref(a, axis=axis, keepdims=keepdims)))


for _op, _name, _fn, _ref, _domain in _REDUCTIONS:
    for _axis in REDUCTION_AXES:
        for _kd in (False, True):
            _axis_id = "all" if _axis is None else str(_axis).replace(" ", "")
            _f, _r = _reduction(_fn, _ref, _axis, _kd)
            _case(_op, f"{_name}-axis{_axis_id}-keepdims{_kd}", [In((2, 3, 4), _domain)], _f, _r,
                  loose=True)
_case("sum", "sum_method_dim_keepdim", [In((2, 3, 4))], lambda x: x.sum(dim=1, keepdim=True),
      lambda a: a.sum(axis=1, keepdims=True))
_case("mean", "mean_method", [In((2, 3, 4))], lambda x: x.mean(-1), lambda a: a.mean(-1))
_case("max", "max_method", [In((2, 3, 4), distinct)], lambda x: x.max(dim=1).values,
      lambda a: a.max(1))
_case("max", "max_all", [In((2, 3, 4), distinct)], lucid.max, np.max)
_case("min", "min_all_method", [In((2, 3, 4), distinct)], lambda x: x.min(), np.min)
_case("max", "max_dim_keepdim", [In((2, 3, 4), distinct)],
      lambda x: lucid.max(x, -1, keepdim=True)[0], lambda a: a.max(-1, keepdims=True))
_case("min", "min_dim_values", [In((2, 3, 4), distinct)], lambda x: lucid.min(x, 0).values,
      lambda a: a.min(0))
_case("max", "max_of_two_tensors", [In((2, 3)), In((3,))], lucid.max, np.maximum)
_case("min", "min_of_two_tensors", [In((2, 3)), In((2, 3))], lucid.min, np.minimum)
_case("std", "std_method_correction0", [In((3, 4))], lambda x: x.std(1, correction=0),
      lambda a: a.std(1))
_case("prod", "prod_with_zeros", [In((3, 4))],
      lambda x: (x * on(x, np.array([[0.0, 1, 1, 1], [0, 1, 0, 1], [1, 1, 1, 1]]))).prod(1),
      lambda a: (a * np.array([[0.0, 1, 1, 1], [0, 1, 0, 1], [1, 1, 1, 1]])).prod(1))
for _ax in (0, 1, -1):
    _case("cumsum", f"cumsum_dim{_ax}", [In((3, 4, 2))], lambda x, ax=_ax: lucid.cumsum(x, ax),
          lambda a, ax=_ax: np.cumsum(a, ax))
    _case("cumprod", f"cumprod_dim{_ax}", [In((3, 4, 2))],
          lambda x, ax=_ax: x.cumprod(dim=ax), lambda a, ax=_ax: np.cumprod(a, ax))
_ZEROS = np.array([[1.0, 0, 1, 1], [1, 1, 1, 1], [0, 1, 1, 0]])
_case("cumprod", "cumprod_with_zeros", [In((3, 4))],
      lambda x: lucid.cumprod(x * on(x, _ZEROS), 1), lambda a: np.cumprod(a * _ZEROS, 1))
for _p, _pref in ((1, lambda a: np.abs(a).sum(-1)),
                  (3, lambda a: (np.abs(a) ** 3).sum(-1) ** (1 / 3)),
                  (float("inf"), lambda a: np.abs(a).max(-1)),
                  (float("-inf"), lambda a: np.abs(a).min(-1))):
    _case("norm", f"norm_p{_p}", [In((3, 5), distinct)], lambda x, p=_p: x.norm(p, dim=-1),
          _pref)
_case("norm", "norm_fro_all", [In((3, 4))], lambda x: lucid.norm(x), np.linalg.norm)
_case("logsumexp", "logsumexp_method", [In((3, 4))], lambda x: x.logsumexp(1),
      lambda a: np.log(np.exp(a).sum(1)))
_case("min", "min_method_keepdim", [In((2, 3, 4), distinct)],
      lambda x: x.min(dim=(0, 2), keepdim=True), lambda a: a.min(axis=(0, 2), keepdims=True))
_case("var", "var_method", [In((2, 3, 4))], lambda x: x.var(1, unbiased=True),
      lambda a: a.var(1, ddof=1))

# ---------------------------------------------------------------------- shapes
_SHAPES: list[tuple[str, str, Shape, Callable[..., Any], Callable[..., Any]]] = [
    ("reshape", "reshape_varargs", (2, 3, 4), lambda x: x.reshape(4, -1),
     lambda a: a.reshape(4, -1)),
    ("reshape", "reshape_tuple", (2, 3, 4), lambda x: lucid.reshape(x, (6, 4)),
     lambda a: a.reshape(6, 4)),
    ("reshape", "view", (2, 3, 4), lambda x: x.view(3, 8), lambda a: a.reshape(3, 8)),
    ("permute", "permute_varargs", (2, 3, 4), lambda x: x.permute(2, 0, 1),
     lambda a: a.transpose(2, 0, 1)),
    ("permute", "permute_tuple", (2, 3, 4), lambda x: lucid.permute(x, (1, 2, 0)),
     lambda a: a.transpose(1, 2, 0)),
    ("permute", "T_property", (2, 3, 4), lambda x: x.T, lambda a: a.T),
    ("transpose", "transpose_swap", (2, 3, 4), lambda x: x.transpose(0, 2),
     lambda a: np.swapaxes(a, 0, 2)),
    ("transpose", "transpose_reverse", (2, 3, 4), lambda x: lucid.transpose(x),
     lambda a: a.transpose()),
    ("squeeze", "squeeze_all", (1, 3, 1, 2), lucid.squeeze, np.squeeze),
    ("squeeze", "squeeze_axis", (1, 3, 1, 2), lambda x: x.squeeze(2),
     lambda a: np.squeeze(a, 2)),
    ("unsqueeze", "unsqueeze", (2, 3), lambda x: lucid.unsqueeze(x, 1),
     lambda a: np.expand_dims(a, 1)),
    ("unsqueeze", "unsqueeze_negative", (2, 3), lambda x: x.unsqueeze(-1),
     lambda a: np.expand_dims(a, -1)),
    ("flatten", "flatten_all", (2, 3, 4), lucid.flatten, lambda a: a.reshape(-1)),
    ("flatten", "flatten_from_1", (2, 3, 4), lambda x: x.flatten(1),
     lambda a: a.reshape(2, -1)),
    ("flatten", "flatten_0_1", (2, 3, 4), lambda x: lucid.flatten(x, 0, 1),
     lambda a: a.reshape(6, 4)),
    ("broadcast_to", "broadcast_to", (3, 1), lambda x: lucid.broadcast_to(x, (2, 3, 4)),
     lambda a: np.broadcast_to(a, (2, 3, 4))),
    ("broadcast_to", "expand_keep_size", (3, 1), lambda x: x.expand(2, -1, 4),
     lambda a: np.broadcast_to(a, (2, 3, 4))),
    ("pad", "pad_value", (2, 3), lambda x: lucid.pad(x, ((1, 0), (0, 2)), 0.5),
     lambda a: np.pad(a, ((1, 0), (0, 2)), constant_values=0.5)),
    ("pad", "pad_3d", (1, 2, 3), lambda x: lucid.pad(x, ((0, 0), (1, 1), (2, 0))),
     lambda a: np.pad(a, ((0, 0), (1, 1), (2, 0)))),
]
for _op, _name, _shape, _fn, _ref in _SHAPES:
    _case(_op, _name, [In(_shape)], _fn, _ref)

_JOINS: list[tuple[str, str, list[Shape], Callable[..., Any], Callable[..., Any]]] = [
    ("concatenate", "concatenate_axis0", [(2, 3), (1, 3), (3, 3)],
     lambda *xs: lucid.concatenate(xs, 0), lambda *a: np.concatenate(a, 0)),
    ("concatenate", "concatenate_axis1", [(2, 2, 3), (2, 1, 3)],
     lambda *xs: lucid.concatenate(list(xs), axis=1), lambda *a: np.concatenate(a, 1)),
    ("concatenate", "cat_last_axis", [(2, 1, 3), (2, 1, 2)], lambda *xs: lucid.cat(xs, -1),
     lambda *a: np.concatenate(a, -1)),
    ("stack", "stack_axis0", [(2, 3)] * 3, lambda *xs: lucid.stack(xs),
     lambda *a: np.stack(a, 0)),
    ("stack", "stack_axis1", [(2, 3)] * 2, lambda *xs: lucid.stack(list(xs), 1),
     lambda *a: np.stack(a, 1)),
    ("stack", "stack_last_axis", [(2, 3)] * 2, lambda *xs: lucid.stack(xs, axis=-1),
     lambda *a: np.stack(a, -1)),
]
for _op, _name, _shapes, _fn, _ref in _JOINS:
    _case(_op, _name, [In(s) for s in _shapes], _fn, _ref)

# -------------------------------------------------------------------- indexing
_MASK3 = np.random.default_rng(3).random((3, 4, 5)) > 0.5
#: Host indices into a ``(3, 4, 5)`` array: basic, advanced (with repeats) and boolean.
INDEXES: list[tuple[str, Any]] = [
    ("int", 1),
    ("negative_int", -1),
    ("slice", slice(1, None)),
    ("step_slice", (slice(None), slice(None, None, 2))),
    ("negative_step", (slice(None, None, -1), slice(3, 0, -2))),
    ("int_and_slice", (1, slice(0, 3))),
    ("ellipsis", (Ellipsis, 2)),
    ("newaxis", (None, 0)),
    ("int_list_repeated", [0, 2, 2, 0]),
    ("int_array_2d", np.array([[0, 1], [1, 0]])),
    ("negative_int_array", np.array([-1, 0, -1])),
    ("two_int_arrays_repeated", (np.array([0, 1, 1]), np.array([2, 0, 2]))),
    ("slice_then_int_array", (slice(None), np.array([3, 0, 0]))),
    ("bool_mask_full", _MASK3),
    ("bool_mask_rows", np.array([True, False, True])),
]


def to_lucid_index(index: Any, like: lucid.Tensor) -> Any:
    """Turn a host index into a lucid one (NumPy arrays become tensors on ``like``'s backend)."""
    if isinstance(index, np.ndarray):
        return on(like, index)
    if isinstance(index, tuple):
        return tuple(to_lucid_index(i, like) for i in index)
    return index


def _getitem(index: Any) -> tuple[Callable[..., Any], Callable[..., Any]]:
    return (lambda x: x[to_lucid_index(index, x)], lambda a: a[index])


for _name, _index in INDEXES:
    _f, _r = _getitem(_index)
    _case("getitem", f"getitem-{_name}", [In((3, 4, 5))], _f, _r)

# ------------------------------------------------- selection, reordering, products
_GATHER = np.array([[0, 2, 2], [1, 0, 3], [3, 3, 1]])
_case("gather", "gather_dim1", [In((3, 4))], lambda x: lucid.gather(x, 1, on(x, _GATHER)),
      lambda a: np.take_along_axis(a, _GATHER, 1))
_case("gather", "gather_dim0_method", [In((4, 3))], lambda x: x.gather(0, on(x, _GATHER)),
      lambda a: np.take_along_axis(a, _GATHER, 0))
_SCATTER = np.array([[0, 2], [3, 1], [1, 0]])


def _np_scatter(a: np.ndarray, src: np.ndarray, add: bool) -> np.ndarray:
    out = a.copy()
    for i in range(_SCATTER.shape[0]):
        for j in range(_SCATTER.shape[1]):
            if add:
                out[i, _SCATTER[i, j]] += src[i, j]
            else:
                out[i, _SCATTER[i, j]] = src[i, j]
    return out


_case("scatter", "scatter_dim1", [In((3, 4)), In((3, 3))],
      lambda x, s: lucid.scatter(x, 1, on(x, _SCATTER), s),
      lambda a, s: _np_scatter(a, s, False))
_case("scatter", "scatter_value_method", [In((3, 4))],
      lambda x: x.scatter(1, on(x, _SCATTER), value=0.5),
      lambda a: _np_scatter(a, np.full((3, 2), 0.5), False))
_case("scatter_add", "scatter_add_dim1", [In((3, 4)), In((3, 2))],
      lambda x, s: x.scatter_add(1, on(x, _SCATTER), s), lambda a, s: _np_scatter(a, s, True))
_SELECT = np.array([2, 0, 2])
_case("index_select", "index_select_dim1_repeated", [In((3, 4))],
      lambda x: lucid.index_select(x, 1, on(x, _SELECT)), lambda a: a[:, _SELECT])
_case("index_select", "index_select_method", [In((3, 4))],
      lambda x: x.index_select(0, on(x, _SELECT)), lambda a: a[_SELECT])
_case("masked_fill", "masked_fill_broadcast", [In((2, 3))],
      lambda x: lucid.masked_fill(x, on(x, _MASK[0]), -1.5),
      lambda a: np.where(_MASK[0], -1.5, a))
_case("masked_fill", "masked_fill_method", [In((2, 3))],
      lambda x: x.masked_fill(on(x, _MASK), 0.0), lambda a: np.where(_MASK, 0.0, a))
_case("sort", "sort_values", [In((3, 5), distinct)], lambda x: lucid.sort(x, 1).values,
      lambda a: np.sort(a, 1))
_case("sort", "sort_descending_dim0", [In((4, 3), distinct)],
      lambda x: x.sort(0, descending=True)[0], lambda a: -np.sort(-a, 0))
_case("topk", "topk_largest", [In((3, 6), distinct)], lambda x: lucid.topk(x, 2).values,
      lambda a: -np.sort(-a, 1)[:, :2])
_case("topk", "topk_smallest_dim0", [In((5, 3), distinct)],
      lambda x: x.topk(3, dim=0, largest=False).values, lambda a: np.sort(a, 0)[:3])
_case("flip", "flip_two_dims", [In((2, 3, 4))], lambda x: lucid.flip(x, (0, 2)),
      lambda a: a[::-1, :, ::-1])
_case("flip", "flip_method", [In((3, 4))], lambda x: x.flip(-1), lambda a: a[:, ::-1])
_case("roll", "roll_dims", [In((3, 4))], lambda x: lucid.roll(x, (1, -1), (0, 1)),
      lambda a: np.roll(a, (1, -1), (0, 1)))
_case("roll", "roll_flat_method", [In((3, 4))], lambda x: x.roll(5),
      lambda a: np.roll(a, 5))
_case("repeat", "repeat_new_dim", [In((2, 3))], lambda x: x.repeat(2, 1, 3),
      lambda a: np.tile(a, (2, 1, 3)))
_case("tile", "tile_short", [In((2, 3))], lambda x: lucid.tile(x, (2,)),
      lambda a: np.tile(a, (2,)))
_case("split", "split_sizes", [In((3, 5))],
      lambda x: lucid.cat([p * (i + 1) for i, p in enumerate(lucid.split(x, [1, 4], 1))], 1),
      lambda a: np.concatenate([a[:, :1], 2 * a[:, 1:]], 1))
_case("chunk", "chunk_uneven", [In((5, 2))],
      lambda x: lucid.cat([p * (i + 1) for i, p in enumerate(x.chunk(2))], 0),
      lambda a: np.concatenate([a[:3], 2 * a[3:]], 0))
_case("mm", "mm", [In((3, 4)), In((4, 2))], lucid.mm, np.matmul, loose=True)
_case("bmm", "bmm_method", [In((2, 3, 4)), In((2, 4, 2))], lambda a, b: a.bmm(b), np.matmul,
      loose=True)
_case("dot", "dot", [In((5,)), In((5,))], lucid.dot, np.dot, loose=True)
_EINSUM: list[tuple[str, list[Shape]]] = [
    ("ij,jk->ik", [(3, 4), (4, 2)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    ("ij->j", [(3, 4)]), ("i,j->ij", [(3,), (4,)]), ("abc,cd->da", [(2, 3, 4), (4, 5)]),
    ("ij,ij", [(3, 4), (3, 4)]),
]
for _eq, _eq_shapes in _EINSUM:
    _case("einsum", f"einsum-{_eq.replace('->', '_to_').replace(',', '_')}",
          [In(s) for s in _eq_shapes], lambda *xs, e=_eq: lucid.einsum(e, *xs),
          lambda *a, e=_eq: np.einsum(e, *a), loose=True)

# --------------------------------------------------------------------- in-place
def _set_rows(x: lucid.Tensor, v: lucid.Tensor) -> lucid.Tensor:
    y = x * 1.0
    y[1:, ::2] = v
    return y


def _np_set_rows(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    out = a.copy()
    out[1:, ::2] = v
    return out


_case("setitem", "setitem_slice_broadcast", [In((3, 4)), In((2,))], _set_rows, _np_set_rows)
_case("setitem", "setitem_int_array_scalar", [In((4, 3))],
      lambda x: lucid.ops.setitem(x, on(x, np.array([0, 2]), "int64"), 0.5),
      lambda a: np.where(np.isin(np.arange(4), [0, 2])[:, None], 0.5, a))
_case("fill", "fill_", [In((2, 3))], lambda x: (x * 1.0).fill_(0.25) + x,
      lambda a: 0.25 + a)
_case("apply_inplace", "inplace_chain", [In((3, 4)), In((4,))],
      lambda x, w: (x * 1.0).mul_(w).add_(x, alpha=2.0).clamp_(max=1.0).exp_(),
      lambda a, w: np.exp(np.minimum(a * w + 2.0 * a, 1.0)))
_case("apply_inplace", "inplace_operators", [In((3, 4)), In((3, 1), nonzero)],
      lambda x, w: _iops(x * 1.0, w), lambda a, w: ((a + w) * w - a) / w)


def _iops(y: lucid.Tensor, w: lucid.Tensor) -> lucid.Tensor:
    x = y * 1.0
    y += w
    y *= w
    y -= x
    y /= w
    return y


# ---------------------------------------------------------------- softmax family
for _ax in (0, 1, -1):
    _case("softmax", f"softmax_axis{_ax}", [In((3, 4, 5))],
          lambda x, ax=_ax: lucid.softmax(x, ax), lambda a, ax=_ax: nm.softmax(a, ax))
    _case("log_softmax", f"log_softmax_axis{_ax}", [In((3, 4, 5))],
          lambda x, ax=_ax: lucid.log_softmax(x, ax), lambda a, ax=_ax: nm.log_softmax(a, ax),
          loose=True)
_case("softmax", "softmax_method", [In((2, 5))], lambda x: x.softmax(),
      lambda a: nm.softmax(a, -1))
_case("softmax", "softmax_functional", [In((2, 5))], lambda x: F.softmax(x, 1),
      lambda a: nm.softmax(a, 1))
_case("log_softmax", "log_softmax_functional", [In((2, 5))], lambda x: F.log_softmax(x, 1),
      lambda a: nm.log_softmax(a, 1), loose=True)

# ----------------------------------------------------------------- convolution
#: (name, x shape, w shape, stride, padding, dilation, groups)
CONV_GRID: list[tuple[str, Shape, Shape, Any, Any, Any, int]] = [
    ("basic", (2, 4, 5, 6), (3, 4, 3, 3), 1, 0, 1, 1),
    ("padding1", (2, 4, 5, 6), (3, 4, 3, 3), 1, 1, 1, 1),
    ("stride2_padding1", (2, 4, 5, 6), (3, 4, 3, 3), 2, 1, 1, 1),
    ("non_square", (2, 3, 6, 5), (4, 3, 3, 2), (2, 1), (1, 0), 1, 1),
    ("dilation2", (1, 2, 7, 6), (3, 2, 3, 3), 1, 2, 2, 1),
    ("dilation_non_square", (1, 2, 7, 6), (2, 2, 3, 2), 1, (1, 2), (2, 1), 1),
    ("groups2", (2, 4, 5, 5), (6, 2, 3, 3), 1, 1, 1, 2),
    ("depthwise", (2, 4, 5, 5), (4, 1, 3, 3), 1, 1, 1, 4),
    ("depthwise_multiplier_stride2", (1, 2, 5, 5), (4, 1, 3, 3), 2, 1, 1, 2),
    ("grouped_strided_dilated", (2, 4, 7, 6), (4, 2, 3, 3), (2, 1), 2, (2, 1), 2),
    ("pointwise", (2, 4, 5, 5), (3, 4, 1, 1), 1, 0, 1, 1),
    ("pointwise_stride2", (2, 4, 5, 5), (3, 4, 1, 1), 2, 0, 1, 1),
    ("grouped_pointwise", (1, 4, 3, 3), (4, 2, 1, 1), 1, 0, 1, 2),
    ("kernel5_stride3", (1, 2, 7, 7), (2, 2, 5, 5), 3, 2, 1, 1),
]


def _two(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)  # type: ignore[return-value]


def _conv(stride: Any, padding: Any, dilation: Any, groups: int):
    def fn(x, w):
        return F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)

    def ref(x, w):
        return nm.conv2d(x, w, None, _two(stride), _two(padding), _two(dilation), groups)

    return fn, ref


for _name, _xs, _ws, _s, _p, _d, _g in CONV_GRID:
    _f, _r = _conv(_s, _p, _d, _g)
    _case("functional.conv2d", f"conv2d-{_name}", [In(_xs), In(_ws)], _f, _r, loose=True)
_case("functional.conv2d", "conv2d-bias", [In((2, 3, 5, 5)), In((4, 3, 3, 3)), In((4,))],
      lambda x, w, b: F.conv2d(x, w, b, padding=1),
      lambda x, w, b: nm.conv2d(x, w, b, padding=(1, 1)), loose=True)
_case("functional.conv2d", "conv2d-same_dilated", [In((1, 2, 6, 5)), In((3, 2, 3, 3))],
      lambda x, w: F.conv2d(x, w, padding="same", dilation=2),
      lambda x, w: nm.conv2d_same(x, w, (2, 2)), loose=True)
_case("functional.conv2d", "conv2d-same_even_kernel", [In((1, 2, 5, 6)), In((2, 2, 2, 4))],
      lambda x, w: F.conv2d(x, w, padding="same"), lambda x, w: nm.conv2d_same(x, w),
      loose=True)
_case("functional.conv2d", "conv2d-valid", [In((1, 2, 5, 6)), In((2, 2, 3, 3))],
      lambda x, w: F.conv2d(x, w, padding="valid"), lambda x, w: nm.conv2d(x, w), loose=True)

# --------------------------------------------------------------------- pooling
#: (kernel, stride, padding); stride None means "the kernel size".
POOL_GRID: list[tuple[Any, Any, Any]] = [
    (2, None, 0), (2, 1, 0), (3, 1, 1), (3, 2, 1), ((3, 2), (2, 1), (1, 0)), (3, 3, 1),
]


def _pool(which: str, k: Any, s: Any, p: Any):
    lucid_fn = F.max_pool2d if which == "max" else F.avg_pool2d
    ref_fn = nm.max_pool2d if which == "max" else nm.avg_pool2d

    def fn(x):
        return lucid_fn(x, k, s, p)

    def ref(x):
        return ref_fn(x, _two(k), _two(k if s is None else s), _two(p))

    return fn, ref


for _k, _s, _p in POOL_GRID:
    _id = f"k{_dims(_two(_k))}-s{'k' if _s is None else _dims(_two(_s))}-p{_dims(_two(_p))}"
    _f, _r = _pool("max", _k, _s, _p)
    _case("functional.max_pool2d", f"max_pool2d-{_id}", [In((2, 3, 6, 5), distinct)], _f, _r)
    _f, _r = _pool("avg", _k, _s, _p)
    _case("functional.avg_pool2d", f"avg_pool2d-{_id}", [In((2, 3, 6, 5))], _f, _r)
_case("functional.global_avg_pool2d", "global_avg_pool2d", [In((2, 3, 4, 5))],
      F.global_avg_pool2d, lambda a: a.mean(axis=(2, 3), keepdims=True))
for _xs, _os in (((2, 3, 4, 5), (1, 1)), ((2, 3, 4, 6), (2, 3)), ((1, 2, 5, 7), (3, 4))):
    _case("functional.adaptive_avg_pool2d", f"adaptive_avg_pool2d-{_dims(_os)}", [In(_xs)],
          lambda x, o=_os: F.adaptive_avg_pool2d(x, o),
          lambda a, o=_os: nm.adaptive_avg_pool2d(a, o))

# ------------------------------------------------------------------ batch norm
_RM, _RV = np.array([0.3, -0.2, 0.1]), np.array([0.5, 1.5, 2.0])
_case("functional.batch_norm", "batch_norm-train_affine_4d",
      [In((4, 3, 2, 3)), In((3,), positive), In((3,))],
      lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
      lambda x, w, b: nm.batch_norm_train(x, w, b, 1e-5)[0], loose=True)
_case("functional.batch_norm", "batch_norm-train_plain_2d", [In((6, 3))],
      lambda x: F.batch_norm(x, None, None, training=True),
      lambda x: nm.batch_norm_train(x, None, None, 1e-5)[0], loose=True)
_case("functional.batch_norm", "batch_norm-eval_affine_4d",
      [In((2, 3, 2, 2)), In((3,), positive), In((3,))],
      lambda x, w, b: F.batch_norm(x, on(x, _RM), on(x, _RV), w, b, training=False),
      lambda x, w, b: nm.batch_norm_eval(x, _RM, _RV, w, b, 1e-5), loose=True)
_case("functional.batch_norm", "batch_norm-eval_plain_2d", [In((5, 3))],
      lambda x: F.batch_norm(x, on(x, _RM), on(x, _RV), eps=1e-3),
      lambda x: nm.batch_norm_eval(x, _RM, _RV, None, None, 1e-3), loose=True)

# ---------------------------------------------------------------------- losses
_TARGET = np.array([0, 3, 1, 1, 2])
for _ls in (0.0, 0.1):
    for _red in ("mean", "sum", "none"):
        _case("functional.cross_entropy", f"cross_entropy-smoothing{_ls}-{_red}", [In((5, 4))],
              lambda z, ls=_ls, red=_red: F.cross_entropy(
                  z, on(z, _TARGET, "int64"), label_smoothing=ls, reduction=red),
              lambda z, ls=_ls, red=_red: nm.cross_entropy(z, _TARGET, ls, red), loose=True)
_case("functional.cross_entropy", "cross_entropy-list_target_smoothing0.3", [In((5, 4))],
      lambda z: F.cross_entropy(z, _TARGET.tolist(), label_smoothing=0.3),
      lambda z: nm.cross_entropy(z, _TARGET, 0.3), loose=True)
for _red in ("mean", "sum", "none"):
    _case("functional.nll_loss", f"nll_loss-{_red}", [In((5, 4))],
          lambda lp, red=_red: F.nll_loss(lp, on(lp, _TARGET, "int64"), reduction=red),
          lambda lp, red=_red: nm.nll_loss(lp, _TARGET, red))
    _case("functional.mse_loss", f"mse_loss-{_red}", [In((3, 4)), In((3, 4))],
          lambda a, b, red=_red: F.mse_loss(a, b, reduction=red),
          lambda a, b, red=_red: nm.reduce((a - b) ** 2, red), loose=True)

#: Targets with ignored entries (-100, and 2 as a custom ignore_index), class weights,
#: probability targets, and ``(N, C, d1, d2)`` / unbatched ``(C,)`` inputs.
_T_IGN = np.array([0, 3, -100, 1, 2])
_T_ND = np.array([[[0, 1, 2], [3, -100, 0]], [[1, 1, 3], [2, 0, -100]]])  # (2, 2, 3)
_W4 = np.array([0.5, 1.5, 2.0, 0.8])


def _probs(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Rows of class probabilities along axis 1 (positive, summing to one)."""
    p = rng.uniform(0.1, 1.0, shape)
    return p / p.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)


def _unit(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Probabilities inside ``[0.1, 0.9]``: binary cross-entropy's domain, away from 0 and 1."""
    return rng.uniform(0.1, 0.9, shape)


_CE: list[tuple[str, list[In], Callable[..., Any], Callable[..., Any]]] = []
for _red in ("mean", "sum", "none"):
    for _ls in (0.0, 0.2):
        _CE += [
            (f"weight_ignore-smoothing{_ls}-{_red}", [In((5, 4))],
             lambda z, red=_red, ls=_ls: F.cross_entropy(
                 z, on(z, _T_IGN, "int64"), on(z, _W4), reduction=red, label_smoothing=ls),
             lambda z, red=_red, ls=_ls: nm.cross_entropy_full(z, _T_IGN, _W4, -100, red, ls)),
            (f"nd_input-smoothing{_ls}-{_red}", [In((2, 4, 2, 3))],
             lambda z, red=_red, ls=_ls: F.cross_entropy(
                 z, on(z, _T_ND, "int64"), reduction=red, label_smoothing=ls),
             lambda z, red=_red, ls=_ls: nm.cross_entropy_full(z, _T_ND, None, -100, red, ls)),
            (f"probabilities-smoothing{_ls}-{_red}", [In((3, 4)), In((3, 4), _probs)],
             lambda z, q, red=_red, ls=_ls: F.cross_entropy(
                 z, q, on(z, _W4), reduction=red, label_smoothing=ls),
             lambda z, q, red=_red, ls=_ls: nm.cross_entropy_full(z, q, _W4, -100, red, ls)),
        ]
_CE += [
    ("custom_ignore_index", [In((5, 4))],
     lambda z: F.cross_entropy(z, on(z, np.abs(_T_IGN) % 4, "int64"), ignore_index=0),
     lambda z: nm.cross_entropy_full(z, np.abs(_T_IGN) % 4, None, 0)),
    ("nd_probabilities", [In((2, 4, 3)), In((2, 4, 3), _probs)],
     lambda z, q: F.cross_entropy(z, q), lambda z, q: nm.cross_entropy_full(z, q)),
    ("unbatched", [In((4,))], lambda z: F.cross_entropy(z, on(z, np.array(2), "int64")),
     lambda z: nm.cross_entropy_full(z, np.array(2))),
]
for _name, _ins, _f, _r in _CE:
    _case("functional.cross_entropy", f"cross_entropy-{_name}", _ins, _f, _r, loose=True)
for _red in ("mean", "sum", "none"):
    _case("functional.nll_loss", f"nll_loss-weight_nd-{_red}", [In((2, 4, 2, 3))],
          lambda lp, red=_red: F.nll_loss(lp, on(lp, _T_ND, "int64"), on(lp, _W4),
                                          reduction=red),
          lambda lp, red=_red: nm.nll_loss_full(lp, _T_ND, _W4, -100, red), loose=True)
_case("functional.nll_loss", "nll_loss-ignore_index2", [In((5, 4))],
      lambda lp: F.nll_loss(lp, on(lp, _T_IGN, "int64"), ignore_index=-100),
      lambda lp: nm.nll_loss_full(lp, _T_IGN), loose=True)

_W34 = np.linspace(0.5, 2.0, 12).reshape(3, 4)
_PW4 = np.array([0.5, 1.0, 2.0, 3.0])
_LOSSES: list[tuple[str, str, list[In], Callable[..., Any], Callable[..., Any]]] = []
for _red in ("mean", "sum", "none"):
    _LOSSES += [
        ("binary_cross_entropy", f"weight-{_red}", [In((3, 4), _unit), In((3, 4), _unit)],
         lambda p, t, red=_red: F.binary_cross_entropy(p, t, on(p, _W34), reduction=red),
         lambda p, t, red=_red: nm.binary_cross_entropy(p, t, _W34, red)),
        ("binary_cross_entropy_with_logits", f"pos_weight-{_red}",
         [In((3, 4)), In((3, 4), _unit)],
         lambda x, t, red=_red: F.binary_cross_entropy_with_logits(
             x, t, on(x, _W34), reduction=red, pos_weight=on(x, _PW4)),
         lambda x, t, red=_red: nm.binary_cross_entropy_with_logits(x, t, _W34, red, _PW4)),
        ("l1_loss", _red, [In((3, 4), nonzero), In((3, 4), lambda r, s: np.zeros(s))],
         lambda a, b, red=_red: F.l1_loss(a, b, reduction=red),
         lambda a, b, red=_red: nm.reduce(np.abs(a - b), red)),
        ("smooth_l1_loss", f"beta0.5-{_red}", [In((3, 4), away_from(-0.5, 0.0, 0.5))],
         lambda a, red=_red: F.smooth_l1_loss(a, on(a, np.zeros((3, 4))), reduction=red,
                                              beta=0.5),
         lambda a, red=_red: nm.smooth_l1(a, np.zeros((3, 4)), 0.5, red)),
        ("huber_loss", f"delta0.7-{_red}", [In((3, 4), away_from(-0.7, 0.0, 0.7))],
         lambda a, red=_red: F.huber_loss(a, on(a, np.zeros((3, 4))), reduction=red,
                                          delta=0.7),
         lambda a, red=_red: nm.huber(a, np.zeros((3, 4)), 0.7, red)),
    ]
for _red in ("mean", "sum", "none", "batchmean"):
    _LOSSES += [
        ("kl_div", f"{_red}", [In((3, 4)), In((3, 4), _probs)],
         lambda x, t, red=_red: F.kl_div(x, t, reduction=red),
         lambda x, t, red=_red: nm.kl_div(x, t, red, False)),
        ("kl_div", f"log_target-{_red}", [In((3, 4)), In((3, 4))],
         lambda x, t, red=_red: F.kl_div(x, t, reduction=red, log_target=True),
         lambda x, t, red=_red: nm.kl_div(x, t, red, True)),
    ]
_LOSSES += [
    ("binary_cross_entropy", "default", [In((2, 3), _unit), In((2, 3), _unit)],
     F.binary_cross_entropy, nm.binary_cross_entropy),
    ("binary_cross_entropy_with_logits", "default", [In((2, 3)), In((2, 3), _unit)],
     F.binary_cross_entropy_with_logits, nm.binary_cross_entropy_with_logits),
    ("smooth_l1_loss", "default", [In((3, 4), away_from(-1.0, 0.0, 1.0)), In((3, 4), distinct)],
     lambda a, b: F.smooth_l1_loss(a, b * 0.0), lambda a, b: nm.smooth_l1(a, 0 * b, 1.0, "mean")),
    ("huber_loss", "default", [In((3, 4), away_from(-1.0, 0.0, 1.0))],
     lambda a: F.huber_loss(a, on(a, np.zeros((3, 4)))),
     lambda a: nm.huber(a, np.zeros((3, 4)), 1.0, "mean")),
]
_W_EL = np.linspace(0.2, 2.0, 12).reshape(3, 4)  # per-element weights (PyTorch 2.14)
for _red in ("mean", "sum", "none"):
    _LOSSES += [
        ("mse_loss", f"weight-{_red}", [In((3, 4)), In((3, 4))],
         lambda a, b, red=_red: F.mse_loss(a, b, reduction=red, weight=on(a, _W_EL)),
         lambda a, b, red=_red: nm.weighted_reduce((a - b) ** 2, _W_EL, red, True)),
        ("l1_loss", f"weight-{_red}", [In((3, 4), nonzero), In((3, 4), lambda r, s: np.zeros(s))],
         lambda a, b, red=_red: F.l1_loss(a, b, reduction=red, weight=on(a, _W_EL)),
         lambda a, b, red=_red: nm.weighted_reduce(np.abs(a - b), _W_EL, red, True)),
        ("huber_loss", f"weight-{_red}", [In((3, 4), away_from(-0.7, 0.0, 0.7))],
         lambda a, red=_red: F.huber_loss(a, on(a, np.zeros((3, 4))), reduction=red,
                                          delta=0.7, weight=on(a, _W_EL)),
         lambda a, red=_red: nm.weighted_reduce(nm.huber(a, np.zeros((3, 4)), 0.7, "none"),
                                                _W_EL, red, False)),
    ]
for _op, _name, _ins, _f, _r in _LOSSES:
    _case(f"functional.{_op}", f"{_op}-{_name}", _ins, _f, _r, loose=True)
_case("functional.dropout", "dropout-eval_is_identity", [In((3, 4))],
      lambda x: F.dropout(x, 0.5, training=False), lambda a: a)
_case("functional.dropout", "dropout-p0_is_identity", [In((3, 4))],
      lambda x: F.dropout(x, 0.0), lambda a: a)


def covered_ops() -> set[str]:
    """The names of the lucid functions that the table exercises."""
    return {case.op for case in CASES}



# ==================================================================== layers
# Activations, normalisations, embedding, conv1d/conv_transpose2d, padding modes, PyTorch's
# pooling options, interpolate and dropout2d; references in lucid.testing.numpy_layers.
def wide(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Values in (-5, 5), at least 0.1 away from the kinks at -3, 0 and 3."""
    x = rng.uniform(-5.0, 5.0, shape)
    for p in (-3.0, 0.0, 3.0):
        x = np.where(np.abs(x - p) < 0.1, x + 0.2, x)
    return x


# ------------------------------------------------------------------ activations
_ACTIVATIONS: list[tuple[str, str, Any, Any, Any]] = [
    ("gelu", "gelu", normal, F.gelu, nl.gelu),
    ("gelu", "gelu_tanh", normal, lambda x: F.gelu(x, approximate="tanh"),
     lambda a: nl.gelu(a, "tanh")),
    ("silu", "silu", normal, F.silu, nl.silu),
    ("mish", "mish", normal, F.mish, nl.mish),
    ("leaky_relu", "leaky_relu", nonzero, F.leaky_relu, nl.leaky_relu),
    ("leaky_relu", "leaky_relu_slope", nonzero, lambda x: F.leaky_relu(x, 0.3),
     lambda a: nl.leaky_relu(a, 0.3)),
    ("elu", "elu", nonzero, F.elu, nl.elu),
    ("elu", "elu_alpha", nonzero, lambda x: F.elu(x, 0.5), lambda a: nl.elu(a, 0.5)),
    ("selu", "selu", nonzero, F.selu, nl.selu),
    ("softplus", "softplus", wide, F.softplus, nl.softplus),
    ("softplus", "softplus_beta_threshold", away_from(0.5), lambda x: F.softplus(x, 2.0, 1.0),
     lambda a: nl.softplus(a, 2.0, 1.0)),
    ("hardswish", "hardswish", wide, F.hardswish, nl.hardswish),
    ("hardsigmoid", "hardsigmoid", wide, F.hardsigmoid, nl.hardsigmoid),
]
for _op, _name, _domain, _fn, _ref in _ACTIVATIONS:
    _case(f"functional.{_op}", _name, [In((3, 4), _domain)], _fn, _ref)
_case("functional.prelu", "prelu_shared", [In((2, 3, 4), nonzero), In((1,), positive)],
      F.prelu, nl.prelu)
_case("functional.prelu", "prelu_per_channel", [In((2, 3, 2, 2), nonzero), In((3,))],
      F.prelu, nl.prelu)

# --------------------------------------------------------------- normalisation
_case("functional.layer_norm", "layer_norm-last_axis", [In((3, 5)), In((5,)), In((5,))],
      lambda x, w, b: F.layer_norm(x, 5, w, b), lambda x, w, b: nl.layer_norm(x, 1, w, b),
      loose=True)
_case("functional.layer_norm", "layer_norm-two_axes_plain", [In((2, 3, 4))],
      lambda x: F.layer_norm(x, (3, 4), eps=1e-3),
      lambda x: nl.layer_norm(x, 2, None, None, 1e-3), loose=True)
_case("functional.group_norm", "group_norm-4d_affine", [In((2, 4, 2, 3)), In((4,)), In((4,))],
      lambda x, w, b: F.group_norm(x, 2, w, b), lambda x, w, b: nl.group_norm(x, 2, w, b),
      loose=True)
_case("functional.group_norm", "group_norm-3d_one_group", [In((2, 3, 4))],
      lambda x: F.group_norm(x, 1), lambda x: nl.group_norm(x, 1, None, None), loose=True)
_case("functional.instance_norm", "instance_norm-affine",
      [In((2, 3, 2, 3)), In((3,)), In((3,))],
      lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
      lambda x, w, b: nl.instance_norm(x, w, b), loose=True)
_case("functional.instance_norm", "instance_norm-plain_3d", [In((2, 3, 5))],
      F.instance_norm, lambda x: nl.instance_norm(x, None, None), loose=True)

# -------------------------------------------------------------------- embedding
_IDX = np.array([[0, 3, 3], [4, 1, 0]])
_case("functional.embedding", "embedding", [In((5, 3))],
      lambda w: F.embedding(on(w, _IDX, "int64"), w), lambda w: w[_IDX])
#: The padding row gets no gradient by definition; masking its lookups out of the output
#: makes that the true derivative, so finite differences can check it.
_KEEP = (_IDX != 3)[..., None].astype(np.float64)
_case("functional.embedding", "embedding-padding_idx", [In((5, 3))],
      lambda w: F.embedding(on(w, _IDX, "int64"), w, padding_idx=3) * on(w, _KEEP),
      lambda w: w[_IDX] * _KEEP)

# ------------------------------------------------------------------ convolution
_case("functional.conv1d", "conv1d-strided_padded", [In((2, 4, 7)), In((3, 4, 3))],
      lambda x, w: F.conv1d(x, w, stride=2, padding=1),
      lambda x, w: nl.conv1d(x, w, 2, 1), loose=True)
_case("functional.conv1d", "conv1d-dilated_grouped_bias", [In((1, 4, 9)), In((6, 2, 3)),
                                                           In((6,))],
      lambda x, w, b: F.conv1d(x, w, b, dilation=2, groups=2),
      lambda x, w, b: nl.conv1d(x, w, 1, 0, 2, 2) + b[None, :, None], loose=True)
#: (name, x shape, w shape, stride, padding, output_padding, dilation, groups)
_TRANSPOSED: list[tuple[str, Shape, Shape, Any, Any, Any, Any, int]] = [
    ("basic", (2, 3, 3, 4), (3, 2, 3, 3), 1, 0, 0, 1, 1),
    ("stride2_padding1_output_padding1", (1, 2, 3, 3), (2, 3, 3, 3), 2, 1, 1, 1, 1),
    ("non_square_dilated", (1, 2, 3, 2), (2, 2, 2, 3), (2, 1), (0, 1), (1, 0), (1, 2), 1),
    ("groups2", (1, 4, 3, 3), (4, 1, 3, 2), 2, 1, 0, 1, 2),
]


def _pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)  # type: ignore[return-value]


for _name, _xs, _ws, _s, _p, _op_, _d, _g in _TRANSPOSED:
    _case("functional.conv_transpose2d", f"conv_transpose2d-{_name}", [In(_xs), In(_ws)],
          lambda x, w, s=_s, p=_p, o=_op_, d=_d, g=_g: F.conv_transpose2d(
              x, w, None, s, p, o, g, d),
          lambda x, w, s=_s, p=_p, o=_op_, d=_d, g=_g: nl.conv_transpose2d(
              x, w, _pair(s), _pair(p), _pair(o), _pair(d), g), loose=True)
_case("functional.conv_transpose2d", "conv_transpose2d-bias",
      [In((1, 2, 2, 3)), In((2, 3, 2, 2)), In((3,))],
      lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2),
      lambda x, w, b: nl.conv_transpose2d(x, w, (2, 2), (0, 0), (0, 0), (1, 1), 1)
      + b[None, :, None, None], loose=True)
for _mode in ("constant", "reflect", "replicate", "circular"):
    _case("functional.pad", f"pad-{_mode}", [In((2, 3, 4))],
          lambda x, m=_mode: F.pad(x, (2, 1, 1, 2), m),
          lambda a, m=_mode: nl.pad(a, (2, 1, 1, 2), m))
_case("functional.pad", "pad-constant_value", [In((2, 3))],
      lambda x: F.pad(x, (1, 2), value=0.5), lambda a: nl.pad(a, (1, 2), "constant", 0.5))

# --------------------------------------------------------------------- pooling
#: (kernel, stride, padding, dilation, ceil_mode)
_MAX_POOLS: list[tuple[Any, Any, Any, Any, bool]] = [
    (3, 2, 0, 1, True), (3, 2, 1, 1, True), (2, 1, 0, 2, False), ((3, 2), (2, 1), (1, 1), 2, True),
]
for _k, _s, _p, _d, _c in _MAX_POOLS:
    _id = f"k{_pair(_k)}-s{_pair(_s)}-p{_pair(_p)}-d{_pair(_d)}-ceil{_c}".replace(" ", "")
    _case("functional.max_pool2d", f"max_pool2d-{_id}", [In((2, 2, 7, 6), distinct)],
          lambda x, k=_k, s=_s, p=_p, d=_d, c=_c: F.max_pool2d(x, k, s, p, d, c),
          lambda a, k=_k, s=_s, p=_p, d=_d, c=_c: nl.max_pool2d(
              a, _pair(k), _pair(s), _pair(p), _pair(d), c)[0])
_case("functional.max_pool2d", "max_pool2d-return_indices", [In((1, 2, 5, 6), distinct)],
      lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True)[0],
      lambda a: nl.max_pool2d(a, (3, 3), (2, 2), (1, 1), (1, 1), True)[0])
#: (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
_AVG_POOLS: list[tuple[Any, Any, Any, bool, bool, Any]] = [
    (3, 2, 1, True, True, None), (3, 2, 1, False, False, None), (3, 2, 1, True, False, None),
    ((2, 3), (2, 2), (1, 0), True, True, 4), (2, 2, 0, True, True, None),
]
for _k, _s, _p, _c, _cip, _div in _AVG_POOLS:
    _id = f"k{_pair(_k)}-s{_pair(_s)}-p{_pair(_p)}-ceil{_c}-pad{_cip}-div{_div}".replace(" ", "")
    _case("functional.avg_pool2d", f"avg_pool2d-{_id}", [In((2, 2, 7, 6))],
          lambda x, k=_k, s=_s, p=_p, c=_c, i=_cip, v=_div: F.avg_pool2d(x, k, s, p, c, i, v),
          lambda a, k=_k, s=_s, p=_p, c=_c, i=_cip, v=_div: nl.avg_pool2d(
              a, _pair(k), _pair(s), _pair(p), c, i, v))
_ADAPTIVE_MAX: list[tuple[Shape, tuple[int | None, int]]] = [
    ((2, 3, 4, 6), (2, 3)), ((1, 2, 5, 7), (3, 4)), ((1, 2, 5, 7), (None, 3))]
for _axs, _aos in _ADAPTIVE_MAX:
    _full = tuple(_axs[2 + i] if v is None else v for i, v in enumerate(_aos))
    _case("functional.adaptive_max_pool2d", f"adaptive_max_pool2d-{_aos}".replace(" ", ""),
          [In(_axs, distinct)], lambda x, o=_aos: F.adaptive_max_pool2d(x, o),
          lambda a, o=_full: nl.adaptive_max_pool2d(a, o))


def _adaptive_avg_rows(a: np.ndarray, oh: int) -> np.ndarray:
    """Adaptive average over rows only (columns kept): PyTorch's bins on one axis."""
    h = a.shape[2]
    rows = [a[:, :, (i * h) // oh:-(-((i + 1) * h) // oh)].mean(axis=2, keepdims=True)
            for i in range(oh)]
    return np.concatenate(rows, axis=2)


_case("functional.adaptive_avg_pool2d", "adaptive_avg_pool2d-None_entry", [In((1, 2, 5, 6))],
      lambda x: F.adaptive_avg_pool2d(x, (3, None)), lambda a: _adaptive_avg_rows(a, 3))


# --------------------------------------------------------------------- sampling
#: (name, size, scale_factor, mode, align_corners)
_RESIZES: list[tuple[str, Any, Any, str, Any]] = [
    ("nearest_scale2", None, 2, "nearest", None),
    ("nearest_size", (5, 3), None, "nearest", None),
    ("bilinear_scale", None, (1.5, 2.0), "bilinear", False),
    ("bilinear_size_align", (5, 7), None, "bilinear", True),
    ("bilinear_downsize", (2, 3), None, "bilinear", False),
]
for _name, _size, _scale, _mode, _align in _RESIZES:
    _shape = (1, 2, 3, 4)
    _out = _size if _size is not None else tuple(
        int(n * f) for n, f in zip(_shape[2:], _pair(_scale) if isinstance(_scale, int)
                                   else _scale, strict=True))
    _scales = None if _scale is None else tuple(map(float, _pair(_scale) if isinstance(
        _scale, int) else _scale))
    _case("functional.interpolate", f"interpolate-{_name}", [In(_shape)],
          lambda x, z=_size, f=_scale, m=_mode, a=_align: F.interpolate(x, z, f, m, a),
          lambda x, o=_out, m=_mode, a=_align, sc=_scales: nl.interpolate(x, o, m, bool(a), sc))

_case("functional.interpolate", "interpolate-nearest_exact", [In((1, 2, 3, 4))],
      lambda x: F.interpolate(x, (5, 3), mode="nearest-exact"),
      lambda a: nl.interpolate(a, (5, 3), "nearest-exact"))
_case("functional.interpolate", "interpolate-linear_1d_align", [In((2, 3, 4))],
      lambda x: F.interpolate(x, 7, mode="linear", align_corners=True),
      lambda a: nl.interpolate(a[:, :, None], (1, 7), "bilinear", True)[:, :, 0])
_case("functional.interpolate", "interpolate-linear_1d_scale", [In((2, 3, 4))],
      lambda x: F.interpolate(x, scale_factor=1.5, mode="linear"),
      lambda a: nl.interpolate(a[:, :, None], (1, 6), "bilinear", False, (1.0, 1.5))[:, :, 0])
_case("functional.interpolate", "interpolate-area", [In((1, 2, 5, 7))],
      lambda x: F.interpolate(x, (3, 4), mode="area"),
      lambda a: nm.adaptive_avg_pool2d(a, (3, 4)))

# ---------------------------------------------------------------------- dropout
_case("functional.dropout2d", "dropout2d-eval_is_identity", [In((2, 3, 2, 2))],
      lambda x: F.dropout2d(x, 0.5, training=False), lambda a: a)
_case("functional.dropout2d", "dropout2d-p0_is_identity", [In((2, 3, 2, 2))],
      lambda x: F.dropout2d(x, 0.0), lambda a: a)
_case("functional.dropout2d", "dropout2d-p1_zeroes", [In((3, 2, 2))],
      lambda x: F.dropout2d(x, 1.0), lambda a: np.zeros_like(a))
