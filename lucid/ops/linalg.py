"""Products with PyTorch's shape rules: mm, bmm, dot, and einsum."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from ..autograd.engine import Node
from ..autograd.function import Function
from ._support import same_backend
from .arithmetic import matmul


def mm(a: Tensor, b: Tensor) -> Tensor:
    """The product of two matrices (2-D only, unlike :func:`matmul`)."""
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"mm: both operands must be 2-D, got shapes {a.shape} and {b.shape}")
    return matmul(a, b)


def bmm(a: Tensor, b: Tensor) -> Tensor:
    """Batched matrix products of two 3-D tensors with the same batch size."""
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise ValueError(f"bmm: operands must be 3-D with the same batch size, got shapes "
                         f"{a.shape} and {b.shape}")
    return matmul(a, b)


def dot(a: Tensor, b: Tensor) -> Tensor:
    """The inner product of two 1-D tensors of the same length."""
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"dot: operands must be 1-D of the same length, got shapes {a.shape} "
                         f"and {b.shape}")
    return matmul(a, b)


class Einsum(Function):
    """``einsum`` with explicit output; each operand's gradient is another einsum."""

    @staticmethod
    def forward(ctx: Node, spec: tuple[tuple[str, ...], str], *arrays: Any) -> Any:
        b = ctx.backend
        inputs, out = spec
        ctx.save_for_backward(*arrays)
        ctx.spec = spec
        return b.einsum(",".join(inputs) + "->" + out, *arrays)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, ...]:
        b = ctx.backend
        inputs, out = ctx.spec
        arrays = ctx.saved_tensors
        grads: list[Any] = [None]
        for i, sub in enumerate(inputs):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            others = [(s, a) for j, (s, a) in enumerate(zip(inputs, arrays)) if j != i]
            present = set(out).union(*(set(s) for s, _ in others))
            reduced = "".join(c for c in sub if c in present)
            gi = b.einsum(",".join([out] + [s for s, _ in others]) + "->" + reduced, g,
                          *(a for _, a in others))
            if reduced != sub:  # letters summed inside this operand alone: broadcast back
                shape = tuple(b.shape(arrays[i]))
                keep = tuple(shape[k] if c in present else 1 for k, c in enumerate(sub))
                gi = b.broadcast_to(b.reshape(gi, keep), shape)
            grads.append(gi)
        return tuple(grads)


def _parse(equation: str, count: int) -> tuple[tuple[str, ...], str]:
    eq = equation.replace(" ", "")
    if "." in eq:
        raise ValueError(f"einsum: ellipsis ('...') is not supported, got {equation!r}")
    lhs, arrow, out = eq.partition("->")
    inputs = tuple(lhs.split(","))
    if len(inputs) != count:
        raise ValueError(f"einsum: equation {equation!r} names {len(inputs)} operands, "
                         f"got {count}")
    for k, sub in enumerate(inputs):
        if not sub.isalpha() and sub:
            raise ValueError(f"einsum: subscripts must be letters, got {sub!r}")
        repeated = {c for c in sub if sub.count(c) > 1}
        if repeated:
            raise ValueError(f"einsum: operand {k} repeats subscript "
                             f"{sorted(repeated)[0]!r} (a diagonal), which is not supported")
    if not arrow:
        letters = "".join(inputs)
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return inputs, out


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation, as ``torch.einsum`` (no ellipsis or diagonals)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in operands]
    same_backend(ts, "einsum")
    inputs, out = _parse(equation, len(ts))
    sizes: dict[str, int] = {}
    for k, (sub, t) in enumerate(zip(inputs, ts)):
        if len(sub) != t.ndim:
            raise ValueError(f"einsum: operand {k} has {t.ndim} dimensions but subscripts "
                             f"{sub!r}")
        for c, n in zip(sub, t.shape):
            if sizes.setdefault(c, n) != n:
                raise ValueError(f"einsum: subscript {c!r} has sizes {sizes[c]} and {n}")
    return Einsum.apply((inputs, out), *ts)
