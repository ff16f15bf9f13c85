"""``DataLoader``: batches from a dataset, prepared in the background while the model computes.

PyTorch's ``torch.utils.data.DataLoader`` with its argument rules, plus two lucid arguments:
``backend`` (where the batches' tensors are created) and ``seed`` (an int, the same as
``generator=seed``; lucid has no ``torch.Generator``). Data preparation overlaps compute:
with ``num_workers=0`` a background thread keeps ``prefetch_factor`` batches ready (NumPy
releases the GIL in its heavy loops); with ``num_workers > 0`` worker processes
(:mod:`lucid.data.worker`) keep ``prefetch_factor`` batches each in flight. Unlike PyTorch,
``prefetch_factor`` therefore also applies without workers; ``prefetch_factor=0`` (only with
``num_workers=0``) loads each batch in the caller's thread when it is asked for.

:class:`Split` is the original in-memory dataset (images and labels as NumPy arrays) and
stays the quickest way to batch arrays: ``DataLoader(Split(x, y), 64, shuffle=True, seed=0)``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._seeding import GeneratorLike, as_generator, fresh_seed
from .collate import default_collate, default_convert, to_backend
from .dataset import Dataset, IterableDataset
from .fetch import fetch, iterable_batches
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler


@dataclass
class Split(Dataset[tuple[np.ndarray, np.ndarray]]):
    """Images ``(N, C, H, W)`` float32 and integer labels ``(N,)``; item ``i`` is
    ``(images[i], labels[i])``."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: Any) -> tuple[np.ndarray, np.ndarray]:
        return self.images[index], self.labels[index]

    def __getitems__(self, indices: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
        images, labels = self.images[indices], self.labels[indices]  # one gather per array
        return list(zip(images, labels))


_END = object()


class _Failure:
    """An exception raised while preparing a batch, carried to the consumer."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class _Prefetcher:
    """Runs ``produce`` in a daemon thread from construction on, ``depth`` items ahead of
    the consumer; exceptions are re-raised in the consumer. Dropping or closing the
    iterator stops the thread (it holds no reference back to this object)."""

    def __init__(self, produce: Iterator[Any], depth: int) -> None:
        buffer: queue.Queue[Any] = queue.Queue(maxsize=depth)
        stop = threading.Event()

        def put(item: Any) -> bool:
            while not stop.is_set():
                try:
                    buffer.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def run() -> None:
            try:
                for item in produce:
                    if not put(item):
                        return
            except BaseException as exc:  # handed to the consumer, raised there
                put(_Failure(exc))
                return
            put(_END)

        self._buffer, self._stop, self._done = buffer, stop, False
        threading.Thread(target=run, name="lucid-DataLoader-prefetch", daemon=True).start()

    def __iter__(self) -> _Prefetcher:
        return self

    def __next__(self) -> Any:
        if self._done:
            raise StopIteration
        item = self._buffer.get()
        if isinstance(item, _Failure):
            self.close()
            raise item.exc
        if item is _END:
            self.close()
            raise StopIteration
        return item

    def close(self) -> None:
        """Stop the background thread (it finishes the batch it is preparing)."""
        self._done = True
        self._stop.set()

    def __del__(self) -> None:
        self._stop.set()


class DataLoader:
    """Iterate over a dataset in batches of tensors (PyTorch's ``DataLoader``).

    ``dataset`` is map-style (``__getitem__`` + ``__len__``) or a :class:`IterableDataset`.
    Batches come from ``batch_sampler`` if given, else ``batch_size`` indices at a time from
    ``sampler`` (default: sequential, or :class:`RandomSampler` with ``shuffle=True``);
    ``batch_size=None`` yields single samples, converted but not batched. ``collate_fn``
    (default :func:`default_collate` onto ``backend``) builds a batch from a list of samples.
    ``generator`` / ``seed``: an int or ``numpy.random.Generator`` that drives shuffling and
    the worker seeds; ``None`` draws from lucid's global generator (``lucid.manual_seed``).
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler[Any] | Iterable[Any] | None = None,
                 batch_sampler: Sampler[Any] | Iterable[Sequence[Any]] | None = None,
                 num_workers: int = 0, collate_fn: Callable[[list[Any]], Any] | None = None,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context: Any = None, generator: GeneratorLike = None, *,
                 prefetch_factor: int | None = None, seed: int | None = None,
                 backend: Any = None) -> None:
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"num_workers option should be a non-negative int; use "
                             f"num_workers=0 to disable multiprocessing, got {num_workers!r}")
        if timeout < 0:
            raise ValueError(f"timeout option should be non-negative, got {timeout!r}")
        if prefetch_factor is None:
            prefetch_factor = 2
        if isinstance(prefetch_factor, bool) or not isinstance(prefetch_factor, int) or \
                prefetch_factor < (1 if num_workers else 0):
            raise ValueError(f"prefetch_factor must be an int >= {1 if num_workers else 0} "
                             f"with num_workers={num_workers}, got {prefetch_factor!r}")
        if seed is not None:
            if generator is not None:
                raise ValueError("give either seed or generator, not both")
            generator = seed
        rng = None if generator is None else as_generator(generator)  # validates
        self._seed = None if rng is None or isinstance(generator, np.random.Generator) \
            else int(generator)  # type: ignore[arg-type]
        generator = rng
        # worker seeds come from an independent child stream, so the sampler's orders are
        # the same with and without workers
        self._worker_rng = None if generator is None else generator.spawn(1)[0]
        if shuffle not in (None, True, False):
            raise TypeError(f"shuffle must be a bool, got {shuffle!r}")

        if isinstance(dataset, IterableDataset):
            for name, value in (("shuffle", shuffle), ("sampler", sampler),
                                ("batch_sampler", batch_sampler)):
                if value not in (None, False):
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                     f"{name} option, but got {name}={value!r}")
        elif sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")

        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if batch_size is not None and (isinstance(batch_size, bool)
                                       or not isinstance(batch_size, int) or batch_size < 1):
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got "
                             f"drop_last={drop_last!r}")

        self._own_sampler = sampler is None and batch_sampler is None
        if sampler is None and not isinstance(dataset, IterableDataset):
            sampler = RandomSampler(dataset, generator=generator) if shuffle \
                else SequentialSampler(dataset)
        elif sampler is not None and not isinstance(sampler, Iterable):
            raise TypeError(f"sampler must be an iterable of indices (a Sampler), got "
                            f"{type(sampler).__name__}; did you mean seed=?")
        if batch_sampler is None and batch_size is not None and sampler is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.backend = backend
        self._user_collate = collate_fn
        self.collate_fn = collate_fn if collate_fn is not None else self._default_collate

    @property
    def shuffle(self) -> bool:
        """Whether samples are drawn in a random order (a RandomSampler is in use)."""
        return isinstance(self.sampler, RandomSampler)

    @property
    def _auto_collation(self) -> bool:
        """Whether samples are grouped into batches (False with ``batch_size=None``)."""
        return self.batch_sampler is not None or (
            isinstance(self.dataset, IterableDataset) and self.batch_size is not None)

    def _default_collate(self, batch: Any) -> Any:
        if self._auto_collation:
            return default_collate(batch, self.backend)
        return default_convert(batch, self.backend)

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)  # type: ignore[arg-type]
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)  # type: ignore[arg-type]
        return len(self.sampler)  # type: ignore[arg-type]

    def index_batches(self) -> Iterator[Any]:
        """This epoch's index batches (lists), or single indices without auto-batching."""
        source = self.batch_sampler if self.batch_sampler is not None else self.sampler
        return iter(source)  # type: ignore[arg-type]

    def _single_process(self, epoch: Iterator[Any] | None) -> Iterator[Any]:
        if epoch is None:
            yield from iterable_batches(self.dataset, self.batch_size, self.drop_last,
                                        self.collate_fn)
            return
        for indices in epoch:
            yield fetch(self.dataset, indices, self._auto_collation, self.collate_fn)

    def worker_base_seed(self) -> int:
        """This epoch's base seed; worker ``i`` is seeded with ``base_seed + i`` (PyTorch)."""
        if self._worker_rng is None:
            return fresh_seed()
        return int(self._worker_rng.integers(0, 2**62))

    def set_epoch(self, epoch: int) -> None:
        """With an int ``seed``/``generator``, make the coming epoch's shuffling and worker
        seeds a function of ``(seed, epoch)`` alone, so a resumed run repeats its epochs.

        Also forwarded to a sampler of the caller's that has ``set_epoch``. Without an int
        seed the order comes from lucid's global generator (``lucid.manual_seed``).
        """
        if self._seed is not None:
            self.generator = np.random.default_rng([self._seed, int(epoch)])
            self._worker_rng = self.generator.spawn(1)[0]
            if self._own_sampler and isinstance(self.sampler, RandomSampler):
                self.sampler._rng = self.generator
        samplers = [self.sampler, getattr(self.batch_sampler, "sampler", None)]
        if not self._own_sampler:
            for s in samplers + [self.batch_sampler]:
                if s is not None and callable(getattr(s, "set_epoch", None)):
                    s.set_epoch(epoch)

    def __iter__(self) -> Iterator[Any]:
        # the epoch's order is drawn here, in the caller's thread, for reproducibility
        epoch = None if isinstance(self.dataset, IterableDataset) else self.index_batches()
        if self.num_workers > 0:
            from .worker import multiprocess_batches

            finish = (lambda b: b) if self._user_collate is not None else \
                (lambda b: to_backend(b, self.backend))
            return multiprocess_batches(self, epoch, finish)
        if self.prefetch_factor == 0:
            return self._single_process(epoch)
        return _Prefetcher(self._single_process(epoch), self.prefetch_factor)
