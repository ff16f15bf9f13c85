"""lucid.data datasets (TensorDataset, Subset, ConcatDataset, ChainDataset, random_split) and
samplers, against hand-computed expectations and PyTorch's documented rules."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import lucid
from lucid.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Split,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    random_split,
)


class Squares(Dataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i


class Count(IterableDataset):
    def __init__(self, start: int, stop: int) -> None:
        self.start, self.stop = start, stop

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def __len__(self) -> int:
        return self.stop - self.start


def test_tensor_dataset_items_are_rows_of_each_array():
    x = np.arange(12).reshape(4, 3)
    t = lucid.tensor(np.arange(4.0))
    ds = TensorDataset(x, t)
    assert len(ds) == 4
    row, val = ds[2]
    np.testing.assert_array_equal(row, [6, 7, 8])
    assert val.item() == 2.0
    with pytest.raises(ValueError, match=r"Size mismatch between tensors: first dimensions "
                                         r"\[4, 3\]"):
        TensorDataset(x, np.zeros(3))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(ValueError, match="first dimension"):
        TensorDataset(np.float32(3))


def test_split_is_a_dataset_of_image_label_pairs():
    images = np.arange(2 * 1 * 2 * 2, dtype=np.float32).reshape(2, 1, 2, 2)
    split = Split(images, np.array([7, 3]))
    assert isinstance(split, Dataset) and len(split) == 2
    img, label = split[1]
    np.testing.assert_array_equal(img, images[1])
    assert label == 3
    pairs = split.__getitems__([1, 0])
    assert [int(lbl) for _, lbl in pairs] == [3, 7]


def test_subset_and_concat_index_like_pytorch():
    a, b = Squares(3), Squares(4)
    sub = Subset(b, [3, 1])
    assert len(sub) == 2 and sub[0] == 9 and sub[1] == 1
    cat = a + b
    assert isinstance(cat, ConcatDataset)
    assert len(cat) == 7 and cat.cumulative_sizes == [3, 7]
    assert [cat[i] for i in range(7)] == [0, 1, 4, 0, 1, 4, 9]
    assert cat[-1] == 9 and cat[-7] == 0
    with pytest.raises(ValueError, match="should not exceed dataset length"):
        cat[-8]
    with pytest.raises(IndexError, match="out of range"):
        cat[7]
    with pytest.raises(ValueError, match="should not be an empty iterable"):
        ConcatDataset([])
    with pytest.raises(TypeError, match="does not support IterableDataset"):
        ConcatDataset([Count(0, 2)])


def test_chain_dataset_reads_streams_in_turn():
    chained = Count(0, 2) + Count(5, 7)
    assert isinstance(chained, ChainDataset)
    assert list(chained) == [0, 1, 5, 6] and len(chained) == 4
    with pytest.raises(TypeError, match="only chains IterableDatasets"):
        list(ChainDataset([Squares(2)]))


def test_random_split_by_counts_is_a_seeded_partition():
    ds = Squares(10)
    parts = random_split(ds, [3, 7], generator=0)
    assert [len(p) for p in parts] == [3, 7]
    everything = sorted(i for p in parts for i in p.indices)
    assert everything == list(range(10))  # disjoint and covering
    again = random_split(ds, [3, 7], generator=0)
    assert [p.indices for p in parts] == [p.indices for p in again]
    other = random_split(ds, [3, 7], generator=1)
    assert [p.indices for p in parts] != [p.indices for p in other]
    # the order is numpy's permutation for that seed
    assert parts[0].indices == np.random.default_rng(0).permutation(10)[:3].tolist()


def test_random_split_fractions_round_like_pytorch():
    # floor(n * f) each, then the remainder one by one from the first split (PyTorch's rule)
    parts = random_split(Squares(11), [0.5, 0.3, 0.2], generator=0)
    assert [len(p) for p in parts] == [6, 3, 2]  # floors 5, 3, 2 -> remainder 1 to the first
    parts = random_split(Squares(7), [1 / 3, 1 / 3, 1 / 3], generator=0)
    assert [len(p) for p in parts] == [3, 2, 2]
    # twenty 0.05s sum to 1.0000000000000002: PyTorch refuses that, lucid takes it as 1
    assert [len(p) for p in random_split(Squares(100), [0.05] * 20, generator=0)] == [5] * 20
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        parts = random_split(Squares(3), [0.9, 0.1], generator=0)
    assert [len(p) for p in parts] == [3, 0]


def test_random_split_refuses_bad_lengths():
    with pytest.raises(ValueError, match=r"Sum of input lengths \(9\) does not equal the length "
                                         r"of the input dataset \(10\)"):
        random_split(Squares(10), [4, 5], generator=0)
    with pytest.raises(ValueError, match="non-negative"):
        random_split(Squares(10), [-1, 11], generator=0)
    with pytest.raises(ValueError, match="fractions summing to 1"):
        random_split(Squares(10), [0.5, 0.6], generator=0)
    with pytest.raises(TypeError, match="ints or fractions"):
        random_split(Squares(10), ["5", 5], generator=0)
    with pytest.raises(TypeError, match="generator must be an int seed"):
        random_split(Squares(10), [5, 5], generator="seed")


def test_random_split_without_generator_follows_manual_seed():
    lucid.manual_seed(3)
    a = random_split(Squares(20), [10, 10])[0].indices
    lucid.manual_seed(3)
    b = random_split(Squares(20), [10, 10])[0].indices
    assert a == b


def test_sequential_and_random_samplers():
    ds = Squares(6)
    assert list(SequentialSampler(ds)) == [0, 1, 2, 3, 4, 5]
    s = RandomSampler(ds, generator=5)
    first, second = list(s), list(s)
    assert sorted(first) == sorted(second) == list(range(6))
    assert first != second  # a new order each epoch
    rng = np.random.default_rng(5)  # the orders are NumPy permutations of one seeded stream
    assert first == rng.permutation(6).tolist() and second == rng.permutation(6).tolist()
    s2 = RandomSampler(ds, generator=5)
    assert [list(s2), list(s2)] == [first, second]  # reproducible from the seed


def test_random_sampler_num_samples_and_replacement():
    ds = Squares(4)
    long = list(RandomSampler(ds, num_samples=10, generator=0))
    counts = collections.Counter(long)
    # without replacement: two whole permutations, then two more distinct indices
    assert len(long) == 10 and all(c in (2, 3) for c in counts.values())
    assert sorted(long[:4]) == sorted(long[4:8]) == [0, 1, 2, 3]
    draws = list(RandomSampler(ds, replacement=True, num_samples=1000, generator=0))
    assert len(draws) == 1000 and set(draws) == {0, 1, 2, 3}
    assert len(RandomSampler(ds, num_samples=7)) == 7
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but "
                                         "got num_samples=0"):
        RandomSampler(ds, num_samples=0)
    with pytest.raises(TypeError, match="replacement should be a boolean"):
        RandomSampler(ds, replacement=1)


def test_sampler_set_epoch_makes_an_epoch_a_function_of_seed_and_epoch():
    ds = Squares(8)
    a, b = RandomSampler(ds, generator=2), RandomSampler(ds, generator=2)
    list(a)  # a has run one epoch more than b
    a.set_epoch(4)
    b.set_epoch(4)
    assert list(a) == list(b) == np.random.default_rng([2, 4]).permutation(8).tolist()


def test_subset_random_and_weighted_samplers():
    idx = [10, 20, 30, 40]
    got = list(SubsetRandomSampler(idx, generator=0))
    assert sorted(got) == idx and len(SubsetRandomSampler(idx)) == 4
    w = [0.0, 1.0, 3.0]
    draws = list(WeightedRandomSampler(w, 4000, generator=0))
    counts = collections.Counter(draws)
    assert counts[0] == 0
    assert abs(counts[2] / 4000 - 0.75) < 0.03  # 3 / (1 + 3)
    no_repl = list(WeightedRandomSampler([1, 1, 1, 0], 3, replacement=False, generator=0))
    assert sorted(no_repl) == [0, 1, 2]
    with pytest.raises(RuntimeError, match="cannot draw 4 samples without replacement from 3"):
        WeightedRandomSampler([1, 1, 1, 0], 4, replacement=False)
    with pytest.raises(RuntimeError, match="invalid multinomial distribution"):
        WeightedRandomSampler([1, -1], 2)
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        WeightedRandomSampler([[1, 2]], 2)


def test_batch_sampler_groups_and_drops():
    assert list(BatchSampler(range(7), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3
    assert len(BatchSampler(range(7), 3, True)) == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but "
                                         "got batch_size=0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        BatchSampler(range(3), 2, "no")
