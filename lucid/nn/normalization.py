"""Normalisation layers: ``BatchNorm1d``, ``BatchNorm2d``, ``InstanceNorm2d``, ``LayerNorm``,
``GroupNorm``."""

from __future__ import annotations

from typing import Any

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

    def _count_batch(self) -> float:
        """This batch's running-statistics momentum; in training, count the batch first
        (``momentum=None`` is the cumulative average, 1 / batches seen)."""
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            nbt = self.num_batches_tracked
            nbt.data = nbt.backend.add(nbt._data, 1)
            if self.momentum is None:
                momentum = 1.0 / float(nbt.item())
        return momentum

    def forward(self, x: Tensor) -> Tensor:
        """Normalise with batch statistics (training) or running statistics (evaluation)."""
        if x.ndim not in self._expected_ndims:
            raise ValueError(f"{type(self).__name__} expects a "
                             f"{' or '.join(f'{n}-D' for n in self._expected_ndims)} input, "
                             f"got shape {x.shape}")
        momentum = self._count_batch()
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


class InstanceNorm2d(_BatchNorm):
    """Normalise each channel of each sample over ``(H, W)``; 3-D input is one sample.

    PyTorch's defaults: no affine parameters and no running statistics. With
    ``track_running_stats=True`` training updates them and evaluation uses them.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats)

    def forward(self, x: Tensor) -> Tensor:
        """Normalise ``x`` of shape ``(N, C, H, W)`` or ``(C, H, W)``."""
        if x.ndim not in (3, 4):
            raise ValueError(f"InstanceNorm2d expects a 3-D or 4-D input, got shape {x.shape}")
        if x.shape[-3] != self.num_features:
            raise ValueError(f"InstanceNorm2d: expected {self.num_features} channels, got input "
                             f"of shape {x.shape}")
        batched = x if x.ndim == 4 else x.reshape((1,) + tuple(x.shape))
        momentum = 0.0 if self.momentum is None else self.momentum
        y = F.instance_norm(batched, self.running_mean, self.running_var, self.weight,
                            self.bias, self.training or not self.track_running_stats,
                            momentum, self.eps)
        return y if x.ndim == 4 else y.reshape(x.shape)


def _positive(value: Any, name: str, owner: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}")
    return value


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` axes; weight ones, bias zeros."""

    def __init__(self, normalized_shape: Any, eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) \
            else tuple(normalized_shape)
        for s in shape:
            _positive(s, "normalized_shape", "LayerNorm")
        self.normalized_shape = shape
        self.eps = float(eps)
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(_creation.ones(*shape))
            if bias:
                self.bias = Parameter(_creation.zeros(*shape))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        """Normalise ``x``."""
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class GroupNorm(Module):
    """Normalise groups of channels per sample; per-channel weight ones, bias zeros."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True) -> None:
        super().__init__()
        _positive(num_groups, "num_groups", "GroupNorm")
        _positive(num_channels, "num_channels", "GroupNorm")
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels={num_channels} must be divisible by "
                             f"num_groups={num_groups}")
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps = float(eps)
        self.affine = affine
        if affine:
            self.weight = Parameter(_creation.ones(num_channels))
            self.bias = Parameter(_creation.zeros(num_channels))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        """Normalise ``x`` of shape ``(N, C, ...)``."""
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"
