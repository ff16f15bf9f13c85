"""The process group: which processes train together, and how they talk.

There is one group per process (PyTorch's default group). The launcher decides the ranks:
under ``mpiexec``/``srun`` each process reads its rank and the world size from MPI's
``COMM_WORLD`` (mpi4py), so ``init_process_group()`` takes no rank or address arguments.

Not initialised, :func:`get_rank` is 0 and :func:`get_world_size` is 1, as in a
single-process run, so code such as "print on rank 0 only" runs unchanged without a
launcher. (PyTorch raises there instead.) Collectives and :func:`barrier` do raise: calling
one without a group is a bug, not a one-process job.
"""

from __future__ import annotations

import datetime
import importlib.util
import sys
from types import TracebackType
from typing import Any

BACKENDS = ("mpi", "nccl")
_MPI_HINT = "pip install 'lucid[mpi]' (mpi4py and an MPI library)"


class _Group:
    def __init__(self, backend: str, transport: Any, timeout: float | None) -> None:
        self.backend = backend
        self.transport = transport
        self.timeout = timeout
        self.previous_excepthook: Any = None


_group: _Group | None = None


def is_available() -> bool:
    """Can a process group be created here (is mpi4py installed)? Imports nothing."""
    return importlib.util.find_spec("mpi4py") is not None


def is_initialized() -> bool:
    """Has :func:`init_process_group` run (and :func:`destroy_process_group` not since)?"""
    return _group is not None


def _seconds(timeout: Any) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, datetime.timedelta):
        timeout = timeout.total_seconds()
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"init_process_group: timeout must be a positive number of seconds "
                         f"(or a datetime.timedelta) or None, got {timeout!r}")
    return float(timeout)


def _import_mpi(backend: str) -> Any:
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(f"init_process_group(backend={backend!r}) needs mpi4py to learn the "
                          f"ranks from the launcher: {_MPI_HINT}") from e
    return MPI


def init_process_group(backend: str = "mpi", *, timeout: Any = None) -> None:
    """Join this process to the job's process group.

    ``backend``: ``"mpi"`` (collectives on host buffers, any tensor backend) or ``"nccl"``
    (CuPy GPU tensors, one GPU per process: device = the local rank the launcher reports).
    The rank and world size come from the launcher through MPI (``mpiexec -n 4 python
    train.py``); a plain ``python train.py`` is a world of one.

    ``timeout`` (seconds or a ``timedelta``): the longest any collective or barrier waits
    before raising ``TimeoutError``; None waits for ever, as MPI does.

    With more than one rank, an uncaught exception in any rank would leave the others
    blocked in their next collective for ever. So this installs a ``sys.excepthook`` that
    prints the traceback as usual and then calls ``MPI.COMM_WORLD.Abort(1)``, which ends the
    whole job with a non-zero status (mpi4py's ``python -m mpi4py`` runner does the same).
    :func:`destroy_process_group` puts the previous hook back.
    """
    global _group
    if not isinstance(backend, str) or backend.lower() not in BACKENDS:
        raise ValueError(f"init_process_group: unknown backend {backend!r}; known backends: "
                         f"{', '.join(repr(b) for b in BACKENDS)}")
    backend = backend.lower()
    seconds = _seconds(timeout)
    if _group is not None:
        raise RuntimeError(f"init_process_group: the process group is already initialised "
                           f"(backend {_group.backend!r}); call destroy_process_group() first")
    MPI = _import_mpi(backend)
    comm = MPI.COMM_WORLD.Dup()  # our own channel: the user's mpi4py traffic cannot mix in
    try:
        if backend == "nccl":
            from .nccl_transport import NcclTransport

            transport: Any = NcclTransport(comm, seconds)
        else:
            from .mpi_transport import MpiTransport

            transport = MpiTransport(comm, seconds)
    except BaseException:
        comm.Free()
        raise
    group = _Group(backend, transport, seconds)
    if transport.size > 1:
        group.previous_excepthook = sys.excepthook
        sys.excepthook = _abort_on_uncaught_exception
    _group = group


def _abort_on_uncaught_exception(exc_type: type[BaseException], exc: BaseException,
                                 tb: TracebackType | None) -> None:
    """Print the traceback (with the hook that was there before), then end the whole job."""
    previous = _group.previous_excepthook if _group is not None else None
    (previous or sys.__excepthook__)(exc_type, exc, tb)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # a closed or broken stream must not stop the abort
            pass
    from mpi4py import MPI

    MPI.COMM_WORLD.Abort(1)


def destroy_process_group() -> None:
    """Leave the process group: free its communicators and restore ``sys.excepthook``."""
    global _group
    group = _require("destroy_process_group")
    _group = None
    if group.previous_excepthook is not None and sys.excepthook is _abort_on_uncaught_exception:
        sys.excepthook = group.previous_excepthook
    group.transport.close()


def _require(what: str) -> _Group:
    if _group is None:
        raise RuntimeError(f"{what}: the process group is not initialised; call "
                           f"lucid.distributed.init_process_group() first")
    return _group


def get_rank() -> int:
    """This process's rank in the group: 0 when not initialised (a single-process run)."""
    return 0 if _group is None else _group.transport.rank


def get_world_size() -> int:
    """The number of processes in the group: 1 when not initialised (a single process)."""
    return 1 if _group is None else _group.transport.size


def get_backend() -> str:
    """The group's backend name, ``"mpi"`` or ``"nccl"`` (RuntimeError when not initialised)."""
    return _require("get_backend").backend


def barrier() -> None:
    """Wait until every rank has called ``barrier()`` (RuntimeError when not initialised)."""
    _require("barrier").transport.barrier()
