"""lucid's backend conformance kit, run against the array API backend."""

from __future__ import annotations

from lucid.testing import BackendConformance


class TestArrayAPIBackend(BackendConformance):
    """The array API backend (it runs lucid's reference NN kernels anyway)."""

    backend = "array_api"
    skip_if_unavailable = False  # installed by this distribution: being unavailable is a bug
