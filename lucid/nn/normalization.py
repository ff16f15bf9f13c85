"""Batch normalisation layers: ``BatchNorm1d`` and ``BatchNorm2d``."""

from __future__ import annotations

from .. import _creation, _dtype
from .._tensor import Tensor
from . import functional as F
from .module import Module, Parameter


class _BatchNorm(Module):
    """Shared logic: affine parameters, running statistics, train/eval behaviour."""

    _expected_ndims: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True) -> None:
        super().__init__()
        owner = type(self).__name__
        if not isinstance(num_features, int) or isinstance(num_features, bool) \
                or num_features <= 0:
            raise ValueError(f"{owner}: num_features must be a positive int, got {num_features!r}")
        if not eps > 0:
            raise ValueError(f"{owner}: eps must be > 0, got {eps!r}")
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{owner}: momentum must be in [0, 1] or None (cumulative "
                             f"average), got {momentum!r}")
        self.num_features = num_features
        self.eps = float(eps)
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(_creation.ones(num_features))
            self.bias = Parameter(_creation.zeros(num_features))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", _creation.zeros(num_features))
            self.register_buffer("running_var", _creation.ones(num_features))
            self.register_buffer("num_batches_tracked",
                                 _creation.zeros((), dtype=_dtype.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Zero the running mean and batch count, set the running variance to one."""
        if self.track_running_stats:
            b = self.running_mean.backend
            self.running_mean.data = b.zeros((self.num_features,), self.running_mean.dtype)
            self.running_var.data = b.ones((self.num_features,), self.running_var.dtype)
            self.num_batches_tracked.data = b.zeros((), _dtype.int64)

    def forward(self, x: Tensor) -> Tensor:
        """Normalise with batch statistics (training) or running statistics (evaluation)."""
        if x.ndim not in self._expected_ndims:
            raise ValueError(f"{type(self).__name__} expects a "
                             f"{' or '.join(f'{n}-D' for n in self._expected_ndims)} input, "
                             f"got shape {x.shape}")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            nbt = self.num_batches_tracked
            nbt.data = nbt.backend.add(nbt.data, 1)
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(nbt.item())
        use_batch_stats = self.training or not self.track_running_stats
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            use_batch_stats, momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` input per channel.

    Training uses the batch's mean and biased variance and updates the running mean and
    the running *unbiased* variance with ``momentum``; evaluation uses the running ones.
    """

    _expected_ndims = (4,)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` input per channel."""

    _expected_ndims = (2, 3)
