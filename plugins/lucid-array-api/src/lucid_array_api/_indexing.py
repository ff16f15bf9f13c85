"""NumPy-style indexing and scatter-add written with the Python array API standard only.

lucid's op interface promises NumPy indexing semantics (basic slicing, integer-array and
boolean-mask indexing, partial indices). The standard is narrower: an index must cover
every axis (or hold an ``Ellipsis``), integer arrays may not be mixed with slices, and
there is no ``np.add.at``. This module translates the NumPy forms into standard calls:

* basic indices get a trailing ``Ellipsis`` and are passed through unchanged;
* advanced indices are done in two passes: slices and ``None`` first (basic indexing),
  then every integer array at once as a single :func:`take` on the advanced axes
  flattened into one (row-major position arithmetic);
* scatter-add with possibly repeated targets sorts the target positions and turns a
  cumulative sum into per-position segment sums (:func:`searchsorted` on both sides).

Every function takes the array namespace ``xp`` first, so it serves any array-API library.
"""

from __future__ import annotations

import math
from typing import Any

Index = Any


def _items(index: Index) -> tuple[Any, ...]:
    return index if isinstance(index, tuple) else (index,)


def is_basic(index: Index, array_type: type) -> bool:
    """True when ``index`` holds only ints, slices, ``None`` and ``Ellipsis``."""
    return not any(isinstance(i, array_type) for i in _items(index))


def complete_basic(index: Index, ndim: int) -> tuple[Any, ...]:
    """Return a basic index that names every axis (adds a trailing ``Ellipsis`` when needed)."""
    items = _items(index)
    if any(i is Ellipsis for i in items):
        return items
    consumed = sum(1 for i in items if i is not None)
    if consumed > ndim:
        raise IndexError(f"too many indices: index {index!r} for an array with {ndim} dimensions")
    return items + (Ellipsis,) if consumed < ndim else items


def _expand(xp: Any, index: Index, ndim: int, array_type: type) -> list[Any]:
    """Spell out an advanced index: one entry per axis (plus ``None``), masks as int arrays."""
    items: list[Any] = []
    for item in _items(index):
        if isinstance(item, array_type) and item.dtype == xp.bool:
            items.extend(xp.nonzero(item))  # a k-D mask is k integer arrays (NumPy's rule)
        elif isinstance(item, bool):
            raise IndexError(f"a Python bool {item!r} is not a supported index")
        elif isinstance(item, int):
            items.append(xp.asarray(item, dtype=xp.int64))  # with arrays, ints are advanced
        else:
            items.append(item)
    consumed = sum(1 for i in items if i is not None and i is not Ellipsis)
    if consumed > ndim:
        raise IndexError(f"too many indices: {consumed} given for an array with {ndim} dimensions")
    fill = [slice(None)] * (ndim - consumed)
    if any(i is Ellipsis for i in items):
        at = next(k for k, i in enumerate(items) if i is Ellipsis)
        items[at:at + 1] = fill
        if any(i is Ellipsis for i in items):
            raise IndexError("an index can only have a single ellipsis ('...')")
    else:
        items.extend(fill)
    return items


def getitem(xp: Any, a: Any, index: Index, array_type: type) -> Any:
    """``a[index]`` with NumPy semantics, using only standard indexing and :func:`take`."""
    ndim = len(a.shape)
    if is_basic(index, array_type):
        return a[complete_basic(index, ndim)]
    items = _expand(xp, index, ndim, array_type)
    # Pass 1: slices and None via basic indexing; array positions keep their whole axis.
    basic = tuple(None if i is None else (i if isinstance(i, slice) else slice(None))
                  for i in items)
    b = a[basic]
    adv = [k for k, i in enumerate(items) if isinstance(i, array_type)]
    arrays = xp.broadcast_arrays(*[items[k] for k in adv])
    out_shape = tuple(arrays[0].shape)
    # Pass 2: the advanced axes, moved to the front and flattened, are read with one take.
    rest = [k for k in range(len(b.shape)) if k not in adv]
    lead_sizes = [b.shape[k] for k in adv]
    flat_pos = None
    for axis, size, idx in zip(adv, lead_sizes, arrays):
        if idx.dtype == xp.bool or not xp.isdtype(idx.dtype, "integral"):
            raise IndexError(f"index arrays must be integer or boolean, got dtype {idx.dtype}")
        idx = xp.astype(idx, xp.int64)
        idx = xp.where(idx < 0, idx + size, idx)
        if bool(xp.any(xp.logical_or(idx < 0, idx >= size))):
            raise IndexError(f"index out of bounds for axis {axis} with size {size}")
        flat_pos = idx if flat_pos is None else flat_pos * size + idx
    moved = xp.permute_dims(b, tuple(adv + rest))
    rest_shape = tuple(b.shape[k] for k in rest)
    flat = xp.reshape(moved, (math.prod(lead_sizes),) + rest_shape)
    picked = xp.take(flat, xp.reshape(flat_pos, (-1,)), axis=0)
    out = xp.reshape(picked, out_shape + rest_shape)
    # NumPy puts the broadcast dimensions where the advanced indices stood when they are
    # adjacent, and in front otherwise.
    first = adv[0]
    if adv == list(range(first, first + len(adv))) and first > 0:
        nb = len(out_shape)
        order = (list(range(nb, nb + first)) + list(range(nb))
                 + list(range(nb + first, len(out.shape))))
        out = xp.permute_dims(out, tuple(order))
    return out


def scatter_add_positions(xp: Any, a: Any, index: Index, values: Any, array_type: type,
                          accumulate_dtype: Any) -> Any:
    """Return ``a`` plus ``values`` summed into ``a[index]``; repeated targets accumulate.

    The flat position of every indexed element is found by indexing an ``arange`` with the
    same index; positions are sorted, a cumulative sum (in ``accumulate_dtype``) is taken over
    the values in that order, and each position's total is the difference of the cumulative
    sum at the two ends of its run, located with :func:`searchsorted`.
    """
    size = math.prod(a.shape)
    positions = xp.reshape(xp.arange(size, dtype=xp.int64), tuple(a.shape))
    target = getitem(xp, positions, index, array_type)
    vals = xp.broadcast_to(xp.astype(values, accumulate_dtype), tuple(target.shape))
    t = xp.reshape(target, (-1,))
    v = xp.reshape(vals, (-1,))
    order = xp.argsort(t)
    t_sorted = xp.take(t, order)
    running = xp.cumulative_sum(xp.take(v, order), include_initial=True)
    every = xp.arange(size, dtype=xp.int64)
    left = xp.searchsorted(t_sorted, every, side="left")
    right = xp.searchsorted(t_sorted, every, side="right")
    totals = xp.take(running, right) - xp.take(running, left)
    return a + xp.astype(xp.reshape(totals, tuple(a.shape)), a.dtype)
