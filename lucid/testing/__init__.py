"""Testing tools for lucid and its plugins: the backend conformance kit.

Third-party backend authors run the same suite as the first-party backends::

    # tests/test_my_backend.py
    from lucid.testing import BackendConformance

    class TestMyBackend(BackendConformance):
        backend = "mybackend"

See :mod:`lucid.testing.conformance` for the options (reference kernels, expected failures).
This module needs pytest, which the ``test`` extra installs.
"""

from . import numpy_math
from .cases import CASES, OpCase, covered_ops
from .conformance import (
    LOOSE_TOLERANCES,
    TOLERANCES,
    BackendConformance,
    assert_close,
    names_shape,
    reference_kernels,
    uses_reference_kernels,
)

__all__ = [
    "CASES", "LOOSE_TOLERANCES", "TOLERANCES", "BackendConformance", "OpCase", "assert_close",
    "covered_ops", "names_shape", "numpy_math", "reference_kernels", "uses_reference_kernels",
]
