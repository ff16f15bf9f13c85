"""lucid.distributed in one process: not-initialised behaviour, errors, world-of-one
collectives, autograd honesty, and a 2-rank job whose failing rank ends the job."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import lucid
import lucid.distributed as dist
from lucid.distributed import ReduceOp, process_group
from lucid.distributed.nccl_transport import NcclTransport


def test_not_initialised_is_a_world_of_one_but_collectives_raise() -> None:
    assert not dist.is_initialized()
    assert dist.get_rank() == 0 and dist.get_world_size() == 1
    t = lucid.tensor([1.0])
    for call in (lambda: dist.all_reduce(t), lambda: dist.broadcast(t), dist.barrier,
                 dist.get_backend, dist.destroy_process_group,
                 lambda: dist.all_gather([t], t), lambda: dist.reduce_scatter(t, [t])):
        with pytest.raises(RuntimeError, match="init_process_group"):
            call()


def test_is_available_matches_mpi4py_presence() -> None:
    try:
        import mpi4py  # noqa: F401
        present = True
    except ImportError:
        present = False
    assert dist.is_available() is present


def test_unknown_backend_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown backend 'gloo'.*'mpi', 'nccl'"):
        dist.init_process_group("gloo")


@pytest.mark.parametrize("timeout", [0, -1.0, "10", True])
def test_bad_timeout(timeout: object) -> None:
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        dist.init_process_group("mpi", timeout=timeout)


def test_missing_mpi4py_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # makes `import mpi4py` raise
    with pytest.raises(ImportError, match=r"pip install 'lucid\[mpi\]'"):
        dist.init_process_group("mpi")
    assert not dist.is_initialized()


def test_nccl_without_cupy_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("mpi4py")
    monkeypatch.setitem(sys.modules, "cupy", None)
    with pytest.raises(RuntimeError, match="needs CuPy.*backend='mpi'"):
        dist.init_process_group("nccl")
    assert not dist.is_initialized()


def test_world_of_one(group: None) -> None:
    assert dist.is_initialized() and dist.get_backend() == "mpi"
    assert dist.get_rank() == 0 and dist.get_world_size() == 1
    dist.barrier()
    with pytest.raises(RuntimeError, match="already initialised"):
        dist.init_process_group("mpi")
    # one rank: no hook that would abort an interactive session on its first error
    assert sys.excepthook is not process_group._abort_on_uncaught_exception


def test_destroy_then_init_again(group: None) -> None:
    dist.destroy_process_group()
    assert not dist.is_initialized() and dist.get_world_size() == 1
    dist.init_process_group("mpi", timeout=5)
    assert dist.is_initialized()


def test_reduce_op_names() -> None:
    assert ReduceOp.AVG is ReduceOp.MEAN
    assert {op.name for op in ReduceOp} == {"SUM", "MEAN", "MAX", "MIN", "PRODUCT"}


@pytest.mark.parametrize("op", list(ReduceOp))
def test_all_reduce_of_one_rank_keeps_values_and_bumps_the_version(group: None,
                                                                   op: ReduceOp) -> None:
    values = np.array([[1.5, -2.0], [3.0, 0.25]], np.float32)
    t = lucid.tensor(values)
    version = t._version
    assert dist.all_reduce(t, op) is None
    np.testing.assert_array_equal(t.numpy(), values)
    assert t.dtype == lucid.float32 and t._version == version + 1


def test_collectives_of_one_rank(group: None) -> None:
    x = lucid.tensor([[1, 2], [3, 4]], dtype="int64")
    out = [lucid.zeros(2, 2, dtype="int64")]
    dist.all_gather(out, x)
    np.testing.assert_array_equal(out[0].numpy(), [[1, 2], [3, 4]])
    big = lucid.zeros(2, 2, dtype="int64")
    dist.all_gather_into_tensor(big, x)
    np.testing.assert_array_equal(big.numpy(), [[1, 2], [3, 4]])
    rs = lucid.zeros(2, 2, dtype="int64")
    dist.reduce_scatter(rs, [x], ReduceOp.MAX)
    np.testing.assert_array_equal(rs.numpy(), [[1, 2], [3, 4]])
    rst = lucid.zeros(2, dtype="int64")
    dist.reduce_scatter_tensor(rst, lucid.tensor([[5, 6]], dtype="int64"))
    np.testing.assert_array_equal(rst.numpy(), [5, 6])
    h = lucid.tensor([0.5, 1.5], dtype="float16")
    dist.broadcast(h, src=0)
    assert h.dtype == lucid.float16 and h.tolist() == [0.5, 1.5]


def test_async_op_writes_only_at_wait(group: None) -> None:
    t = lucid.tensor([2.0, 4.0])
    before = t._data
    work = dist.all_reduce(t, ReduceOp.MEAN, async_op=True)
    assert isinstance(work, dist.Work)
    assert t._data is before  # nothing written behind the caller's back
    assert work.wait() is True and work.is_completed()
    assert t.tolist() == [2.0, 4.0] and t._data is not before


def test_collectives_validate_their_arguments(group: None) -> None:
    t = lucid.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="tensor must be a lucid.Tensor, got list"):
        dist.all_reduce([1.0, 2.0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="op must be a lucid.distributed.ReduceOp"):
        dist.all_reduce(t, "sum")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="MEAN needs a floating-point tensor"):
        dist.all_reduce(lucid.tensor([1, 2]), ReduceOp.MEAN)
    with pytest.raises(TypeError, match="cannot reduce a bool tensor"):
        dist.all_reduce(lucid.tensor([True]))
    with pytest.raises(ValueError, match=r"src must be a rank in \[0, 1\)"):
        dist.broadcast(t, src=1)
    with pytest.raises(ValueError, match="must hold world_size=1 tensors, got 2"):
        dist.all_gather([lucid.zeros(2), lucid.zeros(2)], t)
    with pytest.raises(ValueError, match=r"tensor_list\[0\] is float32 \(3,\)"):
        dist.all_gather([lucid.zeros(3)], t)
    with pytest.raises(TypeError, match="tensor_list must be a list"):
        dist.all_gather(lucid.zeros(2), t)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"input_list\[0\] is float64"):
        dist.reduce_scatter(t, [lucid.zeros(2, dtype="float64")])
    with pytest.raises(ValueError, match="the larger must have"):
        dist.all_gather_into_tensor(lucid.zeros(3), t)
    with pytest.raises(ValueError, match="the larger must have"):
        dist.reduce_scatter_tensor(lucid.zeros(2), lucid.zeros(4))


def test_a_numpy_tensor_under_nccl_is_a_type_error(monkeypatch: pytest.MonkeyPatch) -> None:
    transport = NcclTransport.__new__(NcclTransport)  # no GPU needed: only the check runs
    transport.rank, transport.size = 0, 1
    monkeypatch.setattr(process_group, "_group", process_group._Group("nccl", transport, None))
    with pytest.raises(TypeError, match=r"'nccl' backend.*on 'numpy'.*\.to\('cupy'\)"):
        dist.all_reduce(lucid.tensor([1.0]))
    with pytest.raises(TypeError, match="'nccl' backend"):
        dist.broadcast(lucid.tensor([1.0]))


def test_collectives_act_on_data_not_on_the_graph(group: None) -> None:
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()  # saves x for backward
    dist.all_reduce(x)
    assert x.grad_fn is None and x.requires_grad  # still a leaf: no graph recorded
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def _mpiexec() -> str | None:
    here = Path(sys.executable).parent / "mpiexec"
    return str(here) if here.exists() else shutil.which("mpiexec")


FAILING_JOB = textwrap.dedent("""
    import lucid, lucid.distributed as dist
    dist.init_process_group("mpi")
    if dist.get_rank() == 1:
        raise ValueError("rank one gives up on purpose")
    dist.barrier()  # rank 0 would wait here for ever without the abort
    print("rank 0 passed the barrier")
""")


def test_a_rank_that_raises_ends_the_job_promptly_with_its_traceback() -> None:
    pytest.importorskip("mpi4py")
    mpiexec = _mpiexec()
    if mpiexec is None:
        pytest.skip("no mpiexec on PATH")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PMI_", "PMIX_", "OMPI_", "HYDRA_", "MPI_"))}
    start = time.monotonic()
    proc = subprocess.run([mpiexec, "-n", "2", sys.executable, "-c", FAILING_JOB],
                          capture_output=True, text=True, timeout=120, env=env)
    elapsed = time.monotonic() - start
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "Traceback" in output and "ValueError: rank one gives up on purpose" in output
    assert "rank 0 passed the barrier" not in output
    assert elapsed < 30, f"the job took {elapsed:.1f} s to fail"


class _NeverDone:
    """An MPI request whose peer never arrives."""

    def Test(self) -> bool:
        return False


def test_a_wait_past_the_timeout_raises_instead_of_hanging() -> None:
    from lucid.distributed.mpi_transport import wait_request

    start = time.monotonic()
    with pytest.raises(TimeoutError, match=r"barrier did not finish within .* 0\.2 s"):
        wait_request(_NeverDone(), 0.2, "barrier")
    assert 0.2 <= time.monotonic() - start < 5


@pytest.mark.parametrize("var", ["OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID",
                                 "SLURM_LOCALID"])
def test_the_nccl_device_is_the_local_rank_the_launcher_reports(
        monkeypatch: pytest.MonkeyPatch, var: str) -> None:
    from lucid.distributed.nccl_transport import LOCAL_RANK_VARIABLES, local_rank

    for name in LOCAL_RANK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(var, "3")
    assert local_rank(comm=None) == 3  # read from the environment: MPI is not asked


def test_without_a_launcher_variable_the_local_rank_comes_from_mpi(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("mpi4py")
    from mpi4py import MPI

    from lucid.distributed.nccl_transport import LOCAL_RANK_VARIABLES, local_rank

    for name in LOCAL_RANK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert local_rank(MPI.COMM_SELF) == 0
