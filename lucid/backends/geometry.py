"""Sizes derived from convolution and pooling hyper-parameters, computed and checked once.

Every part of lucid that needs an output size or a 'same' padding calls these functions: the
reference kernels, the array-module kernels, the CuPy backend and ``lucid.nn.functional``.
The same module checks the arguments, so a stride of 0 or a kernel larger than its input is
refused in one place, with one wording, whichever backend or layer meets it first:

- :func:`int_tuple` turns a user's ``kernel_size``/``stride``/... (an int or a sequence of
  ints) into a checked tuple: a bool, a float or a wrong length is a ``TypeError``, a value
  out of range a :class:`GeometryError`;
- :func:`conv_output_size` refuses non-positive strides, kernels and dilations and negative
  padding (a result of zero or less still means "the input is too small": the kernels
  decide), while :func:`checked_conv_output_hw` and :func:`pool_output_hw` refuse that too,
  with PyTorch's rules and a message naming the input size.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

Pair = tuple[int, int]


class GeometryError(ValueError, RuntimeError):
    """A convolution or pooling argument out of range, or an input too small for its window.

    It is a ``ValueError`` (a bad argument value) and a ``RuntimeError`` (what PyTorch raises
    for the same cases), so code written against either keeps working.
    """


def _kinds(n: int) -> str:
    return "an int or a pair of ints" if n == 2 else f"an int or a tuple of {n} ints"


def _as_int(v: Any, name: str, op: str, value: Any, n: int) -> int:
    """One integer entry (bools and floats refused, as PyTorch's argument parser does)."""
    if isinstance(v, bool):
        raise TypeError(f"{op}: {name} must be {_kinds(n)}, got the bool {value!r}")
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError(f"{op}: {name} must be {_kinds(n)}, got {type(v).__name__} "
                        f"{value!r}") from None


def int_tuple(value: Any, name: str, op: str, n: int = 2, minimum: int | None = None,
              length_error: type[Exception] | None = None) -> tuple[int, ...]:
    """``value`` (an int, or a sequence of 1 or ``n`` ints) as ``n`` ints, each ``>= minimum``.

    A one-element sequence is repeated, as PyTorch's ``_pair``/``_single`` expand it. A
    sequence of another length raises ``length_error`` (a :class:`GeometryError`, PyTorch's
    RuntimeError, unless the caller asks for another class).
    """
    if isinstance(value, (list, tuple)):
        entries = [_as_int(v, name, op, value, n) for v in value]
        if len(entries) == 1:
            entries *= n
        elif len(entries) != n:
            raise (length_error or GeometryError)(
                f"{op}: {name} must be {_kinds(n)}, got {value!r} ({len(entries)} entries)")
    else:
        entries = [_as_int(value, name, op, value, n)] * n
    if minimum is not None:
        at_least(op, name, entries, minimum, value)
    return tuple(entries)


def at_least(op: str, name: str, values: Sequence[int], minimum: int, given: Any = None) -> None:
    """Raise :class:`GeometryError` unless every entry of ``values`` is ``>= minimum``.

    Callers parse every argument with :func:`int_tuple` first and check ranges after, so a
    wrongly typed argument is reported as a TypeError whatever else is wrong (as in PyTorch).
    """
    if min(values) < minimum:
        what = {0: " (non-negative)", 1: " (positive)"}.get(minimum, "")
        shown = tuple(values) if given is None else given
        raise GeometryError(f"{op}: {name} must be >= {minimum}{what}, got {shown!r}")


def int_pair(value: Any, name: str, op: str, minimum: int | None = None,
             length_error: type[Exception] | None = None) -> Pair:
    """:func:`int_tuple` for the two spatial axes of a 2-D convolution or pooling."""
    return int_tuple(value, name, op, 2, minimum, length_error)  # type: ignore[return-value]


def _check_window(kernel: int, stride: int, padding: int, dilation: int) -> None:
    """Raise for the first of kernel, stride, dilation (>= 1) or padding (>= 0) out of range."""
    for name, v, least in (("kernel size", kernel, 1), ("stride", stride, 1),
                           ("dilation", dilation, 1), ("padding", padding, 0)):
        if v < least:
            what = "positive" if least else "non-negative"
            raise GeometryError(f"{name} must be {what}, got {v} (kernel size {kernel}, "
                                f"stride {stride}, padding {padding}, dilation {dilation})")


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    """Output length of a window of ``kernel`` taps slid over ``size`` (padded on both sides).

    Zero or less means no window fits; a non-positive kernel, stride or dilation, or a
    negative padding, raises :class:`GeometryError` (never a ``ZeroDivisionError``).
    """
    if kernel < 1 or stride < 1 or dilation < 1 or padding < 0:
        _check_window(kernel, stride, padding, dilation)
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv_output_hw(in_hw: Sequence[int], kernel_hw: Sequence[int], stride: Sequence[int],
                   padding: Sequence[int], dilation: Sequence[int] = (1, 1)) -> Pair:
    """Output ``(height, width)`` of a 2-D convolution or pooling (pooling: dilation ``(1, 1)``)."""
    return (conv_output_size(in_hw[0], kernel_hw[0], stride[0], padding[0], dilation[0]),
            conv_output_size(in_hw[1], kernel_hw[1], stride[1], padding[1], dilation[1]))


def checked_conv_output_hw(op: str, in_hw: Sequence[int], kernel_hw: Sequence[int],
                           stride: Sequence[int], padding: Sequence[int],
                           dilation: Sequence[int] = (1, 1)) -> Pair:
    """:func:`conv_output_hw`, refusing (as PyTorch) a dilated kernel larger than the padded
    input."""
    out = conv_output_hw(in_hw, kernel_hw, stride, padding, dilation)
    if min(out) < 1:
        padded = tuple(in_hw[i] + 2 * padding[i] for i in range(2))
        span = tuple(dilation[i] * (kernel_hw[i] - 1) + 1 for i in range(2))
        raise GeometryError(f"{op}: input {in_hw[0]}x{in_hw[1]} is too small: padded by "
                            f"{tuple(padding)} it is {padded[0]}x{padded[1]}, smaller than "
                            f"the kernel's extent {span[0]}x{span[1]} (kernel "
                            f"{tuple(kernel_hw)}, dilation {tuple(dilation)})")
    return out


def pool_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int = 1,
                     ceil_mode: bool = False) -> int:
    """PyTorch's pooling output length: ``ceil_mode`` rounds up, but the last window must
    start inside the input or its left padding. Zero or less means no window fits."""
    span = dilation * (kernel - 1) + 1
    if kernel < 1 or stride < 1 or dilation < 1 or padding < 0:
        _check_window(kernel, stride, padding, dilation)
    num = size + 2 * padding - span
    out = (-(-num // stride) if ceil_mode else num // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def pool_output_hw(op: str, in_hw: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
                   padding: Sequence[int], dilation: Sequence[int] = (1, 1),
                   ceil_mode: bool = False) -> Pair:
    """Checked output ``(height, width)`` of a 2-D pooling, with PyTorch's rules: kernel,
    stride and dilation positive, padding between 0 and half the kernel, output non-empty."""
    for name, v, least in (("kernel_size", kernel, 1), ("stride", stride, 1),
                           ("dilation", dilation, 1), ("padding", padding, 0)):
        at_least(op, name, v, least)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise GeometryError(f"{op}: padding {tuple(padding)} must be at most half the kernel "
                            f"size {tuple(kernel)}")
    out = (pool_output_size(in_hw[0], kernel[0], stride[0], padding[0], dilation[0], ceil_mode),
           pool_output_size(in_hw[1], kernel[1], stride[1], padding[1], dilation[1], ceil_mode))
    if min(out) < 1:
        raise GeometryError(f"{op}: input {in_hw[0]}x{in_hw[1]} is too small for kernel "
                            f"{tuple(kernel)} with padding {tuple(padding)}, dilation "
                            f"{tuple(dilation)} and stride {tuple(stride)}: the output would "
                            f"be {out[0]}x{out[1]} (Output size is too small)")
    return out


def same_padding(kernel: int, dilation: int = 1) -> Pair:
    """``(before, after)`` padding that keeps a stride-1 output as long as its input.

    The total is ``dilation * (kernel - 1)``; ``before`` is its lower half, as in PyTorch's
    ``padding='same'`` (an odd total puts the extra element after).
    """
    total = dilation * (kernel - 1)
    return total // 2, total - total // 2


__all__ = ["GeometryError", "at_least", "checked_conv_output_hw", "conv_output_hw",
           "conv_output_size", "int_pair", "int_tuple", "pool_output_hw", "pool_output_size",
           "same_padding"]
