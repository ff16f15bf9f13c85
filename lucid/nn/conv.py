"""Convolution layers: ``Conv2d``, ``Conv1d``, ``ConvTranspose2d`` and the fused
``ConvBNReLU2d`` block."""

from __future__ import annotations

from typing import Any

from .. import _creation
from .._tensor import Tensor
from ..backends.geometry import int_pair, int_tuple, same_padding
from . import functional as F
from . import init
from .activation import ReLU
from .functional.normalization import batch_norm_relu_eval
from .linear import Identity
from .module import Module, Parameter
from .normalization import BatchNorm2d

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _positive_int(value: Any, name: str, owner: str) -> int:
    """A channel count or ``groups``: an int (TypeError otherwise) that is positive."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__} "
                        f"{value!r}")
    if value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value}")
    return value


def _positive_pair(value: Any, name: str, owner: str, minimum: int = 1) -> tuple[int, int]:
    """``value`` as a checked ``(h, w)`` pair (the one check lives in the geometry module)."""
    return int_pair(value, name, owner, minimum=minimum, length_error=TypeError)


class Conv2d(Module):
    """2-D convolution over ``(N, C, H, W)`` input with a ``(out, in/groups, kh, kw)`` weight.

    ``padding`` is an int, an ``(h, w)`` pair, ``"valid"`` (no padding) or ``"same"``
    (output as large as the input; stride 1 only).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros") -> None:
        super().__init__()
        name = "Conv2d"
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"Conv2d: padding_mode must be one of {PADDING_MODES}, got "
                             f"{padding_mode!r}")
        self.padding_mode = padding_mode
        self.in_channels = _positive_int(in_channels, "in_channels", name)
        self.out_channels = _positive_int(out_channels, "out_channels", name)
        self.groups = _positive_int(groups, "groups", name)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2d: in_channels={in_channels} and out_channels={out_channels} "
                             f"must both be divisible by groups={groups}")
        self.kernel_size = _positive_pair(kernel_size, "kernel_size", name)
        self.stride = _positive_pair(stride, "stride", name)
        self.dilation = _positive_pair(dilation, "dilation", name)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Conv2d: padding must be an int, a pair, 'same' or 'valid', "
                                 f"got {padding!r}")
            if padding == "same" and self.stride != (1, 1):
                raise ValueError(f"Conv2d: padding='same' needs stride 1, got stride={stride!r}")
            self.padding: Any = padding
        else:
            self.padding = _positive_pair(padding, "padding", name, minimum=0)
        self._fpad = self._functional_padding()
        self._mode_pad = self._explicit_padding() if padding_mode != "zeros" else None
        kh, kw = self.kernel_size
        self.weight = Parameter(_creation.zeros(out_channels, in_channels // groups, kh, kw))
        if bias:
            self.bias = Parameter(_creation.zeros(out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _functional_padding(self) -> Any:
        """The padding to hand to ``F.conv2d``: numeric whenever 'same'/'valid' allow it."""
        if self.padding == "valid":
            return (0, 0)
        if self.padding == "same":
            rows, cols = (same_padding(k, d) for k, d in zip(self.kernel_size, self.dilation,
                                                            strict=True))
            if rows[0] == rows[1] and cols[0] == cols[1]:
                return (rows[0], cols[0])
            return "same"  # asymmetric: F.conv2d pads the extra row/column itself
        return self.padding

    def _explicit_padding(self) -> tuple[int, int, int, int]:
        """``(left, right, top, bottom)`` for ``F.pad`` when ``padding_mode`` is not zeros."""
        if self.padding == "valid":
            return (0, 0, 0, 0)
        if self.padding == "same":
            rows, cols = (same_padding(k, d) for k, d in zip(self.kernel_size, self.dilation,
                                                            strict=True))
            return (cols[0], cols[1], rows[0], rows[1])
        ph, pw = self.padding
        return (pw, pw, ph, ph)

    def reset_parameters(self) -> None:
        """PyTorch's default: kaiming-uniform(a=√5) weight, U(±1/√fan_in) bias."""
        init.default_reset_(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        """Convolve ``x``."""
        if self._mode_pad is not None:
            mode = "constant" if self.padding_mode == "zeros" else self.padding_mode
            return F.conv2d(F.pad(x, self._mode_pad, mode), self.weight, self.bias,
                            self.stride, 0, self.dilation, self.groups)
        return F.conv2d(x, self.weight, self.bias, self.stride, self._fpad, self.dilation,
                        self.groups)

    def extra_repr(self) -> str:
        return _conv_repr(self, (0, 0), (1, 1))


class ConvBNReLU2d(Module):
    """``Conv2d`` (no bias) → ``BatchNorm2d`` → ReLU, as submodules ``conv``, ``bn``, ``act``.

    ``padding=None`` means ``dilation·(k−1)//2`` (keeps the size at stride 1);
    ``act=False`` puts an ``Identity`` there; a module passed as ``act`` is used instead.
    """

    def __init__(self, in_ch: int, out_ch: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = None, dilation: Any = 1, groups: int = 1,
                 act: bool | Module = True) -> None:
        super().__init__()
        if padding is None:
            k = _positive_pair(kernel_size, "kernel_size", "ConvBNReLU2d")
            d = _positive_pair(dilation, "dilation", "ConvBNReLU2d")
            padding = (d[0] * (k[0] - 1) // 2, d[1] * (k[1] - 1) // 2)
        self.conv = Conv2d(in_ch, out_ch, kernel_size, stride, padding, dilation, groups,
                           bias=False)
        self.bn = BatchNorm2d(out_ch)
        if isinstance(act, Module):
            self.act: Module = act
        elif act is True:
            self.act = ReLU()
        elif act is False:
            self.act = Identity()
        else:
            raise TypeError(f"ConvBNReLU2d: act must be a bool or a Module, got {act!r}")

    def forward(self, x: Tensor) -> Tensor:
        """Convolve, normalise, then activate.

        In evaluation, a plain ``BatchNorm2d`` and ``ReLU`` (no hooks on them, no anomaly
        mode) run as one kernel pass over the convolution's output; same values.
        """
        y = self.conv(x)
        bn, act = self.bn, self.act
        if (type(act) is ReLU and type(bn) is BatchNorm2d and not bn.training
                and bn.running_mean is not None and bn.running_var is not None
                and act._calls_forward_only() and bn._calls_forward_only()):
            return batch_norm_relu_eval(y, bn.running_mean, bn.running_var, bn.weight, bn.bias,
                                        bn.eps)
        return act(bn(y))


class Conv1d(Module):
    """1-D convolution over ``(N, C, L)`` input with an ``(out, in/groups, k)`` weight.

    Initialised as PyTorch's (kaiming-uniform(a=√5) weight, U(±1/√fan_in) bias); ``padding``
    is an int, ``"valid"`` or ``"same"``; ``padding_mode`` zeros, reflect, replicate or
    circular.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros") -> None:
        super().__init__()
        name = "Conv1d"
        self.in_channels = _positive_int(in_channels, "in_channels", name)
        self.out_channels = _positive_int(out_channels, "out_channels", name)
        self.groups = _positive_int(groups, "groups", name)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv1d: in_channels={in_channels} and out_channels={out_channels} "
                             f"must both be divisible by groups={groups}")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"Conv1d: padding_mode must be one of {PADDING_MODES}, got "
                             f"{padding_mode!r}")
        self.padding_mode = padding_mode
        self.kernel_size = int_tuple(kernel_size, "kernel_size", name, 1, minimum=1,
                                     length_error=TypeError)
        self.stride = int_tuple(stride, "stride", name, 1, minimum=1, length_error=TypeError)
        self.dilation = int_tuple(dilation, "dilation", name, 1, minimum=1,
                                  length_error=TypeError)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Conv1d: padding must be an int, 'same' or 'valid', got "
                                 f"{padding!r}")
            if padding == "same" and self.stride != (1,):
                raise ValueError(f"Conv1d: padding='same' needs stride 1, got stride={stride!r}")
            self.padding: Any = padding
        else:
            self.padding = int_tuple(padding, "padding", name, 1, minimum=0,
                                     length_error=TypeError)
        self.weight = Parameter(_creation.zeros(out_channels, in_channels // groups,
                                                self.kernel_size[0]))
        if bias:
            self.bias = Parameter(_creation.zeros(out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: kaiming-uniform(a=√5) weight, U(±1/√fan_in) bias."""
        init.default_reset_(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        """Convolve ``x``."""
        if self.padding_mode == "zeros":
            return F.conv1d(x, self.weight, self.bias, self.stride, self.padding,
                            self.dilation, self.groups)
        if self.padding == "valid":
            amounts = (0, 0)
        elif self.padding == "same":
            amounts = same_padding(self.kernel_size[0], self.dilation[0])
        else:
            amounts = (self.padding[0], self.padding[0])
        return F.conv1d(F.pad(x, amounts, self.padding_mode), self.weight, self.bias,
                        self.stride, 0, self.dilation, self.groups)

    def extra_repr(self) -> str:
        return _conv_repr(self, (0,), (1,))


class ConvTranspose2d(Module):
    """Transposed 2-D convolution with a ``(in, out/groups, kh, kw)`` weight.

    Initialised as PyTorch's: kaiming-uniform(a=√5) weight (its fan-in is PyTorch's, computed
    from the weight's axis 1) and U(±1/√fan_in) bias. Only zero padding, as in PyTorch.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros") -> None:
        super().__init__()
        name = "ConvTranspose2d"
        self.in_channels = _positive_int(in_channels, "in_channels", name)
        self.out_channels = _positive_int(out_channels, "out_channels", name)
        self.groups = _positive_int(groups, "groups", name)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"ConvTranspose2d: in_channels={in_channels} and "
                             f"out_channels={out_channels} must both be divisible by "
                             f"groups={groups}")
        if padding_mode != "zeros":
            raise ValueError(f"ConvTranspose2d: only padding_mode='zeros' is supported (as in "
                             f"PyTorch), got {padding_mode!r}")
        self.padding_mode = padding_mode
        self.kernel_size = _positive_pair(kernel_size, "kernel_size", name)
        self.stride = _positive_pair(stride, "stride", name)
        self.dilation = _positive_pair(dilation, "dilation", name)
        self.padding = _positive_pair(padding, "padding", name, minimum=0)
        self.output_padding = _positive_pair(output_padding, "output_padding", name, minimum=0)
        for i in range(2):
            if not self.output_padding[i] < max(self.stride[i], self.dilation[i]):
                raise ValueError(f"ConvTranspose2d: output_padding {self.output_padding} must "
                                 f"be smaller than either stride {self.stride} or dilation "
                                 f"{self.dilation}")
        kh, kw = self.kernel_size
        self.weight = Parameter(_creation.zeros(in_channels, out_channels // groups, kh, kw))
        if bias:
            self.bias = Parameter(_creation.zeros(out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: kaiming-uniform(a=√5) weight, U(±1/√fan_in) bias (fan_in from
        the ``(in, out/groups, kh, kw)`` weight, as PyTorch computes it)."""
        init.default_reset_(self.weight, self.bias)

    def _output_padding(self, x: Tensor, output_size: Any) -> tuple[int, int]:
        """The output padding that makes the output ``output_size`` (PyTorch's rule)."""
        size = tuple(output_size)
        if len(size) == 4:
            size = size[2:]
        if len(size) != 2:
            raise ValueError(f"ConvTranspose2d: output_size must have 2 or 4 entries, got "
                             f"{output_size!r}")
        pads = []
        for i in range(2):
            smallest = ((x.shape[2 + i] - 1) * self.stride[i] - 2 * self.padding[i]
                        + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            largest = smallest + self.stride[i] - 1
            if not smallest <= size[i] <= largest:
                raise ValueError(f"ConvTranspose2d: requested output_size {tuple(output_size)} "
                                 f"is not reachable from input {x.shape}: axis {i} must be in "
                                 f"[{smallest}, {largest}]")
            pads.append(size[i] - smallest)
        return pads[0], pads[1]

    def forward(self, x: Tensor, output_size: Any = None) -> Tensor:
        """Apply the transposed convolution to ``x`` of shape ``(N, C, H, W)``.

        ``output_size`` picks among the sizes a strided transposed convolution can produce
        (it overrides ``output_padding``), as in PyTorch.
        """
        op = self.output_padding if output_size is None \
            else self._output_padding(x, output_size)
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, op,
                                  self.groups, self.dilation)

    def extra_repr(self) -> str:
        return _conv_repr(self, (0, 0), (1, 1))


def _conv_repr(m: Module, no_padding: tuple[int, ...], no_dilation: tuple[int, ...]) -> str:
    """PyTorch's conv ``extra_repr``: sizes, then only the arguments that differ from defaults."""
    s = (f"{m.in_channels}, {m.out_channels}, kernel_size={m.kernel_size}, "
         f"stride={m.stride}")
    if m.padding != no_padding:
        s += f", padding={m.padding!r}"
    if getattr(m, "output_padding", no_padding) != no_padding:
        s += f", output_padding={m.output_padding}"
    if m.dilation != no_dilation:
        s += f", dilation={m.dilation}"
    if m.groups != 1:
        s += f", groups={m.groups}"
    if m.bias is None:
        s += ", bias=False"
    if getattr(m, "padding_mode", "zeros") != "zeros":
        s += f", padding_mode={m.padding_mode!r}"
    return s
