"""The op interface, its reference and array-module implementations, and the plugin registry.

- :class:`Backend` (``interface``): the contract, every method abstract.
- :class:`ReferenceKernels` (``reference``): opt-in mixin with NN kernels and conveniences
  composed from the required core; :func:`with_reference_kernels` derives a class that runs
  them instead of its own (``LUCID_REFERENCE_KERNELS=1`` does it for every loaded backend).
- :class:`ArrayModuleBackend` (``array_module``) with :mod:`~lucid.backends.array_kernels`:
  the whole interface over any module with NumPy's API; the NumPy and CuPy backends are thin
  subclasses, and so can be one for any other NumPy-like library.
- :mod:`~lucid.backends.geometry`: output sizes and 'same' padding of convolutions and pooling.
- the registry: discovery through the ``lucid.backends`` entry points, selection, errors.

No array library is imported here.
"""

from . import array_kernels, geometry, special
from .array_kernels import Passes
from .array_module import ArrayModuleBackend
from .interface import API_VERSION, Backend
from .reference import (
    NN_KERNELS,
    REFERENCE_KERNELS_ENV,
    ReferenceKernels,
    uses_reference_kernels,
    with_reference_kernels,
)
from .registry import (
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
    seed_all,
    set_backend,
    unregister_backend,
    use_backend,
)

__all__ = [
    "API_VERSION", "DEFAULT_BACKEND", "ENTRY_POINT_GROUP", "NN_KERNELS", "REFERENCE_KERNELS_ENV",
    "ArrayModuleBackend", "Backend", "BackendError", "BackendNotFoundError", "BackendStatus",
    "BackendUnavailableError", "MixedBackendError", "Passes", "ReferenceKernels",
    "array_kernels", "available", "current_backend", "geometry", "get_backend", "names",
    "refresh", "register_backend", "seed_all", "set_backend", "special", "unregister_backend",
    "use_backend", "uses_reference_kernels", "with_reference_kernels",
]
