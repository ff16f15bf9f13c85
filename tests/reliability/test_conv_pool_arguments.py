"""Hand-picked bad arguments of the window layers beyond conv/pool's property tests: each
raises the error class PyTorch raises (TypeError for a wrong type, ValueError/RuntimeError for
a wrong value), with a message naming the argument, instead of a raw Python/NumPy error or a
silently wrong result. (The classes were read off PyTorch 2.x for the same calls.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.backends.geometry import (
    GeometryError,
    conv_output_size,
    int_pair,
    pool_output_hw,
)

X = lucid.tensor(np.arange(32.0).reshape(1, 2, 4, 4))


@pytest.mark.parametrize("call, error, match", [
    # interpolate: sizes are ints, scales finite and positive
    (lambda: F.interpolate(X, size=True), TypeError, "size must be an int"),
    (lambda: F.interpolate(X, size=2.0), TypeError, "size must be an int"),
    (lambda: F.interpolate(X, size=0), ValueError, "size must be a positive int"),
    (lambda: F.interpolate(X, size=(2, 2, 2)), ValueError, "size must be a positive int"),
    (lambda: F.interpolate(X, scale_factor=float("inf")), ValueError, "finite positive"),
    (lambda: F.interpolate(X, scale_factor=float("nan")), ValueError, "finite positive"),
    (lambda: F.interpolate(X, scale_factor="2"), TypeError, "scale_factor must be a number"),
    # pad: ints only, and no crop beyond the axis
    (lambda: F.pad(X, (1.0, 1)), TypeError, "pad must be a sequence of ints"),
    (lambda: F.pad(X, (True, 1)), TypeError, "pad must be a sequence of ints"),
    (lambda: F.pad(X, (-5, 0)), ValueError, r"crops more than the axis length 4"),
    # layers refuse impossible windows when they are built
    (lambda: nn.MaxPool2d(0), ValueError, "kernel_size must be >= 1"),
    (lambda: nn.MaxPool2d(3, stride=0), ValueError, "stride must be >= 1"),
    (lambda: nn.MaxPool2d(3, padding=2), ValueError, r"padding \(2, 2\) must be at most half"),
    (lambda: nn.AvgPool2d(2, divisor_override=0), ValueError, "divisor_override"),
    (lambda: nn.AvgPool2d(2.5), TypeError, "kernel_size must be an int or a pair"),
    (lambda: nn.AdaptiveAvgPool2d(-1), ValueError, "output_size must be non-negative"),
    (lambda: nn.AdaptiveAvgPool2d(2.0), TypeError, "output_size"),
    (lambda: nn.Conv2d(2, 2, 3, dilation=0), ValueError, "dilation must be >= 1"),
    (lambda: nn.Conv2d(2, 2, 3, groups=1.0), TypeError, "groups must be an int"),
    (lambda: nn.Conv1d(2, 2, 3, stride=(1, 1)), TypeError, "stride must be an int or a tuple"),
    # the Selective Kernel unit: no ZeroDivisionError from groups=0, no truncated floats
    (lambda: nn.SelectiveKernel(4, 8, groups=0), ValueError, "groups must be >= 1"),
    (lambda: nn.SelectiveKernel(4, 8, kernel_sizes=(3.5, 5)), TypeError, "kernel_sizes"),
    (lambda: nn.SelectiveKernel(4, 8, stride=0), ValueError, "stride must be >= 1"),
    (lambda: nn.SelectiveKernel(4, 8, attn_channels=0), ValueError, "attn_channels"),
])
def test_bad_arguments_raise_named_errors(call: Callable[[], Any], error: type,
                                          match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def test_geometry_error_is_both_value_and_runtime_error() -> None:
    """Code written for PyTorch (RuntimeError) and for lucid's old errors (ValueError) works."""
    with pytest.raises(ValueError) as info:
        F.max_pool2d(X, 5)
    assert isinstance(info.value, RuntimeError) and isinstance(info.value, GeometryError)
    assert "Output size is too small" in str(info.value)


def test_the_backend_level_size_function_refuses_zero_strides() -> None:
    """Kernels call conv_output_size directly: stride 0 was a ZeroDivisionError there."""
    for args, name in (((5, 3, 0, 0), "stride"), ((5, 0, 1, 0), "kernel size"),
                       ((5, 3, 1, -1), "padding"), ((5, 3, 1, 0, 0), "dilation")):
        with pytest.raises(GeometryError, match=name):
            conv_output_size(*args)
    assert conv_output_size(5, 7, 1, 0) <= 0  # too small is the caller's to report


def test_pool_output_hw_follows_pytorchs_ceil_rule() -> None:
    """5 wide, kernel 2, stride 2: floor gives 2 windows; ceil_mode adds the window starting
    at 4 (inside the input). Padded by 1 (7 wide), windows start at 0, 2, 4 in floor mode;
    ceil_mode does not add the one starting at 6, which lies wholly in the right padding."""
    assert pool_output_hw("p", (5, 5), (2, 2), (2, 2), (0, 0)) == (2, 2)
    assert pool_output_hw("p", (5, 5), (2, 2), (2, 2), (0, 0), ceil_mode=True) == (3, 3)
    assert pool_output_hw("p", (5, 5), (2, 2), (2, 2), (1, 1)) == (3, 3)
    assert pool_output_hw("p", (5, 5), (2, 2), (2, 2), (1, 1), ceil_mode=True) == (3, 3)
    with pytest.raises(GeometryError, match="Output size is too small"):
        pool_output_hw("p", (1, 1), (3, 3), (1, 1), (0, 0))


def test_int_pair_accepts_pytorch_forms_and_names_bad_ones() -> None:
    assert int_pair(3, "k", "op") == (3, 3)
    assert int_pair((2,), "k", "op") == (2, 2)
    assert int_pair([1, 2], "k", "op") == (1, 2)
    assert int_pair(np.int64(4), "k", "op") == (4, 4)
    with pytest.raises(TypeError, match="op: k must be an int or a pair of ints, got float"):
        int_pair(2.0, "k", "op")
    with pytest.raises(GeometryError, match=r"op: k must be an int or a pair of ints, got "
                                            r"\(1, 2, 3\) \(3 entries\)"):
        int_pair((1, 2, 3), "k", "op")


def test_unbatched_inputs_work_as_in_pytorch() -> None:
    """A 3-D (C, H, W) input is one image: the result equals the batched one's first item."""
    w = lucid.tensor(np.ones((3, 2, 2, 2)))
    for f in (lambda t: F.conv2d(t, w, padding=1), lambda t: F.max_pool2d(t, 2),
              lambda t: F.avg_pool2d(t, 3, 1, 1), lambda t: F.adaptive_avg_pool2d(t, 3),
              lambda t: F.adaptive_max_pool2d(t, (1, 3))):
        np.testing.assert_array_equal(f(X[0]).numpy(), f(X).numpy()[0])


def test_pad_may_crop_an_axis_to_nothing() -> None:
    assert F.pad(X, (-2, -2)).shape == (1, 2, 4, 0)


def test_adaptive_average_pooling_of_no_channels_is_empty() -> None:
    """As in PyTorch: (N, 0, H, W) pools to (N, 0, oh, ow), with an (empty) gradient."""
    x = lucid.zeros(2, 0, 3, 4, requires_grad=True)
    y = F.adaptive_avg_pool2d(x, (3, 2))
    assert y.shape == (2, 0, 3, 2)
    y.sum().backward()
    assert x.grad.shape == (2, 0, 3, 4)
