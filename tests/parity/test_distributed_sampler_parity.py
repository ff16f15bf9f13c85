"""lucid.data.DistributedSampler against torch.utils.data.DistributedSampler.

Without shuffling the index lists must be identical on every rank (the padding and dropping
rule). With shuffling the orders come from different generators (NumPy's, torch's), so the
properties are compared: the same shard sizes, the same multiset of indices over all ranks
(what is padded and what is dropped), and a new order each epoch on both.
"""

from __future__ import annotations

from collections import Counter

import pytest

torch = pytest.importorskip("torch")

import torch.utils.data as tud  # noqa: E402

import lucid.data as ld  # noqa: E402

pytestmark = pytest.mark.parity

CASES = [(n, r, d) for n in (0, 1, 3, 10, 17, 100) for r in (1, 2, 3, 5, 8)
         for d in (False, True)]


@pytest.mark.parametrize(("n", "replicas", "drop_last"), CASES)
def test_unshuffled_index_lists_equal_torch(n: int, replicas: int, drop_last: bool) -> None:
    for rank in range(replicas):
        ours = ld.DistributedSampler(range(n), replicas, rank, shuffle=False,
                                     drop_last=drop_last)
        theirs = tud.DistributedSampler(range(n), replicas, rank, shuffle=False,
                                        drop_last=drop_last)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)
        assert (ours.num_samples, ours.total_size) == (theirs.num_samples, theirs.total_size)


@pytest.mark.parametrize(("n", "replicas", "drop_last"), CASES)
def test_shuffled_shards_have_torch_properties(n: int, replicas: int, drop_last: bool) -> None:
    for epoch in (0, 1):
        ours, theirs = [], []
        for rank in range(replicas):
            a = ld.DistributedSampler(range(n), replicas, rank, seed=4, drop_last=drop_last)
            b = tud.DistributedSampler(range(n), replicas, rank, seed=4, drop_last=drop_last)
            a.set_epoch(epoch)
            b.set_epoch(epoch)
            ours.append(list(a))
            theirs.append(list(b))
        assert [len(s) for s in ours] == [len(s) for s in theirs]
        every_ours = [i for s in ours for i in s]
        every_theirs = [i for s in theirs for i in s]
        if drop_last:  # both drop a tail of the permutation: distinct indices, same count
            assert len(set(every_ours)) == len(every_ours) == len(every_theirs) \
                == len(set(every_theirs))
        else:  # both cover the dataset and repeat the same number of indices as padding
            assert set(every_ours) == set(every_theirs) == set(range(n))
            assert sorted(Counter(every_ours).values()) == \
                sorted(Counter(every_theirs).values())


def test_epochs_change_the_order_on_both() -> None:
    def orders(cls):
        s = cls(range(64), 2, 0, seed=0)
        first = list(s)
        s.set_epoch(1)
        return first, list(s)

    for cls in (ld.DistributedSampler, tud.DistributedSampler):
        first, second = orders(cls)
        assert first != second and len(first) == len(second) == 32


def test_errors_match_torch() -> None:
    for cls in (ld.DistributedSampler, tud.DistributedSampler):
        with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the "
                                             r"interval \[0, 2\]"):
            cls(range(5), num_replicas=3, rank=3)


def test_no_process_group_errors_match_torch() -> None:
    dist = pytest.importorskip("lucid.distributed")
    assert not dist.is_initialized() and not torch.distributed.is_initialized()
    for cls in (ld.DistributedSampler, tud.DistributedSampler):
        with pytest.raises(ValueError, match="process group has not been initialized"):
            cls(range(5))
