"""Tests for the array-module NN kernels (``lucid/backends/array_kernels.py``) on NumPy.

The kernels run with the NumPy backend's passes (threads, cache blocks), as in production.
Every kernel is checked against an independent reference: forward passes against naive
direct-loop implementations written here (float64, small shapes), and every gradient
against central finite differences in float64.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lucid.backends import Passes
from lucid.backends import array_kernels as K

NumPyPasses = pytest.importorskip("lucid_numpy").NumPyPasses
#: What the NumPy backend runs the kernels with.
NP = NumPyPasses(np)


# ----------------------------------------------------------------------------------------
# Independent references
# ----------------------------------------------------------------------------------------


def out_len(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def ref_conv2d(x, w, stride, padding, dilation, groups):
    """Direct-loop cross-correlation: one dot product per output pixel and kernel tap."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    ho = out_len(h, kh, stride[0], padding[0], dilation[0])
    wo = out_len(wd, kw, stride[1], padding[1], dilation[1])
    og = o // groups
    y = np.zeros((n, o, ho, wo))
    for oc in range(o):
        chans = slice((oc // og) * cg, (oc // og + 1) * cg)
        for oh, ow, i, j in itertools.product(range(ho), range(wo), range(kh), range(kw)):
            r = oh * stride[0] - padding[0] + i * dilation[0]
            q = ow * stride[1] - padding[1] + j * dilation[1]
            if 0 <= r < h and 0 <= q < wd:
                y[:, oc, oh, ow] += x[:, chans, r, q] @ w[oc, :, i, j]
    return y


def ref_pool2d(x, kernel, stride, padding, mode):
    """Direct-loop max pooling (-inf padding) or average pooling (padding counted)."""
    n, c, h, w = x.shape
    ho = out_len(h, kernel[0], stride[0], padding[0], 1)
    wo = out_len(w, kernel[1], stride[1], padding[1], 1)
    y = np.zeros((n, c, ho, wo))
    for a, b, oh, ow in itertools.product(range(n), range(c), range(ho), range(wo)):
        vals = []
        for i, j in itertools.product(range(kernel[0]), range(kernel[1])):
            r = oh * stride[0] - padding[0] + i
            q = ow * stride[1] - padding[1] + j
            inside = 0 <= r < h and 0 <= q < w
            vals.append(x[a, b, r, q] if inside else (-np.inf if mode == "max" else 0.0))
        y[a, b, oh, ow] = max(vals) if mode == "max" else sum(vals) / len(vals)
    return y


def ref_batch_norm(x, gamma, beta, eps):
    """Channel-by-channel batch norm with the biased variance."""
    y = np.empty_like(x)
    mean, invstd = np.empty(x.shape[1]), np.empty(x.shape[1])
    for ch in range(x.shape[1]):
        v = x[:, ch]
        mean[ch] = v.mean()
        invstd[ch] = 1.0 / np.sqrt(((v - mean[ch]) ** 2).mean() + eps)
        y[:, ch] = (v - mean[ch]) * invstd[ch]
        if gamma is not None:
            y[:, ch] = y[:, ch] * gamma[ch] + beta[ch]
    return y, mean, invstd


def ref_softmax(x, axis):
    """Softmax one 1-D slice at a time, in float64."""
    x = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    y = np.empty_like(x)
    for idx in np.ndindex(x.shape[:-1]):
        e = np.exp(x[idx] - x[idx].max())
        y[idx] = e / e.sum()
    return np.moveaxis(y, -1, axis)


def numgrad(f, a, eps=1e-6):
    """Central finite differences of the scalar ``f()`` with respect to every entry of ``a``."""
    g = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + eps
        fp = f()
        a[idx] = old - eps
        fm = f()
        a[idx] = old
        g[idx] = (fp - fm) / (2 * eps)
    return g


def assert_close(actual, expected, rtol=1e-7, atol=1e-9):
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


# ----------------------------------------------------------------------------------------
# Convolution
# ----------------------------------------------------------------------------------------

X_SHAPE = (2, 4, 6, 7)  # batch 2, 4 channels, non-square image
GROUPS = {"dense": (1, 6), "groups2": (2, 6), "depthwise": (4, 8)}  # name: (groups, O)


def _conv_cases():
    for s, p, d, k, gname in itertools.product(
        (1, 2), (0, 1, 2), (1, 2), ((1, 3), (3, 3), (5, 5), (1, 1)), GROUPS
    ):
        ho = out_len(X_SHAPE[2], k[0], s, p, d)
        wo = out_len(X_SHAPE[3], k[1], s, p, d)
        if ho >= 1 and wo >= 1 and not (k == (1, 1) and (p, d) != (0, 1)):
            yield pytest.param((s, s), (p, p), (d, d), k, gname,
                               id=f"s{s}-p{p}-d{d}-k{k[0]}x{k[1]}-{gname}")
    # asymmetric stride / padding / dilation
    yield pytest.param((2, 1), (1, 2), (1, 2), (3, 3), "groups2", id="asymmetric")
    yield pytest.param((1, 2), (0, 1), (2, 1), (1, 3), "dense", id="asymmetric2")
    yield pytest.param((2, 3), (0, 0), (1, 1), (1, 1), "groups2", id="pointwise-s2x3")


@pytest.mark.parametrize("stride, padding, dilation, kernel, gname", list(_conv_cases()))
def test_conv2d_forward_and_gradients(stride, padding, dilation, kernel, gname):
    groups, o = GROUPS[gname]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(X_SHAPE)
    w = rng.standard_normal((o, X_SHAPE[1] // groups, *kernel))
    args = (stride, padding, dilation, groups)

    y = K.conv2d(NP, x, w, *args)
    assert_close(y, ref_conv2d(x, w, *args))

    r = rng.standard_normal(y.shape)  # loss = sum(r * conv2d(x, w)), so dloss/dy = r

    def loss():
        return float(np.sum(r * K.conv2d(NP, x, w, *args)))

    assert_close(K.conv2d_grad_input(NP, r, w, x.shape, *args), numgrad(loss, x), 1e-6, 1e-7)
    assert_close(K.conv2d_grad_weight(NP, r, x, w.shape, *args), numgrad(loss, w), 1e-6, 1e-7)


@pytest.mark.parametrize("block_bytes", [1, 5000, 30000],
                         ids=["one-row-bands", "row-bands", "image-blocks"])
@pytest.mark.parametrize("stride, padding, dilation, groups", [
    ((1, 1), (1, 1), (1, 1), 1), ((2, 2), (1, 2), (1, 2), 2), ((1, 2), (2, 2), (2, 2), 4)])
def test_conv2d_cache_blocking(block_bytes, stride, padding, dilation, groups):
    """Cutting the batch into image blocks or row bands must not change any result."""
    rng = np.random.default_rng(10)
    x = rng.standard_normal((3, 4, 7, 6))
    w = rng.standard_normal((8, 4 // groups, 3, 3))
    args = (stride, padding, dilation, groups)
    whole = Passes(np)  # the default: one batch-wide GEMM, plain single calls
    assert whole.block_bytes is None
    y = K.conv2d(whole, x, w, *args)
    gx = K.conv2d_grad_input(whole, y, w, x.shape, *args)
    gw = K.conv2d_grad_weight(whole, y, x, w.shape, *args)
    blocked = NumPyPasses(np)
    blocked.block_bytes = block_bytes
    assert_close(K.conv2d(blocked, x, w, *args), ref_conv2d(x, w, *args))
    assert_close(K.conv2d_grad_input(blocked, y, w, x.shape, *args), gx, 1e-12, 1e-12)
    assert_close(K.conv2d_grad_weight(blocked, y, x, w.shape, *args), gw, 1e-12, 1e-12)


@pytest.mark.parametrize("kernel, padding", [((3, 3), (1, 1)), ((1, 1), (0, 0))])
def test_conv2d_accepts_non_contiguous_arrays(kernel, padding):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((5, 2, 6, 4)).transpose(1, 0, 3, 2)  # (2, 5, 4, 6), a view
    w = rng.standard_normal((3, 5, *kernel))[:, :, ::-1]
    gy = rng.standard_normal((3, 2, 4, 6)).transpose(1, 0, 2, 3)
    args = ((1, 1), padding, (1, 1), 1)
    xc, wc, gyc = (np.ascontiguousarray(a) for a in (x, w, gy))
    assert_close(K.conv2d(NP, x, w, *args), ref_conv2d(xc, wc, *args))
    assert_close(K.conv2d_grad_input(NP, gy, w, x.shape, *args),
                 K.conv2d_grad_input(NP, gyc, wc, x.shape, *args))
    assert_close(K.conv2d_grad_weight(NP, gy, x, w.shape, *args),
                 K.conv2d_grad_weight(NP, gyc, xc, w.shape, *args))


@pytest.mark.parametrize("kernel, padding", [((3, 3), (1, 1)), ((1, 1), (0, 0))])
def test_conv2d_keeps_float32(kernel, padding):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 5, 6)).astype(np.float32)
    w = rng.standard_normal((6, 2, *kernel)).astype(np.float32)
    args = ((1, 1), padding, (1, 1), 2)
    y = K.conv2d(NP, x, w, *args)
    assert y.dtype == np.float32
    assert_close(y.astype(np.float64), ref_conv2d(x.astype(np.float64), w.astype(np.float64),
                                                  *args), 1e-5, 1e-5)
    assert K.conv2d_grad_input(NP, y, w, x.shape, *args).dtype == np.float32
    assert K.conv2d_grad_weight(NP, y, x, w.shape, *args).dtype == np.float32


# ----------------------------------------------------------------------------------------
# Pooling
# ----------------------------------------------------------------------------------------


def _pool_cases():
    for k, s, p in itertools.product((2, 3), (1, 2), (0, 1)):
        yield pytest.param((k, k), (s, s), (p, p), id=f"k{k}-s{s}-p{p}")
    yield pytest.param((3, 3), (3, 3), (0, 0), id="tiles3")
    yield pytest.param((2, 3), (2, 3), (0, 0), id="tiles2x3")
    yield pytest.param((7, 8), (7, 8), (0, 0), id="global")
    yield pytest.param((3, 5), (3, 5), (0, 0), id="tiles-one-column")
    yield pytest.param((3, 2), (1, 2), (1, 0), id="asymmetric")


def _distinct_input(shape, seed):
    """Random values with gaps far larger than the finite-difference step (no max ties)."""
    rng = np.random.default_rng(seed)
    return rng.permutation(np.prod(shape)).reshape(shape) * 0.01 + rng.uniform(0, 1e-3, shape)


@pytest.mark.parametrize("kernel, stride, padding", list(_pool_cases()))
def test_max_pool2d(kernel, stride, padding):
    x = _distinct_input((2, 3, 7, 8), 2)
    y, argmax = K.max_pool2d(NP, x, kernel, stride, padding)
    assert_close(y, ref_pool2d(x, kernel, stride, padding, "max"))
    r = np.random.default_rng(3).standard_normal(y.shape)
    gx = K.max_pool2d_grad(NP, r, argmax, x.shape, kernel, stride, padding)
    num = numgrad(lambda: float(np.sum(r * K.max_pool2d(NP, x, kernel, stride, padding)[0])), x)
    assert_close(gx, num, 1e-6, 1e-7)


@pytest.mark.parametrize("kernel, stride, padding", list(_pool_cases()))
def test_avg_pool2d(kernel, stride, padding):
    x = np.random.default_rng(4).standard_normal((2, 3, 7, 8))
    y = K.avg_pool2d(NP, x, kernel, stride, padding)
    assert_close(y, ref_pool2d(x, kernel, stride, padding, "avg"))
    r = np.random.default_rng(5).standard_normal(y.shape)
    gx = K.avg_pool2d_grad(NP, r, x.shape, kernel, stride, padding)
    num = numgrad(lambda: float(np.sum(r * K.avg_pool2d(NP, x, kernel, stride, padding))), x)
    assert_close(gx, num, 1e-6, 1e-7)


def test_max_pool2d_first_maximum_wins_ties():
    x = np.ones((1, 1, 2, 2))
    y, argmax = K.max_pool2d(NP, x, (2, 2), (2, 2), (0, 0))
    gx = K.max_pool2d_grad(NP, np.ones_like(y), argmax, x.shape, (2, 2), (2, 2), (0, 0))
    assert_close(gx, np.array([[[[1.0, 0.0], [0.0, 0.0]]]]))


@pytest.mark.parametrize("kernel, stride, padding", [((3, 3), (2, 2), (1, 1)),
                                                     ((2, 2), (2, 2), (0, 0))])
def test_pooling_keeps_float32(kernel, stride, padding):
    x = np.random.default_rng(6).standard_normal((2, 3, 8, 8)).astype(np.float32)
    y, argmax = K.max_pool2d(NP, x, kernel, stride, padding)
    assert y.dtype == np.float32
    assert K.max_pool2d_grad(NP, y, argmax, x.shape, kernel, stride, padding).dtype == np.float32
    ya = K.avg_pool2d(NP, x, kernel, stride, padding)
    assert ya.dtype == np.float32
    assert K.avg_pool2d_grad(NP, ya, x.shape, kernel, stride, padding).dtype == np.float32


# ----------------------------------------------------------------------------------------
# Batch normalisation
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(6, 3), (2, 3, 4, 5)], ids=["2d", "4d"])
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "no-gamma"])
def test_batch_norm(shape, affine):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(shape) * 2.0 + 3.0
    gamma = rng.standard_normal(shape[1]) if affine else None
    beta = rng.standard_normal(shape[1]) if affine else None
    eps = 1e-5

    y, mean, invstd = K.batch_norm_train(NP, x, gamma, beta, eps)
    ry, rmean, rinvstd = ref_batch_norm(x, gamma, beta, eps)
    assert_close(y, ry)
    assert_close(mean, rmean)
    assert_close(invstd, rinvstd)

    r = rng.standard_normal(shape)

    def loss():
        return float(np.sum(r * K.batch_norm_train(NP, x, gamma, beta, eps)[0]))

    gx, ggamma, gbeta = K.batch_norm_grad(NP, r, x, gamma, mean, invstd)
    assert_close(gx, numgrad(loss, x), 1e-5, 1e-7)
    if affine:
        assert_close(ggamma, numgrad(loss, gamma), 1e-5, 1e-7)
        assert_close(gbeta, numgrad(loss, beta), 1e-5, 1e-7)
    else:
        assert ggamma is None and gbeta is None


def test_batch_norm_float32_with_large_mean():
    """float32 in, float32 out, and no cancellation when |mean| >> std."""
    rng = np.random.default_rng(8)
    x = (rng.standard_normal((4, 3, 5, 5)) * 0.1 + 1000.0).astype(np.float32)
    gamma = np.ones(3, np.float32)
    beta = np.zeros(3, np.float32)
    y, mean, invstd = K.batch_norm_train(NP, x, gamma, beta, 1e-5)
    assert y.dtype == mean.dtype == invstd.dtype == np.float32
    ry, _, _ = ref_batch_norm(x.astype(np.float64), gamma, beta, 1e-5)
    assert_close(y.astype(np.float64), ry, 0, 2e-3)
    gy = rng.standard_normal(x.shape).astype(np.float32)
    grads = K.batch_norm_grad(NP, gy, x, gamma, mean, invstd)
    assert all(g.dtype == np.float32 for g in grads)


# ----------------------------------------------------------------------------------------
# Softmax
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_and_log_softmax(axis):
    x = np.random.default_rng(9).standard_normal((3, 4, 5)) * 3
    assert_close(K.softmax(NP, x, axis), ref_softmax(x, axis))
    assert_close(K.log_softmax(NP, x, axis), np.log(ref_softmax(x, axis)))


def test_softmax_is_stable_and_keeps_float32():
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]], np.float32)
    for f in (K.softmax, K.log_softmax):
        y = f(NP, x, 1)
        assert y.dtype == np.float32
        assert np.all(np.isfinite(y))
    assert_close(K.softmax(NP, x, 1).astype(np.float64), ref_softmax(x, 1), 1e-6, 1e-7)
    assert_close(K.log_softmax(NP, x, 1).astype(np.float64), np.log(ref_softmax(x, 1)),
                 1e-6, 1e-6)


@pytest.mark.parametrize("block_bytes", [None, 30000, 64], ids=["whole", "image-blocks",
                                                               "channel-blocks"])
def test_conv2d_grad_weight_of_an_empty_batch_is_zero(block_bytes):
    """No image, no contribution: a zero weight gradient of the weight's shape and dtype,
    whichever way the work would be blocked."""
    passes = NumPyPasses(np)
    passes.block_bytes = block_bytes
    x = np.zeros((0, 4, 6, 5), np.float32)
    gy = np.zeros((0, 6, 6, 5), np.float32)
    gw = K.conv2d_grad_weight(passes, gy, x, (6, 2, 3, 3), (1, 1), (1, 1), (1, 1), 2)
    assert gw.shape == (6, 2, 3, 3) and gw.dtype == np.float32 and not gw.any()

