"""lucid's CuPy backend plugin: lucid on NVIDIA GPUs, registered through ``lucid.backends``.

A subclass of lucid's public :class:`~lucid.backends.ArrayModuleBackend`: the required core
is that generic implementation run on ``cupy``; the neural-network kernels are cuBLAS GEMMs
and hand-written CUDA kernels (:mod:`lucid_cupy._nn_kernels`). Nothing here imports CuPy at
import time: the registry first asks :meth:`CuPyBackend.unavailable_reason`, which says
exactly what is missing (CuPy itself, a working import, a CUDA device, NVRTC) and how to
fix it.

Install: ``pip install -e ".[cupy]"`` from a lucid checkout, or ``pip install
"cupy-cuda12x[ctk]"`` (the CUDA 12 wheel plus the CUDA libraries from PyPI; it runs on CUDA
12 and CUDA 13 drivers). With a CUDA 13 toolkit only, ``pip install cupy-cuda13x`` also works.

Memory: arrays come from CuPy's default memory pool (``cupy.get_default_memory_pool()``),
which keeps freed blocks for reuse instead of returning them to the driver. The backend
keeps no buffers of its own between calls, so the pool's ``used_bytes`` stays flat from one
training step to the next; :meth:`CuPyBackend.memory_stats` reports it and
:meth:`CuPyBackend.free_cached_memory` hands the cached blocks back to the driver.

For tests, the array module and the kernel launcher are class attributes: a subclass with
``xp = numpy`` and ``kernel_launcher = lucid_cupy._emulator.EmulatedKernels()`` runs all of
this backend's code, its CUDA kernels included (emulated on the CPU), without a GPU.
"""

from __future__ import annotations

from typing import Any

from lucid.backends import API_VERSION, ArrayModuleBackend

from . import _nn_kernels as nn
from ._launch import CuPyKernels
from ._probe import INSTALL_HINT
from ._probe import unavailable_reason as cupy_unavailable_reason

__all__ = ["CuPyBackend", "INSTALL_HINT", "cupy_unavailable_reason"]


class CuPyBackend(ArrayModuleBackend):
    """NVIDIA GPU backend: CuPy arrays, cuBLAS GEMMs and custom CUDA kernels."""

    name = "cupy"
    api_version = API_VERSION
    #: The array module; None means ``cupy``, imported when the backend is instantiated.
    xp: Any = None
    #: Where the CUDA kernels come from (see :mod:`lucid_cupy._launch`); None means NVRTC via
    #: CuPy when ``xp`` is CuPy, and lucid's generic array-module kernels for an injected ``xp``.
    kernel_launcher: Any = None

    @classmethod
    def unavailable_reason(cls) -> str | None:
        """Why CuPy cannot run here (not installed, broken, no CUDA device), or None."""
        if cls.xp is not None:  # an injected array module (tests) is taken as it is
            return None
        return cupy_unavailable_reason()

    def __init__(self) -> None:
        launcher = type(self).kernel_launcher
        if self.xp is None:
            import cupy

            self.xp = cupy
            if launcher is None:
                launcher = CuPyKernels(cupy)
        self._launcher = launcher
        #: cupyx's erf kernel on a real CuPy; None: the base class's composed erf
        self._erf: Any = None
        if self.xp.__name__ == "cupy":
            from cupyx.scipy.special import erf

            self._erf = erf
        super().__init__()  # to_numpy is the base's: cupy.asnumpy

    def erf(self, a: Any) -> Any:
        """The error function: cupyx's kernel on a GPU, the composed one otherwise."""
        return super().erf(a) if self._erf is None else self._erf(a)

    # ------------------------------------------------------------ device housekeeping
    def synchronize(self) -> None:
        """Wait until every kernel queued on the current device has finished."""
        cuda = getattr(self.xp, "cuda", None)
        if cuda is not None:
            cuda.Device().synchronize()

    def memory_stats(self) -> dict[str, int]:
        """Bytes in use and held by CuPy's default memory pool (zeros without a pool)."""
        get_pool = getattr(self.xp, "get_default_memory_pool", None)
        if get_pool is None:
            return {"used_bytes": 0, "total_bytes": 0}
        pool = get_pool()
        return {"used_bytes": int(pool.used_bytes()), "total_bytes": int(pool.total_bytes())}

    def free_cached_memory(self) -> None:
        """Return the memory pool's cached, unused blocks to the driver."""
        get_pool = getattr(self.xp, "get_default_memory_pool", None)
        if get_pool is not None:
            get_pool().free_all_blocks()

    # ----------------------------------------------------------------- NN kernels
    def conv2d(self, x, w, stride, padding, dilation, groups):
        """2-D convolution: im2col kernel + cuBLAS GEMM (1x1: a batched GEMM)."""
        return nn.conv2d(self.passes, self._launcher, x, w, stride, padding, dilation, groups)

    def conv2d_grad_input(self, gy, w, x_shape, stride, padding, dilation, groups):
        """Input gradient of conv2d: cuBLAS GEMM + col2im gather kernel."""
        return nn.conv2d_grad_input(self.passes, self._launcher, gy, w, tuple(x_shape), stride,
                                    padding, dilation, groups)

    def conv2d_grad_weight(self, gy, x, w_shape, stride, padding, dilation, groups):
        """Weight gradient of conv2d: im2col kernel + cuBLAS GEMM."""
        return nn.conv2d_grad_weight(self.passes, self._launcher, gy, x, tuple(w_shape), stride,
                                     padding, dilation, groups)

    def max_pool2d(self, x, kernel, stride, padding):
        """Max pooling in one kernel; returns ``(y, argmax)`` with int32 tap indices."""
        return nn.max_pool2d(self.passes, self._launcher, x, kernel, stride, padding)

    def max_pool2d_grad(self, gy, argmax, x_shape, kernel, stride, padding):
        """Max-pooling gradient, gathered through the recorded argmax."""
        return nn.max_pool2d_grad(self.passes, self._launcher, gy, argmax, tuple(x_shape), kernel,
                                  stride, padding)

    def avg_pool2d(self, x, kernel, stride, padding):
        """Average pooling in one kernel (zero padding counted)."""
        return nn.avg_pool2d(self.passes, self._launcher, x, kernel, stride, padding)

    def avg_pool2d_grad(self, gy, x_shape, kernel, stride, padding):
        """Average-pooling gradient in one gather kernel."""
        return nn.avg_pool2d_grad(self.passes, self._launcher, gy, tuple(x_shape), kernel, stride,
                                  padding)

    def batch_norm_train(self, x, gamma, beta, eps):
        """Fused batch norm with batch statistics; returns ``(y, mean, invstd)``."""
        return nn.batch_norm_train(self.passes, self._launcher, x, gamma, beta, eps)

    def batch_norm_grad(self, gy, x, gamma, mean, invstd):
        """Fused batch-norm gradients ``(gx, ggamma, gbeta)``."""
        return nn.batch_norm_grad(self.passes, self._launcher, gy, x, gamma, mean, invstd)

    def softmax(self, x, axis):
        """Numerically stable softmax along ``axis``."""
        return nn.softmax(self.passes, self._launcher, x, axis)

    def log_softmax(self, x, axis):
        """Numerically stable log-softmax along ``axis``."""
        return nn.log_softmax(self.passes, self._launcher, x, axis)
