"""Reading one batch: the samples at a batch's indices, or the next ones of a stream, collated.

The loader's own thread and its worker processes both prepare batches with these, so the
two paths cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..backends import DEFAULT_BACKEND
from .collate import default_collate, default_convert


def fetch(dataset: Any, indices: Any, auto_collation: bool,
          collate: Callable[[Any], Any]) -> Any:
    """``collate`` of the samples at ``indices`` (one index when not auto-batching).

    A dataset with ``__getitems__`` (PyTorch's batched-read hook) reads a batch in one call.
    """
    if not auto_collation:
        return collate(dataset[indices])
    many = getattr(dataset, "__getitems__", None)
    samples = list(many(indices)) if callable(many) else [dataset[i] for i in indices]
    return collate(samples)


def iterable_batches(dataset: Iterable[Any], batch_size: int | None, drop_last: bool,
                     collate: Callable[[Any], Any]) -> Iterator[Any]:
    """Batches of ``batch_size`` samples read from a stream (single samples when None)."""
    if batch_size is None:
        for sample in dataset:
            yield collate(sample)
        return
    batch: list[Any] = []
    for sample in dataset:
        batch.append(sample)
        if len(batch) == batch_size:
            yield collate(batch)
            batch = []
    if batch and not drop_last:
        yield collate(batch)


class HostCollate:
    """The collate step of a worker process: a user's function, or the default one building
    tensors on the host (NumPy) backend; the loader moves them to its backend afterwards."""

    def __init__(self, user: Callable[[Any], Any] | None, auto_collation: bool) -> None:
        self.user = user
        self.auto_collation = auto_collation

    def __call__(self, batch: Any) -> Any:
        if self.user is not None:
            return self.user(batch)
        if self.auto_collation:
            return default_collate(batch, DEFAULT_BACKEND)
        return default_convert(batch, DEFAULT_BACKEND)
