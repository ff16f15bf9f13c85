"""Compiling the CUDA source with CuPy and choosing launch configurations.

Kernels are looked up through a *launcher*: any object with ``get(kernel, dtype)`` returning
something callable as ``kernel(grid, block, args)``. On a GPU that is :class:`CuPyKernels`
(NVRTC through ``cupy.RawModule``); in tests without a GPU it is
:class:`lucid_cupy._emulator.EmulatedKernels`, which runs the same source on the CPU.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from ._cuda_source import BLOCK, SOURCE, name_expression, name_expressions

#: Largest grid (in blocks) of a grid-stride launch: 2**16 blocks of 256 threads keep every
#: SM of a large GPU busy; bigger arrays are covered by the grid-stride loop.
MAX_GRID = 1 << 16


class Launcher(Protocol):
    """Where the backend finds its hand-written kernels."""

    def get(self, kernel: str, dtype: Any) -> Any:
        """Return ``kernel`` for element ``dtype``, callable as ``f(grid, block, args)``."""


class CuPyKernels:
    """The CUDA kernels compiled once per process by NVRTC (``cupy.RawModule``).

    Compilation happens on first use; CuPy caches the binary on disk
    (``~/.cupy/kernel_cache``) and per device, so later processes only load it.
    """

    def __init__(self, cupy: Any) -> None:
        self._cupy = cupy
        self._module: Any = None
        self._functions: dict[str, Any] = {}

    def get(self, kernel: str, dtype: Any) -> Any:
        """The compiled kernel ``kernel`` instantiated for ``dtype`` (a ``cupy.RawKernel``)."""
        key = name_expression(kernel, np.dtype(dtype).name)
        fn = self._functions.get(key)
        if fn is None:
            if self._module is None:
                self._module = self._cupy.RawModule(code=SOURCE,
                                                    name_expressions=name_expressions())
            fn = self._module.get_function(key)
            self._functions[key] = fn
        return fn


def grid_for(total: int) -> tuple[int, int, int]:
    """Blocks for a grid-stride loop over ``total`` elements with :data:`BLOCK` threads each."""
    return (max(1, min((total + BLOCK - 1) // BLOCK, MAX_GRID)), 1, 1)


def launch(kernels: Launcher, kernel: str, dtype: Any, total: int, args: tuple) -> None:
    """Run an element-wise kernel over ``total`` elements (no-op when there are none)."""
    if total > 0:
        kernels.get(kernel, dtype)(grid_for(total), (BLOCK, 1, 1), args)


def launch_grid(kernels: Launcher, kernel: str, dtype: Any, grid: tuple[int, int, int],
                args: tuple) -> None:
    """Run a kernel on an explicit grid of :data:`BLOCK`-thread blocks (the reductions)."""
    kernels.get(kernel, dtype)(grid, (BLOCK, 1, 1), args)
