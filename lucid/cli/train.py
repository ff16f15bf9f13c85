"""``lucid train``: train a registered model on the bundled digits dataset."""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from ._threads import limit_blas_threads


def add_parser(sub: Any) -> None:
    """Register the ``train`` command on the subparsers ``sub``."""
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
    t.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit status."""
    import lucid
    from lucid import models, optim
    from lucid.data import DataLoader, load_digits
    from lucid.io import checkpoint
    from lucid.train import fit

    limit_blas_threads(args.threads)
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
