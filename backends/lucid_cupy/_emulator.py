"""Run the CuPy backend's CUDA kernels on the CPU, so they can be tested without a GPU.

The source in :mod:`lucid_cupy._cuda_source` is compiled, unchanged, by the host C++
compiler behind a small prelude that stands in for the CUDA runtime:

* ``__global__``/``__device__`` vanish; ``blockIdx``/``threadIdx`` are thread-local and
  ``blockDim``/``gridDim`` global; ``__shared__`` arrays become function statics, which is
  right because blocks run one after another.
* Kernels that call ``__syncthreads()`` (listed in ``SYNCHRONISING``) run the threads of a
  block as fibers (``ucontext``) on one OS thread: a barrier switches back to a scheduler
  that runs every other thread of the block up to the same barrier first. Threads that reach
  different numbers of barriers are reported. The other kernels run their threads one after
  another, and one that synchronises without being listed is reported too.

Arguments are checked the way CuPy's ``RawKernel`` needs them on a GPU, against the kernel's
C++ signature: an array for each pointer parameter (C-contiguous, with the pointee's size and
kind, writeable unless the pointee is ``const``) and a NumPy scalar of the exact size and kind
for each value parameter. So a wrapper that would pass a wrong argument on the GPU fails
here instead of computing garbage there.

:class:`EmulatedKernels` has the same ``get(kernel, dtype)(grid, block, args)`` interface as
:class:`lucid_cupy._launch.CuPyKernels`, so the backend's wrappers run unchanged on NumPy
arrays. It is a test and teaching tool: correct, not fast.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._cuda_source import CTYPES, KERNELS, SOURCE, name_expression

#: Kernels that call ``__syncthreads()``: their blocks run as fibers.
SYNCHRONISING = frozenset({"lucid_bn_stats", "lucid_bn_grad_stats"})

_MAX_PARAMS = 64

_PRELUDE = r"""
#if defined(__APPLE__) && !defined(_XOPEN_SOURCE)
#define _XOPEN_SOURCE 600  // macOS declares the ucontext routines only with this
#endif
#include <ucontext.h>

#include <cmath>
#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

// volatile: a fiber switch inside __syncthreads() changes these behind the compiler's back.
struct lucid_dim3 { unsigned x, y, z; };
static volatile lucid_dim3 threadIdx;
static volatile lucid_dim3 blockIdx;
static volatile lucid_dim3 blockDim;
static volatile lucid_dim3 gridDim;

#define __global__
#define __device__
#define __shared__ static

// Threads of a synchronising block run as fibers on one OS thread. __syncthreads() switches
// back to the scheduler, which resumes every other thread of the block up to its own
// __syncthreads() (or its end) before any thread passes the barrier.
static ucontext_t lucid_scheduler;
static std::vector<ucontext_t> lucid_fibers;
static std::vector<int> lucid_finished;
static int lucid_running = -1;        // fiber now running, -1 outside a synchronising launch
static int lucid_unexpected_sync = 0; // __syncthreads() in a kernel run without fibers

inline void __syncthreads() {
    if (lucid_running < 0) {
        lucid_unexpected_sync = 1;
        return;
    }
    swapcontext(&lucid_fibers[lucid_running], &lucid_scheduler);
}
"""

_EPILOGUE = r"""
template <typename... A, std::size_t... I>
static void lucid_call(void (*kernel)(A...), void** args, std::index_sequence<I...>) {
    kernel(*static_cast<typename std::remove_cv<A>::type*>(args[I])...);
}

static lucid_dim3 lucid_unflatten(unsigned i, unsigned dx, unsigned dy) {
    return lucid_dim3{i % dx, (i / dx) % dy, i / (dx * dy)};
}

static void lucid_set(volatile lucid_dim3& d, const lucid_dim3& v) {
    d.x = v.x;
    d.y = v.y;
    d.z = v.z;
}

static void (*lucid_thread_body)() = nullptr;

static void lucid_fiber_entry() {
    lucid_thread_body();
    lucid_finished[lucid_running] = 1;  // then uc_link returns to the scheduler
}

// Returns 0 on success, 1 if a kernel run without fibers called __syncthreads(), 2 if the
// threads of a block reached different numbers of barriers (undefined behaviour in CUDA).
template <typename... A>
static int lucid_emulate(void (*kernel)(A...), const unsigned* grid, const unsigned* block,
                         void** args, int fibers) {
    lucid_set(gridDim, lucid_dim3{grid[0], grid[1], grid[2]});
    lucid_set(blockDim, lucid_dim3{block[0], block[1], block[2]});
    const unsigned nblocks = grid[0] * grid[1] * grid[2];
    const unsigned nthreads = block[0] * block[1] * block[2];
    static void (*current)(A...);
    static void** current_args;
    current = kernel;
    current_args = args;
    lucid_unexpected_sync = 0;
    if (!fibers) {
        lucid_running = -1;
        for (unsigned b = 0; b < nblocks; ++b) {
            lucid_set(blockIdx, lucid_unflatten(b, grid[0], grid[1]));
            for (unsigned t = 0; t < nthreads; ++t) {
                lucid_set(threadIdx, lucid_unflatten(t, block[0], block[1]));
                lucid_call(kernel, args, std::index_sequence_for<A...>{});
            }
        }
        return lucid_unexpected_sync;
    }
    lucid_thread_body = [] { lucid_call(current, current_args, std::index_sequence_for<A...>{}); };
    const std::size_t stack_size = 64 * 1024;
    static std::vector<char*> stacks;  // kept between launches: allocated once per thread slot
    while (stacks.size() < nthreads) stacks.push_back(new char[stack_size]);
    lucid_fibers.assign(nthreads, ucontext_t());
    lucid_finished.assign(nthreads, 0);
    int status = 0;
    for (unsigned b = 0; b < nblocks && status == 0; ++b) {
        lucid_set(blockIdx, lucid_unflatten(b, grid[0], grid[1]));
        for (unsigned t = 0; t < nthreads; ++t) {
            getcontext(&lucid_fibers[t]);
            lucid_fibers[t].uc_stack.ss_sp = stacks[t];
            lucid_fibers[t].uc_stack.ss_size = stack_size;
            lucid_fibers[t].uc_link = &lucid_scheduler;
            makecontext(&lucid_fibers[t], lucid_fiber_entry, 0);
            lucid_finished[t] = 0;
        }
        for (unsigned alive = nthreads; alive > 0 && status == 0;) {  // one barrier phase
            unsigned done = 0;
            for (unsigned t = 0; t < nthreads; ++t) {
                if (lucid_finished[t]) continue;
                lucid_running = (int)t;
                lucid_set(threadIdx, lucid_unflatten(t, block[0], block[1]));
                swapcontext(&lucid_scheduler, &lucid_fibers[t]);
                done += lucid_finished[t];
            }
            if (done != 0 && done != alive) status = 2;  // some exited, some wait at a barrier
            alive -= done;
        }
    }
    lucid_running = -1;
    return status;
}

// Describe parameter i: pointer?, pointee const?, floating-point?, size of value/pointee.
template <typename P> struct lucid_param {
    static void describe(int* out) {
        out[0] = 0; out[1] = 0; out[2] = std::is_floating_point<P>::value; out[3] = sizeof(P);
    }
};
template <typename P> struct lucid_param<P*> {
    static void describe(int* out) {
        typedef typename std::remove_cv<P>::type V;
        out[0] = 1; out[1] = std::is_const<P>::value; out[2] = std::is_floating_point<V>::value;
        out[3] = sizeof(P);
    }
};
template <typename... A>
static int lucid_describe(void (*)(A...), int* out) {
    int i = 0;
    int unused[] = {0, (lucid_param<A>::describe(out + 4 * i), ++i)...};
    (void)unused;
    return i;
}
"""


def _symbol(kernel: str, ctype: str) -> str:
    return f"{kernel}_{ctype}"


def _exports() -> str:
    """One launch and one signature function with C linkage per kernel instantiation."""
    lines = []
    for kernel in KERNELS:
        for ctype in CTYPES.values():
            sym, fn = _symbol(kernel, ctype), f"&{kernel}<{ctype}>"
            lines.append(
                f'extern "C" int lucid_launch_{sym}(const unsigned* g, const unsigned* b, '
                f"void** a, int t) {{ return lucid_emulate({fn}, g, b, a, t); }}\n"
                f'extern "C" int lucid_signature_{sym}(int* out) '
                f"{{ return lucid_describe({fn}, out); }}\n"
            )
    return "".join(lines)


def translation_unit() -> str:
    """The complete C++ file: prelude, the unchanged CUDA source, launch glue and exports."""
    return _PRELUDE + SOURCE + _EPILOGUE + _exports()


def find_compiler() -> str | None:
    """The host C++ compiler to use (``$CXX``, else g++, c++ or clang++ on PATH), or None."""
    env = os.environ.get("CXX")
    if env:
        return shutil.which(env) or env
    for name in ("g++", "c++", "clang++"):
        path = shutil.which(name)
        if path:
            return path
    return None


def unavailable_reason() -> str | None:
    """Why the emulator cannot be built here (no C++ compiler), or None when it can."""
    if find_compiler() is None:
        return "no C++ compiler found (set CXX or install g++) to emulate the CUDA kernels"
    return None


def _build(compiler: str) -> str:
    """Compile the translation unit into a shared library (cached by content hash)."""
    code = translation_unit()
    flags = ["-std=c++14", "-O2", "-shared", "-fPIC", "-w"]
    key = hashlib.sha256("\0".join([code, compiler, *flags]).encode()).hexdigest()[:20]
    cache = os.path.join(tempfile.gettempdir(), "lucid_cupy_emulator")
    os.makedirs(cache, exist_ok=True)
    lib = os.path.join(cache, f"kernels_{key}.so")
    if os.path.exists(lib):
        return lib
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        src = os.path.join(tmp, "kernels.cpp")
        out = os.path.join(tmp, "kernels.so")
        with open(src, "w") as f:
            f.write(code)
        proc = subprocess.run([compiler, *flags, "-o", out, src], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"compiling the CUDA kernels for CPU emulation with {compiler} "
                               f"failed:\n{proc.stderr[-4000:]}")
        os.replace(out, lib)  # atomic: concurrent builds of the same source are harmless
    return lib


class EmulatedKernel:
    """One kernel instantiation, callable like a ``cupy.RawKernel`` on NumPy arrays."""

    def __init__(self, lib: ctypes.CDLL, kernel: str, ctype: str) -> None:
        self.name = f"{kernel}<{ctype}>"
        self._kernel = kernel
        sym = _symbol(kernel, ctype)
        self._launch = getattr(lib, f"lucid_launch_{sym}")
        self._launch.restype = ctypes.c_int
        self._launch.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
        describe = getattr(lib, f"lucid_signature_{sym}")
        describe.restype = ctypes.c_int
        buf = np.zeros((_MAX_PARAMS, 4), dtype=np.int32)
        count = describe(ctypes.c_void_p(buf.ctypes.data))
        #: Per parameter: (is_pointer, pointee_is_const, is_floating, size in bytes).
        self.params = [tuple(int(v) for v in row) for row in buf[:count]]

    def _check(self, i: int, arg: Any) -> None:
        is_ptr, is_const, is_float, size = self.params[i]
        where = f"{self.name} argument {i}"
        if is_ptr:
            if not isinstance(arg, np.ndarray):
                raise TypeError(f"{where}: expected an array for a pointer parameter, got "
                                f"{type(arg).__name__}")
            if not arg.flags.c_contiguous:
                raise ValueError(f"{where}: the array must be C-contiguous (a raw kernel ignores "
                                 f"strides), got strides {arg.strides} for shape {arg.shape}")
            if not is_const and not arg.flags.writeable:
                raise ValueError(f"{where}: the kernel writes through this pointer but the "
                                 "array is read-only")
            kind = arg.dtype.kind
        else:
            if not isinstance(arg, np.generic):
                raise TypeError(f"{where}: pass value parameters as NumPy scalars of the exact "
                                f"C type (e.g. numpy.int32), got {type(arg).__name__} {arg!r}")
            kind = arg.dtype.kind
        if arg.dtype.itemsize != size or (kind == "f") != bool(is_float):
            ctype = ("floating" if is_float else "integer") + f" of {size} bytes"
            raise TypeError(f"{where}: the parameter is {ctype}"
                            f"{' (pointee)' if is_ptr else ''}, got dtype {arg.dtype}")

    def __call__(self, grid: Sequence[int], block: Sequence[int], args: Sequence[Any],
                 shared_mem: int = 0) -> None:
        if len(args) != len(self.params):
            raise TypeError(f"{self.name} takes {len(self.params)} arguments, got {len(args)}")
        grid3 = np.ones(3, dtype=np.uint32)
        block3 = np.ones(3, dtype=np.uint32)
        grid3[: len(grid)] = grid
        block3[: len(block)] = block
        slots = np.zeros(len(args), dtype=np.uintp)  # pointer values live here
        keep = []
        addresses = np.zeros(max(len(args), 1), dtype=np.uintp)
        for i, arg in enumerate(args):
            self._check(i, arg)
            if self.params[i][0]:
                slots[i] = arg.ctypes.data
                addresses[i] = slots.ctypes.data + i * slots.itemsize
            else:
                value = np.array(arg)  # a private copy of the scalar's bytes
                keep.append(value)
                addresses[i] = value.ctypes.data
        fibers = int(self._kernel in SYNCHRONISING)
        status = self._launch(grid3.ctypes.data, block3.ctypes.data, addresses.ctypes.data,
                              fibers)
        if status == 1:
            raise RuntimeError(f"{self.name} called __syncthreads() but is not listed in "
                               "lucid_cupy._emulator.SYNCHRONISING")
        if status == 2:
            raise RuntimeError(f"{self.name}: the threads of a block reached different numbers "
                               "of __syncthreads() (undefined behaviour on a GPU)")


class EmulatedKernels:
    """CPU stand-in for :class:`lucid_cupy._launch.CuPyKernels` (same ``get`` interface)."""

    def __init__(self, compiler: str | None = None) -> None:
        self._compiler = compiler
        self._lib: ctypes.CDLL | None = None
        self._cache: dict[str, EmulatedKernel] = {}

    def _library(self) -> ctypes.CDLL:
        if self._lib is None:
            compiler = self._compiler or find_compiler()
            if compiler is None:
                raise RuntimeError(unavailable_reason())
            self._lib = ctypes.CDLL(_build(compiler))
        return self._lib

    def get(self, kernel: str, dtype: Any) -> EmulatedKernel:
        """The emulated kernel ``kernel`` instantiated for NumPy dtype ``dtype``."""
        key = name_expression(kernel, np.dtype(dtype).name)
        found = self._cache.get(key)
        if found is None:
            found = EmulatedKernel(self._library(), kernel, CTYPES[np.dtype(dtype).name])
            self._cache[key] = found
        return found
