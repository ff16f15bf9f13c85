"""Fixtures for lucid.distributed tests.

Two kinds of test live here. Single-process ones run in the ordinary ``pytest`` run (a world
of one when mpi4py is installed, skipped cleanly otherwise). Tests marked ``mpi`` need
``mpiexec -n 2`` (the ``distributed`` nox session) and skip in any other run: whether a
launcher started us is read from its environment, so the default run never initialises MPI
for them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

import lucid.distributed as dist


def launched_world_size() -> int:
    """The world size an MPI launcher gave this process (1 without one), read from the
    variables MPICH (PMI_SIZE) and Open MPI (OMPI_COMM_WORLD_SIZE) set."""
    for var in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE"):
        value = os.environ.get(var, "")
        if value.isdigit():
            return int(value)
    return 1


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mpi: needs mpiexec -n 2 or more (nox -s distributed); "
                                       "skipped otherwise")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if launched_world_size() >= 2:
        return
    skip = pytest.mark.skip(reason="needs mpiexec -n 2 (run by nox -s distributed)")
    for item in items:
        if "mpi" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def group() -> Iterator[None]:
    """An initialised ``mpi`` process group of this process alone (needs mpi4py)."""
    pytest.importorskip("mpi4py")
    if launched_world_size() >= 2:
        pytest.skip("single-process test: run without mpiexec")
    dist.init_process_group("mpi", timeout=60)
    try:
        yield
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


@pytest.fixture(autouse=True)
def _no_group_left_behind() -> Iterator[None]:
    """A single-process test must not leave a group initialised for the next one."""
    yield
    if launched_world_size() < 2 and dist.is_initialized():
        dist.destroy_process_group()
        pytest.fail("the test left the process group initialised")
