"""``SyncBatchNorm``: batch normalisation whose batch statistics span every rank.

With DistributedDataParallel each rank sees only its share of the batch, so plain BatchNorm
normalises with per-rank statistics and B-sized batches behave differently from one process
with the whole batch. SyncBatchNorm gathers each rank's per-channel count, mean and centred
sum of squares (one ``all_gather``; combined with the parallel-variance formula, which keeps
float32 precise) and normalises with the statistics of the global batch. Its backward
all-reduces the two per-channel sums the input gradient needs, so the gradients are those
of the global batch too. Parameter gradients stay per rank; DDP averages them.

Synchronisation happens in training mode while a process group is initialised (a world of
one included); otherwise it is exactly BatchNorm.
"""

from __future__ import annotations

from typing import Any

from .. import distributed as dist
from .._tensor import Tensor
from ..autograd import Function
from ..autograd.engine import Node
from .functional._args import check_float_input
from .functional.normalization import _RunningStats
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d, _BatchNorm


def _channel_shape(ndim: int, c: int) -> tuple[int, ...]:
    return (1, c) + (1,) * (ndim - 2)


class _SyncBatchNormFunction(Function):
    """Batch statistics over all ranks; the backward's reductions over all ranks too."""

    @staticmethod
    def forward(ctx: Node, x: Any, gamma: Any, beta: Any, eps: float,
                running: _RunningStats | None) -> Any:
        b = ctx.backend
        shape = tuple(b.shape(x))
        c = shape[1]
        axes = (0, *range(2, len(shape)))
        count = 1
        for i in axes:
            count *= shape[i]
        local_mean = b.mean(x, axes, True)
        centred = b.subtract(x, local_mean)
        local_m2 = b.sum(b.multiply(centred, centred), axes, False)
        dtype = b.dtype_of(x)
        local = b.concatenate([b.full((1,), float(count), dtype), b.reshape(local_mean, (c,)),
                               local_m2], 0)
        world = dist.get_world_size()
        gathered = Tensor._wrap(b.zeros((world, 2 * c + 1), dtype), b)
        dist.all_gather_into_tensor(gathered, Tensor._wrap(local, b))
        stats = gathered._data
        counts = b.getitem(stats, (slice(None), slice(0, 1)))            # (W, 1)
        means = b.getitem(stats, (slice(None), slice(1, c + 1)))         # (W, C)
        m2s = b.getitem(stats, (slice(None), slice(c + 1, 2 * c + 1)))   # (W, C)
        total = float(b.item(b.sum(counts, None, False)))
        if total <= 1:
            raise ValueError(f"SyncBatchNorm: expected more than 1 value per channel over all "
                             f"ranks when training, got {int(total)} (input size {shape})")
        mean = b.divide(b.sum(b.multiply(counts, means), (0,), False), total)
        spread = b.subtract(means, b.reshape(mean, (1, c)))
        m2 = b.sum(b.add(m2s, b.multiply(counts, b.multiply(spread, spread))), (0,), False)
        var = b.divide(m2, total)
        invstd = b.divide(1.0, b.sqrt(b.add(var, eps)))
        if running is not None:
            running.update(b, mean, invstd, eps, int(total))
        cs = _channel_shape(len(shape), c)
        xhat = b.multiply(b.subtract(x, b.reshape(mean, cs)), b.reshape(invstd, cs))
        y = xhat if gamma is None else b.multiply(xhat, b.reshape(gamma, cs))
        if beta is not None:
            y = b.add(y, b.reshape(beta, cs))
        ctx.save_for_backward(x, gamma, mean, invstd)
        ctx.total = total
        return y

    @staticmethod
    def backward(ctx: Node, g: Any) -> tuple[Any, ...]:
        x, gamma, mean, invstd = ctx.saved_tensors
        b = ctx.backend
        shape = tuple(b.shape(x))
        c = shape[1]
        axes = (0, *range(2, len(shape)))
        cs = _channel_shape(len(shape), c)
        xhat = b.multiply(b.subtract(x, b.reshape(mean, cs)), b.reshape(invstd, cs))
        sum_dy = b.sum(g, axes, False)
        sum_dy_xhat = b.sum(b.multiply(g, xhat), axes, False)
        both = Tensor._wrap(b.concatenate([sum_dy, sum_dy_xhat], 0), b)
        dist.all_reduce(both, dist.ReduceOp.SUM)
        mean_dy = b.divide(b.getitem(both._data, slice(0, c)), ctx.total)
        mean_dy_xhat = b.divide(b.getitem(both._data, slice(c, 2 * c)), ctx.total)
        scale = invstd if gamma is None else b.multiply(invstd, gamma)
        gx = b.multiply(b.subtract(b.subtract(g, b.reshape(mean_dy, cs)),
                                   b.multiply(xhat, b.reshape(mean_dy_xhat, cs))),
                        b.reshape(scale, cs))
        ggamma = None if gamma is None else sum_dy_xhat
        gbeta = sum_dy if ctx.needs_input_grad[2] else None
        return gx, ggamma, gbeta, None, None


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation over (N, C, ...) input with statistics synchronised across the
    process group in training (PyTorch's ``nn.SyncBatchNorm``)."""

    _expected_ndims = (2, 3, 4, 5)

    def forward(self, x: Tensor) -> Tensor:
        """Global-batch statistics while training under a process group; else BatchNorm."""
        if not (self.training and dist.is_initialized()):
            return super().forward(x)
        check_float_input("SyncBatchNorm", x, weight=self.weight, bias=self.bias,
                          running_mean=self.running_mean, running_var=self.running_var)
        if x.ndim not in self._expected_ndims:
            raise ValueError(f"SyncBatchNorm expects a 2-D to 5-D input (N, C, ...), got shape "
                             f"{x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"SyncBatchNorm: input has {x.shape[1]} channels, expected "
                             f"{self.num_features}")
        momentum = self._count_batch()
        running = None
        if self.track_running_stats:
            running = _RunningStats(self.running_mean, self.running_var, momentum)
        return _SyncBatchNormFunction.apply(x, self.weight, self.bias, self.eps, running)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Any = None) -> Module:
        """Return ``module`` with every BatchNorm1d/BatchNorm2d replaced by a SyncBatchNorm
        that shares its parameters and running statistics (PyTorch's helper of this name).
        ``process_group`` must be None: lucid has one group."""
        if process_group is not None:
            raise ValueError("convert_sync_batchnorm: lucid has one process group; pass "
                             "process_group=None")
        if not isinstance(module, Module):
            raise TypeError(f"convert_sync_batchnorm: module must be a lucid.nn.Module, got "
                            f"{type(module).__name__}")
        out: Any = module
        if isinstance(module, (BatchNorm1d, BatchNorm2d)) and not isinstance(module, cls):
            bn: Any = module
            out = cls(module.num_features, module.eps, module.momentum, module.affine,
                      module.track_running_stats)
            if module.affine:
                out.weight = module.weight
                out.bias = module.bias
            if module.track_running_stats:
                out.running_mean = bn.running_mean
                out.running_var = bn.running_var
                out.num_batches_tracked = bn.num_batches_tracked
            out.train(module.training)
        for name, child in list(module._modules.items()):
            if child is not None:
                out.add_module(name, cls.convert_sync_batchnorm(child))
        return out
