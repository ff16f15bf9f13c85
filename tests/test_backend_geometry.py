"""``lucid.backends.geometry`` against brute force: count the window positions one by one."""

from __future__ import annotations

import itertools

import pytest

from lucid.backends.geometry import conv_output_hw, conv_output_size, same_padding


def count_windows(size: int, kernel: int, stride: int, before: int, after: int,
                  dilation: int) -> int:
    """Slide the window over the padded input one start at a time and count those that fit."""
    padded = size + before + after
    span = dilation * (kernel - 1) + 1  # positions from the first tap to the last
    return sum(1 for start in range(0, padded, stride) if start + span <= padded)


SIZES = range(1, 13)
KERNELS = range(1, 6)
STRIDES = range(1, 4)
PADDINGS = range(0, 4)
DILATIONS = range(1, 4)


def test_conv_output_size_counts_every_window() -> None:
    """Every combination of small sizes where at least one window fits."""
    checked = 0
    for size, k, s, p, d in itertools.product(SIZES, KERNELS, STRIDES, PADDINGS, DILATIONS):
        expected = count_windows(size, k, s, p, p, d)
        if expected == 0:
            assert conv_output_size(size, k, s, p, d) <= 0, (size, k, s, p, d)
            continue
        assert conv_output_size(size, k, s, p, d) == expected, (size, k, s, p, d)
        checked += 1
    assert checked > 1000


def test_dilation_defaults_to_one() -> None:
    assert conv_output_size(7, 3, 2, 1) == count_windows(7, 3, 2, 1, 1, 1) == 4


@pytest.mark.parametrize("in_hw,kernel,stride,padding,dilation", [
    ((7, 9), (3, 5), (1, 2), (1, 2), (1, 1)),
    ((224, 224), (7, 7), (2, 2), (3, 3), (1, 1)),
    ((56, 40), (3, 3), (2, 1), (2, 2), (2, 2)),
    ((5, 6), (1, 1), (2, 3), (0, 0), (3, 1)),
])
def test_conv_output_hw_counts_both_axes(in_hw, kernel, stride, padding, dilation) -> None:
    expected = tuple(count_windows(in_hw[a], kernel[a], stride[a], padding[a], padding[a],
                                   dilation[a]) for a in range(2))
    assert conv_output_hw(in_hw, kernel, stride, padding, dilation) == expected


def test_pooling_geometry_is_dilation_one() -> None:
    """Pooling passes no dilation: the default is ``(1, 1)``."""
    assert conv_output_hw((112, 111), (3, 3), (2, 2), (1, 1)) == (
        count_windows(112, 3, 2, 1, 1, 1), count_windows(111, 3, 2, 1, 1, 1))


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("dilation", DILATIONS)
def test_same_padding_keeps_the_length(kernel: int, dilation: int) -> None:
    """Stride 1 with the returned (before, after) gives back every input length.

    The split is PyTorch's: ``before`` is the smaller half, the odd element goes after.
    """
    before, after = same_padding(kernel, dilation)
    assert before == (before + after) // 2 and after - before in (0, 1)
    for size in SIZES:
        assert count_windows(size, kernel, 1, before, after, dilation) == size
    # and no smaller total does it
    if before + after:
        assert count_windows(5, kernel, 1, before, after - 1, dilation) != 5


def test_same_padding_examples() -> None:
    assert same_padding(3) == (1, 1)
    assert same_padding(4) == (1, 2)
    assert same_padding(3, 2) == (2, 2)
    assert same_padding(1, 5) == (0, 0)
    assert same_padding(2, 3) == (1, 2)
