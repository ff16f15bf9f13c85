"""Tests for the NumPy backend's threaded element-wise passes (``lucid_numpy/_parallel.py``).

The threaded path must give *bit-identical* results to plain NumPy: every check compares
bit patterns (NaN, infinities and signed zeros included) against the NumPy expression
written in the test, or a kernel run with threads against the same kernel run on one thread.
"""

from __future__ import annotations

import threading

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
