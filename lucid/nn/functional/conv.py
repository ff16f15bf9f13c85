"""Convolution: ``conv2d`` over the backend's conv2d kernels (a Function of its own),
``conv1d`` (conv2d over a unit height) and ``conv_transpose2d`` (conv2d's adjoint)."""

from __future__ import annotations

from typing import Any

from ..._tensor import Tensor
from ...autograd import Function
from ...autograd.engine import Node
from ...backends import MixedBackendError
from ...backends.geometry import (
    GeometryError,
    at_least,
    checked_conv_output_hw,
    int_pair,
    int_tuple,
    same_padding,
)
from ...ops import add, getitem, pad, squeeze, unsqueeze
from ._args import Pair, check_dtypes


def _same_padding(op: str, x: Tensor, kernel: Pair, stride: Pair, dilation: Pair
                  ) -> tuple[Tensor, Pair]:
    """Pad so the output has the input's spatial size (stride 1), like PyTorch's 'same'."""
    if stride != (1, 1):
        raise GeometryError(f"{op}: padding='same' needs stride 1 (as in PyTorch), got "
                            f"stride {stride}")
    rows, cols = same_padding(kernel[0], dilation[0]), same_padding(kernel[1], dilation[1])
    if rows[0] == rows[1] and cols[0] == cols[1]:
        return x, (rows[0], cols[0])
    return pad(x, ((0, 0), (0, 0), rows, cols)), (0, 0)


def _groups(groups: Any, op: str) -> int:
    """``groups`` as an int (a bool or float is a TypeError, as in PyTorch)."""
    if isinstance(groups, bool) or not isinstance(groups, int):
        raise TypeError(f"{op}: groups must be an int, got {type(groups).__name__} {groups!r}")
    return groups


def _check_operands(op: str, x: Tensor, weight: Tensor, bias: Tensor | None, ndim: int,
                    layout: str, weight_layout: str) -> bool:
    """Check ranks, backends and dtypes; return True when ``x`` is unbatched (no N axis)."""
    if not isinstance(x, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{op}: input and weight must be lucid Tensors, got "
                        f"{type(x).__name__} and {type(weight).__name__}")
    if x.ndim not in (ndim - 1, ndim):
        raise GeometryError(f"{op} expects a {ndim - 1}-D (unbatched {layout[1:]}) or {ndim}-D "
                            f"(batched {layout}) input, got shape {x.shape}")
    if weight.ndim != ndim:
        raise GeometryError(f"{op}: weight must be {ndim}-D {weight_layout}, got shape "
                            f"{weight.shape}")
    for t, what in ((weight, "weight"), (bias, "bias")):
        if t is not None and t.backend is not x.backend:
            raise MixedBackendError(
                f"{op}: the input is on backend {x.backend.name!r} and the {what} on "
                f"{t.backend.name!r}; move one with .to({x.backend.name!r}) first")
    check_dtypes(op, x, weight)
    return x.ndim == ndim - 1


def _check_bias(op: str, bias: Tensor | None, channels: int, weight: Tensor) -> None:
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != channels):
        raise GeometryError(f"{op}: bias must be 1-D with {channels} elements (one per output "
                            f"channel of weight {weight.shape}), got shape {bias.shape}")


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
    """2-D cross-correlation of NCHW (or unbatched CHW) ``x`` with an ``(O, C/groups, kh, kw)``
    weight."""
    return _conv2d("conv2d", x, weight, bias, stride, padding, dilation, groups)


def _conv2d(op: str, x: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
            padding: Any, dilation: Any, groups: Any) -> Tensor:
    """conv2d with every argument checked; ``op`` names the public function in errors.

    Types are checked before values, as PyTorch's argument parser does.
    """
    s = int_pair(stride, "stride", op)
    d = int_pair(dilation, "dilation", op)
    p = None if isinstance(padding, str) else int_pair(padding, "padding", op)
    groups = _groups(groups, op)
    unbatched = _check_operands(op, x, weight, bias, 4, "(N, C, H, W)", "(O, C/groups, kh, kw)")
    if unbatched:
        x = unsqueeze(x, 0)
    at_least(op, "stride", s, 1, stride)
    at_least(op, "dilation", d, 1, dilation)
    o, cg, kh, kw = weight.shape
    if kh < 1 or kw < 1:
        raise GeometryError(f"{op}: the kernel size must be positive, got weight of shape "
                            f"{weight.shape}")
    if p is not None:
        at_least(op, "padding", p, 0, padding)
    elif padding == "valid":
        p = (0, 0)
    elif padding == "same":
        x, p = _same_padding(op, x, (kh, kw), s, d)
    else:
        raise ValueError(f"{op}: padding must be an int, a pair, 'same' or 'valid', got "
                         f"{padding!r}")
    n, c, h, w = x.shape
    if groups < 1:
        raise GeometryError(f"{op}: groups must be positive, got {groups}")
    if o % groups:
        raise GeometryError(f"{op}: groups={groups} must divide the weight's out_channels={o} "
                            f"(weight shape {weight.shape})")
    if cg * groups != c:
        raise GeometryError(f"{op}: input has {c} channels but the weight expects "
                            f"{cg * groups} (= {cg} per group x groups={groups}; weight shape "
                            f"{weight.shape}, input shape {x.shape})")
    _check_bias(op, bias, o, weight)
    checked_conv_output_hw(op, (h, w), (kh, kw), s, p, d)
    out = Convolution.apply(x, weight, s, p, d, groups)
    if bias is not None:
        out = add(out, bias.reshape(1, -1, 1, 1))
    return squeeze(out, 0) if unbatched else out


def conv1d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation of ``(N, C, L)`` (or ``(C, L)``) ``x`` with an ``(O, C/groups, k)``
    weight.

    It is ``conv2d`` over a unit height, so it shares conv2d's kernels on every backend.
    """
    int_tuple(stride, "stride", "conv1d", 1)  # types first, as PyTorch checks them
    int_tuple(dilation, "dilation", "conv1d", 1)
    if not isinstance(padding, str):
        int_tuple(padding, "padding", "conv1d", 1)
    _groups(groups, "conv1d")
    _check_operands("conv1d", x, weight, bias, 3, "(N, C, L)", "(O, C/groups, k)")
    (s,) = int_tuple(stride, "stride", "conv1d", 1, minimum=1)
    (d,) = int_tuple(dilation, "dilation", "conv1d", 1, minimum=1)
    p: Any = padding if isinstance(padding, str) \
        else (0, int_tuple(padding, "padding", "conv1d", 1, minimum=0)[0])
    out = _conv2d("conv1d", unsqueeze(x, -2), unsqueeze(weight, 2), bias, (1, s), p, (1, d),
                  groups)
    return squeeze(out, -2)


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


def _transposed_beyond_stride(x: Tensor, weight: Tensor, out_hw: Pair, s: Pair, p: Pair,
                              d: Pair, groups: int) -> Tensor:
    """Transposed convolution whose ``output_padding`` reaches the stride (allowed when the
    dilation is larger): the unpadded full result, then PyTorch's rows ``padding ..
    padding + out`` of it (zeros past its end)."""
    n, c, h, w = x.shape
    full = ((h - 1) * s[0] + d[0] * (weight.shape[2] - 1) + 1,
            (w - 1) * s[1] + d[1] * (weight.shape[3] - 1) + 1)
    y = TransposedConvolution.apply(x, weight, (n, weight.shape[1] * groups, *full), s, (0, 0),
                                    d, groups)
    short = (max(p[0] + out_hw[0] - full[0], 0), max(p[1] + out_hw[1] - full[1], 0))
    if short != (0, 0):
        y = pad(y, ((0, 0), (0, 0), (0, short[0]), (0, short[1])))
    return getitem(y, (slice(None), slice(None), slice(p[0], p[0] + out_hw[0]),
                       slice(p[1], p[1] + out_hw[1])))


def conv_transpose2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """Transposed 2-D convolution ("deconvolution") with a ``(C, O/groups, kh, kw)`` weight.

    The output is ``(H - 1)·stride - 2·padding + dilation·(k - 1) + output_padding + 1``
    high (likewise wide), as in PyTorch.
    """
    op_name = "conv_transpose2d"
    s = int_pair(stride, "stride", op_name)
    p = int_pair(padding, "padding", op_name)
    op = int_pair(output_padding, "output_padding", op_name)
    d = int_pair(dilation, "dilation", op_name)
    groups = _groups(groups, op_name)
    unbatched = _check_operands(op_name, x, weight, bias, 4, "(N, C, H, W)",
                                "(C, O/groups, kh, kw)")
    if unbatched:
        x = unsqueeze(x, 0)
    at_least(op_name, "stride", s, 1, stride)
    at_least(op_name, "padding", p, 0, padding)
    at_least(op_name, "output_padding", op, 0, output_padding)
    at_least(op_name, "dilation", d, 1, dilation)
    if groups < 1:
        raise GeometryError(f"{op_name}: groups must be positive, got {groups}")
    n, c, h, w = x.shape
    cin, og, kh, kw = weight.shape
    if kh < 1 or kw < 1:
        raise GeometryError(f"{op_name}: the kernel size must be positive, got weight of shape "
                            f"{weight.shape}")
    if c % groups:
        raise GeometryError(f"{op_name}: groups={groups} must divide in_channels={c}")
    if cin != c:
        raise GeometryError(f"{op_name}: input has {c} channels but the weight expects {cin} "
                            f"(weight shape {weight.shape})")
    _check_bias(op_name, bias, og * groups, weight)
    for i in range(2):
        if not op[i] < max(s[i], d[i]):
            raise GeometryError(f"{op_name}: output_padding {op} must be smaller than either "
                                f"stride {s} or dilation {d}")
    ho = (h - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op[0] + 1
    wo = (w - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op[1] + 1
    if ho <= 0 or wo <= 0:
        raise GeometryError(f"{op_name}: input {h}x{w} with kernel {kh}x{kw}, stride {s}, "
                            f"padding {p}, dilation {d} gives an empty {ho}x{wo} output")
    if op[0] < s[0] and op[1] < s[1]:  # conv2d of the output gives back the input's size
        out = TransposedConvolution.apply(x, weight, (n, og * groups, ho, wo), s, p, d, groups)
    else:
        out = _transposed_beyond_stride(x, weight, (ho, wo), s, p, d, groups)
    if bias is not None:
        out = add(out, bias.reshape(1, -1, 1, 1))
    return squeeze(out, 0) if unbatched else out
