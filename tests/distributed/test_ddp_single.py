"""DistributedDataParallel and SyncBatchNorm in a world of one (needs mpi4py): API, bucket
order, overlap of the reduces with backward, no_sync, unused parameters, and SyncBatchNorm
against BatchNorm. The two-rank comparisons are in test_multiprocess.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import lucid
import lucid.distributed as dist
import lucid.nn as nn
from lucid.nn.parallel import DistributedDataParallel as DDP


def mlp(seed: int = 0) -> nn.Module:
    lucid.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(),
                         nn.Linear(8, 2))


def data(n: int = 6, seed: int = 1) -> tuple[lucid.Tensor, lucid.Tensor]:
    rng = np.random.default_rng(seed)
    return (lucid.tensor(rng.standard_normal((n, 4)).astype(np.float32)),
            lucid.tensor(rng.standard_normal((n, 2)).astype(np.float32)))


def mse(model: Callable[[Any], Any], x: lucid.Tensor, y: lucid.Tensor) -> lucid.Tensor:
    return ((model(x) - y) ** 2).mean()


def params(m: nn.Module) -> dict[str, np.ndarray]:
    return {n: p.detach().numpy().copy() for n, p in m.named_parameters()}


def test_ddp_needs_a_group_and_valid_arguments() -> None:
    with pytest.raises(RuntimeError, match="init_process_group"):
        DDP(mlp())


def test_ddp_argument_errors(group: None) -> None:
    with pytest.raises(TypeError, match="module must be a lucid.nn.Module, got list"):
        DDP([])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="bucket_cap_mb must be a positive number"):
        DDP(mlp(), bucket_cap_mb=0)


def test_module_and_state_dict_prefix(group: None) -> None:
    inner = mlp()
    ddp = DDP(inner)
    assert ddp.module is inner
    assert list(ddp.state_dict()) == [f"module.{k}" for k in inner.state_dict()]


def test_buckets_hold_parameters_in_reverse_registration_order(group: None) -> None:
    names = [n for n, _ in mlp().named_parameters()]
    one = DDP(mlp())
    assert [b.names for b in one._buckets] == [names[::-1]]
    tiny = DDP(mlp(), bucket_cap_mb=1e-6)  # every parameter in its own bucket
    assert [b.names for b in tiny._buckets] == [[n] for n in names[::-1]]
    # float32 bytes: 4.bias 8, 4.weight 64, 2.bias 32, 2.weight 256, 0.bias 32, 0.weight 128
    capped = DDP(mlp(), bucket_cap_mb=300 / 2**20)
    assert [b.names for b in capped._buckets] == [["4.bias", "4.weight", "2.bias"],
                                                  ["2.weight", "0.bias"], ["0.weight"]]


def test_the_first_bucket_is_reduced_before_the_last_gradient_exists(
        group: None, monkeypatch: pytest.MonkeyPatch) -> None:
    model = mlp()
    events: list[tuple[str, str]] = []
    for name, p in model.named_parameters():  # registered before DDP's: they run first
        p.register_hook(lambda g, name=name: events.append(("grad", name)))
    ddp = DDP(model, bucket_cap_mb=1e-6)
    real = dist.all_reduce

    def recording(tensor: lucid.Tensor, op: Any = dist.ReduceOp.SUM, *,
                  async_op: bool = False) -> Any:
        events.append(("reduce", "async" if async_op else "blocking"))
        return real(tensor, op, async_op=async_op)

    monkeypatch.setattr(dist, "all_reduce", recording)
    mse(ddp, *data()).backward()
    first_reduce = events.index(("reduce", "async"))
    last_grad = max(i for i, e in enumerate(events) if e[0] == "grad")
    assert first_reduce < last_grad, events
    assert events.count(("reduce", "async")) == len(ddp._buckets) == 6
    assert ("reduce", "blocking") not in events
    assert all(p.grad is not None for p in model.parameters())  # finished before return


def test_a_world_of_one_trains_exactly_like_the_plain_model(group: None) -> None:
    plain, wrapped = mlp(), mlp()
    ddp = DDP(wrapped, bucket_cap_mb=1e-4)
    opts = [lucid.optim.SGD(m.parameters(), lr=0.1, momentum=0.9) for m in (plain, wrapped)]
    for step in range(3):
        x, y = data(seed=step)
        for model, opt in zip((plain, ddp), opts):
            opt.zero_grad()
            mse(model, x, y).backward()
            opt.step()
    for name, value in params(plain).items():
        np.testing.assert_allclose(params(wrapped)[name], value, rtol=1e-6, atol=1e-7)


def test_no_sync_accumulates_locally_and_the_next_backward_reduces_the_sum(
        group: None, monkeypatch: pytest.MonkeyPatch) -> None:
    plain, wrapped = mlp(), mlp()
    ddp = DDP(wrapped)
    calls: list[int] = []
    real = dist.all_reduce
    monkeypatch.setattr(dist, "all_reduce", lambda *a, **k: calls.append(1) or real(*a, **k))
    (x1, y1), (x2, y2) = data(seed=1), data(seed=2)
    with ddp.no_sync():
        mse(ddp, x1, y1).backward()
    assert calls == []  # no communication inside no_sync
    mse(ddp, x2, y2).backward()
    assert len(calls) == len(ddp._buckets)
    mse(plain, x1, y1).backward()
    mse(plain, x2, y2).backward()
    for (name, p), q in zip(plain.named_parameters(), wrapped.parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-6, atol=1e-7,
                                   err_msg=name)


class TwoHeads(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.used = nn.Linear(3, 2)
        self.unused = nn.Linear(3, 2)

    def forward(self, x: lucid.Tensor) -> lucid.Tensor:
        return self.used(x)


def test_an_unused_parameter_makes_the_next_forward_raise(group: None) -> None:
    ddp = DDP(TwoHeads())
    x = lucid.ones(2, 3)
    ddp(x).sum().backward()
    with pytest.raises(RuntimeError, match=r"find_unused_parameters=True.*unused\.(weight|bias)"):
        ddp(x)


def test_find_unused_parameters_treats_them_as_zero(group: None) -> None:
    model = TwoHeads()
    ddp = DDP(model, find_unused_parameters=True)
    x = lucid.ones(2, 3)
    for _ in range(2):
        ddp(x).sum().backward()
    assert model.unused.weight.grad is not None
    assert not model.unused.weight.grad.numpy().any()
    np.testing.assert_allclose(model.used.bias.grad.numpy(), [4.0, 4.0])  # 2 passes x 2 rows


# ------------------------------------------------------------------- SyncBatchNorm
def _bn_pair(cls: type, n: int, **kw: Any) -> tuple[nn.Module, nn.Module]:
    ref, sync = cls(n, **kw), nn.SyncBatchNorm(n, **kw)
    if kw.get("affine", True):
        weight = np.random.default_rng(5).uniform(0.5, 1.5, n).astype(np.float32)
        bias = np.linspace(-1, 1, n, dtype=np.float32)
        for m in (ref, sync):
            m.load_state_dict({**m.state_dict(), "weight": lucid.tensor(weight),
                               "bias": lucid.tensor(bias)})
    return ref, sync


@pytest.mark.parametrize("cls, shape, kw", [
    (nn.BatchNorm2d, (4, 3, 5, 5), {}),
    (nn.BatchNorm1d, (6, 3, 7), {"momentum": None}),
    (nn.BatchNorm1d, (8, 3), {"affine": False}),
])
def test_sync_batchnorm_of_one_rank_matches_batchnorm(group: None, cls: type,
                                                      shape: tuple[int, ...],
                                                      kw: dict[str, Any]) -> None:
    ref, sync = _bn_pair(cls, 3, **kw)
    rng = np.random.default_rng(0)
    for _ in range(2):
        x_np = (rng.standard_normal(shape) * 3 + 2).astype(np.float32)
        g_np = rng.standard_normal(shape).astype(np.float32)
        xs = [lucid.tensor(x_np, requires_grad=True) for _ in range(2)]
        outs = [m(x) for m, x in zip((ref, sync), xs)]
        for out in outs:
            out.backward(lucid.tensor(g_np))
        np.testing.assert_allclose(outs[1].detach().numpy(), outs[0].detach().numpy(),
                                   rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(xs[1].grad.numpy(), xs[0].grad.numpy(), rtol=1e-4,
                                   atol=1e-5)
    if kw.get("affine", True):
        for name in ("weight", "bias"):
            np.testing.assert_allclose(getattr(sync, name).grad.numpy(),
                                       getattr(ref, name).grad.numpy(), rtol=1e-4, atol=1e-4)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(sync, name).numpy(), getattr(ref, name).numpy(),
                                   rtol=1e-5, atol=1e-6)
    assert sync.num_batches_tracked.item() == 2
    ref.eval(), sync.eval()
    x = lucid.tensor(rng.standard_normal(shape).astype(np.float32))
    np.testing.assert_allclose(sync(x).numpy(), ref(x).numpy(), rtol=1e-5, atol=1e-6)


def test_sync_batchnorm_without_a_group_is_batchnorm() -> None:
    ref, sync = _bn_pair(nn.BatchNorm2d, 2)
    x = lucid.tensor(np.random.default_rng(3).standard_normal((3, 2, 4, 4)).astype(np.float32))
    np.testing.assert_allclose(sync(x).detach().numpy(), ref(x).detach().numpy(), rtol=1e-6)


def test_sync_batchnorm_input_errors(group: None) -> None:
    bn = nn.SyncBatchNorm(3)
    with pytest.raises(ValueError, match="2-D to 5-D input"):
        bn(lucid.ones(3))
    with pytest.raises(ValueError, match="input has 4 channels, expected 3"):
        bn(lucid.ones(2, 4))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(lucid.ones(1, 3))
    with pytest.raises(TypeError, match="floating"):
        bn(lucid.ones(2, 3, dtype="int64"))


def test_convert_sync_batchnorm_swaps_batchnorms_and_shares_their_state() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.InstanceNorm2d(4),
                          nn.Sequential(nn.Flatten(), nn.BatchNorm1d(4, momentum=None)))
    model.eval()
    bn2, bn1 = model[1], model[3][1]
    out = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert out is model
    assert type(model[1]) is nn.SyncBatchNorm and type(model[3][1]) is nn.SyncBatchNorm
    assert type(model[2]) is nn.InstanceNorm2d
    assert model[1].weight is bn2.weight and model[1].running_var is bn2.running_var
    assert model[3][1].momentum is None and model[3][1].bias is bn1.bias
    assert not model[1].training
    with pytest.raises(ValueError, match="one process group"):
        nn.SyncBatchNorm.convert_sync_batchnorm(model, process_group=object())
