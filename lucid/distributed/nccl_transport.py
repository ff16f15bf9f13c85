"""Collectives over NCCL (CuPy's ``cupy.cuda.nccl``) on device arrays: no host round-trip.

One process per GPU. The communicator is made from a unique id that rank 0 draws
(``nccl.get_unique_id()``) and sends to the others over MPI, so the job is launched the same
way as an MPI one (``mpiexec -n 2 python train.py``). Each operation is enqueued on a
dedicated communication stream after an event recorded on the caller's current stream (so it
sees finished inputs), and ``wait()`` makes the caller's stream wait for the operation's own
event: the host never blocks, and work queued meanwhile on the compute stream overlaps the
transfer. Buffers are kept alive until ``wait()``; CuPy's pool then may reuse them safely
because the current stream is ordered after the operation.

Written against CuPy's documented ``NcclCommunicator(ndev, commId, rank)``,
``allReduce(sendbuf, recvbuf, count, datatype, op, stream)``, ``broadcast``,
``allGather(sendbuf, recvbuf, count, datatype, stream)`` and
``reduceScatter(sendbuf, recvbuf, recvcount, datatype, op, stream)``.
"""

from __future__ import annotations

import os
from typing import Any

from ..backends import Backend
from .reduce_op import ReduceOp

#: environment variables launchers set to a process's rank on its own node
LOCAL_RANK_VARIABLES = ("OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID",
                        "PMI_LOCAL_RANK", "LOCAL_RANK")


def local_rank(comm: Any) -> int:
    """This process's rank among the ranks on its node: the launcher's variable, else the
    rank in MPI's shared-memory split of ``comm`` (a collective call on ``comm``)."""
    for var in LOCAL_RANK_VARIABLES:
        value = os.environ.get(var, "")
        if value.isdigit():
            return int(value)
    from mpi4py import MPI

    node = comm.Split_type(MPI.COMM_TYPE_SHARED)
    try:
        return int(node.Get_rank())
    finally:
        node.Free()


def _is_cupy(backend: Backend) -> bool:
    xp = getattr(backend, "xp", None)
    return getattr(xp, "__name__", "") == "cupy"


class DeviceWork:
    """An operation enqueued on the communication stream, and its output array."""

    def __init__(self, done: Any, out: Any, shape: tuple[int, ...], keep: Any,
                 view_as: Any = None) -> None:
        self._done = done
        self._out = out
        self._shape = shape
        self._keep = keep
        self._view_as = view_as
        self._result: Any = None

    def wait(self) -> Any:
        if self._result is None:
            import cupy

            cupy.cuda.get_current_stream().wait_event(self._done)
            out = self._out if self._view_as is None else self._out.view(self._view_as)
            self._result = out.reshape(self._shape)
            self._keep = None
        return self._result

    def is_completed(self) -> bool:
        return self._result is not None or bool(self._done.done)


class NcclTransport:
    """The ``"nccl"`` process group's engine: one NCCL communicator per process, the MPI
    communicator it was bootstrapped with (for barrier) and a communication stream."""

    name = "nccl"

    def __init__(self, comm: Any, timeout: float | None) -> None:
        try:
            import cupy
            from cupy.cuda import nccl
        except ImportError as e:
            raise RuntimeError("init_process_group('nccl') needs CuPy built with NCCL support "
                               "(pip install cupy-cuda12x) and an NVIDIA GPU; use "
                               "backend='mpi' on CPUs") from e
        try:
            ndev = cupy.cuda.runtime.getDeviceCount()
        except Exception as e:  # CUDA driver missing: CuPy raises its own runtime error
            raise RuntimeError(f"init_process_group('nccl'): no usable NVIDIA GPU ({e}); use "
                               f"backend='mpi' on CPUs") from e
        self.mpi = comm
        self.rank: int = comm.Get_rank()
        self.size: int = comm.Get_size()
        self.timeout = timeout
        local = local_rank(comm)
        if not 0 <= local < ndev:
            raise RuntimeError(f"init_process_group('nccl'): this process is local rank {local} "
                               f"but the node has {ndev} GPU(s); NCCL needs one GPU per "
                               f"process: launch at most {ndev} ranks per node")
        self.device = local
        cupy.cuda.Device(local).use()
        uid = nccl.get_unique_id() if self.rank == 0 else None
        uid = comm.bcast(uid, root=0)
        self.nccl = nccl
        self.comm = nccl.NcclCommunicator(self.size, uid, self.rank)
        self.stream = cupy.cuda.Stream(non_blocking=True)

    def check_backend(self, backend: Backend, what: str) -> None:
        if not _is_cupy(backend):
            raise TypeError(f"{what}: the process group uses the 'nccl' backend, which works on "
                            f"GPU tensors of the 'cupy' backend, but this tensor is on "
                            f"{backend.name!r}; move it with .to('cupy') or use an 'mpi' group")

    def _datatype(self, dtype: Any, what: str) -> int:
        names = {"float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32",
                 "float64": "NCCL_FLOAT64", "int32": "NCCL_INT32", "int64": "NCCL_INT64",
                 "uint8": "NCCL_UINT8", "int8": "NCCL_INT8"}
        name = names.get(str(dtype))
        if name is None:
            raise TypeError(f"{what}: NCCL has no datatype for {dtype}")
        return int(getattr(self.nccl, name))

    def _op(self, op: ReduceOp) -> int:
        n = self.nccl
        return {ReduceOp.SUM: n.NCCL_SUM, ReduceOp.MEAN: n.NCCL_SUM, ReduceOp.MAX: n.NCCL_MAX,
                ReduceOp.MIN: n.NCCL_MIN, ReduceOp.PRODUCT: n.NCCL_PROD}[op]

    def _start(self) -> Any:
        """Order the communication stream after what the caller has queued so far."""
        import cupy

        ready = cupy.cuda.Event(disable_timing=True)
        ready.record(cupy.cuda.get_current_stream())
        self.stream.wait_event(ready)
        return self.stream

    def _finish(self, out: Any, shape: tuple[int, ...], keep: Any,
                view_as: Any = None) -> DeviceWork:
        import cupy

        done = cupy.cuda.Event(disable_timing=True)
        done.record(self.stream)
        return DeviceWork(done, out, shape, keep, view_as)

    @staticmethod
    def _flat(backend: Backend, arr: Any) -> tuple[Any, Any]:
        """A contiguous 1-D device array (bool as uint8) and the dtype to view back as."""
        xp = backend.xp  # type: ignore[attr-defined]
        flat = xp.ascontiguousarray(arr).reshape(-1)
        if flat.dtype == xp.bool_:
            return flat.view(xp.uint8), xp.bool_
        return flat, None

    def all_reduce(self, backend: Backend, arr: Any, op: ReduceOp) -> DeviceWork:
        xp = backend.xp  # type: ignore[attr-defined]
        src, _ = self._flat(backend, arr)
        out = xp.empty_like(src)
        stream = self._start()
        self.comm.allReduce(src.data.ptr, out.data.ptr, src.size,
                            self._datatype(src.dtype, "all_reduce"), self._op(op), stream.ptr)
        return self._finish(out, tuple(arr.shape), src)

    def broadcast(self, backend: Backend, arr: Any, src: int) -> DeviceWork:
        xp = backend.xp  # type: ignore[attr-defined]
        buf, view_as = self._flat(backend, arr)
        out = xp.empty_like(buf)
        stream = self._start()
        self.comm.broadcast(buf.data.ptr, out.data.ptr, buf.size,
                            self._datatype(buf.dtype, "broadcast"), src, stream.ptr)
        return self._finish(out, tuple(arr.shape), buf, view_as)

    def all_gather(self, backend: Backend, arr: Any) -> DeviceWork:
        xp = backend.xp  # type: ignore[attr-defined]
        src, view_as = self._flat(backend, arr)
        out = xp.empty((self.size * src.size,), src.dtype)
        stream = self._start()
        self.comm.allGather(src.data.ptr, out.data.ptr, src.size,
                            self._datatype(src.dtype, "all_gather"), stream.ptr)
        return self._finish(out, (self.size, *arr.shape), src, view_as)

    def reduce_scatter(self, backend: Backend, flat: Any, op: ReduceOp) -> DeviceWork:
        xp = backend.xp  # type: ignore[attr-defined]
        src, _ = self._flat(backend, flat)
        n = src.size // self.size
        out = xp.empty((n,), src.dtype)
        stream = self._start()
        self.comm.reduceScatter(src.data.ptr, out.data.ptr, n,
                                self._datatype(src.dtype, "reduce_scatter"), self._op(op),
                                stream.ptr)
        return self._finish(out, (n,), src)

    def barrier(self) -> None:
        """Finish this rank's queued device work, then meet the other ranks over MPI."""
        import cupy

        from .mpi_transport import wait_request

        self.stream.synchronize()
        cupy.cuda.get_current_stream().synchronize()
        wait_request(self.mpi.Ibarrier(), self.timeout, "barrier")

    def close(self) -> None:
        self.stream.synchronize()
        self.comm.destroy()
        self.mpi.Free()
