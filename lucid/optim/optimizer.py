"""``Optimizer``: the base of lucid's optimizers (parameter groups, state, state dicts).

Updates are computed with backend ops on each parameter's ``.data`` and assigned back:
nothing is recorded for autograd and no ``.grad`` array is modified (several tensors may
share one gradient array).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .._tensor import Tensor
from ..autograd import enable_grad
from ..nn.module import clear_grads

_REQUIRED = object()  # a default that the caller must supply (like SGD's lr in PyTorch)


class Optimizer:
    """Holds parameter groups (dicts of ``"params"`` and options) and per-parameter state."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]],
                 defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of Tensors or of dicts, got a single "
                            "Tensor; wrap it in a list")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)  # type: ignore[arg-type]

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing options take the defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a param group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError("a param group needs a 'params' entry")
        params = [params] if isinstance(params, Tensor) else list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"param group entry {i} is a {type(p).__name__}, expected a "
                                "lucid Tensor (e.g. from model.parameters())")
            if not p.is_leaf:
                raise ValueError(f"param group entry {i} is not a leaf tensor; an optimizer "
                                 "can only update leaves")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a param group lists the same parameter more than once")
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one param group")
        group["params"] = params
        for key, value in self.defaults.items():
            if value is _REQUIRED and key not in group:
                raise ValueError(f"{type(self).__name__}: option {key!r} is required (give it "
                                 "as an argument or in every param group)")
            group.setdefault(key, value)
        self._validate_group(group)
        self.param_groups.append(group)

    def _validate_group(self, group: dict[str, Any]) -> None:
        """Check a group's options; subclasses raise ``ValueError`` naming a bad option."""
        lr = group.get("lr")
        if lr is not None and not (isinstance(lr, (int, float)) and lr >= 0):
            raise ValueError(f"{type(self).__name__}: lr must be a number >= 0, got {lr!r}")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every parameter (to None, or to fresh zeros)."""
        for group in self.param_groups:
            clear_grads(group["params"], set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()`` when given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, p.grad.data, group, self.state.setdefault(p, {}))
        return loss

    def _update(self, p: Tensor, grad: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        """Apply one update to ``p`` given its gradient array; subclasses implement it."""
        raise NotImplementedError

    # ------------------------------------------------------------ state dict
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [...]}`` with parameters as indices."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            saved = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            saved["params"] = ids
            groups.append(saved)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if self.state.get(p):  # (no entry for a stateless update, as in PyTorch)
                    state[index[id(p)]] = {k: v.detach() if isinstance(v, Tensor) else
                                           copy.deepcopy(v) for k, v in self.state[p].items()}
        return {"state": state, "param_groups": copy.deepcopy(groups)}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore options and state saved by :meth:`state_dict` (tensors or NumPy arrays)."""
        for key in ("state", "param_groups"):
            if key not in state_dict:
                raise KeyError(f"optimizer state_dict lacks {key!r}; expected keys 'state' and "
                               "'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state_dict has {len(saved_groups)} param groups, this "
                             f"optimizer has {len(self.param_groups)}")
        by_index: dict[int, Tensor] = {}
        for i, (mine, saved) in enumerate(zip(self.param_groups, saved_groups, strict=True)):
            if len(mine["params"]) != len(saved["params"]):
                raise ValueError(f"param group {i}: loaded state has {len(saved['params'])} "
                                 f"parameters, this optimizer has {len(mine['params'])}")
            for idx, p in zip(saved["params"], mine["params"], strict=True):
                by_index[int(idx)] = p
        self.state = {}
        for idx, entry in state_dict["state"].items():
            p = by_index.get(int(idx))
            if p is None:
                raise ValueError(f"loaded optimizer state refers to parameter index {idx}, "
                                 f"which no param group lists")
            self.state[p] = {k: _to_param_space(v, p, k) for k, v in entry.items()}
        for mine, saved in zip(self.param_groups, saved_groups, strict=True):
            for k, v in saved.items():
                if k != "params":
                    mine[k] = copy.deepcopy(v)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(group):
                if k != "params":
                    lines.append(f"    {k}: {group[k]}")
        return "\n".join(lines) + "\n)"


def _to_param_space(value: Any, p: Tensor, key: str) -> Any:
    """Put a loaded state entry on ``p``'s backend (floating arrays in ``p``'s dtype)."""
    if isinstance(value, (int, float, bool, str)) or value is None:
        return value
    b = p.backend
    if isinstance(value, Tensor):
        arr = value.data if value.backend is b else b.asarray(value.backend.to_numpy(value.data))
    else:
        arr = b.asarray(value)
    if b.dtype_of(arr).is_floating:
        arr = b.astype(arr, p.dtype)
    if tuple(b.shape(arr)) != p.shape and tuple(b.shape(arr)) != ():
        raise ValueError(f"loaded optimizer state {key!r} has shape {tuple(b.shape(arr))}, "
                         f"its parameter has shape {p.shape}")
    arr = b.add(b.zeros(tuple(b.shape(arr)), b.dtype_of(arr)), arr)  # own copy
    return Tensor._wrap(arr, b)


def check_float(value: Any, name: str, owner: str, low: float = 0.0,
                high: float | None = None, inclusive_high: bool = False) -> None:
    """Raise ``ValueError`` unless ``low <= value`` (and ``value < high`` / ``<= high``)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= low
    if ok and high is not None:
        ok = value <= high if inclusive_high else value < high
    if not ok:
        rng = f"[{low}, {high}{']' if inclusive_high else ')'}" if high is not None \
            else f">= {low}"
        raise ValueError(f"{owner}: {name} must be a number in {rng}, got {value!r}")


__all__ = ["Optimizer", "check_float"]
