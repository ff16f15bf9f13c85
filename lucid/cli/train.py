"""``lucid train``: train a registered model on the bundled digits, MNIST, CIFAR or a folder.

Every argument and the output folder are checked before any data is read or any model built,
so a typo costs a second, not an epoch. After each epoch the run appends to
``OUT/metrics.jsonl``, redraws ``OUT/curves.png`` (with matplotlib), logs to TensorBoard (with
``--tensorboard DIR``) and rewrites ``OUT/MODEL_DATA_state.npz``, which ``--resume`` continues
from; the trained weights end in ``OUT/MODEL_DATA.npz``.

``--distributed`` (under ``mpiexec -n N lucid train ...``) trains data-parallel: every rank
builds the same model, wraps it in ``DistributedDataParallel`` and reads its own shard
(``DistributedSampler``, ``--batch-size`` per rank); evaluation is sharded too, its counts
summed over the ranks. Rank 0 alone prints, logs and writes files; the others wait for it at
a barrier. Every rank reads ``--resume``'s file. See docs/distributed.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ._threads import limit_blas_threads


def _int_at_least(minimum: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value
    parse.__name__ = f"int>={minimum}"
    return parse


def _float_in(low: float, high: float, *, low_open: bool = False,
              high_open: bool = False) -> Any:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        ok = (value > low if low_open else value >= low) and \
             (value < high if high_open else value <= high)
        if not ok:
            span = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
            raise argparse.ArgumentTypeError(f"must be in {span}, got {value}")
        return value
    parse.__name__ = "number"
    return parse


def add_parser(sub: Any) -> None:
    """Register the ``train`` command on the subparsers ``sub``."""
    t = sub.add_parser(
        "train", help="train a model on digits, MNIST, CIFAR or your own image folder",
        description="Train a registered model. --data picks the dataset: digits (bundled with "
        "scikit-learn, the default), mnist, fashion-mnist, cifar10, cifar100 (files in "
        "--data-dir, fetched with --download), or a FOLDER of images: FOLDER/train and "
        "FOLDER/val with one subfolder per class, or one subfolder per class split with "
        "--val-fraction and --seed.")
    t.add_argument("--model", default="sk_resnet_mini", help="registered model name")
    t.add_argument("--data", default="digits",
                   help="digits, mnist, fashion-mnist, cifar10, cifar100 or a folder")
    t.add_argument("--data-dir", default=None,
                   help="folder holding MNIST/CIFAR files (default: ~/.cache/lucid/datasets "
                        "or $LUCID_HOME/datasets)")
    t.add_argument("--download", action="store_true",
                   help="download MNIST/CIFAR files that are missing (checksums verified)")
    t.add_argument("--val-fraction", type=_float_in(0, 1, low_open=True, high_open=True),
                   default=0.1, help="held-out share of a folder without val/ (default 0.1)")
    t.add_argument("--augment", action="store_true",
                   help="random crops and flips (not for digits' 8x8 originals: shifts only)")
    t.add_argument("--pretrained", action="store_true",
                   help="start from the model's published ImageNet weights with a new "
                        "classifier (needs lucid[hub] and the weights cached or network)")
    t.add_argument("--resume", metavar="STATE", default=None,
                   help="continue the run saved in STATE (OUT/MODEL_DATA_state.npz)")
    t.add_argument("--epochs", type=_int_at_least(1), default=10)
    t.add_argument("--batch-size", type=_int_at_least(1), default=32,
                   help="images per step (default 32); with --distributed per process, as "
                        "in PyTorch: N processes step on N x this many")
    t.add_argument("--lr", type=_float_in(0, 10, low_open=True), default=0.05)
    t.add_argument("--weight-decay", type=_float_in(0, 1), default=5e-4)
    t.add_argument("--label-smoothing", type=_float_in(0, 1, high_open=True), default=0.0)
    t.add_argument("--image-size", type=_int_at_least(1), default=None,
                   help="input size (default: 16 for digits, 28 MNIST, 32 CIFAR, 224 folder)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--backend", default=None, help="backend name (default: current)")
    t.add_argument("--threads", type=_int_at_least(0), default=1,
                   help="BLAS threads; small models train fastest on 1 (0: library default); "
                        "with --distributed per rank, and the NumPy backend's pool too")
    t.add_argument("--workers", type=_int_at_least(0), default=0,
                   help="data-loading worker processes (default 0: in the main process)")
    t.add_argument("--out", default="runs", help="folder for checkpoints and metrics")
    t.add_argument("--tensorboard", metavar="DIR", default=None,
                   help="also log the metrics to TensorBoard in DIR (needs lucid[tensorboard])")
    t.add_argument("--no-plot", action="store_true", help="do not draw OUT/curves.png")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.add_argument("--distributed", action="store_true",
                   help="data-parallel training, one process per rank: run as "
                        "'mpiexec -n N lucid train --distributed ...' (needs lucid[mpi]; "
                        "without mpiexec it runs as one rank)")
    t.add_argument("--dist-backend", choices=("mpi", "nccl"), default=None,
                   help="with --distributed: mpi (CPU, any backend; the default) or nccl "
                        "(one GPU per rank, --backend cupy)")
    t.set_defaults(func=run)


def prepare_out_dir(path: str) -> Path:
    """Create ``path`` and prove it writable, or raise ValueError saying what is wrong."""
    out = Path(path)
    for parent in (out, *out.parents):
        if parent.exists() and not parent.is_dir():
            raise ValueError(f"--out {path!r}: {str(parent)!r} is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise ValueError(f"--out {path!r} is not a writable folder: {exc.strerror or exc}") \
            from None
    return out


def _check_before_work(args: argparse.Namespace) -> Path:
    """Everything that can be checked without reading data or building a model."""
    from lucid import models

    from ._data import check_data_argument

    models.model_entry(args.model)  # unknown model: LookupError with suggestions
    check_data_argument(args.data)
    if args.resume is not None and not Path(args.resume).is_file():
        raise ValueError(f"--resume {args.resume!r}: no such file")
    if args.tensorboard is not None:
        try:
            import tensorboardX  # noqa: F401
        except ImportError:
            raise ImportError("--tensorboard needs the tensorboardX package: "
                              'pip install "lucid[tensorboard]"') from None
        prepare_out_dir(args.tensorboard)
    return prepare_out_dir(args.out)


def _quiet(*args: Any, **kwargs: Any) -> None:
    """``print`` on ranks other than 0: one line per event, not one per rank."""


def _start_process_group(backend_name: str) -> tuple[int, int]:
    """Join (or create) the process group; this process's rank and the world size."""
    from lucid import distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend=backend_name)
    rank, world = dist.get_rank(), dist.get_world_size()
    if world == 1:
        print("note: --distributed in a single process (not started by mpiexec, or -n 1): "
              "training as one rank; for N ranks run 'mpiexec -n N lucid train "
              "--distributed ...'", file=sys.stderr)
    return rank, world


def _check_distributed_arguments(args: argparse.Namespace) -> None:
    if args.dist_backend is not None and not args.distributed:
        raise ValueError(f"--dist-backend {args.dist_backend} needs --distributed (and "
                         "'mpiexec -n N' in front of lucid train)")


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit status."""
    _check_distributed_arguments(args)
    if not args.distributed:
        out = _check_before_work(args)
        import lucid

        limit_blas_threads(args.threads)
        return _train(args, out, lucid.backends.get_backend(args.backend), "mpi", 0, 1)
    if args.threads > 0:
        # N ranks share the cores: hold the NumPy backend's pool (read when it starts, before
        # the first large op) to --threads too, or every rank would start one per core
        os.environ.setdefault("LUCID_NUM_THREADS", str(args.threads))
    limit_blas_threads(args.threads)
    import lucid

    backend = lucid.backends.get_backend(args.backend)
    dist_backend = args.dist_backend or "mpi"
    if dist_backend == "nccl" and backend.name != "cupy":
        raise ValueError(f"--dist-backend nccl all-reduces CuPy GPU arrays; this run's backend "
                         f"is {backend.name!r}: add --backend cupy (or use --dist-backend mpi)")
    if importlib.util.find_spec("mpi4py") is None:  # after the argument checks: fix those first
        raise ImportError("--distributed needs mpi4py and an MPI library (it starts and "
                          "connects the processes, for NCCL too): pip install 'lucid[mpi]'")
    # join first, check after: a check that fails on one rank only (a --resume file missing
    # on one host) must end the whole job, not leave the others waiting in MPI for ever
    rank, world = _start_process_group(dist_backend)
    try:
        return _train(args, _check_before_work(args), backend, dist_backend, rank, world)
    except Exception as exc:
        if world == 1:
            raise
        print(f"lucid train: error on rank {rank} of {world}: {type(exc).__name__}: {exc}; "
              "ending the job", file=sys.stderr, flush=True)
        sys.stdout.flush()
        from mpi4py import MPI

        MPI.COMM_WORLD.Abort(1)
        raise  # not reached: Abort ends this process too


def _train(args: argparse.Namespace, out: Path, backend: Any, dist_backend: str, rank: int,
           world: int) -> int:
    """Everything after the process group exists: data, model, training, files."""
    import lucid
    from lucid import models, optim
    from lucid.data import DataLoader, DistributedSampler, Subset
    from lucid.io import checkpoint
    from lucid.metrics_log import MetricsLog
    from lucid.train import RANK_SEED_STRIDE, fit
    from lucid.train_state import history_from, load_training_state, save_training_state

    from ._data import load_data

    say = print if rank == 0 else _quiet
    barrier = _barrier if args.distributed else (lambda: None)
    lucid.manual_seed(args.seed)  # the same initial weights on every rank
    if args.download and rank != 0:
        barrier()  # rank 0 downloads first; the others then read its files
    data = load_data(args)
    if args.download and rank == 0:
        barrier()
    say(f"{data.name}: {len(data.train)} train / {len(data.test)} test images, "
        f"{data.num_classes} classes, {data.in_channels}x{data.image_size}x{data.image_size}, "
        f"backend {backend.name}")
    model = models.get(args.model, pretrained=args.pretrained, num_classes=data.num_classes,
                       in_channels=data.in_channels) if args.pretrained else \
        models.get(args.model, num_classes=data.num_classes, in_channels=data.in_channels)
    model = model.to(backend.name)
    say(f"model {args.model}: {model.num_parameters():,} parameters"
        f"{' (pretrained, new classifier)' if args.pretrained else ''}")
    if args.distributed:
        # rank r reads every world-th sample of a (seed, epoch) permutation; its workers and
        # augmentation get their own seeds; the test set is split without padding
        sampler = DistributedSampler(data.train, num_replicas=world, rank=rank, shuffle=True,
                                     seed=args.seed)
        train_loader = DataLoader(data.train, batch_size=args.batch_size, sampler=sampler,
                                  seed=args.seed + RANK_SEED_STRIDE * rank,
                                  num_workers=args.workers, backend=backend)
        test_set = Subset(data.test, range(rank, len(data.test), world))
        ranks = f"{world} rank{'' if world == 1 else 's'}"
        say(f"distributed: {ranks} ({dist_backend}), {len(sampler)} images and batches "
            f"of {args.batch_size} per rank ({world * args.batch_size} per step)")
    else:
        train_loader = DataLoader(data.train, batch_size=args.batch_size, shuffle=True,
                                  seed=args.seed, num_workers=args.workers, backend=backend)
        test_set = data.test
    test_loader = DataLoader(test_set, batch_size=256, num_workers=args.workers,
                             backend=backend)
    opt = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True,
                    weight_decay=args.weight_decay)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    stem = f"{args.model}_{data.name}"
    run_info = {"model": args.model, "data": data.name, "num_classes": data.num_classes,
                "in_channels": data.in_channels, "image_size": data.image_size,
                "epochs": args.epochs}
    start_epoch, earlier = 1, []
    if args.resume is not None:  # every rank reads the same file
        meta = load_training_state(args.resume, model, opt, sched)
        saved = meta.get("extra", {})
        for key in ("model", "data", "num_classes", "in_channels", "image_size", "epochs"):
            if saved.get(key) != run_info[key]:
                raise ValueError(f"--resume {args.resume!r} was written with {key}="
                                 f"{saved.get(key)!r}; this run has {key}={run_info[key]!r}")
        start_epoch, earlier = int(meta["epoch"]) + 1, history_from(meta)
        say(f"resuming after epoch {meta['epoch']} of {args.epochs}")
    trained: Any = model
    if args.distributed:
        from lucid.nn.parallel import DistributedDataParallel

        trained = DistributedDataParallel(model)  # starts from rank 0's weights
    log = MetricsLog(out, plot=not args.no_plot, tensorboard_dir=args.tensorboard) \
        if rank == 0 else None
    if log is not None:
        log.start(earlier)
    state_path = out / f"{stem}_state.npz"
    rows = list(earlier)

    def after_epoch(result: Any) -> None:
        rows.append(result)
        if log is not None:  # rank 0 writes; the metrics are already summed over ranks
            log.write(result)
            save_training_state(state_path, model, opt, sched, epoch=result.epoch,
                                history=rows, extra=run_info)
        barrier()  # no rank runs ahead of the saved state

    start = time.perf_counter()
    try:
        fit(trained, train_loader, test_loader, opt, args.epochs, sched,
            label_smoothing=args.label_smoothing,
            progress=not args.no_progress and rank == 0, log=say,
            start_epoch=start_epoch, seed=args.seed, on_epoch_end=after_epoch,
            distributed=args.distributed)
    finally:
        if log is not None:
            log.close()
    elapsed = time.perf_counter() - start
    if not rows:
        say(f"nothing to do: {args.resume} already holds all {args.epochs} epochs")
        return 0
    final = rows[-1]
    path = os.path.join(out, f"{stem}.npz")
    if rank == 0:
        checkpoint.save(model, path, metadata={**run_info, "classes": list(data.classes),
                                               "test_accuracy": final.test_accuracy})
    barrier()
    say(f"saved checkpoint to {path}; metrics in {out / 'metrics.jsonl'}"
        f"{f' and {log.png_path}' if log is not None and log.png_path else ''}; "
        f"resume state {state_path}")
    say(f"final test accuracy: {final.test_accuracy:.4f} "
        f"({final.test_accuracy * 100:.2f} %) after {final.epoch} epochs in {elapsed:.1f} s")
    return 0


def _barrier() -> None:
    from lucid.distributed import barrier

    barrier()
