"""An out-of-tree lucid backend for any library implementing the Python array API standard.

Installed as its own distribution, it is found by lucid only through the ``lucid.backends``
entry point ``array_api = "lucid_array_api:ArrayAPIBackend"``. The array library is chosen
with ``$LUCID_ARRAY_API_NAMESPACE`` (default ``array_api_strict``) or, in process, with
``lucid.backends.register_backend("torch_api", lambda: ArrayAPIBackend("torch"))``.
"""

from ._backend import DEFAULT_NAMESPACE, NAMESPACE_ENV, ArrayAPIBackend, resolve_namespace

__all__ = ["ArrayAPIBackend", "DEFAULT_NAMESPACE", "NAMESPACE_ENV", "resolve_namespace"]
__version__ = "0.1.0"
