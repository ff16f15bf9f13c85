"""The classifier head's global pooling, with timm's pool types (``global_pool=``).

``"avg"`` and ``"max"`` pool each channel to one value; ``"avgmax"`` is their mean and
``"catavgmax"`` their concatenation (twice the channels); ``""`` does not pool (the head
returns the feature map, so it needs ``num_classes=0``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..nn import AdaptiveAvgPool2d, AdaptiveMaxPool2d, Flatten, Identity, Module
from ..nn import functional as F
from ..ops import add, cat, mul

if TYPE_CHECKING:
    from .. import Tensor

#: the pool types of timm's ResNet head
POOL_TYPES = ("avg", "max", "avgmax", "catavgmax", "")


def check_pool_type(global_pool: object, name: str = "global_pool") -> str:
    """Return ``global_pool`` if it is one of :data:`POOL_TYPES`; raise otherwise."""
    if not isinstance(global_pool, str):
        raise TypeError(f"{name} must be a str, one of {POOL_TYPES}, got "
                        f"{type(global_pool).__name__} {global_pool!r}")
    if global_pool not in POOL_TYPES:
        raise ValueError(f"{name}={global_pool!r} is not supported; expected one of "
                         f"{', '.join(map(repr, POOL_TYPES))}")
    return global_pool


class AdaptiveAvgMaxPool2d(Module):
    """The mean of global average and global max pooling: ``(N, C, H, W)`` -> ``(N, C, 1, 1)``."""

    def forward(self, x: Tensor) -> Tensor:
        """``0.5·(avg + max)`` per channel."""
        return mul(add(F.adaptive_avg_pool2d(x, 1), F.adaptive_max_pool2d(x, 1)), 0.5)


class AdaptiveCatAvgMaxPool2d(Module):
    """Global average and global max pooling side by side: ``(N, 2C, 1, 1)``."""

    def forward(self, x: Tensor) -> Tensor:
        """The average-pooled channels, then the max-pooled ones."""
        return cat([F.adaptive_avg_pool2d(x, 1), F.adaptive_max_pool2d(x, 1)], 1)


class GlobalPool2d(Module):
    """Pool ``(N, C, H, W)`` to ``(N, C·feat_mult)`` by ``pool_type``; ``""`` passes through.

    Submodules as timm's ``SelectAdaptivePool2d``: ``pool`` then ``flatten``.
    """

    def __init__(self, pool_type: str = "avg") -> None:
        super().__init__()
        self.pool_type = check_pool_type(pool_type, "pool_type")
        pools: dict[str, type[Module]] = {
            "avg": AdaptiveAvgPool2d, "max": AdaptiveMaxPool2d,
            "avgmax": AdaptiveAvgMaxPool2d, "catavgmax": AdaptiveCatAvgMaxPool2d}
        if pool_type:
            cls = pools[pool_type]
            self.pool: Module = cls(1) if cls in (AdaptiveAvgPool2d, AdaptiveMaxPool2d) \
                else cls()
            self.flatten: Module = Flatten(1)
        else:
            self.pool, self.flatten = Identity(), Identity()

    def feat_mult(self) -> int:
        """How many values per channel the pooled features hold (2 for ``"catavgmax"``)."""
        return 2 if self.pool_type == "catavgmax" else 1

    def is_identity(self) -> bool:
        """True when this layer does not pool."""
        return self.pool_type == ""

    def forward(self, x: Tensor) -> Tensor:
        """The pooled features, flattened to ``(N, C·feat_mult)`` (or ``x`` for ``""``)."""
        return self.flatten(self.pool(x))

    def extra_repr(self) -> str:
        return f"pool_type={self.pool_type!r}"


__all__ = ["POOL_TYPES", "AdaptiveAvgMaxPool2d", "AdaptiveCatAvgMaxPool2d", "GlobalPool2d",
           "check_pool_type"]
