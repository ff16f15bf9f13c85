"""The op interface and the backend plugin registry (no array library is imported here)."""

from .interface import API_VERSION, NN_KERNELS, Backend, use_reference_kernels
from .registry import (
    BUILTIN_BACKENDS,
    DEFAULT_BACKEND,
    ENTRY_POINT_GROUP,
    BackendError,
    BackendNotFoundError,
    BackendStatus,
    BackendUnavailableError,
    MixedBackendError,
    available,
    current_backend,
    get_backend,
    names,
    refresh,
    register_backend,
    set_backend,
    unregister_backend,
    use_backend,
)

__all__ = [
    "API_VERSION", "BUILTIN_BACKENDS", "DEFAULT_BACKEND", "ENTRY_POINT_GROUP", "NN_KERNELS",
    "Backend", "BackendError", "BackendNotFoundError", "BackendStatus",
    "BackendUnavailableError", "MixedBackendError", "available", "current_backend",
    "get_backend", "names", "refresh", "register_backend", "set_backend",
    "unregister_backend", "use_backend", "use_reference_kernels",
]
