"""Where a training run's metrics go: a JSON-lines log, a PNG of the curves, TensorBoard.

People would rather look at a curve than read a column of numbers, so ``lucid train`` keeps
all three up to date after every epoch. The JSON lines file is always written (one object
per epoch); the PNG needs ``matplotlib`` (``pip install "lucid[plots]"``) and is skipped with
a note when it is missing; TensorBoard goes through ``tensorboardX``
(``pip install "lucid[tensorboard]"``), asked for explicitly, so its absence is an error.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .train import EpochResult

#: (TensorBoard tag, EpochResult field) for every scalar logged per epoch.
SCALARS = (("loss/train", "train_loss"), ("loss/test", "test_loss"),
           ("accuracy/train", "train_accuracy"), ("accuracy/test", "test_accuracy"),
           ("lr", "lr"), ("seconds_per_epoch", "seconds"))


class MetricsLog:
    """Append each epoch to ``metrics.jsonl``, redraw ``curves.png``, log to TensorBoard."""

    def __init__(self, out_dir: str | os.PathLike[str], *, plot: bool = True,
                 tensorboard_dir: str | os.PathLike[str] | None = None,
                 note: Callable[[str], None] = print) -> None:
        self.out_dir = Path(out_dir)
        self.jsonl_path = self.out_dir / "metrics.jsonl"
        self.png_path: Path | None = self.out_dir / "curves.png" if plot else None
        self._note = note
        self._rows: list[EpochResult] = []
        self._writer: Any = None
        if tensorboard_dir is not None:
            try:
                from tensorboardX import SummaryWriter
            except ImportError as exc:
                raise ImportError("--tensorboard needs the tensorboardX package: "
                                  'pip install "lucid[tensorboard]"') from exc
            self._writer = SummaryWriter(logdir=str(tensorboard_dir))
        if self.png_path is not None:
            try:
                import matplotlib  # noqa: F401
            except ImportError:
                self._note('note: no curves.png (matplotlib is missing: pip install '
                           '"lucid[plots]")')
                self.png_path = None

    def start(self, earlier: Iterable[EpochResult] = ()) -> None:
        """Begin a run; ``earlier`` are the epochs of a resumed run (rewritten to the log)."""
        self._rows = list(earlier)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        with open(self.jsonl_path, "w", encoding="utf-8") as f:
            for row in self._rows:
                f.write(json.dumps(asdict(row)) + "\n")

    def write(self, result: EpochResult) -> None:
        """Record one finished epoch everywhere."""
        self._rows.append(result)
        with open(self.jsonl_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(asdict(result)) + "\n")
        if self._writer is not None:
            for tag, field in SCALARS:
                self._writer.add_scalar(tag, getattr(result, field), result.epoch)
            self._writer.flush()
        if self.png_path is not None:
            plot_curves(self._rows, self.png_path)

    def close(self) -> None:
        """Flush and close the TensorBoard writer."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def plot_curves(rows: list[EpochResult], path: str | os.PathLike[str]) -> Path:
    """Draw loss and accuracy per epoch (train and test) side by side into a PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")  # files only: never open a window or need a display
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    epochs = [r.epoch for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    try:
        for ax, field, title in ((left, "loss", "cross-entropy loss"),
                                 (right, "accuracy", "accuracy")):
            ax.plot(epochs, [getattr(r, f"train_{field}") for r in rows], "o-", label="train")
            ax.plot(epochs, [getattr(r, f"test_{field}") for r in rows], "s-", label="test")
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_title(title)
            ax.grid(alpha=0.3)
            ax.legend()
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        fig.savefig(tmp, format="png", dpi=100)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
    return path
