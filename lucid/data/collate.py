"""Turning a list of samples into one batch: ``default_collate`` and ``default_convert``.

PyTorch's rules, with lucid tensors: NumPy arrays and lucid tensors are stacked along a new
first axis (their dtype kept); NumPy scalars become 1-D tensors of their dtype; Python
``int`` (and ``bool``) become int64 (bool) tensors and Python ``float`` becomes a
**float64** tensor, exactly as ``torch.utils.data.default_collate`` does (it does not use the
default float32 there either); strings stay lists; tuples, lists, named tuples and dicts
are collated field by field. The batch is created on ``backend`` (default: the default
backend). lucid's tensors have no int8, int16, uint16 or uint32: those arrays widen
losslessly to int32 (int64 for uint32); uint64 and other dtypes raise ``TypeError``.
"""

from __future__ import annotations

import collections.abc
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._creation import from_numpy
from .._tensor import Tensor
from ..backends import get_backend
from ..ops import stack

BackendLike = Any


#: NumPy integer dtypes lucid lacks -> the lucid dtype that holds them exactly.
_WIDEN = {np.dtype(np.int8): np.int32, np.dtype(np.int16): np.int32,
          np.dtype(np.uint16): np.int32, np.dtype(np.uint32): np.int64}
_SUPPORTED = {np.dtype(t) for t in (np.bool_, np.uint8, np.int32, np.int64, np.float16,
                                    np.float32, np.float64)}


def _np_collatable(arr: np.ndarray) -> bool:
    return arr.dtype in _SUPPORTED or arr.dtype in _WIDEN


def _host(arr: np.ndarray) -> np.ndarray:
    """``arr`` in a dtype lucid has (widened losslessly where needed)."""
    if arr.dtype in _WIDEN:
        return arr.astype(_WIDEN[arr.dtype])
    return arr


def _unsupported(dtype: Any) -> TypeError:
    return TypeError(f"cannot make a lucid tensor of NumPy dtype {dtype}; "
                     "lucid has bool, uint8, int32, int64, float16, float32 and float64 "
                     "(int8, int16, uint16 and uint32 are widened)")


def default_collate(batch: Sequence[Any], backend: BackendLike = None) -> Any:
    """Stack a list of samples into a batch (see the module docstring for the rules)."""
    if len(batch) == 0:
        raise ValueError("default_collate: batch is empty")
    elem = batch[0]
    if isinstance(elem, Tensor):
        target = get_backend(backend)
        return stack([t.detach().to(target) for t in batch])
    if isinstance(elem, np.ndarray):
        if not _np_collatable(elem):
            raise _unsupported(elem.dtype)
        shapes = {np.shape(b) for b in batch}
        if len(shapes) > 1:
            raise RuntimeError(f"default_collate: stack expects each array to be equal size, "
                               f"got shapes {sorted(shapes)}")
        return from_numpy(_host(np.stack(batch)), backend)
    if isinstance(elem, np.generic):
        if not _np_collatable(np.asarray(elem)):
            raise _unsupported(elem.dtype)
        return from_numpy(_host(np.asarray(batch)), backend)
    if isinstance(elem, bool):
        return from_numpy(np.asarray(batch, dtype=np.bool_), backend)
    if isinstance(elem, int):
        return from_numpy(np.asarray(batch, dtype=np.int64), backend)
    if isinstance(elem, float):
        return from_numpy(np.asarray(batch, dtype=np.float64), backend)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch], backend) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s), backend) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        sizes = {len(e) for e in batch}
        if len(sizes) != 1:
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [default_collate(list(s), backend) for s in zip(*batch)]
        return tuple(columns) if isinstance(elem, tuple) else columns
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, "
                    f"dicts or lists; found {type(elem).__name__}")


def default_convert(data: Any, backend: BackendLike = None) -> Any:
    """Turn NumPy arrays (at any depth of tuples, lists, dicts) into tensors, unbatched."""
    if isinstance(data, Tensor):
        return data.to(get_backend(backend))
    if isinstance(data, np.ndarray) and _np_collatable(data):
        return from_numpy(_host(data), backend)
    if isinstance(data, np.generic) and _np_collatable(np.asarray(data)):
        return from_numpy(_host(np.asarray(data)), backend)
    if isinstance(data, collections.abc.Mapping):
        return {k: default_convert(v, backend) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d, backend) for d in data))
    if isinstance(data, (list, tuple)):
        return type(data)(default_convert(d, backend) for d in data)
    return data


def to_backend(data: Any, backend: BackendLike) -> Any:
    """Move every tensor in a nested batch to ``backend`` (a no-op where it already is)."""
    if isinstance(data, Tensor):
        return data.to(get_backend(backend))
    if isinstance(data, collections.abc.Mapping):
        return {k: to_backend(v, backend) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(to_backend(d, backend) for d in data))
    if isinstance(data, (list, tuple)):
        return type(data)(to_backend(d, backend) for d in data)
    return data
