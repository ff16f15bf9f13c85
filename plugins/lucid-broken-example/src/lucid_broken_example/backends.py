"""Backends that lucid must refuse: one for another interface version, one not a backend."""

from __future__ import annotations

from lucid.backends import API_VERSION, Backend


class FutureAPIBackend(Backend):
    """Claims a newer op interface than this lucid implements, so it is refused unloaded."""

    api_version = API_VERSION + 1


#: An entry point must name a Backend subclass, instance or factory; this is none of them.
NOT_A_BACKEND = 42
