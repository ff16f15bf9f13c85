"""The Selective Kernel unit (Li et al., "Selective Kernel Networks", CVPR 2019).

Split: M parallel conv–BN–ReLU branches with different receptive fields (a k×k kernel is
realised as a 3×3 convolution with dilation (k−1)/2 unless ``dilated=False``).
Fuse: the branch outputs are summed, globally average-pooled and squeezed by a 1×1
conv–BN–ReLU to ``attn_channels``.
Select: a 1×1 conv expands back to ``M·C`` logits, a softmax across the M branches gives a
per-channel attention vector for each branch, and the output is the attention-weighted sum.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._tensor import Tensor
from ..ops import add, mean, mul, reshape, softmax
from .activation import ReLU
from .containers import ModuleList
from .conv import Conv2d, ConvBNReLU2d
from .module import Module
from .normalization import BatchNorm2d


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None,
                   round_limit: float = 0.9) -> int:
    """Round ``value`` to the nearest multiple of ``divisor`` (at least ``min_value``),
    never dropping more than ``1 - round_limit`` of it."""
    floor = divisor if min_value is None else min_value
    rounded = max(floor, int(value + divisor / 2) // divisor * divisor)
    if rounded < round_limit * value:
        rounded += divisor
    return rounded


class SelectiveKernelAttention(Module):
    """Fuse + select: per-channel softmax attention over ``num_paths`` branches."""

    def __init__(self, channels: int, num_paths: int, attn_channels: int) -> None:
        super().__init__()
        self.channels = channels
        self.num_paths = num_paths
        self.fc_reduce = Conv2d(channels, attn_channels, 1, bias=False)
        self.bn = BatchNorm2d(attn_channels)
        self.act = ReLU()
        self.fc_select = Conv2d(attn_channels, channels * num_paths, 1, bias=False)

    def forward(self, fused: Tensor) -> Tensor:
        """Map the fused feature map ``(N, C, H, W)`` to weights ``(N, M, C, 1, 1)``."""
        s = mean(fused, (2, 3), keepdims=True)
        z = self.act(self.bn(self.fc_reduce(s)))
        logits = self.fc_select(z)
        n = logits.shape[0]
        logits = reshape(logits, (n, self.num_paths, self.channels, 1, 1))
        return softmax(logits, 1)


class SelectiveKernel(Module):
    """A drop-in replacement for a k×k convolution that selects among several kernel sizes."""

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_sizes: Sequence[int] = (3, 5), stride: int = 1, dilation: int = 1,
                 groups: int = 1, attn_ratio: float = 1 / 16, attn_divisor: int = 8,
                 attn_min: int | None = None, attn_channels: int | None = None,
                 split_input: bool = True, dilated: bool = True) -> None:
        super().__init__()
        if not isinstance(kernel_sizes, Sequence) or not all(
                isinstance(k, int) and not isinstance(k, bool) for k in kernel_sizes):
            raise TypeError(f"SelectiveKernel: kernel_sizes must be a sequence of ints, got "
                            f"{kernel_sizes!r}")
        kernel_sizes = tuple(kernel_sizes)
        for name, value in (("groups", groups), ("stride", stride), ("dilation", dilation)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"SelectiveKernel: {name} must be an int, got {value!r}")
            if value < 1:
                raise ValueError(f"SelectiveKernel: {name} must be >= 1, got {value}")
        if len(kernel_sizes) < 2:
            raise ValueError(f"kernel_sizes needs at least two branches, got {kernel_sizes}")
        if any(k < 1 or k % 2 == 0 for k in kernel_sizes):
            raise ValueError(f"kernel_sizes must be odd positive ints, got {kernel_sizes}")
        num_paths = len(kernel_sizes)
        if split_input and in_channels % num_paths:
            raise ValueError(f"split_input=True needs in_channels ({in_channels}) divisible by "
                             f"the number of branches ({num_paths})")
        branch_in = in_channels // num_paths if split_input else in_channels
        groups = min(groups, out_channels)
        if branch_in % groups or out_channels % groups:
            raise ValueError(f"groups={groups} must divide the branch input ({branch_in}) and "
                             f"output ({out_channels}) channels")
        if dilated:
            sizes = [3] * num_paths
            dilations = [dilation * (k - 1) // 2 for k in kernel_sizes]
        else:
            sizes = list(kernel_sizes)
            dilations = [dilation] * num_paths
        self.kernel_sizes = kernel_sizes
        self.split_input = split_input
        self.branch_in = branch_in
        self.paths = ModuleList(
            ConvBNReLU2d(branch_in, out_channels, k, stride=stride, dilation=d, groups=groups)
            for k, d in zip(sizes, dilations)
        )
        if attn_channels is None:
            attn_channels = make_divisible(out_channels * attn_ratio, attn_divisor, attn_min)
        if not isinstance(attn_channels, int) or isinstance(attn_channels, bool) \
                or attn_channels < 1:
            raise ValueError(f"SelectiveKernel: attn_channels must be a positive int, got "
                             f"{attn_channels!r}")
        self.attn = SelectiveKernelAttention(out_channels, num_paths, attn_channels)

    def forward(self, x: Tensor) -> Tensor:
        """Split into branches, fuse, and return the attention-weighted sum ``(N, C, H', W')``."""
        if self.split_input:
            c = self.branch_in
            outs = [path(x[:, i * c:(i + 1) * c]) for i, path in enumerate(self.paths)]
        else:
            outs = [path(x) for path in self.paths]
        fused = outs[0]
        for o in outs[1:]:
            fused = add(fused, o)
        weights = self.attn(fused)
        y = mul(outs[0], weights[:, 0])
        for m in range(1, len(outs)):
            y = add(y, mul(outs[m], weights[:, m]))
        return y

    def extra_repr(self) -> str:
        """Summary shown in ``repr``."""
        return f"kernel_sizes={self.kernel_sizes}, split_input={self.split_input}"
