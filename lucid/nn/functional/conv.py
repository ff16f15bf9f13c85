"""Convolution: ``conv2d`` over the backend's conv2d kernels (a Function of its own)."""

from __future__ import annotations

from typing import Any

from ..._tensor import Tensor
from ...autograd import Function
from ...autograd.engine import Node
from ...backends import MixedBackendError
from ...backends.geometry import conv_output_hw, same_padding
from ...ops import add, pad
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
