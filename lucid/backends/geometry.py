"""Sizes derived from convolution and pooling hyper-parameters, written once (pure Python ints).

Every part of lucid that needs an output size or a 'same' padding calls these functions: the
reference kernels, the array-module kernels, the CuPy backend and ``lucid.nn.functional``.
Arguments are plain ints (or ``(h, w)`` pairs of ints, already normalised by the caller); the
functions do not validate them, so a result of zero or less means "the input is too small".
"""

from __future__ import annotations

from collections.abc import Sequence

Pair = tuple[int, int]


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    """Output length of a window of ``kernel`` taps slid over ``size`` (padded on both sides)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv_output_hw(in_hw: Sequence[int], kernel_hw: Sequence[int], stride: Sequence[int],
                   padding: Sequence[int], dilation: Sequence[int] = (1, 1)) -> Pair:
    """Output ``(height, width)`` of a 2-D convolution or pooling (pooling: dilation ``(1, 1)``)."""
    return (conv_output_size(in_hw[0], kernel_hw[0], stride[0], padding[0], dilation[0]),
            conv_output_size(in_hw[1], kernel_hw[1], stride[1], padding[1], dilation[1]))


def same_padding(kernel: int, dilation: int = 1) -> Pair:
    """``(before, after)`` padding that keeps a stride-1 output as long as its input.

    The total is ``dilation * (kernel - 1)``; ``before`` is its lower half, as in PyTorch's
    ``padding='same'`` (an odd total puts the extra element after).
    """
    total = dilation * (kernel - 1)
    return total // 2, total - total // 2


__all__ = ["conv_output_hw", "conv_output_size", "same_padding"]
