"""Can the CuPy backend run here? An honest answer, without ever raising.

The registry asks :func:`unavailable_reason` before it instantiates the backend. CuPy has no
CPU mode, so an import is not enough: the probe also asks the CUDA runtime for a device,
checks that NVRTC (the runtime compiler every CuPy kernel needs) loads, and runs one tiny
matrix product, so a cuBLAS library that cannot be loaded is found here rather than at the
first convolution.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import Any

#: How to install CuPy for lucid; quoted in every "not installed" message. One CuPy only: a
#: second wheel (12x beside 13x) in the same environment overwrites the first one's files.
INSTALL_HINT = ('pip install -e ".[cupy]" (from a lucid checkout) or pip install '
                '"cupy-cuda12x[ctk]" (CUDA 12 and 13 drivers), or pip install cupy-cuda13x with a '
                "CUDA 13 toolkit; never install a second CuPy wheel beside one already there")


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or "no message"
    return f"{type(exc).__name__}: {text}"


def unavailable_reason(
    import_module: Callable[[str], Any] = importlib.import_module,
    find_spec: Callable[[str], Any] = importlib.util.find_spec,
) -> str | None:
    """Why CuPy cannot run lucid's kernels on this machine, or None when it can."""
    try:
        spec = find_spec("cupy")
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return f"CuPy is not installed; install it with {INSTALL_HINT}"
    try:
        cupy = import_module("cupy")
    except Exception as exc:  # a broken install can raise anything at import time
        return (f"CuPy is installed but failed to import ({_describe(exc)}); reinstall the wheel "
                f"that matches your CUDA version, e.g. {INSTALL_HINT}")
    version = getattr(cupy, "__version__", "?")
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as exc:
        return (f"CuPy {version} is installed but no CUDA device is usable ({_describe(exc)}); "
                "the cupy backend needs an NVIDIA GPU with a working driver (check nvidia-smi)")
    if count < 1:
        return (f"CuPy {version} is installed but found no CUDA device (getDeviceCount() is 0); "
                "the cupy backend needs an NVIDIA GPU")
    try:
        cupy.cuda.nvrtc.getVersion()
    except Exception as exc:
        return (f"CuPy {version} cannot load NVRTC, the CUDA runtime compiler its kernels need "
                f"({_describe(exc)}); install the CUDA libraries with "
                'pip install "cupy-cuda12x[ctk]" or a local CUDA Toolkit')
    try:
        a = cupy.ones((2, 2), dtype=cupy.float32)
        float((a @ a).sum())  # cuBLAS loads on the first GEMM; float() waits for the result
    except Exception as exc:
        return (f"CuPy {version} cannot run a matrix product ({_describe(exc)}): cuBLAS, which "
                "lucid's convolutions use, failed to load; install the CUDA libraries with "
                'pip install "cupy-cuda12x[ctk]" or a local CUDA Toolkit')
    return None
