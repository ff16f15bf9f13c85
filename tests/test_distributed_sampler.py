"""DistributedSampler: disjoint shards that cover the dataset, PyTorch's padding rule, epochs.

The expected shards are written out independently of the sampler: PyTorch's rule (pad the
order by repeating it from the start, or cut it, to a multiple of the replicas; rank r takes
every num_replicas-th index from r) as a naive loop, and small cases by hand.
tests/parity/test_distributed_sampler_parity.py compares against torch itself.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

import lucid
from lucid.data import DataLoader, DistributedSampler, Split, TensorDataset


def naive_shards(order: list[int], replicas: int, drop_last: bool) -> list[list[int]]:
    """Deal ``order`` out to ``replicas`` hands one index at a time, PyTorch's way."""
    n = len(order)
    if drop_last:
        per_rank = n // replicas
        order = order[:per_rank * replicas]
    else:
        per_rank = -(-n // replicas)
        padded = list(order)
        i = 0
        while len(padded) < per_rank * replicas:
            padded.append(order[i % n])
            i += 1
        order = padded
    hands: list[list[int]] = [[] for _ in range(replicas)]
    for position, index in enumerate(order):
        hands[position % replicas].append(index)
    return hands


CASES = [(n, r, d) for n in (1, 2, 5, 10, 11, 64, 101) for r in (1, 2, 3, 4, 7)
         for d in (False, True)]


@pytest.mark.parametrize(("n", "replicas", "drop_last"), CASES)
def test_unshuffled_shards_follow_the_rule(n: int, replicas: int, drop_last: bool) -> None:
    expected = naive_shards(list(range(n)), replicas, drop_last)
    for rank in range(replicas):
        s = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(s) == expected[rank]
        assert len(s) == len(expected[rank])


@pytest.mark.parametrize(("n", "replicas", "drop_last"), CASES)
def test_shuffled_shards_are_disjoint_and_cover(n: int, replicas: int, drop_last: bool) -> None:
    shards = [list(DistributedSampler(range(n), replicas, r, seed=3, drop_last=drop_last))
              for r in range(replicas)]
    sizes = {len(s) for s in shards}
    assert len(sizes) == 1, "every rank must take the same number of steps"
    every = [i for s in shards for i in s]
    counts = Counter(every)
    if drop_last:
        assert len(every) == n - n % replicas
        assert all(c == 1 for c in counts.values())  # no index twice
        assert set(every) <= set(range(n))
    else:
        assert set(every) == set(range(n))  # covers the dataset
        assert len(every) == -(-n // replicas) * replicas
        # only the padding repeats: at most ceil(pad / n) + 1 copies of an index
        assert sum(c - 1 for c in counts.values()) == len(every) - n


def test_hand_written_shards() -> None:
    # 10 over 3: order 0..9 padded with 0, 1 -> 0 3 6 9 | 1 4 7 0 | 2 5 8 1
    assert [list(DistributedSampler(range(10), 3, r, shuffle=False)) for r in range(3)] == \
        [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]
    assert [list(DistributedSampler(range(10), 3, r, shuffle=False, drop_last=True))
            for r in range(3)] == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    # fewer items than replicas: the order repeats as often as needed
    assert [list(DistributedSampler(range(2), 5, r, shuffle=False)) for r in range(5)] == \
        [[0], [1], [0], [1], [0]]
    assert [len(DistributedSampler(range(2), 5, r, drop_last=True)) for r in range(5)] == [0] * 5
    assert list(DistributedSampler([], 2, 1)) == []


def test_same_seed_same_order_on_every_rank_and_epochs_differ() -> None:
    n, replicas = 50, 4

    def permutation(seed: int, epoch: int) -> list[int]:
        """The global order, rebuilt from each rank's shard."""
        order = [-1] * (-(-n // replicas) * replicas)
        for r in range(replicas):
            s = DistributedSampler(range(n), replicas, r, seed=seed)
            s.set_epoch(epoch)
            order[r::replicas] = list(s)
        return order[:n]

    first = permutation(7, 0)
    assert sorted(first) == list(range(n)) and first != list(range(n))
    assert permutation(7, 0) == first  # a fresh sampler, same seed and epoch: same order
    assert permutation(7, 1) != first  # the epoch changes the order
    assert permutation(8, 0) != first  # and so does the seed
    assert permutation(6, 1) == permutation(7, 0)  # a function of seed + epoch (PyTorch)


def test_epoch_without_set_epoch_repeats() -> None:
    s = DistributedSampler(range(20), 2, 0, seed=1)
    assert list(s) == list(s)
    s.set_epoch(1)
    assert s.epoch == 1


def test_with_a_dataloader_and_its_set_epoch() -> None:
    x = np.arange(23, dtype=np.float32).reshape(23, 1)
    data = TensorDataset(x, np.arange(23))
    seen: list[list[int]] = []
    for rank in range(2):
        sampler = DistributedSampler(data, num_replicas=2, rank=rank, seed=5)
        loader = DataLoader(data, batch_size=4, sampler=sampler)
        assert len(loader) == 3  # 12 samples per rank in batches of 4
        loader.set_epoch(2)  # forwarded to the caller's sampler, as PyTorch users expect
        assert sampler.epoch == 2
        seen.append([int(v) for _, y in loader for v in y.numpy()])
        expected = DistributedSampler(data, num_replicas=2, rank=rank, seed=5)
        expected.set_epoch(2)
        assert seen[-1] == list(expected)
    assert set(seen[0]) | set(seen[1]) == set(range(23))


def test_dataloader_rejects_sampler_with_shuffle() -> None:
    data = Split(np.zeros((4, 1, 2, 2), np.float32), np.zeros(4, np.int64))
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(data, sampler=DistributedSampler(data, 2, 0), shuffle=True)


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval "
                                         r"\[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match=r"interval \[0, 2\]"):
        DistributedSampler(range(4), num_replicas=3, rank=-1)
    with pytest.raises(ValueError, match="num_replicas must be >= 1"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    with pytest.raises(TypeError, match="rank must be an int"):
        DistributedSampler(range(4), num_replicas=2, rank=1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="shuffle must be a bool"):
        DistributedSampler(range(4), 2, 0, shuffle="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="dataset with a length"):
        DistributedSampler(iter(range(4)), 2, 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="epoch must be an int"):
        DistributedSampler(range(4), 2, 0).set_epoch("1")  # type: ignore[arg-type]


def test_needs_a_process_group_or_explicit_values() -> None:
    dist = pytest.importorskip("lucid.distributed")
    if dist.is_initialized():
        pytest.skip("a process group is initialised in this process")
    with pytest.raises(ValueError, match="process group has not been initialized"):
        DistributedSampler(range(4))
    with pytest.raises(ValueError, match="process group has not been initialized"):
        DistributedSampler(range(4), num_replicas=2)  # rank is still missing


def test_exported_like_torch() -> None:
    import lucid.data.distributed as module

    assert module.DistributedSampler is lucid.data.DistributedSampler
    assert "DistributedSampler" in lucid.data.__all__
