"""DataLoader: PyTorch's argument rules, batching, collation, prefetching and worker processes."""

from __future__ import annotations

import collections
import os
import threading
import time

import numpy as np
import pytest

import lucid
from lucid.data import (
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Split,
    TensorDataset,
    default_collate,
    default_convert,
    get_worker_info,
)


class Indexed(Dataset):
    """Item i is (a float32 vector [i, i], the int i)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        return np.full(2, i, np.float32), int(i)


class Failing(Indexed):
    def __getitem__(self, i: int):
        if i == 5:
            raise KeyError(f"sample {i} is broken")
        return super().__getitem__(i)


class Dies(Indexed):
    def __getitem__(self, i: int):
        if i == 3 and get_worker_info() is not None:
            os._exit(7)
        return super().__getitem__(i)


class Sharded(IterableDataset):
    """0..n-1, each worker taking every num_workers-th item."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))

    def __len__(self) -> int:
        return self.n


class SeedProbe(Dataset):
    """Reports which worker served an item and a draw from NumPy's global generator."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int):
        info = get_worker_info()
        return info.id, info.seed, float(np.random.random())


def labels(loader) -> list[list[int]]:
    return [batch[1].numpy().tolist() for batch in loader]


def test_default_collate_stacks_nested_samples():
    batch = [(np.array([1.0, 2.0], np.float32), 3, 0.5, {"m": np.int32(1), "s": "a"}),
             (np.array([3.0, 4.0], np.float32), 4, 1.5, {"m": np.int32(2), "s": "b"})]
    x, i, f, d = default_collate(batch)
    np.testing.assert_array_equal(x.numpy(), [[1, 2], [3, 4]])
    assert x.dtype == lucid.float32
    assert i.dtype == lucid.int64 and i.numpy().tolist() == [3, 4]
    assert f.dtype == lucid.float64 and f.numpy().tolist() == [0.5, 1.5]  # as PyTorch
    assert d["m"].dtype == lucid.int32 and d["s"] == ["a", "b"]
    stacked = default_collate([lucid.tensor([1.0, 2.0]), lucid.tensor([3.0, 4.0])])
    np.testing.assert_array_equal(stacked.numpy(), [[1, 2], [3, 4]])
    bools = default_collate([True, False])
    assert bools.dtype == lucid.bool_
    Point = collections.namedtuple("Point", "x y")
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.x.numpy().tolist() == [1, 3]
    assert isinstance(default_collate([[1, 2], [3, 4]]), list)


def test_default_collate_refuses_what_it_cannot_stack():
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal "
                                           "size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="found object"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="cannot make a lucid tensor of NumPy dtype <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(TypeError, match="NumPy dtype uint64"):
        default_collate([np.uint64(1), np.uint64(2)])


def test_default_collate_widens_integer_dtypes_lucid_lacks():
    big = np.array([65535, 0], np.uint16)
    out = default_collate([big, big])
    assert out.dtype == lucid.int32 and out.numpy().tolist() == [[65535, 0]] * 2
    assert default_collate([np.int8(-3), np.int8(4)]).numpy().tolist() == [-3, 4]
    assert default_collate([np.uint32(2**32 - 1)]).dtype == lucid.int64


def test_default_convert_converts_without_batching():
    out = default_convert({"a": np.arange(3), "b": [np.float32(2.0), "x"]})
    assert isinstance(out["a"], lucid.Tensor) and out["a"].numpy().tolist() == [0, 1, 2]
    assert out["b"][0].item() == 2.0 and out["b"][1] == "x"


def test_old_split_signature_still_works():
    images = np.arange(10 * 1 * 2 * 2, dtype=np.float32).reshape(10, 1, 2, 2)
    split = Split(images, np.arange(10, dtype=np.int64))
    loader = DataLoader(split, 4, shuffle=True, seed=0, drop_last=False, backend=None)
    assert len(loader) == 3
    order = np.random.default_rng(0).permutation(10)  # the permutation the old loader used
    batches = list(loader)
    x, y = batches[0]
    assert x.shape == (4, 1, 2, 2) and x.dtype == lucid.float32 and y.dtype == lucid.int64
    np.testing.assert_array_equal(y.numpy(), order[:4])
    np.testing.assert_array_equal(x.numpy(), images[order[:4]])
    assert [b[1].shape[0] for b in batches] == [4, 4, 2]
    assert len(DataLoader(split, 4, drop_last=True)) == 2


def test_batches_and_lengths_follow_pytorch():
    ds = Indexed(10)
    assert labels(DataLoader(ds, batch_size=4)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert labels(DataLoader(ds, batch_size=4, drop_last=True)) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(ds, batch_size=4)) == 3 and len(DataLoader(ds)) == 10
    single = list(DataLoader(ds, batch_size=None))  # no auto-batching: samples converted
    assert len(single) == 10 and single[3][1] == 3 and single[3][0].shape == (2,)
    custom = DataLoader(ds, batch_sampler=[[9, 0], [4]])
    assert labels(custom) == [[9, 0], [4]] and len(custom) == 2
    picked = DataLoader(ds, batch_size=2, sampler=[5, 6, 7])
    assert labels(picked) == [[5, 6], [7]]


def test_shuffle_is_reproducible_and_differs_per_epoch():
    ds = Indexed(12)
    a = DataLoader(ds, batch_size=12, shuffle=True, seed=3)
    b = DataLoader(ds, batch_size=12, shuffle=True, generator=np.random.default_rng(3))
    assert isinstance(a.sampler, RandomSampler) and a.shuffle
    assert not DataLoader(ds).shuffle
    e1, e2 = labels(a), labels(a)
    assert sorted(e1[0]) == list(range(12)) and e1 != e2
    assert labels(b) == e1 and labels(b) == e2  # a seed and a generator seeded alike agree


def test_set_epoch_repeats_an_epoch_for_a_resumed_run():
    ds = Indexed(9)
    a = DataLoader(ds, batch_size=9, shuffle=True, seed=1)
    labels(a)
    a.set_epoch(3)
    b = DataLoader(ds, batch_size=9, shuffle=True, seed=1)
    b.set_epoch(3)
    assert labels(a) == labels(b)


def test_argument_rules_follow_pytorch():
    ds = Indexed(4)
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(ds, shuffle=True, sampler=SequentialSampler(ds))
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_size=2, batch_sampler=[[0, 1]])
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_sampler=[[0, 1]], drop_last=True)
    with pytest.raises(ValueError, match="batch_size=None option disables auto-batching"):
        DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but "
                                         "got batch_size=0"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="num_workers option should be a non-negative"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Sharded(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        DataLoader(Sharded(3), sampler=[0])
    with pytest.raises(ValueError, match="give either seed or generator"):
        DataLoader(ds, seed=1, generator=2)
    with pytest.raises(ValueError, match="prefetch_factor must be an int >= 1 with "
                                         "num_workers=2"):
        DataLoader(ds, num_workers=2, prefetch_factor=0)
    with pytest.raises(TypeError, match="did you mean seed="):
        DataLoader(ds, 2, False, 7)
    with pytest.raises(TypeError, match="generator must be an int seed"):
        DataLoader(ds, shuffle=True, generator="x")


def test_iterable_dataset_batches_and_length():
    loader = DataLoader(Sharded(7), batch_size=3)
    assert labels_of(loader) == [[0, 1, 2], [3, 4, 5], [6]] and len(loader) == 3
    assert labels_of(DataLoader(Sharded(7), batch_size=3, drop_last=True)) == [[0, 1, 2],
                                                                                [3, 4, 5]]
    assert len(DataLoader(Sharded(7), batch_size=3, drop_last=True)) == 2


def labels_of(loader) -> list[list[int]]:
    return [b.numpy().tolist() for b in loader]


def test_backend_and_collate_fn():
    loader = DataLoader(Indexed(3), batch_size=3, backend="numpy")
    x, _ = next(iter(loader))
    assert x.backend.name == "numpy"
    seen = []
    custom = DataLoader(Indexed(3), batch_size=2, collate_fn=lambda b: seen.append(b) or len(b))
    assert list(custom) == [2, 1] and seen[0][1][1] == 1


def test_background_thread_prepares_batches_ahead():
    started = threading.Event()
    calls: list[int] = []

    class Slow(Indexed):
        def __getitem__(self, i):
            calls.append(i)
            started.set()
            return super().__getitem__(i)

    it = iter(DataLoader(Slow(6), batch_size=1, prefetch_factor=2))
    assert started.wait(5)
    deadline = time.monotonic() + 5
    while len(calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(calls) >= 2  # batches were read before the first one was asked for
    assert [b[1].item() for b in it] == list(range(6))
    calls.clear()
    sync = iter(DataLoader(Slow(6), batch_size=1, prefetch_factor=0))
    time.sleep(0.05)
    assert calls == []  # prefetch_factor=0 reads only on demand
    next(sync)
    assert calls == [0]


def test_errors_reach_the_caller_from_the_thread():
    with pytest.raises(KeyError, match="sample 5 is broken"):
        list(DataLoader(Failing(8), batch_size=2))


def test_breaking_out_early_stops_the_thread():
    before = threading.active_count()
    for _ in DataLoader(Indexed(100), batch_size=1, prefetch_factor=1):
        break
    deadline = time.monotonic() + 3
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert threading.active_count() <= before


def test_workers_give_the_same_batches_as_the_main_process():
    ds = Indexed(11)
    main = labels(DataLoader(ds, batch_size=3, shuffle=True, seed=4))
    workers = labels(DataLoader(ds, batch_size=3, shuffle=True, seed=4, num_workers=2))
    assert main == workers
    x, _ = next(iter(DataLoader(ds, batch_size=3, num_workers=2, backend="numpy")))
    assert isinstance(x, lucid.Tensor) and x.dtype == lucid.float32


def test_workers_shard_iterable_datasets():
    got = labels_of(DataLoader(Sharded(10), batch_size=2, num_workers=3))
    assert sorted(v for b in got for v in b) == list(range(10))
    # worker w yields w, w+3, ...; batches are requested round-robin from the workers
    assert got[:3] == [[0, 3], [1, 4], [2, 5]]


def test_worker_seeds_are_base_seed_plus_id_and_reproducible():
    def run():
        return [tuple(b) for b in DataLoader(SeedProbe(), batch_size=None, num_workers=2,
                                             seed=9)]
    first, again = run(), run()
    assert first == again
    ids = [int(r[0]) for r in first]
    seeds = [int(r[1]) for r in first]
    assert ids == [0, 1, 0, 1]  # item k is served by worker k mod 2
    assert seeds[1] == seeds[0] + 1
    draws = [r[2] for r in first]
    assert draws[0] != draws[1]  # workers do not repeat each other's randomness
    assert draws[0] == np.random.RandomState(seeds[0] % 2**32).random_sample()


def test_worker_init_fn_runs_in_each_worker(tmp_path):
    def init(worker_id: int) -> None:
        (tmp_path / f"w{worker_id}").write_text(str(get_worker_info().num_workers))

    list(DataLoader(Indexed(4), batch_size=1, num_workers=2, worker_init_fn=init))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w0", "w1"]
    assert (tmp_path / "w0").read_text() == "2"


def test_worker_exception_carries_its_traceback():
    with pytest.raises(KeyError) as info:
        list(DataLoader(Failing(8), batch_size=2, num_workers=2))
    message = str(info.value)
    assert "Caught KeyError in DataLoader worker process 0" in message
    assert "sample 5 is broken" in message and "Traceback" in message


def test_a_dead_worker_raises_instead_of_hanging():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid \d+\) exited unexpectedly "
                                           r"with exit code 7"):
        list(DataLoader(Dies(8), batch_size=1, num_workers=2))
    assert time.monotonic() - start < 30


def test_timeout_raises():
    class Stuck(Indexed):
        def __getitem__(self, i):
            time.sleep(5)
            return super().__getitem__(i)

    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.3 seconds"):
        list(DataLoader(Stuck(2), batch_size=1, num_workers=1, timeout=0.3))


def test_tensor_dataset_through_the_loader():
    x = np.arange(8, dtype=np.float32).reshape(4, 2)
    loader = DataLoader(TensorDataset(x, np.arange(4)), batch_size=2)
    (xb, yb), _ = list(loader)
    np.testing.assert_array_equal(xb.numpy(), x[:2])
    assert yb.numpy().tolist() == [0, 1]


def test_spawned_workers_match_the_main_process():
    """With the 'spawn' start method the dataset travels pickled; the epoch is the same."""
    ds = Indexed(7)
    main = labels(DataLoader(ds, batch_size=2, shuffle=True, seed=5))
    spawned = labels(DataLoader(ds, batch_size=2, shuffle=True, seed=5, num_workers=1,
                                multiprocessing_context="spawn"))
    assert spawned == main
