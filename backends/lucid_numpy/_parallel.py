"""Run large NumPy element-wise passes on several cores (NumPy backend only, never CuPy).

NumPy runs every ufunc and copy on one core, but it releases the GIL while doing so.  For an
array above :data:`MIN_ELEMENTS` elements, the helpers here cut the work into one chunk per
thread (along the leading axis, or along the flat index of contiguous arrays), let a small
thread pool do all but the last chunk and the calling thread do that one, and wait for all of
them.  Every element goes through exactly the same operation as in one big call, so the
results are bit-identical to the single-threaded path; reductions are never split here.

The number of threads is read once, from ``LUCID_NUM_THREADS``, else
``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS``, else ``os.cpu_count()``.  With one thread
(or for small arrays) every helper is a plain NumPy call.  BLAS and this pool never both
spread work over the cores: either a GEMM runs on BLAS's own threads while the pool waits,
or :func:`parallel_blocks` shares out whole blocks of a convolution (im2col copy + GEMM)
over the pool while BLAS is held at one thread (through threadpoolctl, when installed).
Inside a block, every helper runs inline on the block's thread.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import math
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

#: Arrays with fewer elements take the plain single-threaded path: below this, waking the
#: pool costs more than the pass itself.
MIN_ELEMENTS = 1 << 20

_ENV_VARS = ("LUCID_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_threads: int | None = None
#: Per thread: how deep it is inside a parallel region (nested regions run inline).
_local = threading.local()


def _threads_from_env() -> int:
    """Thread count from the environment (first valid positive integer), else the CPU count."""
    for var in _ENV_VARS:
        value = os.environ.get(var, "").strip()
        if value:
            try:
                count = int(value)
            except ValueError:
                raise ValueError(f"{var}={value!r} is not a thread count; expected a positive "
                                 f"integer") from None
            if count < 1:
                raise ValueError(f"{var}={value!r}: expected a positive thread count")
            return count
    return os.cpu_count() or 1


def num_threads() -> int:
    """How many threads the large element-wise passes use (1 = no thread pool)."""
    global _threads
    if _threads is None:
        _threads = _threads_from_env()
    return _threads


def set_num_threads(count: int | None) -> None:
    """Use ``count`` threads from now on (``None`` re-reads the environment)."""
    global _threads, _pool
    if count is not None and (not isinstance(count, int) or count < 1):
        raise ValueError(f"count={count!r}: expected a positive int or None")
    with _lock:
        old, _pool = _pool, None
        _threads = count
    if old is not None:
        old.shutdown(wait=True)


def _executor() -> ThreadPoolExecutor:
    """The shared pool (created on first use) with ``num_threads() - 1`` workers."""
    global _pool
    pool = _pool
    if pool is None:
        with _lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(max_workers=max(1, num_threads() - 1),
                                           thread_name_prefix="lucid-numpy")
            pool = _pool
    return pool


def _chunks(length: int, parts: int) -> list[tuple[int, int]]:
    """Split ``range(length)`` into ``parts`` nearly equal, non-empty ``(lo, hi)`` ranges."""
    parts = max(1, min(parts, length))
    step, extra = divmod(length, parts)
    bounds, lo = [], 0
    for k in range(parts):
        hi = lo + step + (1 if k < extra else 0)
        bounds.append((lo, hi))
        lo = hi
    return bounds


def parallel_for(length: int, elements: int, body: Callable[[int, int], object]) -> None:
    """Call ``body(lo, hi)`` over chunks of ``range(length)``, in parallel when worthwhile.

    ``elements`` is the amount of work (array elements touched); below :data:`MIN_ELEMENTS`,
    with one thread, or when called from a pool thread, ``body(0, length)`` runs directly.
    ``body`` must write disjoint outputs for disjoint ranges.
    """
    threads = num_threads()
    if threads < 2 or length < 2 or elements < MIN_ELEMENTS or _nested():
        body(0, length)
        return
    bounds = _chunks(length, threads)
    pool = _executor()
    # Each worker runs in a copy of the caller's context, so np.errstate applies there too.
    futures = [pool.submit(contextvars.copy_context().run, body, lo, hi)
               for lo, hi in bounds[:-1]]
    _finish(futures, lambda: body(*bounds[-1]))


def _nested() -> bool:
    """True inside a parallel region (a pool thread, or the caller running its own share)."""
    return (getattr(_local, "depth", 0) > 0
            or threading.current_thread().name.startswith("lucid-numpy"))


def _finish(futures: list[Any], own_share: Callable[[], object]) -> None:
    """Run the caller's ``own_share`` (as a nested region), wait for ``futures``, re-raise."""
    error: BaseException | None = None
    _local.depth = getattr(_local, "depth", 0) + 1
    try:
        own_share()
    except BaseException as exc:  # still wait for the workers before re-raising
        error = exc
    finally:
        _local.depth -= 1
    for f in futures:
        try:
            f.result()
        except BaseException as exc:
            error = error or exc
    if error is not None:
        raise error


# ------------------------------------------------------------------ BLAS thread control
_blas_lock = threading.Lock()
_blas_libs: list[Any] | None = None  #: threadpoolctl's BLAS library controllers ([]: none)
_blas_depth = 0  #: how many parallel block regions currently hold BLAS at one thread
_blas_saved: list[int] = []


def _blas_controllers() -> list[Any]:
    """The loaded BLAS libraries' thread controllers (threadpoolctl), found once; [] without."""
    global _blas_libs
    if _blas_libs is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _blas_libs = []
        else:
            ctl = ThreadpoolController()
            _blas_libs = [lib for lib in ctl.lib_controllers if lib.user_api == "blas"]
    return _blas_libs


def can_split_blas_work() -> bool:
    """True when BLAS calls can be spread over the pool (BLAS can be held at one thread)."""
    return num_threads() > 1 and bool(_blas_controllers())


@contextlib.contextmanager
def _single_threaded_blas() -> Iterator[None]:
    """Hold every BLAS library at one thread (restored afterwards; nesting-safe)."""
    global _blas_depth, _blas_saved
    libs = _blas_controllers()
    with _blas_lock:
        if _blas_depth == 0:
            _blas_saved = [lib.num_threads for lib in libs]
            for lib in libs:
                lib.set_num_threads(1)
        _blas_depth += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_depth -= 1
            if _blas_depth == 0:
                for lib, n in zip(libs, _blas_saved):
                    lib.set_num_threads(n)


def parallel_blocks(count: int, body: Callable[[int], object]) -> None:
    """Call ``body(k)`` for every ``k`` in ``range(count)``, spread over the threads.

    For blocks that each run a GEMM (a convolution's im2col + GEMM for a few images): the
    threads pull block numbers from a shared counter while BLAS is held at one thread, so
    every thread copies and multiplies its own blocks from its own cache. Which thread runs a
    block never changes what the block computes. With one thread, one block, inside another
    parallel region, or when BLAS threads cannot be controlled (no threadpoolctl), the
    blocks run one after the other on the calling thread (BLAS then uses its own threads).
    ``body`` must write disjoint outputs for different blocks.
    """
    if count < 2 or _nested() or not can_split_blas_work():
        for k in range(count):
            body(k)
        return
    workers = min(num_threads(), count)
    counter = itertools.count()
    failed = threading.Event()

    def work() -> None:
        for k in counter:
            if k >= count or failed.is_set():
                return
            try:
                body(k)
            except BaseException:
                failed.set()
                raise

    with _single_threaded_blas():
        pool = _executor()
        futures = [pool.submit(contextvars.copy_context().run, work)
                   for _ in range(workers - 1)]
        _finish(futures, work)


def _split_operands(args: tuple[Any, ...]) -> tuple[tuple[int, ...], list[Any]] | None:
    """Broadcast the array operands of an element-wise op: ``(shape, operands)``.

    Scalars stay as they are.  Returns None (the caller takes the plain NumPy path) with one
    thread, for other operand types, or when the result is too small to be worth splitting.
    """
    if num_threads() < 2:
        return None
    shapes = []
    bound = 1  # the result has at most the product of the operands' sizes
    for a in args:
        if isinstance(a, np.ndarray):
            shapes.append(a.shape)
            bound *= a.size
        elif not isinstance(a, (int, float, bool, np.generic)):
            return None
    if not shapes or bound < MIN_ELEMENTS:  # small: no need to work out the shape
        return None
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        return None  # let NumPy raise its own error
    if len(shape) == 0 or math.prod(shape) < MIN_ELEMENTS:
        return None
    return shape, [np.broadcast_to(a, shape) if isinstance(a, np.ndarray) else a for a in args]


def _chunk(operands: list[Any], index: tuple[slice, ...]) -> list[Any]:
    """The ``index`` region of every (broadcast) array operand; scalars unchanged."""
    return [a[index] if isinstance(a, np.ndarray) else a for a in operands]


def _elementwise(shape: tuple[int, ...], operands: list[Any],
                 compute: Callable[[list[Any], Any], Any]) -> Any:
    """Run ``compute(chunk_operands, out_chunk)`` over chunks of a new array of ``shape``.

    The output dtype is the one ``compute`` gives a one-element chunk (exactly NumPy's own
    promotion); chunks are cut along :func:`_split_axis`.
    """
    probe = compute(_chunk(operands, (slice(0, 1),) * len(shape)), None)
    out = np.empty(shape, dtype=probe.dtype)
    axis = _split_axis(shape)
    lead = (slice(None),) * axis

    def body(lo: int, hi: int) -> None:
        index = lead + (slice(lo, hi),)
        compute(_chunk(operands, index), out[index])

    parallel_for(shape[axis], out.size, body)
    return out


def ufunc(fn: np.ufunc, *args: Any) -> Any:
    """``fn(*args)`` for an element-wise NumPy ufunc, split over threads for large inputs."""
    split = _split_operands(args)
    if split is None:
        return fn(*args)
    shape, operands = split
    return _elementwise(shape, operands, lambda ops, out: fn(*ops, out=out))


#: Signed integers of the same width as a float, to select values by their bit patterns.
_SAME_WIDTH_INT = {2: np.int16, 4: np.int32, 8: np.int64}


def _is_weak_zero(v: Any, like: np.ndarray) -> bool:
    """True for a Python ``0`` (or ``0.0`` next to a float array) that keeps ``like``'s dtype.

    Python scalars are "weak" in NumPy's promotion, so ``where(c, like, 0)`` has
    ``like.dtype``; -0.0, NumPy scalars and bools are left to ``np.where``.
    """
    if type(v) is int:
        return v == 0
    return type(v) is float and v == 0.0 and not math.copysign(1.0, v) < 0 \
        and like.dtype.kind == "f"


def _select_or_zero(cond: np.ndarray, value: np.ndarray, keep_if: bool) -> Any:
    """``where(cond, value, 0)`` (or ``where(cond, 0, value)``) by masking the bit patterns.

    ``np.where`` branches on every element and runs ~8x slower on a random mask (the ReLU
    backward) than a bitwise AND of the value's bits with a mask of all-ones/all-zeros
    words, which gives exactly the same bits: the value where selected, +0 elsewhere.
    Returns None when the fast form does not apply.
    """
    if (cond.dtype != np.bool_ or value.dtype.kind not in "fiu"
            or value.dtype.itemsize not in _SAME_WIDTH_INT or value.ndim == 0):
        return None
    try:
        if np.broadcast_shapes(cond.shape, value.shape) != cond.shape:
            return None
    except ValueError:
        return None
    words = _SAME_WIDTH_INT[value.dtype.itemsize]
    bits = np.broadcast_to(value.view(words), cond.shape)
    flags = cond.view(np.int8)  # 1 / 0
    out = np.empty(cond.shape, dtype=words)

    def body(c: np.ndarray, v: np.ndarray, o: np.ndarray) -> None:
        if keep_if:
            np.negative(c, dtype=words, out=o)  # 1 -> all ones, 0 -> 0
        else:
            np.subtract(c, 1, dtype=words, out=o)  # 1 -> 0, 0 -> all ones
        np.bitwise_and(v, o, out=o)

    if num_threads() < 2 or cond.size < MIN_ELEMENTS:
        body(flags, bits, out)
    else:
        axis = _split_axis(cond.shape)
        lead = (slice(None),) * axis

        def chunk(lo: int, hi: int) -> None:
            index = lead + (slice(lo, hi),)
            body(flags[index], bits[index], out[index])

        parallel_for(cond.shape[axis], cond.size, chunk)
    return out.view(value.dtype)


def where(cond: Any, a: Any, b: Any) -> Any:
    """``np.where(cond, a, b)``: bit masking for a zero branch, threads for large operands."""
    if isinstance(cond, np.ndarray) and cond.ndim > 0:
        fast = None
        if isinstance(a, np.ndarray) and _is_weak_zero(b, a):
            fast = _select_or_zero(cond, a, keep_if=True)
        elif isinstance(b, np.ndarray) and _is_weak_zero(a, b):
            fast = _select_or_zero(cond, b, keep_if=False)
        if fast is not None:
            return fast
    split = _split_operands((cond, a, b))
    if split is None:
        return np.where(cond, a, b)
    shape, operands = split

    def compute(ops: list[Any], out: Any) -> Any:
        if out is None:
            return np.where(*ops)
        out[...] = np.where(*ops)
        return None

    return _elementwise(shape, operands, compute)


def _split_axis(shape: tuple[int, ...]) -> int:
    """The first axis long enough to give every thread a few slices (else the longest)."""
    want = 4 * num_threads()
    for k, size in enumerate(shape):
        if size >= want:
            return k
    return max(range(len(shape)), key=lambda k: shape[k])


#: A transposing copy (source strided along its last axis) that thrashes the caches runs in
#: bands of this many elements of that axis (see :func:`_copy`).
TRANSPOSE_BAND = 64


def _thrashes(src: np.ndarray) -> bool:
    """True when NumPy's own copy of ``src`` (strided along its last axis) thrashes a cache.

    NumPy writes one output row at a time, reading one element from each of ``shape[-1]``
    source rows. Two cases make that slow (measured 3-9x on float32/float64 transposes):
    a row stride that is a multiple of 1 KiB maps every row to the same few L1 sets (common:
    channel counts are powers of two), and rows on more pages than the TLB holds (more than
    1536). Elsewhere, e.g. 1000 rows of 12000 bytes, the plain copy is faster than bands.
    """
    stride = abs(src.strides[-1])
    pages = src.shape[-1] if stride >= 4096 else src.shape[-1] * stride // 4096
    return math.gcd(stride, 4096) >= 1024 or pages > 1536


def _copy(dst: np.ndarray, src: np.ndarray) -> None:
    """``dst[...] = src`` for same-shape arrays; a cache-thrashing transpose goes in bands.

    Each band reads :data:`TRANSPOSE_BAND` source rows, which stay in the cache while every
    output row takes its share of them.
    """
    last = src.shape[-1] if src.ndim > 1 else 0
    if (last <= TRANSPOSE_BAND or src.strides[-1] == src.itemsize or src.size < (1 << 16)
            or not _thrashes(src)):
        dst[...] = src
        return
    for lo in range(0, last, TRANSPOSE_BAND):
        dst[..., lo : lo + TRANSPOSE_BAND] = src[..., lo : lo + TRANSPOSE_BAND]


def ascontiguousarray(a: np.ndarray) -> np.ndarray:
    """``np.ascontiguousarray(a)``; a large non-contiguous copy is split over one axis."""
    if a.flags.c_contiguous or a.ndim == 0:
        return np.ascontiguousarray(a)
    out = np.empty(a.shape, dtype=a.dtype)
    if num_threads() < 2 or a.size < MIN_ELEMENTS:
        _copy(out, a)
        return out
    axis = _split_axis(a.shape)
    lead = (slice(None),) * axis

    def body(lo: int, hi: int) -> None:
        index = lead + (slice(lo, hi),)
        _copy(out[index], a[index])

    parallel_for(a.shape[axis], a.size, body)
    return out


def assign(dst: np.ndarray, src: Any) -> None:
    """``dst[...] = src`` (``src`` broadcast to ``dst``), split over one axis of ``dst``."""
    if dst.ndim == 0 or num_threads() < 2 or dst.size < MIN_ELEMENTS:
        dst[...] = src
        return
    src_b = np.broadcast_to(src, dst.shape)
    axis = _split_axis(dst.shape)
    lead = (slice(None),) * axis

    def body(lo: int, hi: int) -> None:
        index = lead + (slice(lo, hi),)
        dst[index] = src_b[index]

    parallel_for(dst.shape[axis], dst.size, body)
