"""Data-parallel training across processes: a process group and collectives on tensors.

``init_process_group("mpi")`` under ``mpiexec`` (CPU, any backend, host buffers) or
``init_process_group("nccl")`` (one CuPy GPU per process, device arrays); then
:func:`all_reduce`, :func:`broadcast`, :func:`all_gather` and :func:`reduce_scatter` with
PyTorch's signatures, and :class:`lucid.nn.parallel.DistributedDataParallel` on top.

This package imports only the tensor core and below (never ``lucid.nn``); mpi4py, NumPy and
CuPy are imported when a group is created, so ``import lucid`` needs none of them.
"""

from .collectives import (
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    broadcast,
    reduce_scatter,
    reduce_scatter_tensor,
)
from .process_group import (
    barrier,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
)
from .reduce_op import ReduceOp
from .work import Work

__all__ = ["ReduceOp", "Work", "all_gather", "all_gather_into_tensor", "all_reduce",
           "barrier", "broadcast", "destroy_process_group", "get_backend", "get_rank",
           "get_world_size", "init_process_group", "is_available", "is_initialized",
           "reduce_scatter", "reduce_scatter_tensor"]
