"""``DistributedSampler``: each process of a data-parallel job reads its own shard of a dataset.

PyTorch's ``torch.utils.data.distributed.DistributedSampler`` with its exact index rule, so a
job sees the same shards under lucid as under PyTorch (for ``shuffle=False``; shuffled orders
come from NumPy's generator, not PyTorch's). Every rank draws the same permutation of the
whole dataset from ``seed + epoch``, pads it by repeating its head (or, with ``drop_last``,
cuts its tail) to a multiple of ``num_replicas``, and keeps every ``num_replicas``-th index
starting at its ``rank``: the shards are disjoint (apart from the padding) and together cover
the dataset. Call :meth:`DistributedSampler.set_epoch` at the start of every epoch (``lucid
train`` and ``DataLoader.set_epoch`` do), or every epoch repeats the first one's order.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized

import numpy as np

from .sampler import Sampler


def _group_value(name: str) -> int:
    """``get_world_size()`` or ``get_rank()`` of the default process group, or the error
    PyTorch raises when no group was initialised and the value was not given."""
    from ..distributed import get_rank, get_world_size, is_initialized

    if not is_initialized():
        raise ValueError(f"DistributedSampler: {name} was not given and the default process "
                         "group has not been initialized; call "
                         "lucid.distributed.init_process_group() first or pass "
                         "num_replicas= and rank=")
    return int(get_world_size() if name == "num_replicas" else get_rank())


def _check_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"DistributedSampler: {name} must be an int, got "
                        f"{type(value).__name__} ({value!r})")
    return int(value)


class DistributedSampler(Sampler[int]):
    """The indices of ``dataset`` that process ``rank`` of ``num_replicas`` reads this epoch.

    ``num_replicas`` / ``rank`` default to the world size and rank of the process group
    (:func:`lucid.distributed.init_process_group`); without a group they must be given.
    ``shuffle``: a new order every epoch, the same on every rank (from ``seed + epoch``).
    ``drop_last``: cut the tail so every rank gets the same number of distinct indices,
    instead of padding with repeated ones. Each rank yields :attr:`num_samples` indices.
    """

    def __init__(self, dataset: Sized, num_replicas: int | None = None,
                 rank: int | None = None, shuffle: bool = True, seed: int = 0,
                 drop_last: bool = False) -> None:
        if num_replicas is None:
            num_replicas = _group_value("num_replicas")
        if rank is None:
            rank = _group_value("rank")
        num_replicas, rank = _check_int("num_replicas", num_replicas), _check_int("rank", rank)
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be >= 1, got {num_replicas}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        for flag, value in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"DistributedSampler: {flag} must be a bool, got {value!r}")
        if not isinstance(dataset, Sized):
            raise TypeError(f"DistributedSampler needs a dataset with a length (a map-style "
                            f"dataset), got {type(dataset).__name__}")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = bool(drop_last)
        self.shuffle = bool(shuffle)
        self.seed = _check_int("seed", seed)
        n = len(dataset)
        if self.drop_last and n % num_replicas != 0:
            # the largest multiple of num_replicas that fits: every index distinct
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def _order(self) -> list[int]:
        """This epoch's order of the whole dataset, identical on every rank."""
        n = len(self.dataset)
        if not self.shuffle:
            return list(range(n))
        # seed + epoch as one seed (as PyTorch); wrapped like torch.manual_seed wraps negatives
        rng = np.random.default_rng((self.seed + self.epoch) % 2**64)
        return rng.permutation(n).tolist()

    def __iter__(self) -> Iterator[int]:
        indices = self._order()
        if self.drop_last:
            indices = indices[:self.total_size]
        elif indices:
            padding = self.total_size - len(indices)
            # repeat the head (the whole list as often as needed) to a multiple of replicas
            indices += (indices * math.ceil(padding / len(indices)))[:padding]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Make the coming epoch's order the one for ``epoch`` (with ``shuffle``); call it
        before each epoch, with the same value on every rank."""
        self.epoch = _check_int("epoch", epoch)

    def __repr__(self) -> str:
        return (f"DistributedSampler(num_replicas={self.num_replicas}, rank={self.rank}, "
                f"shuffle={self.shuffle}, seed={self.seed}, drop_last={self.drop_last})")
