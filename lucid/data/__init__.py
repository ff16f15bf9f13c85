"""Data on the host: datasets, samplers, the DataLoader, readers for standard files, transforms.

PyTorch's ``torch.utils.data`` and torchvision's dataset names and semantics, flat in one
namespace, with NumPy as the host format (batches become lucid tensors on a backend):

* datasets — :class:`Dataset`, :class:`IterableDataset`, :class:`TensorDataset`,
  :class:`Subset`, :class:`ConcatDataset`, :class:`ChainDataset`, :func:`random_split`;
  :class:`Split` (arrays of images and labels) and :func:`load_digits`;
* samplers — :class:`Sampler`, :class:`SequentialSampler`, :class:`RandomSampler`,
  :class:`SubsetRandomSampler`, :class:`WeightedRandomSampler`, :class:`BatchSampler`;
  :class:`DistributedSampler` (one shard per process of a data-parallel job, also as
  :mod:`lucid.data.distributed`);
* loading — :class:`DataLoader` (background prefetching, optional worker processes,
  :func:`get_worker_info`), :func:`default_collate`, :func:`default_convert`;
* files — :class:`ImageFolder`, :class:`DatasetFolder`, :class:`MNIST`,
  :class:`FashionMNIST`, :class:`CIFAR10`, :class:`CIFAR100` (binary versions; nothing is
  ever unpickled), :func:`download_url`;
* :mod:`lucid.data.transforms` — torchvision's transforms and timm's
  ``resolve_data_config`` / ``create_transform``.

lucid has no ``torch.Generator``: wherever PyTorch takes ``generator=``, lucid takes an int
seed or a ``numpy.random.Generator``.
"""

from __future__ import annotations

from . import transforms
from .cifar import CIFAR10, CIFAR100
from .collate import default_collate, default_convert
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .digits import load_digits
from .distributed import DistributedSampler
from .download import download_url
from .folder import IMG_EXTENSIONS, DatasetFolder, ImageFolder
from .loader import DataLoader, Split
from .mnist import MNIST, FashionMNIST
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from .worker import WorkerInfo, get_worker_info

__all__ = ["BatchSampler", "CIFAR10", "CIFAR100", "ChainDataset", "ConcatDataset",
           "DataLoader", "Dataset", "DatasetFolder", "DistributedSampler", "FashionMNIST",
           "IMG_EXTENSIONS", "ImageFolder", "IterableDataset", "MNIST", "RandomSampler",
           "Sampler", "SequentialSampler", "Split", "Subset", "SubsetRandomSampler",
           "TensorDataset", "WeightedRandomSampler", "WorkerInfo", "default_collate",
           "default_convert", "download_url", "get_worker_info", "load_digits",
           "random_split", "transforms"]
