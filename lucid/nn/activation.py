"""Activation layers: ``ReLU``, ``Sigmoid``, ``Tanh``, ``Softmax``, ``LogSoftmax``, ``GELU``,
``SiLU``, ``Mish``, ``LeakyReLU``, ``PReLU``, ``ELU``, ``SELU``, ``Softplus``, ``Hardswish``,
``Hardsigmoid``."""

from __future__ import annotations

from .. import _creation
from .._tensor import Tensor
from ..ops import log_softmax, relu, sigmoid, softmax, tanh
from .functional import activation as F
from .module import Module, Parameter


class ReLU(Module):
    """``max(x, 0)`` elementwise (``inplace`` is accepted for compatibility and ignored)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        """Apply ReLU."""
        return relu(x)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """The logistic function ``1 / (1 + exp(-x))`` elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        """Apply the sigmoid."""
        return sigmoid(x)


class Tanh(Module):
    """Hyperbolic tangent elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        """Apply tanh."""
        return tanh(x)


def _axis(axis: int | None, dim: int | None, owner: str) -> int:
    if axis is not None and dim is not None and axis != dim:
        raise ValueError(f"{owner}: give axis or dim, not both (got axis={axis}, dim={dim})")
    value = dim if axis is None else axis
    return -1 if value is None else value


class Softmax(Module):
    """Softmax along ``axis`` (``dim=`` is accepted as an alias); default the last axis."""

    def __init__(self, axis: int | None = None, *, dim: int | None = None) -> None:
        super().__init__()
        self.axis = _axis(axis, dim, "Softmax")

    def forward(self, x: Tensor) -> Tensor:
        """Apply softmax."""
        return softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class LogSoftmax(Module):
    """Log-softmax along ``axis`` (``dim=`` is accepted as an alias); default the last axis."""

    def __init__(self, axis: int | None = None, *, dim: int | None = None) -> None:
        super().__init__()
        self.axis = _axis(axis, dim, "LogSoftmax")

    def forward(self, x: Tensor) -> Tensor:
        """Apply log-softmax."""
        return log_softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class _Elementwise(Module):
    """An activation without parameters; ``inplace`` is accepted for PyTorch compatibility."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class GELU(Module):
    """Gaussian error linear unit; ``approximate="tanh"`` for the tanh approximation."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        """Apply GELU."""
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(_Elementwise):
    """``x * sigmoid(x)`` (also called swish)."""

    def forward(self, x: Tensor) -> Tensor:
        """Apply SiLU."""
        return F.silu(x)


class Mish(_Elementwise):
    """``x * tanh(softplus(x))``."""

    def forward(self, x: Tensor) -> Tensor:
        """Apply Mish."""
        return F.mish(x)


class Hardswish(_Elementwise):
    """``x * relu6(x + 3) / 6``."""

    def forward(self, x: Tensor) -> Tensor:
        """Apply hard swish."""
        return F.hardswish(x)


class Hardsigmoid(_Elementwise):
    """``relu6(x + 3) / 6``."""

    def forward(self, x: Tensor) -> Tensor:
        """Apply hard sigmoid."""
        return F.hardsigmoid(x)


class SELU(_Elementwise):
    """Scaled ELU with the self-normalising constants."""

    def forward(self, x: Tensor) -> Tensor:
        """Apply SELU."""
        return F.selu(x)


class LeakyReLU(Module):
    """``x`` where positive, ``negative_slope * x`` elsewhere."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        """Apply leaky ReLU."""
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = float(alpha)
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        """Apply ELU."""
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Softplus(Module):
    """``log(1 + exp(beta x)) / beta``, linear where ``beta x > threshold``."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        if beta == 0:
            raise ValueError("Softplus: beta must be non-zero, got 0")
        self.beta, self.threshold = float(beta), float(threshold)

    def forward(self, x: Tensor) -> Tensor:
        """Apply softplus."""
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class PReLU(Module):
    """Leaky ReLU with learned slopes: one shared (default) or one per channel (axis 1).

    The slopes start at ``init`` (0.25), as in PyTorch. Their count is ``num_slopes``
    (PyTorch's ``num_parameters`` attribute; in lucid that name is :meth:`Module.num_parameters`).
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25) -> None:
        super().__init__()
        if not isinstance(num_parameters, int) or isinstance(num_parameters, bool) \
                or num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be a positive int, got "
                             f"{num_parameters!r}")
        # PyTorch keeps the count as ``num_parameters``; here that name is Module's method
        # (summaries call it on every module), so the count is ``num_slopes``.
        self.num_slopes = num_parameters
        self.init = float(init)
        self.weight = Parameter(_creation.full((num_parameters,), self.init))

    def reset_parameters(self) -> None:
        """Set every slope back to ``init``."""
        b = self.weight.backend
        self.weight.data = b.full(self.weight.shape, self.init, self.weight.dtype)

    def forward(self, x: Tensor) -> Tensor:
        """Apply PReLU."""
        return F.prelu(x, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_slopes}"
