"""A plain supervised training loop: fit, evaluate, checkpoint."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import nn
from ._creation import manual_seed
from .autograd.grad_mode import no_grad
from .data.transforms import seed as seed_transforms
from .nn import functional as F


@dataclass
class EpochResult:
    """Metrics of one epoch."""

    epoch: int
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    seconds: float
    lr: float


@dataclass
class History:
    """Every epoch's metrics."""

    epochs: list[EpochResult] = field(default_factory=list)

    @property
    def final(self) -> EpochResult:
        """The last epoch."""
        return self.epochs[-1]


def _progress(iterable: Iterable[Any], total: int, desc: str, enabled: bool) -> Any:
    if not enabled:
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:  # progress bars are optional
        return iterable
    return tqdm(iterable, total=total, desc=desc, leave=False, dynamic_ncols=True)


def evaluate(model: nn.Module, loader: Any) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy of ``model`` over ``loader`` (eval mode, no grad)."""
    was_training = model.training
    model.eval()
    total, loss_sum, correct = 0, 0.0, 0
    with no_grad():
        for x, y in loader:
            logits = model(x)
            n = y.shape[0]
            loss_sum += F.cross_entropy(logits, y).item() * n
            correct += int((logits.argmax(axis=1) == y).numpy().sum())
            total += n
    model.train(was_training)
    return loss_sum / max(total, 1), correct / max(total, 1)


def fit(model: nn.Module, train_loader: Any, test_loader: Any, optimizer: Any, epochs: int,
        scheduler: Any = None, label_smoothing: float = 0.0, progress: bool = True,
        log: Callable[[str], None] = print, *, start_epoch: int = 1,
        seed: int | None = None,
        on_epoch_end: Callable[[EpochResult], None] | None = None) -> History:
    """Train ``model`` for epochs ``start_epoch..epochs``, evaluating after each one.

    ``start_epoch`` > 1 continues a resumed run. With ``seed``, each epoch begins with
    ``manual_seed(seed + epoch)``, the random transforms' ``seed(seed + epoch)`` and
    ``train_loader.set_epoch(epoch)`` (when the loader has it), so an epoch's shuffling,
    augmentation and dropout are the same whether the run was resumed or not.
    ``on_epoch_end`` sees each finished epoch (to log or checkpoint it).
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be an int >= 1, got {epochs!r}")
    if not 1 <= start_epoch <= epochs + 1:
        raise ValueError(f"start_epoch must be in [1, epochs + 1] = [1, {epochs + 1}], "
                         f"got {start_epoch}")
    history = History()
    for epoch in range(start_epoch, epochs + 1):
        if seed is not None:
            manual_seed(seed + epoch)
            seed_transforms(seed + epoch)
            if hasattr(train_loader, "set_epoch"):
                train_loader.set_epoch(epoch)
        model.train()
        start = time.perf_counter()
        seen, loss_sum, correct = 0, 0.0, 0
        lr = optimizer.param_groups[0]["lr"]
        bar = _progress(train_loader, len(train_loader), f"epoch {epoch}/{epochs}", progress)
        for x, y in bar:
            logits = model(x)
            loss = F.cross_entropy(logits, y, label_smoothing=label_smoothing)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            n = y.shape[0]
            seen += n
            loss_sum += loss.item() * n
            correct += int((logits.detach().argmax(axis=1) == y).numpy().sum())
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.3f}")
        if scheduler is not None:
            scheduler.step()
        test_loss, test_acc = evaluate(model, test_loader)
        result = EpochResult(epoch, loss_sum / max(seen, 1), correct / max(seen, 1), test_loss,
                             test_acc, time.perf_counter() - start, lr)
        history.epochs.append(result)
        log(f"epoch {epoch:>3}/{epochs}  lr {lr:.4f}  train loss {result.train_loss:.4f}  "
            f"train acc {result.train_accuracy:.4f}  test loss {test_loss:.4f}  "
            f"test acc {test_acc:.4f}  ({result.seconds:.1f} s)")
        if on_epoch_end is not None:
            on_epoch_end(result)
    return history
