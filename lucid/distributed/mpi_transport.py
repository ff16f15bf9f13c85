"""Collectives over MPI (mpi4py) on host buffers: any backend, through NumPy.

Every operation is started non-blocking (``Iallreduce``, ``Ibcast``, ...) on a flat,
contiguous host array the transport owns, so a caller can overlap it with other work
(DistributedDataParallel does) and a ``timeout`` can be honoured while waiting. On the NumPy
backend the host array *is* the tensor's array (no copy in); other backends pay one copy to
the host and one back. mpi4py and NumPy are imported only when a group is created.
"""

from __future__ import annotations

import time
from typing import Any

from ..backends import Backend
from .reduce_op import ReduceOp


def wait_request(request: Any, timeout: float | None, what: str) -> None:
    """Wait for an MPI request; with a ``timeout`` raise TimeoutError instead of hanging."""
    if timeout is None:
        request.Wait()
        return
    deadline = time.monotonic() + timeout
    while not request.Test():
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"lucid.distributed: {what} did not finish within the process group's timeout "
                f"of {timeout} s; another rank has probably failed or is not calling the same "
                f"collective")
        time.sleep(1e-4)


class HostWork:
    """A started MPI operation and the host buffer its result lands in."""

    def __init__(self, request: Any, recv: Any, backend: Backend, shape: tuple[int, ...],
                 dtype: Any, timeout: float | None, what: str, keep: Any) -> None:
        self._request = request
        self._recv = recv
        self._backend = backend
        self._shape = shape
        self._dtype = dtype
        self._timeout = timeout
        self._what = what
        self._keep = keep  # the send buffer must live until the operation completes
        self._result: Any = None

    def wait(self) -> Any:
        if self._result is None:
            wait_request(self._request, self._timeout, self._what)
            out = self._recv
            if out.dtype != self._dtype:
                out = out.view(self._dtype) if out.dtype.itemsize == self._dtype.itemsize \
                    else out.astype(self._dtype)
            self._result = self._backend.asarray(out.reshape(self._shape))
            self._keep = None
        return self._result

    def is_completed(self) -> bool:
        return self._result is not None or bool(self._request.Test())


class MpiTransport:
    """The ``"mpi"`` process group's engine: one duplicated MPI communicator."""

    name = "mpi"

    def __init__(self, comm: Any, timeout: float | None) -> None:
        self.comm = comm
        self.rank: int = comm.Get_rank()
        self.size: int = comm.Get_size()
        self.timeout = timeout

    def check_backend(self, backend: Backend, what: str) -> None:
        """Every backend can reach the host, so every tensor is accepted."""

    @staticmethod
    def _host(backend: Backend, arr: Any, reduce: bool) -> tuple[Any, Any]:
        """A flat contiguous host array of ``arr`` (NumPy's dtype for MPI) and the dtype the
        result must have. float16 is reduced in float32 (MPI has no portable half type);
        bool travels as bytes."""
        import numpy as np

        host = np.ascontiguousarray(backend.to_numpy(arr)).reshape(-1)
        dtype = host.dtype
        if reduce and dtype == np.float16:
            host = host.astype(np.float32)
        elif dtype == np.bool_:
            host = host.view(np.uint8)
        return host, dtype

    @staticmethod
    def _op(op: ReduceOp) -> Any:
        from mpi4py import MPI

        return {ReduceOp.SUM: MPI.SUM, ReduceOp.MEAN: MPI.SUM, ReduceOp.MAX: MPI.MAX,
                ReduceOp.MIN: MPI.MIN, ReduceOp.PRODUCT: MPI.PROD}[op]

    def all_reduce(self, backend: Backend, arr: Any, op: ReduceOp) -> HostWork:
        import numpy as np

        host, dtype = self._host(backend, arr, reduce=True)
        recv = np.empty_like(host)
        req = self.comm.Iallreduce(host, recv, self._op(op))
        return HostWork(req, recv, backend, tuple(backend.shape(arr)), dtype, self.timeout,
                        "all_reduce", host)

    def broadcast(self, backend: Backend, arr: Any, src: int) -> HostWork:
        host, dtype = self._host(backend, arr, reduce=False)
        buf = host.copy()  # Ibcast writes into its buffer; the tensor's array stays untouched
        req = self.comm.Ibcast(buf, root=src)
        return HostWork(req, buf, backend, tuple(backend.shape(arr)), dtype, self.timeout,
                        "broadcast", None)

    def all_gather(self, backend: Backend, arr: Any) -> HostWork:
        import numpy as np

        host, dtype = self._host(backend, arr, reduce=False)
        recv = np.empty((self.size, host.size), host.dtype)
        req = self.comm.Iallgather(host, recv)
        return HostWork(req, recv, backend, (self.size, *backend.shape(arr)), dtype,
                        self.timeout, "all_gather", host)

    def reduce_scatter(self, backend: Backend, flat: Any, op: ReduceOp) -> HostWork:
        """Reduce the 1-D ``flat`` (``size`` equal blocks) and keep this rank's block."""
        import numpy as np

        host, dtype = self._host(backend, flat, reduce=True)
        recv = np.empty(host.size // self.size, host.dtype)
        req = self.comm.Ireduce_scatter_block(host, recv, self._op(op))
        return HostWork(req, recv, backend, (host.size // self.size,), dtype, self.timeout,
                        "reduce_scatter", host)

    def barrier(self) -> None:
        wait_request(self.comm.Ibarrier(), self.timeout, "barrier")

    def close(self) -> None:
        self.comm.Free()
