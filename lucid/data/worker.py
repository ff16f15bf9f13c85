"""Worker processes for ``DataLoader(num_workers > 0)``, as PyTorch runs them.

Worker ``i`` of ``n`` is seeded with ``base_seed + i`` (``random``, NumPy's global
generator, lucid's host (NumPy) backend and :func:`lucid.data.transforms.seed`), where
``base_seed`` is drawn from the loader's generator each epoch; then ``worker_init_fn(i)``
runs. Batch ``k`` goes to worker ``k mod n`` and batches are yielded in order, so an epoch
is reproducible from the seed. An exception in a worker reaches the caller with the
worker's traceback in its message; a worker that dies, or a ``timeout`` that passes,
raises ``RuntimeError`` instead of hanging; workers exit when the loop ends or the parent
process goes away. Batches travel between processes pickled in memory (never through
files). Workers build batches on the host backend; the loader moves them to its own.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import random
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .fetch import HostCollate, fetch, iterable_batches


@dataclass(frozen=True)
class WorkerInfo:
    """What a worker process knows about itself (``get_worker_info()`` inside a worker)."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """This worker's :class:`WorkerInfo`; ``None`` in the main process."""
    return _worker_info


class _WorkerError:
    """An exception raised in a worker: its type and formatted traceback, re-raised in the
    main process (PyTorch's ``ExceptionWrapper``)."""

    def __init__(self, exc: BaseException, worker_id: int, where: str) -> None:
        self.exc_type = type(exc)
        self.message = (f"Caught {type(exc).__name__} in DataLoader worker process {worker_id} "
                        f"{where}.\nOriginal " + "".join(traceback.format_exception(exc)))

    def reraise(self) -> None:
        try:
            exc = self.exc_type(self.message)
        except Exception:
            exc = RuntimeError(self.message)
        raise exc


class _Exhausted:
    """An iterable dataset's copy in this worker has no more batches."""


def _seed_worker(seed: int) -> None:
    """Seed what a worker draws from: ``random``, NumPy's global generator, the host backend
    (not every loaded backend: a forked child must not touch a GPU) and the transforms."""
    from ..backends import DEFAULT_BACKEND, get_backend
    from .transforms import rng

    random.seed(seed)
    np.random.seed(seed % 2**32)
    get_backend(DEFAULT_BACKEND).seed(seed % 2**63)
    rng.seed(seed)


def _worker_loop(dataset: Any, index_queue: Any, result_queue: Any, worker_id: int,
                 num_workers: int, seed: int, init_fn: Callable[[int], None] | None,
                 collate: Callable[[Any], Any], iterable: bool, auto_collation: bool,
                 batch_size: int | None, drop_last: bool) -> None:
    """Serve batch requests ``(k, indices)`` until told to stop (``None``)."""
    global _worker_info
    parent = os.getppid()
    init_error = None
    try:
        _seed_worker(seed)
        _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
        if init_fn is not None:
            init_fn(worker_id)
    except Exception as exc:
        init_error = _WorkerError(exc, worker_id, "in worker_init_fn")
    stream: Iterator[Any] | None = None
    while True:
        try:
            task = index_queue.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent:  # the main process is gone
                return
            continue
        if task is None:
            return
        k, indices = task
        data: Any
        if init_error is not None:
            data = init_error
        else:
            try:
                if iterable:
                    if stream is None:
                        stream = iterable_batches(dataset, batch_size, drop_last, collate)
                    data = next(stream, _Exhausted())
                else:
                    data = fetch(dataset, indices, auto_collation, collate)
            except Exception as exc:
                data = _WorkerError(exc, worker_id, "while preparing a batch")
        try:
            payload = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            payload = pickle.dumps(_WorkerError(exc, worker_id, "while sending a batch"))
        result_queue.put((k, payload))


def _context(spec: Any) -> Any:
    if spec is None:
        return multiprocessing.get_context()
    if isinstance(spec, str):
        return multiprocessing.get_context(spec)
    return spec


def _receive(result_queue: Any, workers: list[Any], timeout: float) -> tuple[int, Any]:
    """The next result; raises if a worker died or ``timeout`` seconds passed."""
    start = time.monotonic()
    while True:
        try:
            k, payload = result_queue.get(timeout=0.1)
            return k, pickle.loads(payload)
        except queue.Empty:
            pass
        for w in workers:
            if not w.is_alive():
                raise RuntimeError(f"DataLoader worker (pid {w.pid}) exited unexpectedly "
                                   f"with exit code {w.exitcode}")
        if timeout and time.monotonic() - start > timeout:
            raise RuntimeError(f"DataLoader timed out after {timeout} seconds")


def _shut_down(workers: list[Any], index_queues: list[Any], result_queue: Any,
               patience: float) -> None:
    """Ask every worker to stop; drain results so none blocks; after ``patience`` seconds
    terminate the stragglers."""
    for q in index_queues:
        try:
            q.put(None)
        except Exception:
            pass
        q.cancel_join_thread()
    deadline = time.monotonic() + patience
    while any(w.is_alive() for w in workers) and time.monotonic() < deadline:
        try:
            while True:
                result_queue.get_nowait()
        except (queue.Empty, OSError, EOFError):
            pass
        for w in workers:
            w.join(timeout=0.05)
    for w in workers:
        if w.is_alive():
            w.terminate()
            w.join(timeout=1.0)
    result_queue.cancel_join_thread()
    result_queue.close()
    for q in index_queues:
        q.close()


def multiprocess_batches(loader: Any, epoch: Iterator[Any] | None,
                         finish: Callable[[Any], Any]) -> Iterator[Any]:
    """One epoch of ``loader``'s batches prepared by ``loader.num_workers`` processes."""
    ctx = _context(loader.multiprocessing_context)
    n = loader.num_workers
    iterable = epoch is None
    auto = loader._auto_collation
    collate = HostCollate(loader._user_collate, auto)
    base_seed = loader.worker_base_seed()
    result_queue = ctx.Queue()
    index_queues, workers = [], []
    for wid in range(n):
        iq = ctx.Queue()
        w = ctx.Process(target=_worker_loop, name=f"lucid-DataLoader-worker-{wid}",
                        args=(loader.dataset, iq, result_queue, wid, n, base_seed + wid,
                              loader.worker_init_fn, collate, iterable, auto,
                              loader.batch_size, loader.drop_last), daemon=True)
        w.start()
        index_queues.append(iq)
        workers.append(w)
    active = [True] * n
    owner: dict[int, int] = {}
    results: dict[int, Any] = {}
    sent = received = 0
    turn = 0

    def request() -> bool:
        nonlocal sent, turn
        for _ in range(n):
            wid, turn = turn, (turn + 1) % n
            if active[wid]:
                break
        else:
            return False
        indices = None
        if not iterable:
            indices = next(epoch, None)  # type: ignore[arg-type]
            if indices is None:
                return False
        index_queues[wid].put((sent, indices))
        owner[sent] = wid
        sent += 1
        return True

    patience = 5.0
    try:
        for _ in range(loader.prefetch_factor * n):
            if not request():
                break
        while received < sent:
            if received not in results:
                k, data = _receive(result_queue, workers, loader.timeout)
                results[k] = data
                continue
            data = results.pop(received)
            wid = owner.pop(received)
            received += 1
            if isinstance(data, _Exhausted):
                active[wid] = False
                request()
                continue
            if isinstance(data, _WorkerError):
                data.reraise()
            request()
            yield finish(data)
    except BaseException:
        patience = 0.5  # failed or abandoned: workers may be stuck mid-batch
        raise
    finally:
        _shut_down(workers, index_queues, result_queue, patience)
