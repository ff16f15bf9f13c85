"""The ``lucid`` command line: train on the bundled digits, list models and backends."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence


def _cmd_train(args: argparse.Namespace) -> int:
    import lucid
    from lucid import models, optim
    from lucid.data import DataLoader, load_digits
    from lucid.io import checkpoint
    from lucid.train import fit

    _limit_blas_threads(args.threads)
    backend = lucid.backends.get_backend(args.backend)
    lucid.manual_seed(args.seed)
    train, test = load_digits(image_size=args.image_size, seed=args.seed)
    print(f"digits: {len(train)} train / {len(test)} test images, "
          f"{args.image_size}x{args.image_size}, backend {backend.name}")
    model = models.get(args.model, num_classes=10, in_channels=1).to(backend.name)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model {args.model}: {n_params:,} parameters")
    train_loader = DataLoader(train, args.batch_size, shuffle=True, seed=args.seed,
                              backend=backend)
    test_loader = DataLoader(test, 256, backend=backend)
    opt = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True,
                    weight_decay=args.weight_decay)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    start = time.perf_counter()
    history = fit(model, train_loader, test_loader, opt, args.epochs, sched,
                  label_smoothing=args.label_smoothing, progress=not args.no_progress)
    elapsed = time.perf_counter() - start
    path = checkpoint.save(model, os.path.join(args.out, f"{args.model}_digits.npz"),
                           metadata={"model": args.model, "num_classes": 10, "in_channels": 1,
                                     "image_size": args.image_size,
                                     "test_accuracy": history.final.test_accuracy})
    print(f"saved checkpoint to {path}")
    print(f"final test accuracy: {history.final.test_accuracy:.4f} "
          f"({history.final.test_accuracy * 100:.2f} %) after {args.epochs} epochs in "
          f"{elapsed:.1f} s")
    return 0


def _limit_blas_threads(threads: int) -> None:
    """Cap BLAS threads: via the environment before NumPy loads, else with threadpoolctl."""
    if threads <= 0:
        return
    if "numpy" not in sys.modules:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(threads)
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("note: --threads has no effect (NumPy is loaded and threadpoolctl is missing)",
              file=sys.stderr)
        return
    threadpool_limits(limits=threads, user_api="blas")


def _cmd_models(args: argparse.Namespace) -> int:
    from lucid import models

    for name in models.list_models(args.pattern, family=args.family):
        entry = models.model_entry(name)
        print(f"{name:<28} {entry.family:<10} {entry.source}")
    for label, reason in models.plugin_failures().items():
        print(f"! model plugin {label} failed: {reason}", file=sys.stderr)
    return 0


def _cmd_backends(args: argparse.Namespace) -> int:
    import lucid

    for status in lucid.backends.available().values():
        print(status)
    return 0


def _cmd_convert(args: argparse.Namespace) -> int:
    from lucid.convert import convert_file

    try:
        done = convert_file(args.model, args.src, args.dst, num_classes=args.num_classes,
                            in_channels=args.in_channels)
    except (ValueError, ImportError, OSError, LookupError, TypeError) as exc:
        print(f"lucid convert: error: {exc}", file=sys.stderr)
        return 2
    report = done.report
    n_params = sum(p.numel() for p in done.model.parameters())
    print(f"read {len(done.source.arrays)} tensors from {args.src} ({done.source.file_format}, "
          f"{report.naming} naming)")
    print(f"wrote {report.n_tensors} tensors ({n_params:,} parameters, {report.n_values:,} "
          f"values in all) for {done.model_name} with {done.num_classes} classes to "
          f"{done.path}")
    if report.filled:
        print(f"filled {len(report.filled)} absent num_batches_tracked buffers with 0")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``lucid`` command."""
    parser = argparse.ArgumentParser(prog="lucid", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a registered model on the bundled digits dataset")
    t.add_argument("--model", default="sk_resnet_mini", help="registered model name")
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--batch-size", type=int, default=32)
    t.add_argument("--lr", type=float, default=0.05)
    t.add_argument("--weight-decay", type=float, default=5e-4)
    t.add_argument("--label-smoothing", type=float, default=0.0)
    t.add_argument("--image-size", type=int, default=16, help="digits are resized to this")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--backend", default=None, help="backend name (default: current)")
    t.add_argument("--threads", type=int, default=1,
                   help="BLAS threads; small models train fastest on 1 (0: library default)")
    t.add_argument("--out", default="runs", help="folder for the checkpoint")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.set_defaults(func=_cmd_train)

    m = sub.add_parser("models", help="list registered models")
    m.add_argument("pattern", nargs="?", default="*", help="shell-style wildcard")
    m.add_argument("--family", default=None)
    m.set_defaults(func=_cmd_models)

    b = sub.add_parser("backends", help="list backends and why any is unavailable")
    b.set_defaults(func=_cmd_backends)

    c = sub.add_parser("convert", help="convert timm/PyTorch weights to a lucid checkpoint",
                       description="Convert a timm/torchvision state dict (.pth/.pt needs "
                       "PyTorch; safetensors and .npz do not) into a lucid checkpoint for "
                       "MODEL, written as .safetensors or .npz according to DST's extension.")
    c.add_argument("model", help="registered model name, e.g. sk_resnet_18")
    c.add_argument("src", help="source weights: .pth/.pt, .safetensors or .npz")
    c.add_argument("dst", help="lucid checkpoint to write (.npz or .safetensors)")
    c.add_argument("--num-classes", type=int, default=None,
                   help="classifier width (default: the rows of the source's fc.weight)")
    c.add_argument("--in-channels", type=int, default=3, help="input channels (default 3)")
    c.set_defaults(func=_cmd_convert)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lucid`` command."""
    args = build_parser().parse_args(argv)
    from lucid.backends import BackendError
    from lucid.io import CheckpointError

    try:
        return int(args.func(args) or 0)
    except (BackendError, CheckpointError, LookupError, ValueError, ImportError) as exc:
        # user errors (unknown model/backend, bad config value, unreadable file, missing
        # optional package) get one clear line instead of a traceback
        print(f"lucid {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
