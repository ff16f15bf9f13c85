"""``DistributedDataParallel``: one model replica per process, gradients averaged over ranks.

How it works (PyTorch's design, on lucid's autograd):

* At construction, rank 0's parameters and buffers are broadcast so every replica starts
  equal; with ``broadcast_buffers`` rank 0's buffers are broadcast again before each forward.
* The trainable parameters are grouped into buckets of about ``bucket_cap_mb`` megabytes, in
  reverse registration order (roughly the order backward produces their gradients).
* A hook on each parameter (``Tensor.register_hook``, which sees the complete gradient of a
  leaf) files its gradient into the bucket. When a bucket is full its gradients are copied
  into one flat buffer and its all-reduce is *started* (``async_op=True``: MPI
  ``Iallreduce`` or an NCCL allReduce on the communication stream) while backward goes on
  computing earlier layers' gradients: communication overlaps computation. Buckets are
  started strictly in order, so every rank issues the same collectives in the same order,
  and each later hook tests the reduces in flight, which is when MPI moves their data.
* A callback queued with the engine (``lucid.autograd.engine.queue_callback``) runs when the
  backward pass ends: it waits for every bucket and writes the averaged gradients (sum /
  world size) into ``.grad`` before ``backward()`` returns.

``no_sync()`` skips all of this: gradients accumulate locally, and the first backward after
it reduces the accumulated ``.grad`` (PyTorch's semantics for gradient accumulation).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ... import distributed as dist
from ..._tensor import Tensor
from ...autograd.engine import queue_callback
from ...autograd.grad_mode import is_grad_enabled
from ..module import Module, Parameter

_MB = 1024 * 1024


class _Bucket:
    """Parameters whose gradients are all-reduced together, as one flat buffer."""

    def __init__(self, params: list[tuple[str, Parameter]]) -> None:
        self.names = [n for n, _ in params]
        self.params = [p for _, p in params]
        self.backend = self.params[0].backend
        self.sizes = [p.numel() for p in self.params]
        self.shapes = [p.shape for p in self.params]
        self.reset()

    def reset(self) -> None:
        self.grads: list[Any] = [None] * len(self.params)
        self.pending = len(self.params)
        self.flat: Tensor | None = None
        self.work: dist.Work | None = None

    def nbytes(self) -> int:
        return sum(p.numel() * p.dtype.itemsize for p in self.params)


def _coalesced_broadcast(tensors: list[Tensor]) -> None:
    """Broadcast ``tensors`` from rank 0 with one collective per (backend, dtype) group."""
    groups: dict[tuple[int, str], list[Tensor]] = {}
    for t in tensors:
        groups.setdefault((id(t.backend), t.dtype.name), []).append(t)
    for group in groups.values():
        b = group[0].backend
        flat = Tensor._wrap(b.concatenate([b.reshape(t._data, (-1,)) for t in group], 0), b)
        dist.broadcast(flat, 0)
        offset = 0
        for t in group:
            n = t.numel()
            t._data = b.reshape(b.getitem(flat._data, slice(offset, offset + n)), t.shape)
            t._version += 1
            offset += n


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training over the initialised process group.

    Call it like the module; ``.module`` is the wrapped model and ``state_dict()`` has
    ``module.``-prefixed keys, as in PyTorch. Every rank must build the same model.

    ``bucket_cap_mb``: the size of a gradient bucket (smaller: reduces start earlier and
    overlap more; larger: fewer, bigger messages). ``find_unused_parameters``: a parameter
    that got no gradient in a backward pass counts as a zero gradient; without it, such a
    parameter makes the next forward raise (its gradient could not be averaged, so the
    replicas would drift apart).
    """

    def __init__(self, module: Module, *, bucket_cap_mb: float = 25,
                 broadcast_buffers: bool = True, find_unused_parameters: bool = False) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be a lucid.nn.Module, got "
                            f"{type(module).__name__}")
        if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, (int, float)) \
                or not bucket_cap_mb > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be a positive "
                             f"number, got {bucket_cap_mb!r}")
        if not dist.is_initialized():
            raise RuntimeError("DistributedDataParallel: the process group is not initialised; "
                               "call lucid.distributed.init_process_group() first")
        self.module = module
        self.bucket_cap_mb = bucket_cap_mb
        self.broadcast_buffers = bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.require_backward_grad_sync = True
        self._expect_sync = False      # the backward of the last forward reduces gradients
        self._callback_queued = False
        self._next_bucket = 0          # buckets are started in this order on every rank
        self._unreduced: list[str] = []
        _coalesced_broadcast([*module.parameters(), *module.buffers()])
        trainable = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        self._buckets = self._make_buckets(trainable, int(bucket_cap_mb * _MB))
        self._hook_handles = [p.register_hook(self._make_hook(i, j))
                              for i, bucket in enumerate(self._buckets)
                              for j, p in enumerate(bucket.params)]

    @staticmethod
    def _make_buckets(params: list[tuple[str, Parameter]], cap: int) -> list[_Bucket]:
        """Reverse registration order; a new bucket when the cap is reached or the dtype or
        backend changes (one flat buffer holds one dtype)."""
        buckets: list[list[tuple[str, Parameter]]] = []
        size = 0
        for name, p in reversed(params):
            nbytes = p.numel() * p.dtype.itemsize
            if buckets:
                last = buckets[-1][-1][1]
                same_kind = last.dtype == p.dtype and last.backend is p.backend
                if same_kind and size + nbytes <= cap:
                    buckets[-1].append((name, p))
                    size += nbytes
                    continue
            buckets.append([(name, p)])
            size = nbytes
        return [_Bucket(b) for b in buckets]

    # ------------------------------------------------------------------ forward
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Run the wrapped module, after syncing buffers and arming the gradient hooks."""
        if self._unreduced:
            raise RuntimeError(
                "DistributedDataParallel: expected to have finished reduction in the prior "
                "iteration before starting a new one. The module has parameters that did not "
                "receive a gradient in the last backward pass, so their gradients could not be "
                "averaged and the replicas may now differ. Make sure every parameter takes "
                "part in computing the loss, or pass find_unused_parameters=True to "
                "DistributedDataParallel. Parameters that got no gradient: "
                + ", ".join(self._unreduced))
        sync = is_grad_enabled() and self.require_backward_grad_sync
        if sync and self.broadcast_buffers and dist.get_world_size() > 1:
            buffers = list(self.module.buffers())
            if buffers:
                _coalesced_broadcast(buffers)
        for bucket in self._buckets:
            bucket.reset()
        self._next_bucket = 0
        self._callback_queued = False
        self._expect_sync = sync
        return self.module(*args, **kwargs)

    @contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside, backward accumulates gradients locally without communication; the first
        backward after it reduces the accumulated gradients."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    # ------------------------------------------------------------------ backward
    def _make_hook(self, bucket_index: int, slot: int) -> Any:
        def ddp_grad_ready(grad: Tensor) -> None:
            if self._expect_sync:
                self._mark_ready(bucket_index, slot, grad._data)

        return ddp_grad_ready

    def _mark_ready(self, bucket_index: int, slot: int, g: Any) -> None:
        bucket = self._buckets[bucket_index]
        p = bucket.params[slot]
        if bucket.grads[slot] is not None:
            raise RuntimeError(f"DistributedDataParallel: parameter {bucket.names[slot]!r} got "
                               f"its gradient twice after one forward; run forward again "
                               f"before each backward")
        if not self._callback_queued:
            queue_callback(self._finish_backward)
            self._callback_queued = True
        # the engine adds g to .grad after this hook: reduce what .grad will then hold
        bucket.grads[slot] = g if p.grad is None else bucket.backend.add(p.grad._data, g)
        bucket.pending -= 1
        self._start_ready_buckets()
        self._progress()

    def _progress(self) -> None:
        """Test the in-flight reduces: most MPI libraries move a non-blocking collective's
        data only inside MPI calls, so without this the transfer would wait for the end of
        backward instead of overlapping it (NCCL progresses on its own; testing is cheap)."""
        for bucket in self._buckets[:self._next_bucket]:
            if bucket.work is not None and not bucket.work.is_completed():
                break  # later buckets were started after this one: test them next time

    def _start_ready_buckets(self) -> None:
        while self._next_bucket < len(self._buckets) \
                and self._buckets[self._next_bucket].pending == 0:
            self._start(self._buckets[self._next_bucket])
            self._next_bucket += 1

    def _start(self, bucket: _Bucket) -> None:
        b = bucket.backend
        flat = b.concatenate([b.reshape(g, (-1,)) for g in bucket.grads], 0)
        bucket.flat = Tensor._wrap(flat, b)
        bucket.work = dist.all_reduce(bucket.flat, dist.ReduceOp.MEAN, async_op=True)

    def _finish_backward(self) -> None:
        """End of backward: start what is left, wait, write the averaged gradients."""
        self._expect_sync = False
        self._callback_queued = False
        rest = self._buckets[self._next_bucket:]
        missing = [n for bucket in rest for n, g in zip(bucket.names, bucket.grads) if g is None]
        if missing and self.find_unused_parameters:
            for bucket in rest:
                b = bucket.backend
                for j, p in enumerate(bucket.params):
                    if bucket.grads[j] is None:
                        bucket.grads[j] = p.grad._data if p.grad is not None \
                            else b.zeros(tuple(p.shape), p.dtype)
                bucket.pending = 0
            self._start_ready_buckets()
        elif missing:
            self._unreduced = missing
        for bucket in self._buckets:
            if bucket.work is None:
                continue
            bucket.work.wait()
            assert bucket.flat is not None
            b, flat, offset = bucket.backend, bucket.flat._data, 0
            for p, n, shape in zip(bucket.params, bucket.sizes, bucket.shapes):
                p.grad = Tensor._wrap(b.reshape(b.getitem(flat, slice(offset, offset + n)),
                                                shape), b)
                offset += n
            bucket.reset()

    def extra_repr(self) -> str:
        return (f"world_size={dist.get_world_size()}, buckets={len(self._buckets)}, "
                f"bucket_cap_mb={self.bucket_cap_mb}, "
                f"find_unused_parameters={self.find_unused_parameters}")
