"""Fully connected and shape layers: ``Linear``, ``Identity``, ``Flatten``, ``Unflatten``,
``Dropout``, ``Dropout2d``."""

from __future__ import annotations

import math
from typing import Any

from .. import _creation
from .._tensor import Tensor
from ..ops import flatten
from ..ops._support import wrap_dim
from . import functional as F
from . import init
from .module import Module, Parameter


def _positive_int(value: Any, name: str, owner: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}")
    return value


class Identity(Module):
    """Returns its input unchanged (accepts and ignores any constructor arguments)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        """Return ``x``."""
        return x


class Linear(Module):
    """``y = x @ weight.T + bias`` with ``weight`` of shape ``(out_features, in_features)``."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features = _positive_int(in_features, "in_features", "Linear")
        self.out_features = _positive_int(out_features, "out_features", "Linear")
        self.weight = Parameter(_creation.zeros(out_features, in_features))
        if bias:
            self.bias = Parameter(_creation.zeros(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: kaiming-uniform(a=√5) weight, U(±1/√fan_in) bias."""
        init.default_reset_(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the affine map to the last axis of ``x``."""
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Flatten(Module):
    """Flatten axes ``start_axis..end_axis`` into one (by default all but the batch axis)."""

    def __init__(self, start_axis: int = 1, end_axis: int = -1, *, start_dim: int | None = None,
                 end_dim: int | None = None) -> None:
        super().__init__()
        self.start_axis = start_axis if start_dim is None else start_dim
        self.end_axis = end_axis if end_dim is None else end_dim

    def forward(self, x: Tensor) -> Tensor:
        """Return ``x`` with the axes flattened."""
        return flatten(x, self.start_axis, self.end_axis)

    def extra_repr(self) -> str:
        return f"start_axis={self.start_axis}, end_axis={self.end_axis}"


class Dropout(Module):
    """During training, zero each element with probability ``p`` and scale the rest by 1/(1-p)."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {p!r}")
        self.p = float(p)

    def forward(self, x: Tensor) -> Tensor:
        """Apply dropout in training mode; identity in evaluation mode."""
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Dropout2d(Dropout):
    """During training, zero whole channels with probability ``p`` (rescaling the rest)."""

    def forward(self, x: Tensor) -> Tensor:
        """Apply channel dropout in training mode; identity in evaluation mode."""
        return F.dropout2d(x, self.p, self.training)


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size`` (one entry may be -1), as PyTorch's."""

    def __init__(self, dim: int, unflattened_size: Any) -> None:
        super().__init__()
        sizes = tuple(unflattened_size)
        if not sizes or not all(isinstance(v, int) and (v > 0 or v == -1) for v in sizes) \
                or sizes.count(-1) > 1:
            raise ValueError(f"Unflatten: unflattened_size must be a non-empty sequence of "
                             f"positive ints (at most one -1), got {unflattened_size!r}")
        self.dim, self.unflattened_size = dim, sizes

    def forward(self, x: Tensor) -> Tensor:
        """Return ``x`` with axis ``dim`` split."""
        d = wrap_dim(self.dim, x.ndim, "Unflatten")
        known = math.prod(v for v in self.unflattened_size if v != -1)
        if (-1 in self.unflattened_size and x.shape[d] % known) or \
                (-1 not in self.unflattened_size and known != x.shape[d]):
            raise ValueError(f"Unflatten: cannot split axis {self.dim} of size {x.shape[d]} "
                             f"into {self.unflattened_size} (input shape {x.shape})")
        return x.reshape(tuple(x.shape[:d]) + self.unflattened_size + tuple(x.shape[d + 1:]))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
