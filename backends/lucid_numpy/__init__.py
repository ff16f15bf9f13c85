"""lucid's NumPy backend plugin (CPU), registered through the ``lucid.backends`` entry point."""

from __future__ import annotations

import numpy as np

from lucid.backends import API_VERSION

from ._arraymodule import ArrayModuleBackend

__all__ = ["NumPyBackend", "ArrayModuleBackend"]


class NumPyBackend(ArrayModuleBackend):
    """The default CPU backend: NumPy arrays, BLAS matmul, im2col convolution."""

    name = "numpy"
    api_version = API_VERSION
    xp = np

    def to_numpy(self, a):
        return np.asarray(a)
