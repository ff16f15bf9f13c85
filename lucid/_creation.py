"""Functions that create tensors on the current (or a named) backend."""

from __future__ import annotations

from typing import Any

from . import _dtype
from ._tensor import Tensor
from .autograd.engine import share_with_host
from .backends import Backend, get_backend
from .backends.registry import current_backend, seed_all
from .ops._support import int_arg, size_arg


def _backend(backend: str | Backend | None) -> Backend:
    return current_backend() if backend is None else get_backend(backend)


def _shape(shape: tuple[Any, ...], op: str = "size") -> tuple[int, ...]:
    return size_arg(shape, op)


def _number(value: Any, name: str, op: str) -> Any:
    """A Python (or NumPy, or one-element tensor) number; strings, None and sequences raise."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise TypeError(f"{op}: {name} must be a number, got a tensor of shape {value.shape}")
        return value.item()
    if isinstance(value, (int, float)):
        return value
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "shape", None) == () and not hasattr(value, "__len__"):
        return _number(item(), name, op)  # a NumPy scalar
    raise TypeError(f"{op}: {name} must be a number, got {type(value).__name__} {value!r}")


def _float_dtype(dtype: Any) -> _dtype.DType:
    return _dtype.default_float if dtype is None else _dtype.get_dtype(dtype)


def _leaf(data: Any, b: Backend, requires_grad: bool) -> Tensor:
    t = Tensor._wrap(data, b)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False,
           backend: str | Backend | None = None) -> Tensor:
    """Create a tensor from Python data, a NumPy array or another tensor (always a copy)."""
    if isinstance(data, Tensor):
        data = data.detach()
        out = data.to(backend) if backend is not None else data
        out = Tensor._wrap(out.backend.add(out._data, 0) if dtype is None
                           else out.backend.astype(out._data, _dtype.get_dtype(dtype)), out.backend)
        return out.requires_grad_(True) if requires_grad else out
    if not isinstance(data, (int, float, bool, list, tuple)) and callable(
            getattr(data, "copy", None)):
        data = data.copy()  # never alias the caller's array (``from_numpy`` is the sharing form)
    return Tensor(data, dtype=dtype, requires_grad=requires_grad, backend=backend)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          backend: str | Backend | None = None) -> Tensor:
    """A tensor of zeros; ``shape`` as varargs or one tuple."""
    b = _backend(backend)
    return _leaf(b.zeros(_shape(shape, "zeros"), _float_dtype(dtype)), b, requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False,
         backend: str | Backend | None = None) -> Tensor:
    """A tensor of ones."""
    b = _backend(backend)
    return _leaf(b.ones(_shape(shape, "ones"), _float_dtype(dtype)), b, requires_grad)


def full(shape: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False,
         backend: str | Backend | None = None) -> Tensor:
    """A tensor filled with ``fill_value``."""
    b = _backend(backend)
    fill_value = _number(fill_value, "fill_value", "full")
    if dtype is None:
        dtype = (_dtype.bool_ if isinstance(fill_value, bool) else
                 _dtype.int64 if isinstance(fill_value, int) else _dtype.default_float)
    shp = _shape((shape,), "full")
    return _leaf(b.full(shp, fill_value, _dtype.get_dtype(dtype)), b, requires_grad)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False, backend: str | Backend | None = None) -> Tensor:
    """Evenly spaced values in ``[start, stop)`` (int64 for int arguments, else float32)."""
    if stop is None:
        start, stop = 0, start
    start, stop, step = (_number(v, n, "arange") for v, n in
                         ((start, "start"), (stop, "end"), (step, "step")))
    if any(v != v or v in (float("inf"), float("-inf")) for v in (start, stop, step)):
        raise RuntimeError(f"arange: unsupported range: start={start}, end={stop}, step={step} "
                           f"(every bound must be finite)")
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (stop - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={stop}, step={step})")
    if dtype is None:
        ints = all(isinstance(v, int) for v in (start, stop, step))
        dtype = _dtype.int64 if ints else _dtype.default_float
    b = _backend(backend)
    return _leaf(b.arange(start, stop, step, _dtype.get_dtype(dtype)), b, requires_grad)


def linspace(start: float, stop: float, num: int, dtype: Any = None,
             backend: str | Backend | None = None) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` inclusive."""
    num = int_arg(num, "steps", "linspace")
    if num < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {num}")
    start, stop = _number(start, "start", "linspace"), _number(stop, "end", "linspace")
    b = _backend(backend)
    dt = _float_dtype(dtype)
    if num == 0:
        return Tensor._wrap(b.zeros((0,), dt), b)
    if num == 1:
        return Tensor._wrap(b.full((1,), start, dt), b)
    step = (stop - start) / (num - 1)
    data = b.add(b.multiply(b.arange(0, num, 1, dt), step), start)
    return Tensor._wrap(data, b)


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          backend: str | Backend | None = None) -> Tensor:
    """Standard-normal samples from the backend's seeded generator."""
    b = _backend(backend)
    return _leaf(b.random_normal(_shape(shape, "randn"), _float_dtype(dtype)), b, requires_grad)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False,
         backend: str | Backend | None = None) -> Tensor:
    """Uniform samples in ``[0, 1)``."""
    b = _backend(backend)
    return _leaf(b.random_uniform(_shape(shape, "rand"), 0.0, 1.0, _float_dtype(dtype)), b,
                 requires_grad)


def uniform(*shape: Any, low: float = 0.0, high: float = 1.0, dtype: Any = None,
            backend: str | Backend | None = None) -> Tensor:
    """Uniform samples in ``[low, high)``."""
    low, high = _number(low, "low", "uniform"), _number(high, "high", "uniform")
    if not low <= high:
        raise RuntimeError(f"uniform: expects to return a [from, to) range, but found "
                           f"from={low} > to={high}")
    b = _backend(backend)
    return Tensor._wrap(b.random_uniform(_shape(shape, "uniform"), low, high,
                                         _float_dtype(dtype)), b)


def randint(low: int, high: int | None = None, size: Any = (), dtype: Any = None,
            backend: str | Backend | None = None) -> Tensor:
    """Random integers in ``[low, high)``; ``randint(high, size)`` as in PyTorch."""
    if isinstance(high, (tuple, list)) and size == ():  # randint(high, size), as PyTorch
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    low, high = int_arg(low, "low", "randint"), int_arg(high, "high", "randint")
    if low >= high:
        raise RuntimeError(f"randint: random_ expects 'from' to be less than 'to', but got "
                           f"from={low} >= to={high}")
    b = _backend(backend)
    shp = _shape((size,), "randint")
    u = b.random_uniform(shp, 0.0, 1.0, _dtype.float64)
    ints = b.astype(b.add(b.multiply(u, high - low), low), _dtype.int64)
    return Tensor._wrap(b.astype(ints, _dtype.get_dtype(dtype or _dtype.int64)), b)


def _like(x: Tensor, dtype: Any, backend: Any) -> tuple[Backend, _dtype.DType]:
    b = x.backend if backend is None else get_backend(backend)
    return b, x.dtype if dtype is None else _dtype.get_dtype(dtype)


def zeros_like(x: Tensor, dtype: Any = None, requires_grad: bool = False,
               backend: Any = None) -> Tensor:
    """Zeros with the shape (and by default dtype and backend) of ``x``."""
    b, dt = _like(x, dtype, backend)
    return _leaf(b.zeros(x.shape, dt), b, requires_grad)


def ones_like(x: Tensor, dtype: Any = None, requires_grad: bool = False,
              backend: Any = None) -> Tensor:
    """Ones with the shape of ``x``."""
    b, dt = _like(x, dtype, backend)
    return _leaf(b.ones(x.shape, dt), b, requires_grad)


def full_like(x: Tensor, fill_value: float, dtype: Any = None, backend: Any = None, *,
              requires_grad: bool = False) -> Tensor:
    """``fill_value`` with the shape of ``x``."""
    b, dt = _like(x, dtype, backend)
    return _leaf(b.full(x.shape, fill_value, dt), b, requires_grad)


def empty_like(x: Tensor, dtype: Any = None, requires_grad: bool = False,
               backend: Any = None) -> Tensor:
    """A tensor shaped like ``x``; lucid fills it with zeros (never uninitialised memory)."""
    return zeros_like(x, dtype, requires_grad, backend)


def empty(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          backend: str | Backend | None = None) -> Tensor:
    """A tensor of ``shape``; lucid fills it with zeros (never uninitialised memory)."""
    return zeros(*shape, dtype=dtype, requires_grad=requires_grad, backend=backend)


def randn_like(x: Tensor, dtype: Any = None, backend: Any = None, *,
               requires_grad: bool = False) -> Tensor:
    """Standard-normal samples with the shape of ``x``."""
    b, dt = _like(x, dtype, backend)
    return _leaf(b.random_normal(x.shape, dt), b, requires_grad)


def rand_like(x: Tensor, dtype: Any = None, backend: Any = None, *,
              requires_grad: bool = False) -> Tensor:
    """Uniform samples with the shape of ``x``."""
    b, dt = _like(x, dtype, backend)
    return _leaf(b.random_uniform(x.shape, 0.0, 1.0, dt), b, requires_grad)


def from_numpy(array: Any, backend: str | Backend | None = None) -> Tensor:
    """Wrap a NumPy array (shared memory on the NumPy backend, copied elsewhere).

    As in PyTorch, writes into ``array`` show in the tensor and the other way round. lucid
    cannot see such writes, so the rule for gradients is: once the tensor requires grad, each
    op that saves it for backward keeps a copy and ``backward()`` raises if ``array`` was
    changed in between (PyTorch silently returns a wrong gradient). While the tensor does not
    require grad, keep ``array`` unchanged until backward yourself, as in PyTorch: checking it
    would copy every data batch. ``lucid.tensor(array)`` copies instead of sharing.
    """
    if not (hasattr(array, "shape") and hasattr(array, "dtype")) or isinstance(array, Tensor):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    b = _backend(backend)
    arr = b.asarray(array)
    try:
        b.dtype_of(arr)
    except TypeError:
        raise TypeError(f"from_numpy: can't convert an array of type {array.dtype}; the "
                        f"supported types are {', '.join(sorted(_dtype.ALL_DTYPES))}") from None
    t = Tensor._wrap(arr, b)
    if arr is array:
        share_with_host(t)
    return t


def manual_seed(seed: int) -> None:
    """Seed the random generators of every backend, loaded now or later."""
    seed_all(int(seed))
