"""Pooling layers: ``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d``."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from . import functional as F
from .functional._args import pair
from .module import Module


class _Pool2d(Module):
    """Shared window settings of the 2-D pooling layers."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else pair(stride, "stride")
        self.padding = pair(padding, "padding")

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """2-D max pooling; ``stride`` defaults to ``kernel_size``."""

    def forward(self, x: Tensor) -> Tensor:
        """Pool ``x`` of shape ``(N, C, H, W)``."""
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    """2-D average pooling (zero padding counted); ``stride`` defaults to the kernel."""

    def forward(self, x: Tensor) -> Tensor:
        """Pool ``x`` of shape ``(N, C, H, W)``."""
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


class AdaptiveAvgPool2d(Module):
    """Average-pool to a fixed ``output_size`` (an int or an ``(h, w)`` pair)."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = pair(output_size, "output_size")

    def forward(self, x: Tensor) -> Tensor:
        """Pool ``x`` of shape ``(N, C, H, W)`` to ``(N, C, *output_size)``."""
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
