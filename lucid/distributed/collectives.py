"""Collectives on tensors: ``all_reduce``, ``broadcast``, ``all_gather``, ``reduce_scatter``.

Each runs on the group's transport with the tensor's own arrays: NCCL on CuPy device arrays,
MPI on host buffers (for the NumPy backend the tensor's array itself). They act on *data*,
not on the autograd graph: no gradient flows through a collective. Writing the result
replaces the tensor's array and bumps its version counter, like lucid's other in-place ops,
so a backward pass that saved the old values raises instead of using the new ones.

Every call must be made by every rank of the group, in the same order, with matching shapes
and dtypes (as in MPI and PyTorch). ``async_op=True`` returns a :class:`Work` whose
``wait()`` finishes the call; otherwise the call returns None when it is done.
"""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from . import process_group
from .reduce_op import ReduceOp
from .work import Work


def _transport(what: str) -> Any:
    return process_group._require(what).transport


def _check_tensor(what: str, t: Any, transport: Any, name: str = "tensor") -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"{what}: {name} must be a lucid.Tensor, got {type(t).__name__}")
    transport.check_backend(t.backend, what)
    return t


def _check_op(what: str, op: Any, t: Tensor) -> ReduceOp:
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{what}: op must be a lucid.distributed.ReduceOp (SUM, MEAN/AVG, MAX, "
                        f"MIN, PRODUCT), got {op!r}")
    if t.dtype.name == "bool":
        raise TypeError(f"{what}: cannot reduce a bool tensor; convert it to an integer dtype "
                        f"first (t.long())")
    if op is ReduceOp.MEAN and not t.dtype.is_floating:
        raise TypeError(f"{what}: ReduceOp.MEAN needs a floating-point tensor, got {t.dtype.name}; "
                        f"use SUM and divide")
    return op


def _assign(t: Tensor, arr: Any) -> None:
    """Give ``t`` the collective's result: an in-place write (the version is bumped)."""
    t._data = arr
    t._version += 1


def _run(raw: Any, finish: Any, async_op: bool) -> Work | None:
    work = Work(raw, finish)
    if async_op:
        return work
    work.wait()
    return None


def _mean(t: Tensor, arr: Any, op: ReduceOp, size: int) -> Any:
    return t.backend.divide(arr, float(size)) if op is ReduceOp.MEAN else arr


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, *,
               async_op: bool = False) -> Work | None:
    """Combine ``tensor`` over all ranks with ``op``; every rank gets the result, in place."""
    tr = _transport("all_reduce")
    _check_tensor("all_reduce", tensor, tr)
    op = _check_op("all_reduce", op, tensor)
    raw = tr.all_reduce(tensor.backend, tensor._data, op)
    return _run(raw, lambda arr: _assign(tensor, _mean(tensor, arr, op, tr.size)), async_op)


def broadcast(tensor: Tensor, src: int = 0, *, async_op: bool = False) -> Work | None:
    """Give every rank ``src``'s values of ``tensor``, in place."""
    tr = _transport("broadcast")
    _check_tensor("broadcast", tensor, tr)
    if isinstance(src, bool) or not isinstance(src, int) or not 0 <= src < tr.size:
        raise ValueError(f"broadcast: src must be a rank in [0, {tr.size}), got {src!r}")
    raw = tr.broadcast(tensor.backend, tensor._data, src)
    return _run(raw, lambda arr: _assign(tensor, arr), async_op)


def _check_list(what: str, tensors: Any, like: Tensor, tr: Any, name: str) -> list[Tensor]:
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{what}: {name} must be a list of world_size={tr.size} tensors, got "
                        f"{type(tensors).__name__}")
    if len(tensors) != tr.size:
        raise ValueError(f"{what}: {name} must hold world_size={tr.size} tensors, got "
                         f"{len(tensors)}")
    for i, t in enumerate(tensors):
        _check_tensor(what, t, tr, f"{name}[{i}]")
        if t.shape != like.shape or t.dtype != like.dtype or t.backend is not like.backend:
            raise ValueError(f"{what}: {name}[{i}] is {t.dtype.name} {t.shape} on "
                             f"{t.backend.name!r}"
                             f"; every tensor must match {like.dtype.name} {like.shape} on "
                             f"{like.backend.name!r}")
    return list(tensors)


def all_gather(tensor_list: list[Tensor], tensor: Tensor, *,
               async_op: bool = False) -> Work | None:
    """Fill ``tensor_list[r]`` with rank ``r``'s ``tensor`` on every rank (PyTorch's order of
    arguments: the outputs first)."""
    tr = _transport("all_gather")
    _check_tensor("all_gather", tensor, tr)
    outs = _check_list("all_gather", tensor_list, tensor, tr, "tensor_list")
    raw = tr.all_gather(tensor.backend, tensor._data)
    b = tensor.backend

    def finish(arr: Any) -> None:
        for r, out in enumerate(outs):
            _assign(out, b.getitem(arr, r))

    return _run(raw, finish, async_op)


def all_gather_into_tensor(output: Tensor, input: Tensor, *,
                           async_op: bool = False) -> Work | None:
    """Concatenate every rank's ``input`` along dim 0 into ``output`` (shape
    ``(world_size * n, ...)`` for an input ``(n, ...)``, or ``(world_size, ...)`` stacked)."""
    tr = _transport("all_gather_into_tensor")
    _check_tensor("all_gather_into_tensor", input, tr, "input")
    _check_tensor("all_gather_into_tensor", output, tr, "output")
    _check_pair("all_gather_into_tensor", big=output, small=input, size=tr.size)
    raw = tr.all_gather(input.backend, input._data)
    b = output.backend
    return _run(raw, lambda arr: _assign(output, b.reshape(arr, output.shape)), async_op)


def _check_pair(what: str, big: Tensor, small: Tensor, size: int) -> None:
    """``big`` must hold ``size`` copies of ``small``'s shape, concatenated or stacked."""
    s = small.shape
    ok_shapes = {(size, *s)} | ({(size * s[0], *s[1:])} if s else set())
    if big.dtype != small.dtype or big.backend is not small.backend or big.shape not in ok_shapes:
        raise ValueError(f"{what}: the tensors are {big.dtype.name} {big.shape} and "
                         f"{small.dtype.name} {small.shape}; the larger must have the same "
                         f"dtype and backend and shape "
                         f"{' or '.join(str(x) for x in sorted(ok_shapes))} (world_size={size})")


def reduce_scatter(output: Tensor, input_list: list[Tensor], op: ReduceOp = ReduceOp.SUM, *,
                   async_op: bool = False) -> Work | None:
    """Reduce ``input_list[r]`` over all ranks with ``op`` and give the result to rank ``r``
    (in ``output``)."""
    tr = _transport("reduce_scatter")
    _check_tensor("reduce_scatter", output, tr, "output")
    ins = _check_list("reduce_scatter", input_list, output, tr, "input_list")
    op = _check_op("reduce_scatter", op, output)
    b = output.backend
    flat = b.concatenate([b.reshape(t._data, (-1,)) for t in ins], 0)
    return _reduce_scatter_flat(tr, output, flat, op, async_op)


def reduce_scatter_tensor(output: Tensor, input: Tensor, op: ReduceOp = ReduceOp.SUM, *,
                          async_op: bool = False) -> Work | None:
    """:func:`reduce_scatter` with the inputs as one tensor: rank ``r`` gets block ``r`` of
    ``input`` along dim 0 (or row ``r`` of a stacked ``(world_size, ...)`` input)."""
    tr = _transport("reduce_scatter_tensor")
    _check_tensor("reduce_scatter_tensor", output, tr, "output")
    _check_tensor("reduce_scatter_tensor", input, tr, "input")
    _check_pair("reduce_scatter_tensor", big=input, small=output, size=tr.size)
    op = _check_op("reduce_scatter_tensor", op, output)
    b = output.backend
    return _reduce_scatter_flat(tr, output, b.reshape(input._data, (-1,)), op, async_op)


def _reduce_scatter_flat(tr: Any, output: Tensor, flat: Any, op: ReduceOp,
                         async_op: bool) -> Work | None:
    raw = tr.reduce_scatter(output.backend, flat, op)
    b = output.backend
    return _run(raw, lambda arr: _assign(
        output, _mean(output, b.reshape(arr, output.shape), op, tr.size)), async_op)
