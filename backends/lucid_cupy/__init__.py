"""lucid's CuPy backend plugin (NVIDIA GPUs) — not implemented yet in this release."""

from __future__ import annotations

from lucid.backends import API_VERSION, Backend


class CuPyBackend(Backend):
    """Placeholder entry: reports itself unavailable until the CuPy backend lands."""

    name = "cupy"
    api_version = API_VERSION

    @classmethod
    def unavailable_reason(cls) -> str | None:
        return "the CuPy backend is not implemented in this version of lucid yet"
