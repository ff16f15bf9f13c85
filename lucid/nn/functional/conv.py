"""Convolution: ``conv2d`` over the backend's conv2d kernels (a Function of its own),
``conv1d`` (conv2d over a unit height) and ``conv_transpose2d`` (conv2d's adjoint)."""

from __future__ import annotations

from typing import Any

from ..._tensor import Tensor
from ...autograd import Function
from ...autograd.engine import Node
from ...backends import MixedBackendError
from ...backends.geometry import conv_output_hw, same_padding
from ...ops import add, pad, squeeze, unsqueeze
from ._args import Pair, check_4d, check_dtypes, pair


def _same_padding(x: Tensor, kernel: Pair, stride: Pair, dilation: Pair) -> tuple[Tensor, Pair]:
    """Pad so the output has the input's spatial size (stride 1), like PyTorch's 'same'."""
    if stride != (1, 1):
        raise ValueError("padding='same' supports only stride 1")
    rows, cols = same_padding(kernel[0], dilation[0]), same_padding(kernel[1], dilation[1])
    if rows[0] == rows[1] and cols[0] == cols[1]:
        return x, (rows[0], cols[0])
    return pad(x, ((0, 0), (0, 0), rows, cols)), (0, 0)


class Convolution(Function):
    """2-D cross-correlation through the backend's conv2d kernels (no bias)."""

    @staticmethod
    def forward(ctx: Node, x: Any, w: Any, stride: Pair, padding: Pair, dilation: Pair,
                groups: int) -> Any:
        b = ctx.backend
        ctx.save_for_backward(x, w)
        ctx.params = (stride, padding, dilation, groups)
        return b.conv2d(x, w, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, ...]:
        b = ctx.backend
        x, w = ctx.saved_tensors
        s, p, d, groups = ctx.params
        need_x, need_w = ctx.needs_input_grad[:2]
        gx = b.conv2d_grad_input(g, w, b.shape(x), s, p, d, groups) if need_x else None
        gw = b.conv2d_grad_weight(g, x, b.shape(w), s, p, d, groups) if need_w else None
        return gx, gw, None, None, None, None


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation of NCHW ``x`` with an ``(O, C/groups, kh, kw)`` weight."""
    check_4d(x, "conv2d")
    if weight.ndim != 4:
        raise ValueError(f"conv2d weight must be 4-D (O, C/groups, kh, kw), got {weight.shape}")
    if x.backend is not weight.backend:
        raise MixedBackendError(
            f"conv2d: the input is on backend {x.backend.name!r} and the weight on "
            f"{weight.backend.name!r}; move one with .to({x.backend.name!r}) first")
    check_dtypes("conv2d", x, weight)
    s, d = pair(stride, "stride"), pair(dilation, "dilation")
    kh, kw = weight.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            p = (0, 0)
        elif padding == "same":
            x, p = _same_padding(x, (kh, kw), s, d)
        else:
            raise ValueError(f"padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
    else:
        p = pair(padding, "padding")
    n, c, h, w = x.shape
    o, cg = weight.shape[:2]
    if groups < 1 or c % groups or o % groups:
        raise ValueError(f"conv2d: groups={groups} must divide in_channels={c} and "
                         f"out_channels={o}")
    if cg * groups != c:
        raise ValueError(f"conv2d: input has {c} channels but the weight expects "
                         f"{cg * groups} (= {cg} per group x groups={groups})")
    ho, wo = conv_output_hw((h, w), (kh, kw), s, p, d)
    if ho <= 0 or wo <= 0:
        raise ValueError(f"conv2d: input {h}x{w} is too small for kernel {kh}x{kw} with "
                         f"padding {p}, dilation {d}, stride {s}")
    out = Convolution.apply(x, weight, s, p, d, groups)
    if bias is not None:
        out = add(out, bias.reshape(1, -1, 1, 1))
    return out


def conv1d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation of ``(N, C, L)`` ``x`` with an ``(O, C/groups, k)`` weight.

    It is ``conv2d`` over a unit height, so it shares conv2d's kernels on every backend.
    """
    if x.ndim != 3:
        raise ValueError(f"conv1d expects a 3-D (N, C, L) input, got shape {x.shape}")
    if weight.ndim != 3:
        raise ValueError(f"conv1d weight must be 3-D (O, C/groups, k), got {weight.shape}")
    s, d = _single(stride, "stride"), _single(dilation, "dilation")
    p: Any = padding if isinstance(padding, str) else (0, _single(padding, "padding"))
    out = conv2d(unsqueeze(x, 2), unsqueeze(weight, 2), bias, (1, s), p, (1, d), groups)
    return squeeze(out, 2)


def _single(v: Any, name: str) -> int:
    if isinstance(v, (tuple, list)) and len(v) == 1:
        v = v[0]
    if not isinstance(v, int) or isinstance(v, bool):
        raise TypeError(f"{name} must be an int or a 1-tuple of ints, got {v!r}")
    return v


class TransposedConvolution(Function):
    """The adjoint of :class:`Convolution`: conv2d's input gradient run forward."""

    @staticmethod
    def forward(ctx: Node, x: Any, w: Any, out_shape: tuple[int, ...], stride: Pair,
                padding: Pair, dilation: Pair, groups: int) -> Any:
        b = ctx.backend
        ctx.save_for_backward(x, w)
        ctx.params = (stride, padding, dilation, groups)
        return b.conv2d_grad_input(x, w, out_shape, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, ...]:
        b = ctx.backend
        x, w = ctx.saved_tensors
        s, p, d, groups = ctx.params
        need_x, need_w = ctx.needs_input_grad[:2]
        gx = b.conv2d(g, w, s, p, d, groups) if need_x else None
        gw = b.conv2d_grad_weight(x, g, b.shape(w), s, p, d, groups) if need_w else None
        return gx, gw, None, None, None, None, None


def conv_transpose2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """Transposed 2-D convolution ("deconvolution") with a ``(C, O/groups, kh, kw)`` weight.

    The output is ``(H - 1)·stride - 2·padding + dilation·(k - 1) + output_padding + 1``
    high (likewise wide), as in PyTorch.
    """
    check_4d(x, "conv_transpose2d")
    if weight.ndim != 4:
        raise ValueError(f"conv_transpose2d weight must be 4-D (C, O/groups, kh, kw), got "
                         f"{weight.shape}")
    if x.backend is not weight.backend:
        raise MixedBackendError(
            f"conv_transpose2d: the input is on backend {x.backend.name!r} and the weight on "
            f"{weight.backend.name!r}; move one with .to({x.backend.name!r}) first")
    check_dtypes("conv_transpose2d", x, weight)
    s, p = pair(stride, "stride"), pair(padding, "padding")
    op, d = pair(output_padding, "output_padding"), pair(dilation, "dilation")
    n, c, h, w = x.shape
    cin, og, kh, kw = weight.shape
    if not isinstance(groups, int) or groups < 1 or c % groups:
        raise ValueError(f"conv_transpose2d: groups={groups!r} must be a positive int that "
                         f"divides in_channels={c}")
    if cin != c:
        raise ValueError(f"conv_transpose2d: input has {c} channels but the weight expects "
                         f"{cin} (weight shape {weight.shape})")
    for i in range(2):
        if not op[i] < max(s[i], d[i]):
            raise ValueError(f"conv_transpose2d: output_padding {op} must be smaller than "
                             f"either stride {s} or dilation {d}")
    ho = (h - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op[0] + 1
    wo = (w - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op[1] + 1
    if ho <= 0 or wo <= 0:
        raise ValueError(f"conv_transpose2d: input {h}x{w} with kernel {kh}x{kw}, stride {s}, "
                         f"padding {p}, dilation {d} gives an empty {ho}x{wo} output")
    out = TransposedConvolution.apply(x, weight, (n, og * groups, ho, wo), s, p, d, groups)
    if bias is not None:
        out = add(out, bias.reshape(1, -1, 1, 1))
    return out
