"""Pooling layers: ``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d``, ``AdaptiveMaxPool2d``."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from ..backends.geometry import GeometryError, int_pair
from . import functional as F
from .module import Module


class _Pool2d(Module):
    """Shared window settings of the 2-D pooling layers, checked when the layer is built
    (PyTorch checks them only in forward; no input size could make a bad window valid)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, dilation: Any = 1) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size = int_pair(kernel_size, "kernel_size", name, minimum=1)
        self.stride = self.kernel_size if stride is None or stride == () or stride == [] \
            else int_pair(stride, "stride", name, minimum=1)
        self.padding = int_pair(padding, "padding", name, minimum=0)
        int_pair(dilation, "dilation", name, minimum=1)  # (max pooling keeps its own)
        if self.padding[0] > self.kernel_size[0] // 2 or self.padding[1] > self.kernel_size[1] // 2:
            raise GeometryError(f"{name}: padding {self.padding} must be at most half the "
                                f"kernel size {self.kernel_size}")
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
                + (", ceil_mode=True" if self.ceil_mode else ""))


class MaxPool2d(_Pool2d):
    """2-D max pooling; ``stride`` defaults to ``kernel_size``.

    ``return_indices=True`` makes the layer return ``(output, flat indices)`` as PyTorch's.
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, dilation)
        self.dilation = int_pair(dilation, "dilation", "MaxPool2d", minimum=1)
        self.return_indices = return_indices

    def forward(self, x: Tensor) -> Any:
        """Pool ``x`` of shape ``(N, C, H, W)``."""
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return super().extra_repr() + (f", dilation={self.dilation}"
                                       if self.dilation != (1, 1) else "")


class AvgPool2d(_Pool2d):
    """2-D average pooling; ``stride`` defaults to the kernel; zero padding counted by default."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode)
        if divisor_override is not None and (isinstance(divisor_override, bool)
                                             or not isinstance(divisor_override, int)):
            raise TypeError(f"AvgPool2d: divisor_override must be an int or None, got "
                            f"{divisor_override!r}")
        if divisor_override == 0:
            raise GeometryError("AvgPool2d: divisor_override must be non-zero, got 0")
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x: Tensor) -> Tensor:
        """Pool ``x`` of shape ``(N, C, H, W)``."""
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


def _output_size(output_size: Any, owner: str) -> tuple[int | None, int | None]:
    """An int, or a pair whose entries may be None (keep the input's size on that axis).

    0 is allowed (an empty output), as in PyTorch; a negative size is not.
    """
    if isinstance(output_size, int) and not isinstance(output_size, bool):
        sizes: tuple[Any, ...] = (output_size, output_size)
    elif output_size is None:
        sizes = (None, None)
    elif isinstance(output_size, (list, tuple)):
        sizes = tuple(output_size) * (2 if len(output_size) == 1 else 1)
    else:
        sizes = ()
    if len(sizes) != 2 or not all(v is None or (isinstance(v, int) and not isinstance(v, bool))
                                  for v in sizes):
        raise TypeError(f"{owner}: output_size must be an int or a pair of ints or None, got "
                        f"{output_size!r}")
    if any(v is not None and v < 0 for v in sizes):
        raise GeometryError(f"{owner}: output_size must be non-negative, got {output_size!r}")
    return sizes  # type: ignore[return-value]


class AdaptiveAvgPool2d(Module):
    """Average-pool to a fixed ``output_size`` (an int or an ``(h, w)`` pair; None keeps)."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = _output_size(output_size, "AdaptiveAvgPool2d")

    def forward(self, x: Tensor) -> Tensor:
        """Pool ``x`` of shape ``(N, C, H, W)`` to ``(N, C, *output_size)``."""
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """Max-pool to a fixed ``output_size``; ``return_indices`` as in ``MaxPool2d``."""

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = _output_size(output_size, "AdaptiveMaxPool2d")
        self.return_indices = return_indices

    def forward(self, x: Tensor) -> Any:
        """Pool ``x`` of shape ``(N, C, H, W)`` to ``(N, C, *output_size)``."""
        return F.adaptive_max_pool2d(x, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
