"""A plain supervised training loop: fit, evaluate, checkpoint.

With ``distributed=True`` (a process group from :func:`lucid.distributed.init_process_group`,
the model wrapped in ``DistributedDataParallel``, each rank's loaders reading its own shard)
the epoch's metrics are summed over all ranks, so every rank reports the same numbers: the
loss and accuracy over every sample any rank saw.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import nn
from ._creation import manual_seed, tensor
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


#: Distributed runs seed rank r's dropout and augmentation with ``seed + epoch + r * this``, so
#: ranks draw different masks (one seed for all would repeat them) and a resumed run the same.
RANK_SEED_STRIDE = 1_000_003


def _parameter_backend(model: nn.Module) -> Any:
    for p in model.parameters():
        return p.backend
    return None


def _sum_over_ranks(model: nn.Module, *values: float) -> list[float]:
    """Each value summed over the process group (float64 on the model's backend, so NCCL
    groups reduce on the device; counts up to 2**53 stay exact)."""
    from .distributed import ReduceOp, all_reduce

    t = tensor([float(v) for v in values], dtype="float64", backend=_parameter_backend(model))
    all_reduce(t, ReduceOp.SUM)
    return [float(v) for v in t.numpy()]


def _broadcast_buffers(model: nn.Module) -> None:
    """Give every rank rank 0's buffers (BatchNorm statistics): the ranks' parameters agree
    after every step, their running statistics do not, and rank 0's is the model saved."""
    from .distributed import broadcast

    for b in model.buffers():
        broadcast(b, 0)


def evaluate(model: nn.Module, loader: Any, *, distributed: bool = False) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy of ``model`` over ``loader`` (eval mode, no grad).

    ``distributed``: ``loader`` is this rank's shard of the test set; the sums are reduced
    over the process group (a collective: every rank must call it), so the result is the
    whole test set's on every rank.
    """
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
    if distributed:
        all_total, loss_sum, all_correct = _sum_over_ranks(model, total, loss_sum, correct)
        total, correct = int(all_total), int(all_correct)
    return loss_sum / max(total, 1), correct / max(total, 1)


def fit(model: nn.Module, train_loader: Any, test_loader: Any, optimizer: Any, epochs: int,
        scheduler: Any = None, label_smoothing: float = 0.0, progress: bool = True,
        log: Callable[[str], None] = print, *, start_epoch: int = 1,
        seed: int | None = None,
        on_epoch_end: Callable[[EpochResult], None] | None = None,
        distributed: bool = False) -> History:
    """Train ``model`` for epochs ``start_epoch..epochs``, evaluating after each one.

    ``start_epoch`` > 1 continues a resumed run. With ``seed``, each epoch begins with
    ``manual_seed(seed + epoch)``, the random transforms' ``seed(seed + epoch)`` and
    ``train_loader.set_epoch(epoch)`` (when the loader has it), so an epoch's shuffling,
    augmentation and dropout are the same whether the run was resumed or not.
    ``on_epoch_end`` sees each finished epoch (to log or checkpoint it).

    ``distributed``: this process is one rank of a data-parallel job (see the module
    docstring). ``train_loader`` / ``test_loader`` read this rank's shards; rank r seeds with
    ``seed + epoch + r * RANK_SEED_STRIDE``; before evaluating, every rank takes rank 0's
    buffers, so the model evaluated is the one rank 0 saves; metrics are summed over ranks.
    Pass ``progress`` and ``log`` for rank 0 only to print once.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be an int >= 1, got {epochs!r}")
    if not 1 <= start_epoch <= epochs + 1:
        raise ValueError(f"start_epoch must be in [1, epochs + 1] = [1, {epochs + 1}], "
                         f"got {start_epoch}")
    history = History()
    rank = 0
    if distributed:
        from .distributed import get_rank

        rank = get_rank()
    for epoch in range(start_epoch, epochs + 1):
        if seed is not None:
            manual_seed(seed + epoch + RANK_SEED_STRIDE * rank)
            seed_transforms(seed + epoch + RANK_SEED_STRIDE * rank)
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
        if distributed:
            all_seen, loss_sum, all_correct = _sum_over_ranks(model, seen, loss_sum, correct)
            seen, correct = int(all_seen), int(all_correct)
            _broadcast_buffers(model)
            # the wrapped module: evaluation needs no collective per batch (the ranks'
            # shards of the test set may differ by a batch)
            test_loss, test_acc = evaluate(getattr(model, "module", model), test_loader,
                                           distributed=True)
        else:
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
