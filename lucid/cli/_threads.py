"""Limit BLAS threads for a command (before NumPy loads when possible)."""

from __future__ import annotations

import os
import sys


def limit_blas_threads(threads: int) -> None:
    """Cap BLAS threads: via the environment before NumPy loads, else with threadpoolctl."""
    if threads <= 0:
        return
    if "numpy" not in sys.modules:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(threads)
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("note: --threads has no effect (NumPy is loaded and threadpoolctl is missing)",
              file=sys.stderr)
        return
    threadpool_limits(limits=threads, user_api="blas")

