"""The ``nccl`` process group on CuPy device arrays (needs CuPy with NCCL, an NVIDIA GPU and
mpi4py; skipped with the reason otherwise).

In a plain ``pytest`` on a GPU machine: a world of one (collectives, DDP and SyncBatchNorm
on device tensors, without a host round-trip). Under ``mpiexec -n 2`` on a machine with two
or more GPUs: collectives across ranks against NumPy and DDP against one process.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import lucid
import lucid.distributed as dist
import lucid.nn as nn
from lucid.distributed import ReduceOp
from lucid.nn.parallel import DistributedDataParallel as DDP

pytestmark = pytest.mark.gpu


def launched_world_size() -> int:
    """The world size MPICH or Open MPI gave this process (1 without a launcher)."""
    value = os.environ.get("PMI_SIZE") or os.environ.get("OMPI_COMM_WORLD_SIZE") or "1"
    return int(value) if value.isdigit() else 1


def _nccl_missing() -> str | None:
    """Why the nccl group cannot run here, or None."""
    if importlib.util.find_spec("mpi4py") is None:
        return "needs mpi4py (pip install 'lucid[mpi]')"
    try:
        import cupy
        from cupy.cuda import nccl  # noqa: F401
        count = cupy.cuda.runtime.getDeviceCount()
        lucid.backends.get_backend("cupy")
    except Exception as e:  # no CuPy, no NCCL in it, no driver, no device
        return f"needs CuPy with NCCL and an NVIDIA GPU: {type(e).__name__}: {e}"
    if count < max(launched_world_size(), 1):
        return f"needs one GPU per rank: {launched_world_size()} ranks, {count} GPU(s)"
    return None


REASON = _nccl_missing()
needs_nccl = pytest.mark.skipif(REASON is not None, reason=str(REASON))
one_rank = pytest.mark.skipif(launched_world_size() >= 2, reason="single-process test")


@pytest.fixture(scope="module")
def nccl_group() -> Iterator[None]:
    dist.init_process_group("nccl", timeout=120)
    yield
    dist.destroy_process_group()


def on_gpu(a: Any) -> lucid.Tensor:
    return lucid.tensor(np.asarray(a), backend="cupy")


def is_device_array(t: lucid.Tensor) -> bool:
    return type(t._data).__module__.split(".")[0] == "cupy"


def rank_input(r: int) -> np.ndarray:
    return ((np.arange(6).reshape(2, 3) - 2) * (r + 1) + r).astype(np.float32)


def everyone() -> np.ndarray:
    return np.stack([rank_input(r) for r in range(dist.get_world_size())])


@needs_nccl
def test_collectives_on_device_arrays(nccl_group: None) -> None:
    r, w = dist.get_rank(), dist.get_world_size()
    assert dist.get_backend() == "nccl"
    for op, reduce in ((ReduceOp.SUM, np.sum), (ReduceOp.MEAN, np.mean),
                       (ReduceOp.MAX, np.max), (ReduceOp.MIN, np.min)):
        t = on_gpu(rank_input(r))
        dist.all_reduce(t, op)
        assert is_device_array(t)
        np.testing.assert_allclose(t.numpy(), reduce(everyone(), axis=0), rtol=1e-6)
    t = on_gpu(rank_input(r))
    dist.broadcast(t, src=w - 1)
    np.testing.assert_array_equal(t.numpy(), rank_input(w - 1))
    outs = [on_gpu(np.zeros((2, 3), np.float32)) for _ in range(w)]
    dist.all_gather(outs, on_gpu(rank_input(r)))
    for k in range(w):
        np.testing.assert_array_equal(outs[k].numpy(), rank_input(k))
    out = on_gpu(np.zeros((2, 3), np.float32))
    dist.reduce_scatter(out, [on_gpu(rank_input(r) * (k + 1)) for k in range(w)])
    np.testing.assert_allclose(out.numpy(), everyone().sum(0) * (r + 1))
    flags = on_gpu(np.array([r == 0, True]))
    dist.broadcast(flags, src=0)
    assert flags.tolist() == [True, True] and flags.dtype == lucid.bool_
    work = dist.all_reduce(on_gpu(rank_input(r)), async_op=True)
    assert work is not None and work.wait()
    dist.barrier()


@needs_nccl
def test_a_host_tensor_is_refused(nccl_group: None) -> None:
    with pytest.raises(TypeError, match="'nccl' backend.*'numpy'"):
        dist.all_reduce(lucid.tensor([1.0]))


def _mlp(seed: int, bn: bool = False) -> nn.Module:
    lucid.manual_seed(seed)
    layers: list[nn.Module] = [nn.Linear(4, 8)]
    if bn:
        layers.append(nn.BatchNorm1d(8))
    layers += [nn.Tanh(), nn.Linear(8, 2)]
    return nn.Sequential(*layers).to("cupy")


@needs_nccl
@pytest.mark.parametrize("bn", [False, True])
def test_ddp_on_the_gpu_matches_one_process(nccl_group: None, bn: bool) -> None:
    """Per-rank batch of 4 vs one process on all ranks' rows (SyncBatchNorm when bn)."""
    r, w = dist.get_rank(), dist.get_world_size()
    reference = _mlp(0, bn)
    local = _mlp(r, bn)
    if bn:
        local = nn.SyncBatchNorm.convert_sync_batchnorm(local)
    ddp = DDP(local, bucket_cap_mb=1e-4)
    opts = [lucid.optim.SGD(m.parameters(), lr=0.1, momentum=0.9) for m in (reference, local)]
    for step in range(3):
        rng = np.random.default_rng(step)
        x = rng.standard_normal((4 * w, 4)).astype(np.float32)
        y = rng.standard_normal((4 * w, 2)).astype(np.float32)
        for model, opt, rows in ((reference, opts[0], slice(None)),
                                 (ddp, opts[1], slice(4 * r, 4 * r + 4))):
            opt.zero_grad()
            ((model(on_gpu(x[rows])) - on_gpu(y[rows])) ** 2).mean().backward()
            opt.step()
    for (name, a), b in zip(reference.state_dict().items(), local.state_dict().values()):
        assert is_device_array(b)
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=2e-5, atol=2e-6, err_msg=name)


@one_rank
@needs_nccl
def test_world_of_one_is_the_whole_job(nccl_group: None) -> None:
    assert dist.get_world_size() == 1 and dist.get_rank() == 0
