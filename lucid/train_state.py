"""Training state on disk: everything ``lucid train --resume`` needs to continue a run.

One lucid checkpoint holds the model's parameters and buffers (``model.<name>``), the
optimizer's tensors (``optimizer.<param index>.<name>``) and, in its JSON metadata, the
optimizer's plain values and param groups, the scheduler's state, the last finished epoch and
the metrics so far. The file is written atomically and read without unpickling, like every
lucid checkpoint (:mod:`lucid.io.checkpoint`).
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from ._tensor import Tensor
from .io.checkpoint import CheckpointError, load, save
from .train import EpochResult

KIND = "training-state"
_MODEL = "model."
_OPTIM = "optimizer."


def save_training_state(path: str | os.PathLike[str], model: Any, optimizer: Any,
                        scheduler: Any = None, *, epoch: int,
                        history: list[EpochResult] | None = None,
                        extra: dict[str, Any] | None = None) -> Path:
    """Write model, optimizer and scheduler state after ``epoch`` to ``path`` (atomically)."""
    arrays: dict[str, Any] = {_MODEL + k: v for k, v in model.state_dict().items()}
    opt_state = optimizer.state_dict()
    plain: dict[str, dict[str, Any]] = {}
    for index, entry in opt_state["state"].items():
        for name, value in entry.items():
            if isinstance(value, Tensor):
                arrays[f"{_OPTIM}{index}.{name}"] = value
            else:
                plain.setdefault(str(index), {})[name] = _json_value(value, f"optimizer {name}")
    meta = {
        "kind": KIND,
        "epoch": int(epoch),
        "optimizer": {"type": type(optimizer).__name__, "param_groups":
                      [_json_group(g) for g in opt_state["param_groups"]], "plain": plain},
        "scheduler": None if scheduler is None else {
            "type": type(scheduler).__name__,
            "state": {k: _json_value(v, f"scheduler {k}")
                      for k, v in scheduler.state_dict().items()}},
        "history": [asdict(r) for r in (history or [])],
        "extra": dict(extra or {}),
    }
    return save(arrays, path, metadata=meta)


def load_training_state(path: str | os.PathLike[str], model: Any, optimizer: Any,
                        scheduler: Any = None) -> dict[str, Any]:
    """Restore a state written by :func:`save_training_state`; return its metadata.

    Raises :class:`~lucid.io.CheckpointError` when the file is not a training state or was
    written for another optimizer or scheduler type.
    """
    arrays, meta = load(path)
    if meta.get("kind") != KIND:
        raise CheckpointError(f"{path} is not a lucid training state (it has no optimizer or "
                              "epoch); --resume needs the *_state file that lucid train writes")
    saved_opt = meta["optimizer"]
    if saved_opt["type"] != type(optimizer).__name__:
        raise CheckpointError(f"{path} holds {saved_opt['type']} state; this run uses "
                              f"{type(optimizer).__name__}")
    sched = meta.get("scheduler")
    if (sched is None) != (scheduler is None) or (
            sched is not None and sched["type"] != type(scheduler).__name__):
        raise CheckpointError(f"{path} holds scheduler "
                              f"{None if sched is None else sched['type']}; this run uses "
                              f"{None if scheduler is None else type(scheduler).__name__}")
    model_state = {k[len(_MODEL):]: v for k, v in arrays.items() if k.startswith(_MODEL)}
    model.load_state_dict(model_state)
    state: dict[int, dict[str, Any]] = {}
    for key, value in arrays.items():
        if key.startswith(_OPTIM):
            index, name = key[len(_OPTIM):].split(".", 1)
            state.setdefault(int(index), {})[name] = value
    for index, entry in saved_opt["plain"].items():
        state.setdefault(int(index), {}).update(entry)
    optimizer.load_state_dict({"state": state, "param_groups": saved_opt["param_groups"]})
    if scheduler is not None and sched is not None:
        scheduler.load_state_dict(dict(sched["state"]))
    return meta


def history_from(meta: dict[str, Any]) -> list[EpochResult]:
    """The per-epoch metrics stored in a training state's metadata."""
    return [EpochResult(**row) for row in meta.get("history", [])]


def _json_group(group: dict[str, Any]) -> dict[str, Any]:
    return {k: _json_value(v, f"param group {k}") for k, v in group.items()}


def _json_value(value: Any, what: str) -> Any:
    """``value`` as JSON (tuples become lists, NumPy scalars plain numbers)."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_json_value(v, what) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v, what) for k, v in value.items()}
    raise CheckpointError(f"cannot store {what} of type {type(value).__name__} in a training "
                          "state (only numbers, strings, lists and dicts)")
