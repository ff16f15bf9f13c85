"""Property tests (Hypothesis) for convolution and pooling: a clear error or the right answer.

Hypothesis draws shapes and hyper-parameters, valid and invalid ones alike (strides and
dilations of 0, negative padding, kernels larger than the padded input, pooling padding over
half the kernel). For each draw the test decides *itself* whether the call is possible, from
the definitions (count the windows that fit), and asserts:

- impossible: lucid raises ``ValueError``/``RuntimeError`` whose message names the argument;
- possible: lucid's output, and for the convolution the input and weight gradients, equal
  the direct definitions computed here with plain loops over every output position and every
  tap (cross-correlation; the max or mean over each pooling window; PyTorch's adaptive bins).

The references share no code with lucid (not even its geometry module). Runs are
derandomized, so CI tries the same examples every time.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import lucid  # noqa: E402
import lucid.nn.functional as F  # noqa: E402

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None)
ERRORS = (ValueError, RuntimeError)


def _windows(size: int, kernel: int, stride: int, pad: int, dilation: int) -> int:
    """How many windows of the dilated kernel fit in the padded length, sliding by stride."""
    padded, span = size + 2 * pad, dilation * (kernel - 1) + 1
    return sum(1 for start in range(0, padded, stride) if start + span <= padded)


def _pool_windows(size: int, kernel: int, stride: int, pad: int, dilation: int,
                  ceil_mode: bool) -> int:
    """PyTorch's documented pooling length: with ceil_mode a last partial window counts if it
    starts inside the input or its left padding."""
    span = dilation * (kernel - 1) + 1
    if not ceil_mode:
        return _windows(size, kernel, stride, pad, dilation)
    n = math.ceil((size + 2 * pad - span) / stride) + 1
    if (n - 1) * stride >= size + pad:
        n -= 1
    return n


#: values drawn for each hyper-parameter: mostly valid, one invalid value in about seven
KERNEL, STRIDE, PADDING, DILATION = ([1, 1, 2, 2, 3, 3, 4, 0], [1, 1, 1, 2, 2, 3, 0],
                                     [0, 0, 0, 1, 1, 2, -1], [1, 1, 1, 1, 2, 2, 3, 0])


def _pair(draw: Any, values: list[int]) -> tuple[int, int]:
    a = draw(st.sampled_from(values))
    return (a, a) if draw(st.booleans()) else (a, draw(st.sampled_from(values)))


# --------------------------------------------------------------------------- convolution
def conv2d_reference(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: tuple[int, int],
                     pad: tuple[int, int], dil: tuple[int, int], groups: int,
                     gy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``y[n,o,i,j] = b[o] + Σ_{c,p,q} x[n, g·C/G + c, i·s - pad + p·d, j·s - pad + q·d]
    · w[o,c,p,q]`` (taps in the padding read 0), and the gradients of ``Σ y·gy`` by the same
    sum."""
    n, cin, h, wd = x.shape
    o, cg, kh, kw = w.shape
    ho, wo = gy.shape[2:]
    y = np.zeros((n, o, ho, wo))
    gx, gw = np.zeros_like(x), np.zeros_like(w)
    og = o // groups
    for bn in range(n):
        for oc in range(o):
            first = (oc // og) * cg
            for i in range(ho):
                for j in range(wo):
                    total = 0.0 if b is None else b[oc]
                    for c in range(cg):
                        for p in range(kh):
                            r = i * stride[0] - pad[0] + p * dil[0]
                            if not 0 <= r < h:
                                continue
                            for q in range(kw):
                                col = j * stride[1] - pad[1] + q * dil[1]
                                if not 0 <= col < wd:
                                    continue
                                total += x[bn, first + c, r, col] * w[oc, c, p, q]
                                gx[bn, first + c, r, col] += gy[bn, oc, i, j] * w[oc, c, p, q]
                                gw[oc, c, p, q] += gy[bn, oc, i, j] * x[bn, first + c, r, col]
                    y[bn, oc, i, j] = total
    return y, gx, gw


@st.composite
def conv_cases(draw: Any) -> dict[str, Any]:
    groups = draw(st.integers(1, 3))
    return {
        "n": draw(st.integers(1, 2)), "groups": groups,
        "cg": draw(st.integers(1, 2)), "og": draw(st.integers(1, 2)),
        "hw": _pair(draw, list(range(1, 9))), "kernel": _pair(draw, [1, 1, 2, 2, 3, 3]),
        "stride": _pair(draw, STRIDE), "padding": _pair(draw, PADDING),
        "dilation": _pair(draw, DILATION), "bias": draw(st.booleans()),
        # the input's channels, usually cg·groups: sometimes one more (a mismatch)
        "extra_channel": draw(st.integers(0, 9)) == 0,
    }


@SETTINGS
@given(conv_cases())
def test_conv2d_raises_clearly_or_matches_the_definition(case: dict[str, Any]) -> None:
    groups, cg, og = case["groups"], case["cg"], case["og"]
    cin = cg * groups + case["extra_channel"]
    (h, wd), k = case["hw"], case["kernel"]
    s, p, d = case["stride"], case["padding"], case["dilation"]
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((case["n"], cin, h, wd))
    w_np = rng.standard_normal((og * groups, cg, *k))
    b_np = rng.standard_normal(og * groups) if case["bias"] else None
    x = lucid.tensor(x_np, requires_grad=True)
    w = lucid.tensor(w_np, requires_grad=True)
    b = None if b_np is None else lucid.tensor(b_np)

    bad = [name for name, v, least in (("stride", s, 1), ("padding", p, 0),
                                       ("dilation", d, 1)) if min(v) < least]
    if case["extra_channel"]:
        bad.append("channels")
    if not bad:
        out = (_windows(h, k[0], s[0], p[0], d[0]), _windows(wd, k[1], s[1], p[1], d[1]))
        if min(out) < 1:
            bad = ["too small"]
    event("refused" if bad else "computed")  # (pytest --hypothesis-show-statistics)
    if bad:
        with pytest.raises(ERRORS) as info:
            F.conv2d(x, w, b, s, p, d, groups)
        assert any(name in str(info.value) for name in bad), (bad, str(info.value))
        return
    gy = rng.standard_normal((case["n"], og * groups, *out))
    y_ref, gx_ref, gw_ref = conv2d_reference(x_np, w_np, b_np, s, p, d, groups, gy)
    y = F.conv2d(x, w, b, s, p, d, groups)
    assert y.shape == y_ref.shape
    np.testing.assert_allclose(y.detach().numpy(), y_ref, rtol=1e-10, atol=1e-12)
    (y * lucid.tensor(gy)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), gx_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), gw_ref, rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------- pooling
@st.composite
def pool_cases(draw: Any, dilation: bool) -> dict[str, Any]:
    return {
        "hw": _pair(draw, list(range(1, 8))), "kernel": _pair(draw, KERNEL),
        "stride": None if draw(st.integers(0, 4)) == 0 else _pair(draw, STRIDE),
        "padding": _pair(draw, PADDING), "dilation": _pair(draw, DILATION) if dilation
        else (1, 1),
        "ceil_mode": draw(st.booleans()),
    }


def _pool_problems(case: dict[str, Any]) -> tuple[list[str], tuple[int, int]]:
    """The arguments PyTorch's rules refuse (any of them may be named) and the output size."""
    k, p, d = case["kernel"], case["padding"], case["dilation"]
    s = k if case["stride"] is None else case["stride"]
    bad = [name for name, v, least in (("kernel_size", k, 1), ("stride", s, 1),
                                       ("padding", p, 0), ("dilation", d, 1))
           if min(v) < least]
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        bad.append("padding")
    if bad:
        return bad, (0, 0)
    out = tuple(_pool_windows(case["hw"][i], k[i], s[i], p[i], d[i], case["ceil_mode"])
                for i in range(2))
    return (["too small"] if min(out) < 1 else []), out  # type: ignore[return-value]


def max_pool2d_reference(x: np.ndarray, k: tuple[int, int], s: tuple[int, int],
                         p: tuple[int, int], d: tuple[int, int], out: tuple[int, int]
                         ) -> tuple[np.ndarray, np.ndarray]:
    """The largest input value each window covers, and its flat index ``row·W + col``."""
    n, c, h, w = x.shape
    y, idx = np.full((n, c, *out), -np.inf), np.full((n, c, *out), -1)
    for i in range(out[0]):
        for j in range(out[1]):
            for a in range(k[0]):
                r = i * s[0] - p[0] + a * d[0]
                for bb in range(k[1]):
                    col = j * s[1] - p[1] + bb * d[1]
                    if not (0 <= r < h and 0 <= col < w):
                        continue
                    better = x[:, :, r, col] > y[:, :, i, j]
                    y[:, :, i, j] = np.where(better, x[:, :, r, col], y[:, :, i, j])
                    idx[:, :, i, j] = np.where(better, r * w + col, idx[:, :, i, j])
    return y, idx


@SETTINGS
@given(pool_cases(dilation=True))
def test_max_pool2d_raises_clearly_or_matches_the_definition(case: dict[str, Any]) -> None:
    h, w = case["hw"]
    # distinct values: each window's maximum, and so where its gradient goes, is unique
    x_np = np.random.default_rng(1).permutation(2 * h * w).reshape(1, 2, h, w) * 1.0
    x = lucid.tensor(x_np, requires_grad=True)
    args = (case["kernel"], case["stride"], case["padding"], case["dilation"],
            case["ceil_mode"])
    problems, out = _pool_problems(case)
    event("refused" if problems else "computed")
    if problems:
        with pytest.raises(ERRORS) as info:
            F.max_pool2d(x, *args)
        assert any(name in str(info.value) for name in problems), (problems, str(info.value))
        return
    s = case["kernel"] if case["stride"] is None else case["stride"]
    y_ref, idx_ref = max_pool2d_reference(x_np, case["kernel"], s, case["padding"],
                                          case["dilation"], out)
    y, idx = F.max_pool2d(x, *args, return_indices=True)
    np.testing.assert_array_equal(y.detach().numpy(), y_ref)
    covered = idx_ref >= 0  # (a window wholly in the padding has no maximum to point at)
    np.testing.assert_array_equal(idx.numpy()[covered], idx_ref[covered])
    if not covered.all():
        return
    gy = np.random.default_rng(2).standard_normal(y_ref.shape)
    (y * lucid.tensor(gy)).sum().backward()
    flat = np.zeros((2, h * w))  # each output's gradient lands on its window's maximum
    for ch in range(2):
        np.add.at(flat[ch], idx_ref[0, ch].ravel(), gy[0, ch].ravel())
    np.testing.assert_allclose(x.grad.numpy(), flat.reshape(x_np.shape), rtol=1e-12)


@st.composite
def avg_cases(draw: Any) -> dict[str, Any]:
    case = draw(pool_cases(dilation=False))
    case["count_include_pad"] = draw(st.booleans())
    case["divisor_override"] = draw(st.sampled_from([None] * 6 + [1, 3, -2, 0]))
    return case


@SETTINGS
@given(avg_cases())
def test_avg_pool2d_raises_clearly_or_matches_the_definition(case: dict[str, Any]) -> None:
    """PyTorch's window: it may reach ``padding`` past the input (never further); the
    divisor counts the padding inside it unless ``count_include_pad=False``."""
    h, w = case["hw"]
    x_np = np.random.default_rng(3).standard_normal((1, 2, h, w))
    x = lucid.tensor(x_np, requires_grad=True)
    k, p, div = case["kernel"], case["padding"], case["divisor_override"]
    args = (k, case["stride"], p, case["ceil_mode"], case["count_include_pad"], div)
    problems, out = _pool_problems(case)
    if div == 0:
        problems.append("divisor_override")
    event("refused" if problems else "computed")
    if problems:
        with pytest.raises(ERRORS) as info:
            F.avg_pool2d(x, *args)
        assert any(name in str(info.value) for name in problems), (problems, str(info.value))
        return
    s = k if case["stride"] is None else case["stride"]
    gy = np.random.default_rng(4).standard_normal((1, 2, *out))
    y_ref, gx_ref = np.zeros((1, 2, *out)), np.zeros_like(x_np)
    for i in range(out[0]):
        for j in range(out[1]):
            r0, c0 = i * s[0] - p[0], j * s[1] - p[1]
            r1, c1 = min(r0 + k[0], h + p[0]), min(c0 + k[1], w + p[1])
            inside = (slice(max(r0, 0), min(r1, h)), slice(max(c0, 0), min(c1, w)))
            n_in = (min(r1, h) - max(r0, 0)) * (min(c1, w) - max(c0, 0))
            divisor = div or ((r1 - r0) * (c1 - c0) if case["count_include_pad"] else n_in)
            y_ref[:, :, i, j] = x_np[:, :, inside[0], inside[1]].sum((2, 3)) / divisor
            gx_ref[:, :, inside[0], inside[1]] += gy[:, :, i:i + 1, j:j + 1] / divisor
    y = F.avg_pool2d(x, *args)
    np.testing.assert_allclose(y.detach().numpy(), y_ref, rtol=1e-10, atol=1e-12)
    (y * lucid.tensor(gy)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), gx_ref, rtol=1e-10, atol=1e-12)


@SETTINGS
@given(hw=st.tuples(st.integers(1, 7), st.integers(1, 7)),
       size=st.tuples(st.integers(-1, 9), st.integers(0, 9)))
def test_adaptive_avg_pool2d_raises_clearly_or_matches_the_bins(hw: tuple[int, int],
                                                                size: tuple[int, int]) -> None:
    """Bin ``i`` of ``out`` over ``n`` covers ``floor(i·n/out) .. ceil((i+1)·n/out)``; an
    output size of 0 gives an empty axis (as in PyTorch), a negative one an error."""
    x_np = np.random.default_rng(5).standard_normal((2, 1, *hw))
    x = lucid.tensor(x_np, requires_grad=True)
    event("refused" if min(size) < 0 else "empty" if 0 in size else "computed")
    if min(size) < 0:
        with pytest.raises(ERRORS, match="output_size"):
            F.adaptive_avg_pool2d(x, size)
        return
    y_ref = np.zeros((2, 1, *size))
    for i in range(size[0]):
        r = slice(i * hw[0] // size[0], math.ceil((i + 1) * hw[0] / size[0]))
        for j in range(size[1]):
            c = slice(j * hw[1] // size[1], math.ceil((j + 1) * hw[1] / size[1]))
            y_ref[:, :, i, j] = x_np[:, :, r, c].mean((2, 3))
    y = F.adaptive_avg_pool2d(x, size)
    assert y.shape == y_ref.shape
    np.testing.assert_allclose(y.detach().numpy(), y_ref, rtol=1e-10, atol=1e-12)
    y.sum().backward()  # an empty output still has a (zero) gradient
    assert x.grad.shape == x_np.shape
