"""Tests for the NumPy backend's threaded element-wise passes (``lucid_numpy/_parallel.py``).

The threaded path must give *bit-identical* results to plain NumPy: every check compares
bit patterns (NaN, infinities and signed zeros included) against the NumPy expression
written in the test, or a kernel run with threads against the same kernel run on one thread.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from lucid.backends import array_kernels as K

P = pytest.importorskip("lucid_numpy._parallel")
#: The NumPy backend's passes: the kernels' large passes go through ``P``.
NP = pytest.importorskip("lucid_numpy").NumPyPasses(np)


def _same_bits(got: np.ndarray, want: np.ndarray) -> bool:
    """Same shape, dtype and bytes (so NaN == NaN and -0.0 != +0.0)."""
    got, want = np.asarray(got), np.asarray(want)
    return (got.shape == want.shape and got.dtype == want.dtype
            and np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(want).tobytes())


def _awkward(rng: np.random.Generator, shape: tuple[int, ...], dtype=np.float32) -> np.ndarray:
    """Random values salted with NaN, infinities and signed zeros."""
    if np.dtype(dtype).kind != "f":
        return rng.integers(-100, 100, shape).astype(dtype)
    a = rng.standard_normal(shape).astype(dtype)
    flat = a.reshape(-1)
    special = [np.nan, np.inf, -np.inf, 0.0, -0.0, -1.5]
    flat[: len(special)] = special[: flat.size]
    rng.shuffle(flat)
    return a


@pytest.fixture(autouse=True)
def _quiet_float_errors():
    """Divisions by zero and NaN comparisons are part of the inputs: no warnings."""
    with np.errstate(all="ignore"):
        yield


@pytest.fixture
def threads():
    """Use three threads (uneven chunks) for the test, then go back to the environment."""
    P.set_num_threads(3)
    yield 3
    P.set_num_threads(None)


@pytest.fixture
def small_threshold(threads, monkeypatch):
    """Split even small arrays, so kernel tests stay fast but take the threaded path."""
    monkeypatch.setattr(P, "MIN_ELEMENTS", 16)


# A shape just above the real threshold (so the production setting is what is tested).
BIG = (4, 3, P.MIN_ELEMENTS // 12 + 7)


@pytest.mark.parametrize("fn", [np.add, np.subtract, np.multiply, np.true_divide,
                                np.maximum, np.minimum, np.greater, np.less])
def test_binary_ufuncs_bit_identical_above_threshold(threads, fn):
    rng = np.random.default_rng(0)
    a, b = _awkward(rng, BIG), _awkward(rng, BIG)
    assert np.prod(BIG) > P.MIN_ELEMENTS
    assert _same_bits(P.ufunc(fn, a, b), fn(a, b))
    # broadcast operands, non-contiguous views and weak Python scalars
    row = _awkward(rng, (1, 3, 1))
    assert _same_bits(P.ufunc(fn, a, row), fn(a, row))
    assert _same_bits(P.ufunc(fn, a.transpose(2, 1, 0), 0.5), fn(a.transpose(2, 1, 0), 0.5))
    assert _same_bits(P.ufunc(fn, 2, b), fn(2, b))


def test_unary_and_mixed_dtypes(threads):
    rng = np.random.default_rng(1)
    a = _awkward(rng, BIG)
    assert _same_bits(P.ufunc(np.negative, a), np.negative(a))
    d = rng.standard_normal(BIG)  # float64 with float32 promotes to float64
    assert _same_bits(P.ufunc(np.add, a, d), np.add(a, d))
    i = rng.integers(-5, 5, BIG).astype(np.int32)
    assert _same_bits(P.ufunc(np.multiply, i, 3), i * 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.float16])
def test_where_bit_identical(threads, dtype):
    rng = np.random.default_rng(2)
    v = _awkward(rng, BIG).astype(dtype)
    w = _awkward(rng, BIG).astype(dtype)
    c = rng.random(BIG) > 0.5
    assert _same_bits(P.where(c, v, 0), np.where(c, v, 0))
    assert _same_bits(P.where(c, 0, v), np.where(c, 0, v))
    assert _same_bits(P.where(c, v, w), np.where(c, v, w))
    assert _same_bits(P.where(c, v, -1), np.where(c, v, -1))
    ones = np.broadcast_to(np.array(1, dtype=dtype), BIG)  # a sum's broadcast gradient
    assert _same_bits(P.where(c, ones, 0), np.where(c, ones, 0))
    if np.dtype(dtype).kind == "f":
        assert _same_bits(P.where(c, v, 0.0), np.where(c, v, 0.0))
        assert _same_bits(P.where(c, v, -0.0), np.where(c, v, -0.0))
    else:  # a Python float promotes an integer array to float64
        assert _same_bits(P.where(c, v, 0.0), np.where(c, v, 0.0))


def test_where_small_and_single_thread():
    P.set_num_threads(1)
    try:
        rng = np.random.default_rng(3)
        v = _awkward(rng, (5, 7))
        c = v > 0
        assert _same_bits(P.where(c, v, 0), np.where(c, v, 0))
        assert _same_bits(P.ufunc(np.add, v, v), v + v)
    finally:
        P.set_num_threads(None)


def test_copies_bit_identical(threads):
    rng = np.random.default_rng(4)
    a = _awkward(rng, (6, 5, 3, 40, 300))
    view = a.transpose(1, 2, 0, 3, 4)[:, :, :, ::-1]
    assert view.size > P.MIN_ELEMENTS
    got = P.ascontiguousarray(view)
    assert got.flags.c_contiguous and _same_bits(got, np.ascontiguousarray(view))
    dst = np.zeros((5, 3, 6, 40, 300), np.float32)
    P.assign(dst[:, :, :, 10:], view[:, :, :, 10:])
    want = np.zeros_like(dst)
    want[:, :, :, 10:] = view[:, :, :, 10:]
    assert _same_bits(dst, want)


TRANSPOSES = {  # name: (source shape, dtype, how the view is taken)
    "pow2-rows": ((2304, 256), np.float32, lambda a: a.T),  # 1 KiB row stride: L1 aliasing
    "many-pages": ((3000, 1000), np.float32, lambda a: a.T),  # 3000 rows on 2930 pages
    "batched": ((6, 130, 256), np.float32, lambda a: a.transpose(0, 2, 1)),
    "reversed": ((2304, 256), np.float64, lambda a: a.T[::-1, ::-1]),  # negative strides
}


@pytest.mark.parametrize("count", [1, 2, 3])
@pytest.mark.parametrize("case", TRANSPOSES, ids=list(TRANSPOSES))
def test_transposing_copies_in_bands(case, count):
    """Copies that would thrash the cache go in bands of the last axis: same bits."""
    shape, dtype, take = TRANSPOSES[case]
    view = take(_awkward(np.random.default_rng(5), shape, dtype))
    assert P._thrashes(view) and view.shape[-1] > P.TRANSPOSE_BAND  # the banded path runs
    P.set_num_threads(count)
    try:
        got = P.ascontiguousarray(view)
    finally:
        P.set_num_threads(None)
    assert got.flags.c_contiguous and _same_bits(got, np.ascontiguousarray(view))


def test_plain_copy_where_bands_do_not_pay():
    """1000 rows of 12000 bytes: NumPy's own copy is faster than bands there."""
    a = np.zeros((1000, 3000), np.float32).T
    assert not P._thrashes(a)


def test_parallel_for_covers_every_index_once(threads):
    hits = np.zeros(11, np.int64)
    seen: set[str] = set()

    def body(lo: int, hi: int) -> None:
        seen.add(threading.current_thread().name)
        hits[lo:hi] += 1

    P.parallel_for(11, P.MIN_ELEMENTS, body)
    assert hits.tolist() == [1] * 11
    assert len(seen) > 1  # really ran on more than one thread


def test_parallel_for_reraises_worker_errors(threads):
    def body(lo: int, hi: int) -> None:
        if lo == 0:
            raise ZeroDivisionError("chunk 0")

    with pytest.raises(ZeroDivisionError, match="chunk 0"):
        P.parallel_for(9, P.MIN_ELEMENTS, body)


def test_thread_count_from_environment(monkeypatch):
    for var in ("LUCID_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    try:
        monkeypatch.setenv("OMP_NUM_THREADS", "3")
        P.set_num_threads(None)
        assert P.num_threads() == 3
        monkeypatch.setenv("LUCID_NUM_THREADS", "1")  # LUCID_NUM_THREADS wins
        P.set_num_threads(None)
        assert P.num_threads() == 1
        monkeypatch.setenv("LUCID_NUM_THREADS", "two")
        P.set_num_threads(None)
        with pytest.raises(ValueError, match="LUCID_NUM_THREADS='two'"):
            P.num_threads()
        with pytest.raises(ValueError, match="count=0"):
            P.set_num_threads(0)
    finally:
        monkeypatch.undo()
        P.set_num_threads(None)


# --------------------------------------------------------------- kernels: threads vs one


def _both(fn):
    """``fn()`` on one thread and on three threads (tiny split threshold)."""
    P.set_num_threads(1)
    try:
        one = fn()
    finally:
        P.set_num_threads(3)
    return one, fn()


def _assert_all_same(one, many):
    one = one if isinstance(one, tuple) else (one,)
    many = many if isinstance(many, tuple) else (many,)
    assert len(one) == len(many)
    for a, b in zip(one, many):
        assert (a is None and b is None) or _same_bits(b, a)


@pytest.mark.parametrize("stride,padding", [((2, 2), (1, 1)), ((1, 1), (1, 1)), ((3, 2), (0, 1))])
def test_max_pool_threads_bit_identical(small_threshold, stride, padding):
    rng = np.random.default_rng(5)
    x = _awkward(rng, (5, 3, 11, 10))
    x[0, 0, :3, :3] = 2.0  # ties: the first maximum must win on every thread count
    y1, a1 = K.max_pool2d(NP, x, (3, 3), stride, padding)
    gy = rng.standard_normal(y1.shape).astype(np.float32)
    _assert_all_same(*_both(lambda: K.max_pool2d(NP, x, (3, 3), stride, padding)))
    _assert_all_same(*_both(lambda: K.max_pool2d_grad(NP, gy, a1, x.shape, (3, 3), stride,
                                                      padding)))


def test_batch_norm_threads_bit_identical(small_threshold):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((5, 4, 6, 7)).astype(np.float32)
    gamma, beta = rng.random(4).astype(np.float32) + 0.5, rng.standard_normal(4).astype(np.float32)
    out = K.batch_norm_train(NP, x, gamma, beta, 1e-5)
    _assert_all_same(*_both(lambda: K.batch_norm_train(NP, x, gamma, beta, 1e-5)))
    _assert_all_same(*_both(lambda: K.batch_norm_train(NP, x, None, None, 1e-5)))
    gy = rng.standard_normal(x.shape).astype(np.float32)
    _assert_all_same(*_both(lambda: K.batch_norm_grad(NP, gy, x, gamma, out[1], out[2])))
    _assert_all_same(*_both(lambda: K.batch_norm_grad(NP, gy, x, None, out[1], out[2])))


@pytest.mark.parametrize("stride,padding,dilation,groups", [
    ((1, 1), (1, 1), (1, 1), 1), ((2, 2), (1, 1), (1, 1), 2), ((2, 1), (2, 2), (2, 2), 1),
])
def test_conv_threads_bit_identical(small_threshold, stride, padding, dilation, groups):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 4, 9, 8)).astype(np.float32)
    w = rng.standard_normal((6, 4 // groups, 3, 3)).astype(np.float32)
    y = K.conv2d(NP, x, w, stride, padding, dilation, groups)
    gy = rng.standard_normal(y.shape).astype(np.float32)
    _assert_all_same(*_both(lambda: K.conv2d(NP, x, w, stride, padding, dilation, groups)))
    _assert_all_same(*_both(lambda: K.conv2d_grad_input(NP, gy, w, x.shape, stride, padding,
                                                        dilation, groups)))
    _assert_all_same(*_both(lambda: K.conv2d_grad_weight(NP, gy, x, w.shape, stride, padding,
                                                         dilation, groups)))


def test_numpy_backend_ops_bit_identical(threads):
    lucid_numpy = pytest.importorskip("lucid_numpy")
    be = lucid_numpy.NumPyBackend()
    rng = np.random.default_rng(8)
    a, b = _awkward(rng, BIG), _awkward(rng, BIG)
    assert _same_bits(be.relu(a), np.maximum(a, 0))
    assert _same_bits(be.add(a, b), a + b)
    assert _same_bits(be.multiply(a, b[:1]), a * b[:1])
    assert _same_bits(be.where(be.greater(a, 0), b, 0), np.where(a > 0, b, 0))


# ------------------------------------------- op-level parallelism: convolution blocks


def _blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_parallel_blocks_runs_every_block_once_with_single_threaded_blas(threads):
    pytest.importorskip("threadpoolctl")
    before = _blas_threads()
    hits = np.zeros(13, np.int64)
    seen: set[str] = set()
    blas_inside: list[list[int]] = []
    nested: list[tuple[int, int]] = []

    def body(k: int) -> None:
        seen.add(threading.current_thread().name)
        hits[k] += 1
        time.sleep(0.005)  # long enough for every thread to take a block
        if k == 0:
            blas_inside.append(_blas_threads())
            # a pass inside a block runs inline, on the block's own thread, in one piece
            P.parallel_for(10, P.MIN_ELEMENTS, lambda lo, hi: nested.append((lo, hi)))

    P.parallel_blocks(13, body)
    assert hits.tolist() == [1] * 13
    assert len(seen) > 1  # really ran on more than one thread
    assert blas_inside == [[1] * len(before)]
    assert nested == [(0, 10)]
    assert _blas_threads() == before  # restored afterwards


def test_parallel_blocks_reraises_and_restores_blas(threads):
    pytest.importorskip("threadpoolctl")
    before = _blas_threads()

    def body(k: int) -> None:
        if k == 2:
            raise ZeroDivisionError("block 2")

    with pytest.raises(ZeroDivisionError, match="block 2"):
        P.parallel_blocks(6, body)
    assert _blas_threads() == before


def test_parallel_blocks_sequential_without_blas_control(threads, monkeypatch):
    """Without threadpoolctl the blocks run in order on the caller (BLAS keeps its threads)."""
    monkeypatch.setattr(P, "_blas_libs", [])
    order: list[tuple[int, str]] = []
    P.parallel_blocks(4, lambda k: order.append((k, threading.current_thread().name)))
    me = threading.current_thread().name
    assert order == [(k, me) for k in range(4)]
    assert NP.image_step(8) == 8


def _ref_conv(x, w, stride, padding, dilation, groups):
    """Direct-loop cross-correlation in float64 (independent of the kernels)."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    ho = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    og = o // groups
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    y = np.zeros((n, o, ho, wo))
    for oc in range(o):
        chans = slice((oc // og) * cg, (oc // og + 1) * cg)
        for oh in range(ho):
            for ow in range(wo):
                for i in range(kh):
                    for j in range(kw):
                        r = oh * stride[0] - padding[0] + i * dilation[0]
                        q = ow * stride[1] - padding[1] + j * dilation[1]
                        if 0 <= r < h and 0 <= q < wd:
                            y[:, oc, oh, ow] += x64[:, chans, r, q] @ w64[oc, :, i, j]
    return y


CONV_BLOCK_CASES = [  # kernel, stride, padding, dilation, groups
    ((3, 3), (1, 1), (1, 1), (1, 1), 1),  # stride 1: input gradient as a convolution
    ((3, 3), (2, 2), (1, 1), (1, 1), 2),  # strided: input gradient by col2im
    ((3, 3), (1, 1), (2, 2), (2, 2), 4),  # dilated, grouped (an SK branch)
    ((1, 1), (1, 1), (0, 0), (1, 1), 1),  # pointwise: one GEMM per image
    ((1, 1), (2, 2), (0, 0), (1, 1), 2),  # strided pointwise, grouped
    ((7, 7), (2, 2), (3, 3), (1, 1), 1),  # stem-like
]


@pytest.mark.parametrize("kernel,stride,padding,dilation,groups", CONV_BLOCK_CASES)
@pytest.mark.parametrize("block_bytes", [600, 3000, 40000],
                         ids=["channel-blocks", "row-bands", "image-blocks"])
def test_conv_blocks_over_threads(small_threshold, monkeypatch, kernel, stride, padding,
                                  dilation, groups, block_bytes):
    """Convolution blocks spread over 1, 2 and 3 threads: the same bits on every thread
    count, and values and gradients equal to direct loops (autograd-free float64 algebra:
    grad_input = conv^T gy, grad_weight = sum over pixels of gy * input patch)."""
    pytest.importorskip("threadpoolctl")
    monkeypatch.setattr(NP, "block_bytes", block_bytes)
    rng = np.random.default_rng(11)
    x = rng.standard_normal((5, 4, 11, 10)).astype(np.float32)
    w = (rng.standard_normal((8, 4 // groups) + kernel) * 0.3).astype(np.float32)
    args = (stride, padding, dilation, groups)
    y_ref = _ref_conv(x, w, *args)
    gy = rng.standard_normal(y_ref.shape).astype(np.float32)

    def run():
        return (K.conv2d(NP, x, w, *args),
                K.conv2d_grad_input(NP, gy, w, x.shape, *args),
                K.conv2d_grad_weight(NP, gy, x, w.shape, *args))

    results = []
    for count in (1, 2, 3):
        P.set_num_threads(count)
        results.append(run())
    P.set_num_threads(3)
    for other in results[1:]:
        _assert_all_same(results[0], other)
    y, gx, gw = results[-1]
    np.testing.assert_allclose(y, y_ref, rtol=1e-4, atol=1e-4)
    # The gradients through the adjoint identities <conv(x), gy> = <x, gx> = <w, gw>, per
    # entry: finite differences of the float64 reference in the direction of unit vectors.
    x64, w64, gy64 = x.astype(np.float64), w.astype(np.float64), gy.astype(np.float64)
    for idx in [(0, 0, 0, 0), (4, 3, 10, 9), (2, 1, 5, 4), (1, 2, 0, 9)]:
        e = np.zeros_like(x64)
        e[idx] = 1.0
        want = float(np.sum(_ref_conv(e, w64, *args) * gy64))
        assert abs(gx[idx] - want) <= 1e-4 * (1 + abs(want))
    for flat in rng.choice(w.size, 6, replace=False):
        idx = np.unravel_index(flat, w.shape)
        e = np.zeros_like(w64)
        e[idx] = 1.0
        want = float(np.sum(_ref_conv(x64, e, *args) * gy64))
        assert abs(gw[idx] - want) <= 1e-3 * (1 + abs(want))


@pytest.mark.parametrize("block_bytes", [100, 4000, 40000, None],
                         ids=["1ch", "few-ch", "more-ch", "whole"])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("hw", [(5, 4), (12, 13)], ids=["einsum-rows", "blas-rows"])
def test_batch_norm_channel_blocks_over_threads(small_threshold, monkeypatch, block_bytes,
                                                affine, hw):
    """Batch norm cut into channel blocks shared over 1, 2, 3 threads: the same bits on
    every thread count, values and gradients equal to the float64 formulas."""
    monkeypatch.setattr(NP, "block_bytes", block_bytes)
    rng = np.random.default_rng(12)
    x = (rng.standard_normal((3, 7) + hw) * 2 + 3).astype(np.float32)
    gy = rng.standard_normal(x.shape).astype(np.float32)
    gamma = (rng.random(7) + 0.5).astype(np.float32) if affine else None
    beta = rng.standard_normal(7).astype(np.float32) if affine else None
    results = []
    for count in (1, 2, 3):
        P.set_num_threads(count)
        y, mean, invstd = K.batch_norm_train(NP, x, gamma, beta, 1e-5)
        results.append((y, mean, invstd) + K.batch_norm_grad(NP, gy, x, gamma, mean, invstd))
    P.set_num_threads(3)
    for other in results[1:]:
        _assert_all_same(results[0], other)
    y, mean, invstd, gx, gg, gb = results[-1]
    x64, gy64 = x.astype(np.float64), gy.astype(np.float64)
    m = x64.mean(axis=(0, 2, 3), keepdims=True)
    inv = 1 / np.sqrt(((x64 - m) ** 2).mean(axis=(0, 2, 3), keepdims=True) + 1e-5)
    xhat = (x64 - m) * inv
    g = np.ones((1, 7, 1, 1)) if gamma is None else gamma.reshape(1, 7, 1, 1).astype(float)
    b = np.zeros((1, 7, 1, 1)) if beta is None else beta.reshape(1, 7, 1, 1).astype(float)
    np.testing.assert_allclose(y, xhat * g + b, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(mean, m.ravel(), rtol=1e-6)
    np.testing.assert_allclose(invstd, inv.ravel(), rtol=1e-5)
    want_gb = gy64.sum(axis=(0, 2, 3))
    want_gg = (gy64 * xhat).sum(axis=(0, 2, 3))
    mcount = x.size / 7
    want_gx = g * inv * (gy64 - want_gb.reshape(1, 7, 1, 1) / mcount
                         - xhat * want_gg.reshape(1, 7, 1, 1) / mcount)
    np.testing.assert_allclose(gx, want_gx, rtol=1e-4, atol=1e-5)
    if affine:
        np.testing.assert_allclose(gg, want_gg, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(gb, want_gb, rtol=1e-5, atol=1e-5)
    else:
        assert gg is None and gb is None


@pytest.mark.parametrize("block_bytes", [100, 4000, None], ids=["1ch", "few-ch", "whole"])
@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("shape", [(3, 7, 5, 4), (2, 7), (1, 7, 9)])
def test_batch_norm_eval_blocks_same_bits_as_numpy(small_threshold, monkeypatch, block_bytes,
                                                   relu, shape):
    """The eval batch-norm kernel, cut into channel blocks over 1, 2, 3 threads, has the bits
    of NumPy's own ``maximum(x * scale + shift, 0)``, NaN and -0.0 included."""
    monkeypatch.setattr(NP, "block_bytes", block_bytes)
    rng = np.random.default_rng(13)
    x = rng.standard_normal(shape).astype(np.float32)
    x.flat[3] = np.nan
    scale = rng.standard_normal(7).astype(np.float32)
    shift = rng.standard_normal(7).astype(np.float32)
    shift[1] = 0.0
    channel = (1, 7) + (1,) * (len(shape) - 2)
    want = x * scale.reshape(channel) + shift.reshape(channel)
    if relu:
        want = np.maximum(want, 0)
    for count in (1, 2, 3):
        P.set_num_threads(count)
        got = K.batch_norm_eval(NP, x, scale, shift, relu)
        assert got.shape == shape and got.dtype == np.float32
        assert _same_bits(got, want), f"{count} threads"


def test_model_train_step_same_bits_on_1_2_3_threads(small_threshold, monkeypatch):
    """A whole SKNet train step (every kernel, threaded passes and blocks at small sizes):
    the loss and every parameter gradient have the same bits on 1, 2 and 3 threads."""
    import lucid
    import lucid.nn.functional as F
    from lucid import models

    backend = lucid.backends.get_backend("numpy")
    monkeypatch.setattr(backend.passes, "block_bytes", 20000)
    rng = np.random.default_rng(13)
    x = lucid.tensor(rng.standard_normal((3, 3, 32, 32)).astype(np.float32))
    y = lucid.tensor(rng.integers(0, 10, 3))
    results = []
    for count in (1, 2, 3):
        P.set_num_threads(count)
        lucid.manual_seed(0)
        model = models.get("sk_resnet_mini", num_classes=10)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        results.append([loss.numpy()] + [p.grad.numpy() for p in model.parameters()])
    P.set_num_threads(3)
    for other in results[1:]:
        assert len(other) == len(results[0])
        for a, b in zip(results[0], other):
            assert _same_bits(b, a)


_TIMEOUT_PROBE = """
import ctypes, json, os, sys
import lucid  # first: it must set the timeout before NumPy loads OpenBLAS
import numpy
from threadpoolctl import ThreadpoolController
read = None
for lib in ThreadpoolController().lib_controllers:
    if lib.internal_api == "openblas":
        fn = getattr(ctypes.CDLL(lib.filepath), "openblas_thread_timeout", None)
        read = None if fn is None else fn()
print(json.dumps([os.environ.get("OPENBLAS_THREAD_TIMEOUT"), read]))
"""


@pytest.mark.parametrize("user_value", [None, "26"], ids=["lucid-default", "user-set"])
def test_import_lucid_lets_openblas_threads_sleep(user_value):
    """``import lucid`` (before NumPy) sets OpenBLAS's spin timeout to 2^4 cycles, so its idle
    workers do not take cores from the pool; a value the user set is kept. Where NumPy uses
    OpenBLAS, the library itself reports the value it read."""
    import json
    import os
    import subprocess
    import sys

    pytest.importorskip("threadpoolctl")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    if user_value is not None:
        env["OPENBLAS_THREAD_TIMEOUT"] = user_value
    out = subprocess.run([sys.executable, "-c", _TIMEOUT_PROBE], env=env, capture_output=True,
                         text=True, check=True).stdout
    env_value, read = json.loads(out.strip().splitlines()[-1])
    want = user_value or "4"
    assert env_value == want
    if read is not None:  # NumPy is linked to an OpenBLAS that exports the getter
        assert read == int(want)
