"""``Work``: the handle of a collective started with ``async_op=True``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class TransportWork(Protocol):
    """What a transport returns for a started operation (internal)."""

    def wait(self) -> Any:
        """Block until done; return the result as a native array of the tensor's backend."""

    def is_completed(self) -> bool:
        """Has the operation finished (never blocks)?"""


class Work:
    """A started collective. :meth:`wait` blocks until it has finished and then writes the
    result into the tensor(s) the call named, as the blocking call would have done.

    Until ``wait()`` returns, the tensors keep their old values: lucid never writes into an
    array behind the tensor's back, so reading them early is safe but sees the inputs.
    """

    def __init__(self, raw: TransportWork, finish: Callable[[Any], None]) -> None:
        self._raw = raw
        self._finish = finish
        self._done = False

    def wait(self) -> bool:
        """Block until the collective has finished and its result is in place; True."""
        if not self._done:
            self._finish(self._raw.wait())
            self._done = True
        return True

    def is_completed(self) -> bool:
        """Has the collective finished on this rank (``wait()`` would not block)?"""
        return self._done or self._raw.is_completed()

    def __repr__(self) -> str:
        return f"<lucid.distributed.Work {'done' if self._done else 'pending'}>"
