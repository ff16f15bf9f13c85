"""``lucid.Tensor``: one backend's native array plus what autograd needs.

The tensor's operators and methods are the op table of :mod:`lucid.ops`, which in turn
returns tensors: the one import cycle lucid allows (see docs/architecture.md). Everything
the tensor shows of its values (``item``, ``tolist``, ``repr``) goes through its backend.
"""

from __future__ import annotations

import builtins
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import _dtype
from .autograd.engine import backward as _run_backward
from .autograd.engine import share_with_host
from .autograd.function import register_tensor_class
from .autograd.hooks import RemovableHandle, add_hook
from .backends import DEFAULT_BACKEND, Backend, MixedBackendError, get_backend
from .backends.registry import current_backend

if TYPE_CHECKING:
    from .autograd.engine import Node


class Tensor:
    """An n-dimensional array on one backend, optionally recording operations for autograd."""

    __slots__ = ("_data", "backend", "requires_grad", "grad", "_node", "_retains_grad",
                 "_grad_hooks", "_version", "__weakref__")
    __array_priority__ = 1000  # make NumPy defer to Tensor's reflected operators

    _data: Any
    backend: Backend
    requires_grad: bool
    grad: Tensor | None
    _node: Node | None
    _retains_grad: bool

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False,
                 backend: str | Backend | None = None) -> None:
        b = current_backend() if backend is None else get_backend(backend)
        if isinstance(data, Tensor):
            if data.backend is not b:
                data = data.to(b)
            arr = data._data
            if dtype is not None:
                arr = b.astype(arr, _dtype.get_dtype(dtype))
        else:
            arr = _to_native(b, data, dtype)
            if arr is data:  # the caller's array itself: watched like lucid.from_numpy's
                share_with_host(self)
        self._data = arr
        self.backend = b
        self.grad: Tensor | None = None
        self._node: Node | None = None
        self._retains_grad = False
        self._version = 0
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, data: Any, backend: Backend, node: Node | None = None) -> Tensor:
        """Fast internal constructor around an existing native array."""
        t = object.__new__(cls)
        t._data = data
        t.backend = backend
        t.grad = None
        t._node = node
        t._retains_grad = False
        t._version = 0
        t.requires_grad = node is not None
        return t

    # ------------------------------------------------------------ properties
    @property
    def data(self) -> Any:
        """The backend's native array holding the values (the array itself, not a copy).

        Stricter than PyTorch, to rule out silently wrong gradients: while the tensor
        requires grad, handing its array to code outside lucid counts as an in-place write
        (that code may write into it, and no array library tells lucid), so the version
        counter is bumped and a later backward through a graph that saved this tensor raises
        PyTorch's "modified by an inplace operation" error. PyTorch gives ``x.data`` its own
        version counter, so there such writes go unnoticed. Initialising parameters through
        ``.data`` before the forward pass is unaffected; to read values between forward and
        backward use ``detach()``, ``tolist()`` or ``item()``. lucid's own modules read the
        array without counting: they never write into arrays.
        """
        if self.requires_grad:
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if not (caller == "lucid" or caller.startswith("lucid.")):
                self._version += 1
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        """Replace the array: an in-place write, so the version counter is bumped."""
        self._data = value
        self._version = getattr(self, "_version", -1) + 1

    @property
    def shape(self) -> tuple[int, ...]:
        """The tensor's shape as a tuple of ints."""
        return tuple(self.backend.shape(self._data))

    @property
    def dtype(self) -> _dtype.DType:
        """The tensor's lucid dtype."""
        return self.backend.dtype_of(self._data)

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.backend.shape(self._data))

    def size(self, dim: int | None = None) -> Any:
        """The shape (a tuple), or the length of dimension ``dim``, as PyTorch's ``size``."""
        shape = tuple(self.backend.shape(self._data))
        if dim is None:
            return shape
        if not shape:
            raise _ops._support.no_dims_error("size", dim)
        return shape[_wrap_dim(dim, len(shape), "size")]

    def numel(self) -> int:
        """Number of elements."""
        n = 1
        for s in self.backend.shape(self._data):
            n *= s
        return n

    def dim(self) -> int:
        """Number of dimensions."""
        return self.ndim

    @property
    def is_leaf(self) -> bool:
        """True for tensors created by the user rather than by a recorded operation."""
        return self._node is None

    @property
    def grad_fn(self) -> Node | None:
        """The recorded operation that produced this tensor, or None for leaves."""
        return self._node

    @property
    def device(self) -> str:
        """The name of the backend holding this tensor."""
        return self.backend.name

    @property
    def T(self) -> Tensor:
        """The tensor with its axes reversed."""
        return _ops.permute(self, tuple(reversed(range(self.ndim))))

    # ------------------------------------------------------------ conversion
    def numpy(self) -> Any:
        """Return the values as a host ``numpy.ndarray`` (shares memory on the NumPy backend).

        NumPy is lucid's host interchange format: this is how values leave a backend. For a
        tensor that requires grad the array is a *read-only* view: a write into it would
        change values that backward needs without lucid noticing, so NumPy refuses the write
        on the spot ("assignment destination is read-only"). PyTorch refuses the call itself
        ("Can't call numpy() on Tensor that requires grad"); lucid lets reading through, since
        reading is safe, and ``t.detach().numpy()`` gives a writable array as in PyTorch.
        """
        arr = self.backend.to_numpy(self._data)
        return _read_only(arr) if self.requires_grad else arr

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        """NumPy's conversion hook (``numpy.asarray(t)``): read-only for a tensor that
        requires grad, as :meth:`numpy`."""
        arr = self.backend.to_numpy(self._data)
        if dtype is not None:
            arr = arr.astype(dtype)
        return _read_only(arr) if self.requires_grad else arr

    def item(self) -> Any:
        """Return the single value of a one-element tensor as a Python number."""
        if self.numel() != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.backend.item(self._data)

    def tolist(self) -> Any:
        """Return the values as (nested) Python lists."""
        return self.backend.tolist(self._data)

    def to(self, target: Any = None, dtype: Any = None) -> Tensor:
        """Return this tensor on another backend and/or dtype (``t.to("cupy")``)."""
        if target is not None and dtype is None and _is_dtype_like(target):
            target, dtype = None, target
        out = self
        if target is not None:
            b = get_backend(target)
            if b is not self.backend:
                out = _ops.to_backend(out, b)
        if dtype is not None:
            out = _ops.astype(out, _dtype.get_dtype(dtype))
        return out

    def astype(self, dtype: Any) -> Tensor:
        """Return a copy converted to ``dtype`` (differentiable between float dtypes)."""
        return _ops.astype(self, _dtype.get_dtype(dtype))

    def float(self) -> Tensor:
        """Convert to float32."""
        return self.astype(_dtype.float32)

    def double(self) -> Tensor:
        """Convert to float64."""
        return self.astype(_dtype.float64)

    def long(self) -> Tensor:
        """Convert to int64."""
        return self.astype(_dtype.int64)

    # -------------------------------------------------------------- autograd
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set whether gradients are accumulated into this leaf tensor; returns self."""
        if requires_grad and not self.dtype.is_floating:
            raise TypeError(f"only floating-point tensors can require grad, got {self.dtype}")
        if not requires_grad and self._node is not None:
            raise RuntimeError("cannot turn off requires_grad on a non-leaf tensor; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor during backward."""
        self._retains_grad = True

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is complete; returns a handle.

        As in PyTorch, the hook runs before the gradient is accumulated into ``.grad`` (a
        leaf) or passed on to ``grad_fn`` (a non-leaf), and may return a tensor of the same
        shape to use instead; hooks run in registration order.
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        if not callable(hook):
            raise TypeError(f"register_hook(hook): hook must be callable, got "
                            f"{type(hook).__name__}")
        hooks: dict[int, Any] | None = getattr(self, "_grad_hooks", None)
        if hooks is None:
            hooks = {}
            self._grad_hooks = hooks
        b = self.backend

        def on_grad(g: Any) -> Any:
            out = hook(Tensor._wrap(g, b))
            if out is None:
                return None
            if not isinstance(out, Tensor) or out.backend is not b:
                raise TypeError(f"tensor hook {on_grad.__name__!r} must return None or a "
                                f"lucid.Tensor on backend {b.name!r}, got {out!r}")
            return out._data

        on_grad.__name__ = getattr(hook, "__name__", type(hook).__name__)
        return add_hook(hooks, on_grad)

    def detach(self) -> Tensor:
        """Return a tensor sharing the data but cut from the graph."""
        return Tensor._wrap(self._data, self.backend)

    def backward(self, gradient: Any = None, retain_graph: bool = False) -> None:
        """Compute gradients of this tensor with respect to the graph's leaves.

        ``gradient`` (a tensor, a native array or Python data shaped like this tensor) is
        required unless the tensor holds one element.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that does not require grad; create the inputs "
                "with requires_grad=True (and outside lucid.no_grad())"
            )
        b = self.backend
        if gradient is None:
            if self.numel() != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; got shape "
                    f"{self.shape}. Pass a gradient tensor of the same shape to backward()."
                )
            g = b.ones(self.shape, self.dtype)
        elif isinstance(gradient, Tensor):
            if gradient.backend is not b:
                raise MixedBackendError(
                    f"backward: the gradient is on backend {gradient.backend.name!r} but the "
                    f"tensor on {b.name!r}; move it with .to({b.name!r}) first")
            g = gradient._data
        else:
            g = gradient if b.is_native(gradient) else b.asarray(gradient, self.dtype)
        if tuple(b.shape(g)) != self.shape:
            raise ValueError(f"gradient shape {tuple(b.shape(g))} does not match output shape "
                             f"{self.shape}")
        _run_backward(self, g, retain_graph)

    def _accumulate_grad(self, g: Any, owned: bool) -> None:
        """Add the native gradient ``g`` into ``.grad`` (``owned``: ``g`` may be kept as is)."""
        b = self.backend
        if self.grad is None:
            self.grad = Tensor._wrap(g if owned else b.add(g, 0), b)
        else:
            self.grad = Tensor._wrap(b.add(self.grad._data, g), b)

    def clone(self) -> Tensor:
        """Return a differentiable copy."""
        return _ops.mul(self, 1)

    # ----------------------------------------------------------------- repr
    # ---------------------------------------------------------------- pickling
    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        """Pickle and deep-copy a leaf by value, naming its backend (a process singleton)."""
        if self._node is not None:
            raise RuntimeError("only tensors created by the user (graph leaves) can be pickled "
                               "or deep-copied; call .detach() first")
        return (_rebuild, (type(self), self.backend.name, self.backend.to_numpy(self._data),
                           self.requires_grad, self.grad))

    # ----------------------------------------------------------------- repr
    def __repr__(self) -> str:
        body = self.backend.format_array(self._data, prefix="tensor(")
        extras = []
        if self.backend.name != DEFAULT_BACKEND:
            extras.append(f"backend={self.backend.name!r}")
        if self.dtype not in (_dtype.float32, _dtype.int64, _dtype.bool_):
            extras.append(f"dtype={self.dtype!r}")
        if self._node is not None:
            extras.append(f"grad_fn={self._node!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.numel()} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.item())

    def __float__(self) -> builtins.float:
        return builtins.float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.is_floating or self.numel() != 1:
            raise TypeError(f"only integer tensors of one element can be used as an index, "
                            f"got a {self.dtype.name} tensor of shape {self.shape}")
        return int(self.item())

    __hash__ = object.__hash__

    # ------------------------------------------------------------ operators
    def __add__(self, o):
        if not isinstance(o, _OPERANDS) and not hasattr(o, "dtype"):
            return NotImplemented
        return _ops.add(self, o)

    def __radd__(self, o):
        if not isinstance(o, _OPERANDS) and not hasattr(o, "dtype"):
            return NotImplemented
        return _ops.add(o, self)

    def __sub__(self, o):
        if not isinstance(o, _OPERANDS) and not hasattr(o, "dtype"):
            return NotImplemented
        return _ops.sub(self, o)

    def __rsub__(self, o):
        if not isinstance(o, _OPERANDS) and not hasattr(o, "dtype"):
            return NotImplemented
        return _ops.sub(o, self)

    def __mul__(self, o):
        if not isinstance(o, _OPERANDS) and not hasattr(o, "dtype"):
            return NotImplemented
        return _ops.mul(self, o)

    def __rmul__(self, o):
        if not isinstance(o, _OPERANDS) and not hasattr(o, "dtype"):
            return NotImplemented
        return _ops.mul(o, self)

    def __truediv__(self, o):
        if not isinstance(o, _OPERANDS) and not hasattr(o, "dtype"):
            return NotImplemented
        return _ops.div(self, o)

    def __rtruediv__(self, o):
        if not isinstance(o, _OPERANDS) and not hasattr(o, "dtype"):
            return NotImplemented
        return _ops.div(o, self)

    def __pow__(self, o):
        if not isinstance(o, _OPERANDS) and not hasattr(o, "dtype"):
            return NotImplemented
        return _ops.pow(self, o)

    def __rpow__(self, o):
        if not isinstance(o, _OPERANDS) and not hasattr(o, "dtype"):
            return NotImplemented
        return _ops.pow(o, self)

    def __matmul__(self, o):
        if not isinstance(o, _OPERANDS) and not hasattr(o, "dtype"):
            return NotImplemented
        return _ops.matmul(self, o)

    def __rmatmul__(self, o):
        if not isinstance(o, _OPERANDS) and not hasattr(o, "dtype"):
            return NotImplemented
        return _ops.matmul(o, self)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __eq__(self, o):  # type: ignore[override]
        if not isinstance(o, _OPERANDS) and not hasattr(o, "dtype"):
            return NotImplemented
        return _ops.eq(self, o)

    def __ne__(self, o):  # type: ignore[override]
        if not isinstance(o, _OPERANDS) and not hasattr(o, "dtype"):
            return NotImplemented
        return _ops.ne(self, o)

    def __lt__(self, o):
        if not isinstance(o, _OPERANDS) and not hasattr(o, "dtype"):
            return NotImplemented
        return _ops.lt(self, o)

    def __le__(self, o):
        if not isinstance(o, _OPERANDS) and not hasattr(o, "dtype"):
            return NotImplemented
        return _ops.le(self, o)

    def __gt__(self, o):
        if not isinstance(o, _OPERANDS) and not hasattr(o, "dtype"):
            return NotImplemented
        return _ops.gt(self, o)

    def __ge__(self, o):
        if not isinstance(o, _OPERANDS) and not hasattr(o, "dtype"):
            return NotImplemented
        return _ops.ge(self, o)

    def __invert__(self):
        return _ops.logical_not(self)

    def __and__(self, o):
        if not isinstance(o, _OPERANDS) and not hasattr(o, "dtype"):
            return NotImplemented
        return _ops.logical_and(self, o)

    def __or__(self, o):
        if not isinstance(o, _OPERANDS) and not hasattr(o, "dtype"):
            return NotImplemented
        return _ops.logical_or(self, o)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    # ---------------------------------------------------- methods (see lucid._ops)
    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Sum over ``dim`` (all when None)."""
        return _ops.sum(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Mean over ``dim`` (all when None)."""
        return _ops.mean(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=None):
        """Variance over ``dim`` with PyTorch's ``correction`` (default 1)."""
        return _ops.var(self, dim, unbiased, keepdim, correction=correction, axis=axis,
                        keepdims=keepdims)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=None):
        """Standard deviation over ``dim`` with PyTorch's ``correction`` (default 1)."""
        return _ops.std(self, dim, unbiased, keepdim, correction=correction, axis=axis,
                        keepdims=keepdims)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Maximum of all elements, ``(values, indices)`` along an int ``dim``, or
        the element-wise maximum with another tensor."""
        return _ops.max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Minimum, like :meth:`max`."""
        return _ops.min(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Maximum over one or several dims (ties share the gradient)."""
        return _ops.amax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Minimum over one or several dims (ties share the gradient)."""
        return _ops.amin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Indices of the maxima along ``dim``."""
        return _ops.argmax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Indices of the minima along ``dim``."""
        return _ops.argmin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def prod(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Product over ``dim`` (all when None)."""
        return _ops.prod(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def logsumexp(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """``log(sum(exp(x)))`` over ``dim``, without overflow."""
        return _ops.logsumexp(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def norm(self, p="fro", dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The vector ``p``-norm over ``dim``."""
        return _ops.norm(self, p, dim, keepdim, axis=axis, keepdims=keepdims)

    def cumsum(self, dim=None, *, axis=None):
        """Running sum along ``dim``."""
        return _ops.cumsum(self, dim, axis=axis)

    def cumprod(self, dim=None, *, axis=None):
        """Running product along ``dim``."""
        return _ops.cumprod(self, dim, axis=axis)

    def any(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Is any element over ``dim`` non-zero? A bool tensor, as PyTorch."""
        return _ops.any(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def all(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Is every element over ``dim`` non-zero? A bool tensor, as PyTorch."""
        return _ops.all(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def reshape(self, *shape):
        """Return the tensor with a new shape (varargs or one tuple; one entry may be -1)."""
        return _ops.reshape(self, *shape)

    view = reshape

    def transpose(self, *axes):
        """Permute axes (no args: reverse; two ints: swap them, like PyTorch)."""
        return _ops.transpose(self, *axes)

    def permute(self, *axes):
        """Permute axes into the given order."""
        return _ops.permute(self, axes[0] if len(axes) == 1 and not isinstance(axes[0], int)
                            else axes)

    def squeeze(self, dim=None, *, axis=None):
        """Remove axes of length one."""
        return _ops.squeeze(self, dim if axis is None else axis)

    def unsqueeze(self, dim=None, *, axis=None):
        """Insert an axis of length one."""
        return _ops.unsqueeze(self, dim if axis is None else axis)

    def flatten(self, start_dim=0, end_dim=-1):
        """Flatten dims ``start_dim..end_dim`` into one."""
        return _ops.flatten(self, start_dim, end_dim)

    def expand(self, *shape):
        """Broadcast to a larger shape (-1 keeps a size)."""
        return _ops.broadcast_to(self, *shape)

    def broadcast_to(self, *shape):
        """Broadcast to ``shape``."""
        return _ops.broadcast_to(self, *shape)

    def exp(self):
        """Elementwise exponential."""
        return _ops.exp(self)

    def log(self):
        """Elementwise natural logarithm."""
        return _ops.log(self)

    def sqrt(self):
        """Elementwise square root."""
        return _ops.sqrt(self)

    def abs(self):
        """Elementwise absolute value."""
        return _ops.abs(self)

    def tanh(self):
        """Elementwise tanh."""
        return _ops.tanh(self)

    def sigmoid(self):
        """Elementwise logistic sigmoid."""
        return _ops.sigmoid(self)

    def relu(self):
        """Elementwise ``max(x, 0)``."""
        return _ops.relu(self)

    def clip(self, min=None, max=None):
        """Clamp values into ``[min, max]``."""
        return _ops.clip(self, min, max)

    clamp = clip

    def pow(self, exponent):
        """Elementwise power."""
        return _ops.pow(self, exponent)

    def matmul(self, other):
        """Matrix product."""
        return _ops.matmul(self, other)

    def softmax(self, dim=-1, *, axis=None):
        """Softmax along ``dim``."""
        return _ops.softmax(self, dim if axis is None else axis)

    def log_softmax(self, dim=-1, *, axis=None):
        """Log-softmax along ``dim``."""
        return _ops.log_softmax(self, dim if axis is None else axis)

    # ----------------------------------------------- comparisons (bool, no gradient)
    def eq(self, other):
        """Element-wise ``==``."""
        return _ops.eq(self, other)

    def ne(self, other):
        """Element-wise ``!=``."""
        return _ops.ne(self, other)

    def lt(self, other):
        """Element-wise ``<``."""
        return _ops.lt(self, other)

    def le(self, other):
        """Element-wise ``<=``."""
        return _ops.le(self, other)

    def gt(self, other):
        """Element-wise ``>``."""
        return _ops.gt(self, other)

    def ge(self, other):
        """Element-wise ``>=``."""
        return _ops.ge(self, other)

    # ---------------------------------------------- selection, shape and products
    def gather(self, dim, index):
        """``self`` picked at ``index`` along ``dim``."""
        return _ops.gather(self, dim, index)

    def scatter(self, dim, index, src=None, *, value=None):
        """A copy with ``src`` (or ``value``) written at ``index`` along ``dim``."""
        return _ops.scatter(self, dim, index, src, value=value)

    def scatter_add(self, dim, index, src):
        """A copy with ``src`` added at ``index`` along ``dim``."""
        return _ops.scatter_add(self, dim, index, src)

    def index_select(self, dim, index):
        """The entries at the 1-D ``index`` along ``dim``."""
        return _ops.index_select(self, dim, index)

    def masked_fill(self, mask, value):
        """A copy with ``value`` where ``mask`` holds."""
        return _ops.masked_fill(self, mask, value)

    def sort(self, dim=-1, descending=False, stable=False):
        """``(values, indices)`` sorted along ``dim``."""
        return _ops.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        """Indices that sort along ``dim``."""
        return _ops.argsort(self, dim, descending, stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """``(values, indices)`` of the ``k`` largest entries along ``dim``."""
        return _ops.topk(self, k, dim, largest, sorted)

    def split(self, split_size, dim=0):
        """Pieces along ``dim``."""
        return _ops.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        """At most ``chunks`` equal pieces along ``dim``."""
        return _ops.chunk(self, chunks, dim)

    def repeat(self, *sizes):
        """Tiled ``sizes[i]`` times along each dimension."""
        return _ops.repeat(self, *sizes)

    def tile(self, *dims):
        """Tiled ``dims`` times (counts align from the right)."""
        return _ops.tile(self, dims[0] if len(dims) == 1 and not isinstance(dims[0], int)
                         else dims)

    def flip(self, *dims):
        """Entries along ``dims`` reversed."""
        return _ops.flip(self, dims[0] if len(dims) == 1 and not isinstance(dims[0], int)
                         else dims)

    def roll(self, shifts, dims=None):
        """Entries shifted with wrap-around."""
        return _ops.roll(self, shifts, dims)

    def mm(self, other):
        """Matrix product of two 2-D tensors."""
        return _ops.mm(self, other)

    def bmm(self, other):
        """Batched matrix product of two 3-D tensors."""
        return _ops.bmm(self, other)

    def dot(self, other):
        """Inner product of two 1-D tensors."""
        return _ops.dot(self, other)

    # ------------------------------------------------------------------ creation
    def new_zeros(self, *size, dtype=None, requires_grad=False):
        """Zeros of ``size`` with this tensor's dtype and backend."""
        return self.new_full(_size_arg(size), 0, dtype=dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False):
        """Ones of ``size`` with this tensor's dtype and backend."""
        return self.new_full(_size_arg(size), 1, dtype=dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, requires_grad=False):
        """``fill_value`` everywhere, with this tensor's dtype and backend."""
        dt = self.dtype if dtype is None else _dtype.get_dtype(dtype)
        out = Tensor._wrap(self.backend.full(_size_arg((size,)), fill_value, dt), self.backend)
        return out.requires_grad_(True) if requires_grad else out

    def new_tensor(self, data, *, dtype=None, requires_grad=False):
        """A new leaf from ``data`` with this tensor's dtype (unless given) and backend."""
        return Tensor(data, dtype=self.dtype if dtype is None else dtype,
                      requires_grad=requires_grad, backend=self.backend)

    def contiguous(self):
        """This tensor: lucid's arrays need no separate contiguous copy."""
        return self

    # ------------------------------------------------------ in-place (lucid.ops.inplace)
    def __setitem__(self, index, value):
        _ops.apply_inplace(self, "__setitem__", lambda t: _ops.setitem(t, index, value))

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def add_(self, other, *, alpha=1):
        """In-place ``self += alpha * other``."""
        o = other if alpha == 1 else _ops.mul(other, alpha)
        return _ops.apply_inplace(self, "add_", lambda t: _ops.add(t, o))

    def sub_(self, other, *, alpha=1):
        """In-place ``self -= alpha * other``."""
        o = other if alpha == 1 else _ops.mul(other, alpha)
        return _ops.apply_inplace(self, "sub_", lambda t: _ops.sub(t, o))

    def mul_(self, other):
        """In-place ``self *= other``."""
        return _ops.apply_inplace(self, "mul_", lambda t: _ops.mul(t, other))

    def div_(self, other):
        """In-place ``self /= other``."""
        return _ops.apply_inplace(self, "div_", lambda t: _ops.div(t, other))

    def pow_(self, exponent):
        """In-place ``self **= exponent``."""
        return _ops.apply_inplace(self, "pow_", lambda t: _ops.pow(t, exponent))

    def clamp_(self, min=None, max=None):
        """In-place clamp into ``[min, max]``."""
        return _ops.apply_inplace(self, "clamp_", lambda t: _ops.clip(t, min, max))

    clip_ = clamp_

    def round_(self, *, decimals=0):
        """In-place rounding."""
        return _ops.apply_inplace(self, "round_", lambda t: _ops.round(t, decimals=decimals))

    def zero_(self):
        """In-place fill with zeros."""
        return _ops.apply_inplace(self, "zero_", lambda t: _ops.fill(t, 0))

    def fill_(self, value):
        """In-place fill with ``value``."""
        return _ops.apply_inplace(self, "fill_", lambda t: _ops.fill(t, value))

    def copy_(self, src):
        """In-place copy of ``src``'s values (broadcast, cast to this dtype); the gradient
        goes to ``src``."""
        if not isinstance(src, Tensor):
            src = Tensor(src, dtype=self.dtype, backend=self.backend)

        def copy(t):
            s = src.to(t.backend) if src.backend is not t.backend else src
            s = s.astype(t.dtype) if s.dtype != t.dtype else s
            return _ops.broadcast_to(s, t.shape) if s.shape != t.shape else _ops.mul(s, 1)

        return _ops.apply_inplace(self, "copy_", copy)

    def masked_fill_(self, mask, value):
        """In-place ``value`` where ``mask`` holds."""
        return _ops.apply_inplace(self, "masked_fill_", lambda t: _ops.masked_fill(t, mask, value))

    def scatter_(self, dim, index, src=None, *, value=None):
        """In-place :meth:`scatter`."""
        return _ops.apply_inplace(self, "scatter_",
                                  lambda t: _ops.scatter(t, dim, index, src, value=value))

    def scatter_add_(self, dim, index, src):
        """In-place :meth:`scatter_add`."""
        return _ops.apply_inplace(self, "scatter_add_",
                                  lambda t: _ops.scatter_add(t, dim, index, src))

    def neg_(self):
        """In-place :meth:`neg`."""
        return _ops.apply_inplace(self, "neg_", _ops.neg)

    def exp_(self):
        """In-place :meth:`exp`."""
        return _ops.apply_inplace(self, "exp_", _ops.exp)

    def log_(self):
        """In-place :meth:`log`."""
        return _ops.apply_inplace(self, "log_", _ops.log)

    def sqrt_(self):
        """In-place :meth:`sqrt`."""
        return _ops.apply_inplace(self, "sqrt_", _ops.sqrt)

    def abs_(self):
        """In-place :meth:`abs`."""
        return _ops.apply_inplace(self, "abs_", _ops.abs)

    def sigmoid_(self):
        """In-place :meth:`sigmoid`."""
        return _ops.apply_inplace(self, "sigmoid_", _ops.sigmoid)

    def tanh_(self):
        """In-place :meth:`tanh`."""
        return _ops.apply_inplace(self, "tanh_", _ops.tanh)

    def relu_(self):
        """In-place :meth:`relu`."""
        return _ops.apply_inplace(self, "relu_", _ops.relu)

    def sin_(self):
        """In-place :meth:`sin`."""
        return _ops.apply_inplace(self, "sin_", _ops.sin)

    def cos_(self):
        """In-place :meth:`cos`."""
        return _ops.apply_inplace(self, "cos_", _ops.cos)

    def floor_(self):
        """In-place :meth:`floor`."""
        return _ops.apply_inplace(self, "floor_", _ops.floor)

    def ceil_(self):
        """In-place :meth:`ceil`."""
        return _ops.apply_inplace(self, "ceil_", _ops.ceil)

    def trunc_(self):
        """In-place :meth:`trunc`."""
        return _ops.apply_inplace(self, "trunc_", _ops.trunc)

    def log1p_(self):
        """In-place :meth:`log1p`."""
        return _ops.apply_inplace(self, "log1p_", _ops.log1p)

    def expm1_(self):
        """In-place :meth:`expm1`."""
        return _ops.apply_inplace(self, "expm1_", _ops.expm1)

    def sign_(self):
        """In-place :meth:`sign`."""
        return _ops.apply_inplace(self, "sign_", _ops.sign)

    # ------------------------------------------------ math (lucid.ops trig/special/rounding)
    def sin(self):
        """Element-wise sine."""
        return _ops.sin(self)

    def cos(self):
        """Element-wise cosine."""
        return _ops.cos(self)

    def tan(self):
        """Element-wise tangent."""
        return _ops.tan(self)

    def asin(self):
        """Element-wise inverse sine."""
        return _ops.asin(self)

    def acos(self):
        """Element-wise inverse cosine."""
        return _ops.acos(self)

    def atan(self):
        """Element-wise inverse tangent."""
        return _ops.atan(self)

    def sinh(self):
        """Element-wise hyperbolic sine."""
        return _ops.sinh(self)

    def cosh(self):
        """Element-wise hyperbolic cosine."""
        return _ops.cosh(self)

    def asinh(self):
        """Element-wise inverse hyperbolic sine."""
        return _ops.asinh(self)

    def acosh(self):
        """Element-wise inverse hyperbolic cosine."""
        return _ops.acosh(self)

    def atanh(self):
        """Element-wise inverse hyperbolic tangent."""
        return _ops.atanh(self)

    def log1p(self):
        """Element-wise ``log(1 + x)``."""
        return _ops.log1p(self)

    def expm1(self):
        """Element-wise ``exp(x) - 1``."""
        return _ops.expm1(self)

    def erf(self):
        """Element-wise error function."""
        return _ops.erf(self)

    def floor(self):
        """Element-wise floor."""
        return _ops.floor(self)

    def ceil(self):
        """Element-wise ceiling."""
        return _ops.ceil(self)

    def trunc(self):
        """Element-wise rounding toward zero."""
        return _ops.trunc(self)

    def sign(self):
        """Element-wise sign."""
        return _ops.sign(self)

    def isnan(self):
        """Element-wise NaN test."""
        return _ops.isnan(self)

    def isinf(self):
        """Element-wise infinity test."""
        return _ops.isinf(self)

    def isfinite(self):
        """Element-wise finiteness test."""
        return _ops.isfinite(self)

    def round(self, *, decimals=0):
        """Element-wise rounding to ``decimals`` places (halves to even)."""
        return _ops.round(self, decimals=decimals)


def _read_only(arr: Any) -> Any:
    """A view of the host array ``arr`` that NumPy refuses to write through (no copy)."""
    view = arr.view()
    view.flags.writeable = False
    return view


def _size_arg(size: tuple[Any, ...]) -> tuple[int, ...]:
    """A size given as varargs or as one sequence: non-negative ints, checked."""
    return _ops._support.size_arg(size, "new tensor")


def _is_dtype_like(x: Any) -> bool:
    if isinstance(x, _dtype.DType):
        return True
    if isinstance(x, str):
        return x in _dtype.ALL_DTYPES
    if isinstance(x, Backend):
        return False
    try:  # dtype objects and scalar types alike (numpy.dtype("float64"), numpy.float64)
        _dtype.get_dtype(x)
    except TypeError:
        return False
    return True


def _to_native(b: Backend, data: Any, dtype: Any) -> Any:
    """Convert user data (scalars, lists, NumPy or native arrays) to a native array.

    Data lucid cannot hold is refused here, with the supported dtypes listed, rather than
    stored and broken later: strings, None, complex numbers, ragged lists and arrays of
    other element types (uint16, object, ...).
    """
    if data is None or isinstance(data, (str, bytes, complex, dict, set)):
        raise TypeError(f"tensor(): data must be a number, a (nested) list or tuple of numbers "
                        f"or an array, got {type(data).__name__} {data!r:.60}")
    target = None if dtype is None else _dtype.get_dtype(dtype)
    try:
        arr = b.asarray(data)
    except ValueError:
        raise ValueError(f"tensor(): cannot build a tensor from this {type(data).__name__}: "
                         f"nested sequences must be rectangular (every row the same length) "
                         f"and hold numbers only") from None
    except TypeError as exc:
        raise TypeError(f"tensor(): cannot build a tensor from {type(data).__name__} "
                        f"{data!r:.60} ({exc})") from None
    try:
        dt = b.dtype_of(arr)
    except TypeError:
        dt = None
    if dt is None:  # an element type lucid has no dtype for
        kind = getattr(getattr(arr, "dtype", None), "kind", None)
        if target is None or kind not in ("b", "i", "u", "f"):
            raise TypeError(f"tensor(): unsupported data of element type "
                            f"{getattr(arr, 'dtype', type(data).__name__)}; lucid tensors hold "
                            f"{', '.join(sorted(_dtype.ALL_DTYPES))} (pass dtype= to convert "
                            f"integer or floating data)")
    if target is not None:
        return b.astype(arr, target) if dt != target else arr
    # Python numbers and lists take lucid's defaults; a NumPy scalar (numpy.float64 is a
    # subclass of float) keeps its own dtype, as torch.tensor(numpy.float64(1)) does
    from_python = isinstance(data, (int, float, bool, list, tuple)) and not hasattr(data, "dtype")
    if from_python:
        if dt == _dtype.float64:  # Python floats become the default float dtype
            arr = b.astype(arr, _dtype.default_float)
        elif dt == _dtype.int32:  # platform ints become int64 everywhere
            arr = b.astype(arr, _dtype.int64)
    return arr


def _rebuild(cls: type[Tensor], backend: str, host: Any, requires_grad: bool, grad: Any) -> Tensor:
    """Unpickle a tensor: its values onto the backend of that name in this process."""
    b = get_backend(backend)
    t = cls._wrap(b.asarray(host), b)
    t.requires_grad = requires_grad
    t.grad = grad
    return t


register_tensor_class(Tensor)

#: What the operators accept besides arrays and array scalars (anything with a ``dtype``):
#: other operands make them return NotImplemented, so Python raises its TypeError naming
#: both operand types (``tensor + None`` is an error, as in PyTorch, not NaN)
_OPERANDS = (Tensor, int, float, list, tuple)

from . import ops as _ops  # noqa: E402  (the op table needs Tensor defined first)
from .ops._support import wrap_dim as _wrap_dim  # noqa: E402
