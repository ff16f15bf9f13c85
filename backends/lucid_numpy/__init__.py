"""lucid's NumPy backend plugin (CPU), registered through the ``lucid.backends`` entry point.

A thin subclass of lucid's public :class:`~lucid.backends.ArrayModuleBackend` with
``xp = numpy``. What is NumPy-specific is speed: large element-wise passes and copies are
split over a thread pool (``_parallel.py``; bit-identical results) and convolutions are
computed in cache-sized blocks (:class:`NumPyPasses`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid.backends import API_VERSION, ArrayModuleBackend, Passes

from . import _parallel as P

__all__ = ["NumPyBackend", "NumPyPasses"]


class NumPyPasses(Passes):
    """The NN kernels' passes on NumPy: large ones split over threads, convolutions blocked.

    NumPy runs every ufunc and copy on one core; ``_parallel`` cuts a large pass into one
    chunk per thread, each doing exactly the same element-wise work, so results are
    bit-identical to the single call. Convolutions build their im2col columns in blocks of
    about 4 MiB, so the GEMM reads them from the cache, and with several threads the blocks
    themselves (im2col copy + GEMM, or one image of a 1x1 convolution) are shared out over
    the pool with BLAS held at one thread (needs threadpoolctl; without it BLAS threads the
    GEMMs as before).
    """

    block_bytes = 4 << 20

    def contiguous(self, a: Any) -> Any:
        return P.ascontiguousarray(a)

    def assign(self, dst: Any, src: Any) -> None:
        P.assign(dst, src)

    def split(self, length: int, elements: int, body: Any) -> None:
        P.parallel_for(length, elements, body)

    def blocks(self, count: int, body: Any) -> None:
        P.parallel_blocks(count, body)

    def image_step(self, n: int) -> int:
        # one image per GEMM when the pool can run GEMMs side by side (BLAS held at one
        # thread); else one call for the whole batch with BLAS's own threads
        return 1 if P.can_split_blas_work() else n


class NumPyBackend(ArrayModuleBackend):
    """The default CPU backend: NumPy arrays, BLAS matmul, im2col convolution."""

    name = "numpy"
    api_version = API_VERSION  # first-party: shipped with the interface it implements
    xp = np
    passes_class = NumPyPasses

    def to_numpy(self, a):
        return np.asarray(a)

    # Element-wise ops on large same-shape operands are split over a thread pool (see
    # _parallel.py); the result is bit-identical, small or broadcast operands take np directly.
    def add(self, a, b):
        return P.ufunc(np.add, a, b)

    def subtract(self, a, b):
        return P.ufunc(np.subtract, a, b)

    def multiply(self, a, b):
        return P.ufunc(np.multiply, a, b)

    def divide(self, a, b):
        return P.ufunc(np.true_divide, a, b)

    def negative(self, a):
        return P.ufunc(np.negative, a)

    def maximum(self, a, b):
        return P.ufunc(np.maximum, a, b)

    def minimum(self, a, b):
        return P.ufunc(np.minimum, a, b)

    def relu(self, a):
        return P.ufunc(np.maximum, a, 0)

    def greater(self, a, b):
        return P.ufunc(np.greater, a, b)

    def less(self, a, b):
        return P.ufunc(np.less, a, b)

    def where(self, cond, a, b):
        return P.where(cond, a, b)
