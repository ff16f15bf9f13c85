"""Feature extraction with timm's interface: :class:`FeatureInfo` and :class:`FeatureListNet`.

A backbone describes its feature taps as ``model.feature_info``, a list of dicts
``{"num_chs", "reduction", "module"}`` (the stem's output before pooling, then each stage),
and implements ``forward_intermediates`` and ``prune_intermediate_layers``.
``lucid.models.get(name, features_only=True, out_indices=...)`` wraps such a model in a
:class:`FeatureListNet` whose forward returns the chosen feature maps as a list.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..nn import Module

if TYPE_CHECKING:
    from .. import Tensor

OutIndices = int | Sequence[int]


def feature_take_indices(num_features: int, indices: OutIndices | None = None
                         ) -> tuple[list[int], int]:
    """Absolute tap indices for ``indices`` (None: all; int n: the last n; a sequence:
    each, negatives counted from the end) and the largest of them, as timm resolves them."""
    if indices is None:
        indices = num_features
    if isinstance(indices, bool):
        raise TypeError(f"indices must be an int or a sequence of ints, got {indices!r}")
    if isinstance(indices, int):
        if not 0 < indices <= num_features:
            raise IndexError(f"indices={indices} asks for the last {indices} features, but "
                             f"there are {num_features}; expected 1 to {num_features}")
        take = [num_features - indices + i for i in range(indices)]
    else:
        if isinstance(indices, (str, bytes)) or not isinstance(indices, Sequence) \
                or not indices:
            raise TypeError(f"indices must be an int or a non-empty sequence of ints, got "
                            f"{indices!r}")
        take = []
        for i in indices:
            if isinstance(i, bool) or not isinstance(i, int):
                raise TypeError(f"feature indices must be ints, got {type(i).__name__} {i!r}")
            idx = num_features + i if i < 0 else i
            if not 0 <= idx < num_features:
                raise IndexError(f"feature index {i} is out of range: the model has "
                                 f"{num_features} features (indices 0 to {num_features - 1}, "
                                 f"or -{num_features} to -1)")
            take.append(idx)
    return take, max(take)


def _as_out_indices(out_indices: OutIndices, num_features: int) -> tuple[int, ...]:
    """``out_indices`` as timm keeps them (an int n becomes the last n, as negatives)."""
    feature_take_indices(num_features, out_indices)  # validates
    if isinstance(out_indices, int):
        return tuple(range(-out_indices, 0))
    return tuple(out_indices)


class FeatureInfo:
    """The channels, reductions and module names of a backbone's feature taps at ``out_indices``.

    ``channels()``, ``reduction()`` and ``module_name()`` return the values at the output
    indices; with ``idx`` (an int or a list) they return the values of those taps instead.
    """

    def __init__(self, feature_info: Sequence[dict[str, Any]], out_indices: OutIndices) -> None:
        info = [dict(fi) for fi in feature_info]
        previous = 1
        for i, fi in enumerate(info):
            for key in ("num_chs", "reduction", "module"):
                if key not in fi:
                    raise ValueError(f"feature_info[{i}] has no {key!r}; each tap needs "
                                     "num_chs, reduction and module")
            if fi["reduction"] < previous:
                raise ValueError(f"feature_info[{i}] has reduction {fi['reduction']} < "
                                 f"{previous} of the tap before it; reductions never shrink")
            previous = fi["reduction"]
            fi.setdefault("index", i)
        self.info = info
        self.out_indices = _as_out_indices(out_indices, len(info))

    def from_other(self, out_indices: OutIndices) -> FeatureInfo:
        """The same taps with other output indices."""
        return FeatureInfo(copy.deepcopy(self.info), out_indices)

    def get(self, key: str, idx: int | Sequence[int] | None = None) -> Any:
        """``key`` of each output tap (``idx`` None), of tap ``idx``, or of each tap in ``idx``."""
        if idx is None:
            return [self.info[i][key] for i in self.out_indices]
        if isinstance(idx, (tuple, list)):
            return [self.info[i][key] for i in idx]
        return self.info[int(idx)][key]  # type: ignore[arg-type]

    def get_dicts(self, keys: Sequence[str] | None = None,
                  idx: int | Sequence[int] | None = None) -> Any:
        """The info dicts (restricted to ``keys``) of the output taps or of ``idx``."""
        def pick(i: int) -> dict[str, Any]:
            return self.info[i] if keys is None else {k: self.info[i][k] for k in keys}
        if idx is None:
            return [pick(i) for i in self.out_indices]
        if isinstance(idx, (tuple, list)):
            return [pick(i) for i in idx]
        return pick(int(idx))  # type: ignore[arg-type]

    def channels(self, idx: int | Sequence[int] | None = None) -> Any:
        """Channels of the feature maps."""
        return self.get("num_chs", idx)

    def reduction(self, idx: int | Sequence[int] | None = None) -> Any:
        """Output stride of the feature maps relative to the input."""
        return self.get("reduction", idx)

    def module_name(self, idx: int | Sequence[int] | None = None) -> Any:
        """Name (in the backbone's ``named_modules``) of the module each map comes from."""
        return self.get("module", idx)

    def __getitem__(self, item: int) -> dict[str, Any]:
        return self.info[item]

    def __len__(self) -> int:
        return len(self.info)

    def __repr__(self) -> str:
        return f"FeatureInfo(out_indices={self.out_indices}, channels={self.channels()})"


class FeatureListNet(Module):
    """A backbone cut after its last requested tap; ``forward`` returns the feature maps.

    The backbone's layers become this module's children under their own names, so a state
    dict of the backbone (without its classifier) loads here unchanged. The maps come in
    network order, as in timm.
    """

    def __init__(self, model: Module, out_indices: OutIndices = (0, 1, 2, 3, 4)) -> None:
        for need in ("feature_info", "forward_intermediates", "prune_intermediate_layers"):
            if not hasattr(model, need):
                raise TypeError(f"features_only needs a model with {need} (the timm feature "
                                f"interface); {type(model).__name__} has none")
        super().__init__()
        self.feature_info = FeatureInfo(model.feature_info, out_indices)
        self.out_indices = self.feature_info.out_indices
        model.prune_intermediate_layers(self.out_indices, prune_head=True)
        for name, child in model.named_children():
            setattr(self, name, child)
        # the pruned backbone runs the taps; it shares every child with this module, and is
        # kept outside _modules so its layers are registered (and saved) once, under their names
        object.__setattr__(self, "_backbone", model)
        for key in ("pretrained_cfg", "default_cfg", "config"):
            if hasattr(model, key):
                object.__setattr__(self, key, getattr(model, key))

    def forward(self, x: Tensor) -> list[Tensor]:
        """The feature maps at ``out_indices``, in network order."""
        backbone: Any = object.__getattribute__(self, "_backbone")
        return backbone.forward_intermediates(x, indices=list(self.out_indices),
                                              stop_early=True, intermediates_only=True)


def as_feature_extractor(model: Any, features_only: Any, out_indices: Any) -> Any:
    """``model`` itself, or with ``features_only`` its :class:`FeatureListNet` at
    ``out_indices`` (default: every tap); checks the two keywords (``model`` None: only that)."""
    if not isinstance(features_only, bool):
        raise TypeError(f"features_only must be a bool, got {type(features_only).__name__} "
                        f"{features_only!r}")
    if not features_only:
        if out_indices is not None:
            raise TypeError(f"out_indices={out_indices!r} selects feature maps, so it needs "
                            "features_only=True")
        return model
    if model is None:
        return None
    if out_indices is None:
        out_indices = tuple(range(len(getattr(model, "feature_info", ()))))
    return FeatureListNet(model, out_indices)


__all__ = ["FeatureInfo", "FeatureListNet", "as_feature_extractor", "feature_take_indices"]
