"""Element-wise arithmetic with NumPy broadcasting, matrix products and ``where``."""

from __future__ import annotations

import math
from typing import Any

from .. import _dtype
from .._tensor import Tensor
from ..autograd.engine import Node
from ..autograd.function import Function
from ._support import Scalar, apply_broadcasting, operands, shape_of, unbroadcast


class Add(Function):
    """``a + b``."""

    @staticmethod
    def forward(ctx: Node, a: Any, b: Any) -> Any:
        bk = ctx.backend
        ctx.shapes = (shape_of(bk, a), shape_of(bk, b))
        return bk.add(a, b)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, Any]:
        bk, (sa, sb), (na, nb) = ctx.backend, ctx.shapes, ctx.needs_input_grad
        return (unbroadcast(bk, g, sa) if na else None, unbroadcast(bk, g, sb) if nb else None)


class Sub(Function):
    """``a - b``."""

    @staticmethod
    def forward(ctx: Node, a: Any, b: Any) -> Any:
        bk = ctx.backend
        ctx.shapes = (shape_of(bk, a), shape_of(bk, b))
        return bk.subtract(a, b)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, Any]:
        bk, (sa, sb), (na, nb) = ctx.backend, ctx.shapes, ctx.needs_input_grad
        return (unbroadcast(bk, g, sa) if na else None,
                unbroadcast(bk, bk.negative(g), sb) if nb else None)


class Mul(Function):
    """``a * b``."""

    @staticmethod
    def forward(ctx: Node, a: Any, b: Any) -> Any:
        bk = ctx.backend
        na, nb = ctx.needs_input_grad
        # keep only what a gradient needs (as PyTorch): an in-place change of an operand
        # whose value no gradient reads must not make backward refuse
        ctx.save_for_backward(a if nb else None, b if na else None)
        ctx.shapes = (shape_of(bk, a), shape_of(bk, b))
        return bk.multiply(a, b)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, Any]:
        bk, (sa, sb), (na, nb) = ctx.backend, ctx.shapes, ctx.needs_input_grad
        a, b = ctx.saved_tensors
        return (unbroadcast(bk, bk.multiply(g, b), sa) if na else None,
                unbroadcast(bk, bk.multiply(g, a), sb) if nb else None)


class Div(Function):
    """``a / b`` (true division)."""

    @staticmethod
    def forward(ctx: Node, a: Any, b: Any) -> Any:
        bk = ctx.backend
        # d/db = -a / b^2 reads the inputs, not the result (as PyTorch), so changing the
        # result in place afterwards stays legal
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        ctx.shapes = (shape_of(bk, a), shape_of(bk, b))
        return bk.divide(a, b)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, Any]:
        bk, (sa, sb), (na, nb) = ctx.backend, ctx.shapes, ctx.needs_input_grad
        a, b = ctx.saved_tensors
        return (unbroadcast(bk, bk.divide(g, b), sa) if na else None,
                unbroadcast(bk, bk.negative(bk.divide(bk.divide(bk.multiply(g, a), b), b)), sb)
                if nb else None)


def _scalar_log(v: float) -> float:
    """Natural log of a Python number, with IEEE results (-inf at 0, nan below) like arrays."""
    if v > 0:
        return math.log(v)
    return float("-inf") if v == 0 else float("nan")


class Pow(Function):
    """``a ** b``."""

    @staticmethod
    def forward(ctx: Node, a: Any, b: Any) -> Any:
        bk = ctx.backend
        out = bk.power(a, b)
        ctx.save_for_backward(a, b, out)
        ctx.shapes = (shape_of(bk, a), shape_of(bk, b))
        return out

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, Any]:
        bk, (sa, sb), (na, nb) = ctx.backend, ctx.shapes, ctx.needs_input_grad
        a, b, out = ctx.saved_tensors
        ga = gb = None
        if na:  # b * a^(b-1), and 0 where b == 0 (as PyTorch: d(x^0)/dx = 0, even at x = 0)
            if isinstance(b, Scalar):
                if b == 0:
                    d = bk.multiply(a, 0.0)
                else:
                    d = bk.multiply(a, 2) if b == 2 else bk.multiply(bk.power(a, b - 1), b)
            else:
                flat = bk.equal(b, 0)
                d = bk.where(flat, 0.0, bk.multiply(
                    bk.power(a, bk.subtract(bk.where(flat, 1.0, b), 1)), b))
            ga = unbroadcast(bk, bk.multiply(g, d), sa)
        if nb:  # a^b * log(a), and 0 where a == 0 and b >= 0 (as PyTorch)
            # a Python-number base keeps its logarithm a Python float: a backend scalar
            # (e.g. numpy.float64) would promote a float32 gradient to float64
            if isinstance(a, Scalar):
                if a == 0:
                    ge = bk.greater_equal(b, 0)
                    d = bk.where(ge, 0.0, bk.multiply(bk.where(ge, 1.0, out), float("-inf")))
                else:
                    d = bk.multiply(out, _scalar_log(a))
            else:
                quiet = bk.logical_and(bk.equal(a, 0), bk.greater_equal(b, 0))
                d = bk.multiply(out, bk.log(bk.where(quiet, 1.0, a)))
            gb = unbroadcast(bk, bk.multiply(g, d), sb)
        return ga, gb


class Neg(Function):
    """``-x``."""

    @staticmethod
    def forward(ctx: Node, x: Any) -> Any:
        return ctx.backend.negative(x)

    @staticmethod
    def backward(ctx: Node, g: Any) -> Any:
        return ctx.backend.negative(g)


class _Extremum(Function):
    """Shared backward of ``maximum``/``minimum``: ties send the gradient to ``a``."""

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, Any]:
        bk, (sa, sb), (na, nb) = ctx.backend, ctx.shapes, ctx.needs_input_grad
        (pick,) = ctx.saved_tensors
        return (unbroadcast(bk, bk.where(pick, g, 0), sa) if na else None,
                unbroadcast(bk, bk.where(pick, 0, g), sb) if nb else None)


class Maximum(_Extremum):
    """Element-wise maximum."""

    @staticmethod
    def forward(ctx: Node, a: Any, b: Any) -> Any:
        bk = ctx.backend
        ctx.save_for_backward(bk.greater_equal(a, b))
        ctx.shapes = (shape_of(bk, a), shape_of(bk, b))
        return bk.maximum(a, b)


class Minimum(_Extremum):
    """Element-wise minimum."""

    @staticmethod
    def forward(ctx: Node, a: Any, b: Any) -> Any:
        bk = ctx.backend
        ctx.save_for_backward(bk.less_equal(a, b))
        ctx.shapes = (shape_of(bk, a), shape_of(bk, b))
        return bk.minimum(a, b)


class Where(Function):
    """``a`` where ``cond`` holds, else ``b``."""

    @staticmethod
    def forward(ctx: Node, cond: Any, a: Any, b: Any) -> Any:
        bk = ctx.backend
        ctx.save_for_backward(cond)
        ctx.shapes = (shape_of(bk, a), shape_of(bk, b))
        return bk.where(cond, a, b)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[None, Any, Any]:
        bk, (sa, sb), (_, na, nb) = ctx.backend, ctx.shapes, ctx.needs_input_grad
        (cond,) = ctx.saved_tensors
        return (None, unbroadcast(bk, bk.where(cond, g, 0), sa) if na else None,
                unbroadcast(bk, bk.where(cond, 0, g), sb) if nb else None)


def _swap_last(bk: Any, m: Any) -> Any:
    n = len(bk.shape(m))
    return bk.transpose(m, tuple(range(n - 2)) + (n - 1, n - 2))


class MatMul(Function):
    """``a @ b`` with NumPy's semantics (1-D operands, batch broadcasting)."""

    @staticmethod
    def forward(ctx: Node, a: Any, b: Any) -> Any:
        bk = ctx.backend
        sa, sb = shape_of(bk, a), shape_of(bk, b)
        try:
            out = bk.matmul(a, b)
        except (ValueError, TypeError) as exc:  # explain in lucid's terms, whatever the backend
            reason = _matmul_mismatch(sa, sb)
            if reason is None:
                raise
            raise ValueError(f"matmul: cannot multiply shapes {sa} and {sb}: {reason}") from exc
        ctx.save_for_backward(a, b)
        ctx.shapes = (sa, sb)
        return out

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, Any]:
        bk, (sa, sb), (na, nb) = ctx.backend, ctx.shapes, ctx.needs_input_grad
        a, b = ctx.saved_tensors
        A = bk.reshape(a, (1,) + sa) if len(sa) == 1 else a
        B = bk.reshape(b, sb + (1,)) if len(sb) == 1 else b
        G = g
        if len(sa) == 1:
            G = bk.reshape(G, tuple(bk.shape(G))[:-1] + (1,) + tuple(bk.shape(G))[-1:])
        if len(sb) == 1:
            G = bk.reshape(G, tuple(bk.shape(G)) + (1,))
        ga = gb = None
        if na:
            ga = bk.matmul(G, _swap_last(bk, B))
            ga = unbroadcast(bk, ga, sa) if len(sa) > 1 else \
                bk.reshape(unbroadcast(bk, ga, (1,) + sa), sa)
        if nb:
            gb = bk.matmul(_swap_last(bk, A), G)
            gb = unbroadcast(bk, gb, sb) if len(sb) > 1 else \
                bk.reshape(unbroadcast(bk, gb, sb + (1,)), sb)
        return ga, gb


def _matmul_mismatch(sa: tuple[int, ...], sb: tuple[int, ...]) -> str | None:
    """Why ``a @ b`` is impossible for these shapes, or None when the shapes are fine."""
    if not sa or not sb:
        return "both operands need at least one dimension"
    inner_b = sb[0] if len(sb) == 1 else sb[-2]
    if sa[-1] != inner_b:
        return (f"the last axis of the first operand ({sa[-1]}) must equal the "
                f"{'length' if len(sb) == 1 else 'second-to-last axis'} of the second "
                f"({inner_b})")
    batch_a, batch_b = sa[:-2], sb[:-2]
    for x, y in zip(reversed(batch_a), reversed(batch_b)):
        if x != y and 1 not in (x, y):
            return f"batch dimensions {batch_a} and {batch_b} do not broadcast"
    return None


# ------------------------------------------------------------------ the functions
def add(a: Any, b: Any) -> Any:
    """Element-wise ``a + b`` with broadcasting."""
    return apply_broadcasting(Add, "add", *operands(a, b, "add"))


def sub(a: Any, b: Any) -> Any:
    """Element-wise ``a - b`` with broadcasting."""
    return apply_broadcasting(Sub, "sub", *operands(a, b, "sub"))


def mul(a: Any, b: Any) -> Any:
    """Element-wise ``a * b`` with broadcasting."""
    return apply_broadcasting(Mul, "mul", *operands(a, b, "mul"))


def div(a: Any, b: Any) -> Any:
    """Element-wise true division with broadcasting (integers divide as the default float)."""
    a, b = operands(a, b, "div")
    ta = a if isinstance(a, Tensor) else b
    if not ta.dtype.is_floating:  # PyTorch: int / int is float32, not NumPy's float64
        a = a.astype(_dtype.default_float) if isinstance(a, Tensor) else a
        b = b.astype(_dtype.default_float) if isinstance(b, Tensor) else b
    return apply_broadcasting(Div, "div", a, b)


def pow(a: Any, b: Any) -> Any:
    """Element-wise power ``a ** b``."""
    return apply_broadcasting(Pow, "pow", *operands(a, b, "pow"))


def neg(x: Any) -> Any:
    """Element-wise negation."""
    return Neg.apply(x)


def maximum(a: Any, b: Any) -> Any:
    """Element-wise maximum (ties send the gradient to ``a``)."""
    return apply_broadcasting(Maximum, "maximum", *operands(a, b, "maximum"))


def minimum(a: Any, b: Any) -> Any:
    """Element-wise minimum (ties send the gradient to ``a``)."""
    return apply_broadcasting(Minimum, "minimum", *operands(a, b, "minimum"))


def matmul(a: Any, b: Any) -> Any:
    """Matrix product with NumPy's ``@`` semantics (1-D operands and batch broadcasting)."""
    return MatMul.apply(*operands(a, b, "matmul"))


def where(cond: Any, a: Any, b: Any) -> Any:
    """Pick elements of ``a`` where ``cond`` holds, else of ``b``."""
    a, b = operands(a, b, "where")
    bk = (a if isinstance(a, Tensor) else b).backend
    if not isinstance(cond, Tensor):
        cond = cond if bk.is_native(cond) else bk.asarray(cond)
    cdt = cond.dtype if isinstance(cond, Tensor) else bk.dtype_of(cond)
    if cdt != _dtype.bool_:
        raise TypeError(f"where: expected condition to be a boolean tensor, but got a tensor "
                        f"with dtype {cdt}")
    return apply_broadcasting(Where, "where", cond, a, b)
