"""lucid.distributed across processes. Run by the ``distributed`` nox session as

    mpiexec -n 2 python -m pytest -q -p no:cacheprovider tests/distributed/test_multiprocess.py

and skipped in any run without such a launcher. Every rank runs every test in the same order.
Expected values come from NumPy on the inputs every rank can rebuild (rank r's input is a
known function of r), and DDP is checked against one process training on the whole batch.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import lucid
import lucid.distributed as dist
import lucid.nn as nn
from lucid.distributed import ReduceOp, process_group
from lucid.nn.parallel import DistributedDataParallel as DDP

pytestmark = pytest.mark.mpi


@pytest.fixture(scope="module", autouse=True)
def world() -> Iterator[None]:
    pytest.importorskip("mpi4py")
    dist.init_process_group("mpi", timeout=60)  # a stuck collective fails, never hangs
    yield
    dist.destroy_process_group()


def rank_input(r: int, dtype: Any = np.float32) -> np.ndarray:
    return ((np.arange(6).reshape(2, 3) - 2) * (r + 1) + r).astype(dtype)


def everyone(dtype: Any = np.float32) -> np.ndarray:
    return np.stack([rank_input(r, dtype) for r in range(dist.get_world_size())])


def test_ranks_and_the_abort_hook() -> None:
    assert dist.get_world_size() >= 2 and 0 <= dist.get_rank() < dist.get_world_size()
    assert sys.excepthook is process_group._abort_on_uncaught_exception
    dist.barrier()


@pytest.mark.parametrize("op, reduce", [
    (ReduceOp.SUM, np.sum), (ReduceOp.MEAN, np.mean), (ReduceOp.MAX, np.max),
    (ReduceOp.MIN, np.min), (ReduceOp.PRODUCT, np.prod)])
def test_all_reduce(op: ReduceOp, reduce: Any) -> None:
    t = lucid.tensor(rank_input(dist.get_rank()))
    dist.all_reduce(t, op)
    np.testing.assert_allclose(t.numpy(), reduce(everyone(), axis=0), rtol=1e-6)
    assert t.dtype == lucid.float32


def test_all_reduce_of_integers_and_halves() -> None:
    r = dist.get_rank()
    i = lucid.tensor(rank_input(r, np.int64))
    dist.all_reduce(i, ReduceOp.MAX)
    np.testing.assert_array_equal(i.numpy(), everyone(np.int64).max(0))
    h = lucid.tensor(rank_input(r, np.float16))
    dist.all_reduce(h)
    assert h.dtype == lucid.float16
    np.testing.assert_allclose(h.numpy(), everyone(np.float32).sum(0), rtol=1e-3)


def test_broadcast_from_the_last_rank() -> None:
    src = dist.get_world_size() - 1
    t = lucid.tensor(rank_input(dist.get_rank()))
    dist.broadcast(t, src=src)
    np.testing.assert_array_equal(t.numpy(), rank_input(src))


def test_all_gather() -> None:
    w = dist.get_world_size()
    outs = [lucid.zeros(2, 3) for _ in range(w)]
    dist.all_gather(outs, lucid.tensor(rank_input(dist.get_rank())))
    for r in range(w):
        np.testing.assert_array_equal(outs[r].numpy(), rank_input(r))
    cat = lucid.zeros(2 * w, 3)
    dist.all_gather_into_tensor(cat, lucid.tensor(rank_input(dist.get_rank())))
    np.testing.assert_array_equal(cat.numpy(), np.concatenate(list(everyone())))


def test_reduce_scatter() -> None:
    """Rank r sends input_list[k] = rank_input(r) * (k + 1); rank k gets their sum."""
    w, r = dist.get_world_size(), dist.get_rank()
    out = lucid.zeros(2, 3)
    dist.reduce_scatter(out, [lucid.tensor(rank_input(r) * (k + 1)) for k in range(w)])
    np.testing.assert_allclose(out.numpy(), everyone().sum(0) * (r + 1))
    flat = lucid.tensor(np.concatenate([rank_input(r) * (k + 1) for k in range(w)]))
    out2 = lucid.zeros(2, 3)
    dist.reduce_scatter_tensor(out2, flat, ReduceOp.MAX)
    np.testing.assert_allclose(out2.numpy(), everyone().max(0) * (r + 1))


def test_async_collectives_overlap_and_finish_in_order() -> None:
    r = dist.get_rank()
    a, b = lucid.tensor(rank_input(r)), lucid.tensor(rank_input(r) * 2)
    works = [dist.all_reduce(a, async_op=True), dist.all_reduce(b, ReduceOp.MAX, async_op=True)]
    for work in reversed(works):
        assert work is not None and work.wait()
    np.testing.assert_allclose(a.numpy(), everyone().sum(0))
    np.testing.assert_allclose(b.numpy(), everyone().max(0) * 2)


# ------------------------------------------------------------------------------ DDP
B, K = 3, 3


def convnet(seed: int, bn: bool = False) -> nn.Module:
    lucid.manual_seed(seed)
    layers: list[nn.Module] = [nn.Conv2d(2, 4, 3, padding=1)]
    if bn:
        layers.append(nn.BatchNorm2d(4))
    layers += [nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 2)]
    return nn.Sequential(*layers)


def batch(step: int) -> tuple[np.ndarray, np.ndarray]:
    """The global batch of a step: 2B... (world_size * B) samples, rank r owns rows r*B.."""
    rng = np.random.default_rng(100 + step)
    n = B * dist.get_world_size()
    return (rng.standard_normal((n, 2, 4, 4)).astype(np.float32),
            rng.standard_normal((n, 2)).astype(np.float32))


def mine(a: np.ndarray) -> np.ndarray:
    r = dist.get_rank()
    return a[r * B:(r + 1) * B]


def loss_of(model: Any, x: np.ndarray, y: np.ndarray) -> lucid.Tensor:
    return ((model(lucid.tensor(x)) - lucid.tensor(y)) ** 2).mean()


def state(m: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}


def assert_same_on_every_rank(m: nn.Module) -> None:
    for name, value in state(m).items():
        t = lucid.tensor(value.astype(np.float64))
        gathered = [lucid.zeros(*value.shape, dtype="float64")
                    for _ in range(dist.get_world_size())]
        dist.all_gather(gathered, t)
        for g in gathered[1:]:
            np.testing.assert_array_equal(g.numpy(), gathered[0].numpy(), err_msg=name)


def train_both(bn: bool, sync: bool) -> tuple[nn.Module, nn.Module]:
    """K SGD+momentum steps: DDP with B samples per rank, and one model on all of them."""
    reference = convnet(10, bn)  # rank 0's initial weights, which DDP broadcasts
    local = convnet(10 + dist.get_rank(), bn)
    if sync:
        local = nn.SyncBatchNorm.convert_sync_batchnorm(local)
    ddp = DDP(local, bucket_cap_mb=0.001)  # several buckets
    for name, value in state(reference).items():
        np.testing.assert_array_equal(state(local)[name], value, err_msg=name)
    opts = [lucid.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)
            for m in (reference, local)]
    for step in range(K):
        x, y = batch(step)
        for model, opt, (xs, ys) in ((reference, opts[0], (x, y)),
                                     (ddp, opts[1], (mine(x), mine(y)))):
            opt.zero_grad()
            loss_of(model, xs, ys).backward()
            opt.step()
    return reference, local


def assert_states_close(a: nn.Module, b: nn.Module) -> None:
    sa, sb = state(a), state(b)
    assert sa.keys() == sb.keys()
    for name in sa:
        np.testing.assert_allclose(sb[name], sa[name], rtol=2e-5, atol=2e-6, err_msg=name)


def test_ddp_matches_one_process_with_the_whole_batch() -> None:
    reference, local = train_both(bn=False, sync=False)
    assert_states_close(reference, local)
    assert_same_on_every_rank(local)


def test_sync_batchnorm_ddp_matches_batchnorm_on_the_whole_batch() -> None:
    reference, local = train_both(bn=True, sync=True)
    assert_states_close(reference, local)  # weights and running statistics
    assert_same_on_every_rank(local)


def test_plain_batchnorm_does_not_match_so_the_comparison_has_teeth() -> None:
    reference, local = train_both(bn=True, sync=False)
    with pytest.raises(AssertionError):
        assert_states_close(reference, local)


def test_sync_batchnorm_values_and_gradients() -> None:
    """One step, looked at closely: outputs are the whole-batch outputs' rows; the input
    gradient is world_size times the whole-batch one (each rank's loss is a mean over B,
    the reference's over world_size * B); parameter gradients equal after averaging."""
    w = dist.get_world_size()
    reference = convnet(10, bn=True)
    local = DDP(nn.SyncBatchNorm.convert_sync_batchnorm(convnet(10, bn=True)))
    x, y = batch(7)
    xr = lucid.tensor(x, requires_grad=True)
    xl = lucid.tensor(mine(x), requires_grad=True)
    out_r, out_l = reference(xr), local(xl)
    np.testing.assert_allclose(out_l.detach().numpy(), mine(out_r.detach().numpy()),
                               rtol=1e-5, atol=1e-5)
    ((out_r - lucid.tensor(y)) ** 2).mean().backward()
    ((out_l - lucid.tensor(mine(y))) ** 2).mean().backward()
    np.testing.assert_allclose(xl.grad.numpy(), w * mine(xr.grad.numpy()), rtol=1e-4,
                               atol=1e-6)
    for (name, p), q in zip(reference.named_parameters(), local.module.parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=name)


def test_no_sync_accumulation_matches_accumulating_the_whole_batch() -> None:
    reference = convnet(10)
    local = convnet(10)
    ddp = DDP(local)
    (x1, y1), (x2, y2) = batch(1), batch(2)
    with ddp.no_sync():
        loss_of(ddp, mine(x1), mine(y1)).backward()
    # no communication yet: each rank holds the gradient of its own data only
    local_grad = lucid.tensor(local[0].weight.grad.numpy().astype(np.float64))
    gathered = [lucid.zeros(*local_grad.shape, dtype="float64")
                for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, local_grad)
    assert not np.allclose(gathered[0].numpy(), gathered[1].numpy())
    loss_of(ddp, mine(x2), mine(y2)).backward()
    loss_of(reference, x1, y1).backward()
    loss_of(reference, x2, y2).backward()
    for (name, p), q in zip(reference.named_parameters(), local.parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=name)


class Branchy(nn.Module):
    """Rank 0 uses both heads, the other ranks only the first."""

    def __init__(self) -> None:
        super().__init__()
        lucid.manual_seed(3)
        self.a = nn.Linear(3, 2)
        self.b = nn.Linear(3, 2)

    def forward(self, x: lucid.Tensor) -> lucid.Tensor:
        out = self.a(x)
        return out + self.b(x) if dist.get_rank() == 0 else out


def test_find_unused_parameters_averages_a_gradient_only_one_rank_has() -> None:
    model = Branchy()
    ddp = DDP(model, find_unused_parameters=True, bucket_cap_mb=1e-6)
    x = lucid.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    ddp(x).sum().backward()
    # rank 0's gradient of b.weight is the column sums of x for each output; others have 0
    expected = np.tile(x.numpy().sum(0), (2, 1)) / dist.get_world_size()
    np.testing.assert_allclose(model.b.weight.grad.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(model.a.bias.grad.numpy(), [2.0, 2.0])


def test_bucket_reduces_start_during_backward_on_two_ranks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    model = convnet(10)
    events: list[str] = []
    first_weight = model[0].weight  # the first layer's: the last gradient backward computes
    first_weight.register_hook(lambda g: events.append("last gradient"))
    ddp = DDP(model, bucket_cap_mb=1e-6)
    real = dist.all_reduce

    def recording(*args: Any, **kwargs: Any) -> Any:
        events.append("reduce started")
        return real(*args, **kwargs)

    monkeypatch.setattr(dist, "all_reduce", recording)
    x, y = batch(0)
    loss_of(ddp, mine(x), mine(y)).backward()
    assert events.index("reduce started") < events.index("last gradient"), events
    assert events.count("reduce started") == len(ddp._buckets) == 4
