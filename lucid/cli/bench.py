"""``lucid bench``: lucid's own speed and memory on one model (images/s, ms, peak RSS)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from ._threads import limit_blas_threads


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive int, got {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive int, got {value!r}")
    return n


def _non_negative(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an int >= 0, got {value!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected an int >= 0, got {value!r}")
    return n


def add_parser(sub: Any) -> None:
    """Register the ``bench`` command on the subparsers ``sub``."""
    b = sub.add_parser("bench", help="time a model's forward pass or train step",
                       description="Run MODEL on random images of --image-size for --iters "
                       "timed iterations after --warmup untimed ones, and print images/s, "
                       "milliseconds per iteration (median, min, max) and the process's peak "
                       "resident memory. Eval-mode forward passes without gradients by "
                       "default; --train times a full training step (forward, cross-entropy, "
                       "backward).")
    b.add_argument("model", help="registered model name, e.g. sk_resnet_50")
    b.add_argument("--batch", type=_positive, default=8, help="images per batch (default 8)")
    b.add_argument("--image-size", type=_positive, default=224,
                   help="height and width of the random images (default 224)")
    b.add_argument("--threads", type=_non_negative, default=0,
                   help="threads for BLAS and the NumPy backend's pool (0: the default, the "
                   "CPU count or LUCID_NUM_THREADS)")
    b.add_argument("--iters", type=_positive, default=10, help="timed iterations (default 10)")
    b.add_argument("--warmup", type=_non_negative, default=1,
                   help="untimed iterations first (default 1)")
    b.add_argument("--train", action="store_true", help="time a training step")
    b.add_argument("--fuse", action="store_true",
                   help="fold batch norm into the convolutions first (eval only; "
                   "lucid.nn.utils.fuse_conv_bn)")
    b.add_argument("--backend", default=None, help="array backend (default: lucid's default)")
    b.set_defaults(func=run)


def peak_rss_mib() -> float | None:
    """The process's peak resident set size in MiB (None where ``resource`` is missing)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def _progress(iterable: Iterable[int], total: int, desc: str) -> Iterable[int]:
    """``iterable`` with a tqdm progress bar on stderr when tqdm is installed."""
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=desc, unit="it", file=sys.stderr, leave=False)


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit status."""
    if args.threads:
        # read by the NumPy backend's thread pool when it starts (before any large op)
        os.environ["LUCID_NUM_THREADS"] = str(args.threads)
        limit_blas_threads(args.threads)
    if args.fuse and args.train:
        raise ValueError("--fuse folds batch norm for inference; it cannot be combined "
                         "with --train")
    import numpy as np

    import lucid
    import lucid.nn.functional as F
    from lucid import models
    from lucid.nn.utils import fuse_conv_bn

    backend = lucid.backends.get_backend(args.backend)
    model = models.get(args.model).to(backend.name)
    rng = np.random.default_rng(0)
    shape = (args.batch, 3, args.image_size, args.image_size)
    x = lucid.tensor(rng.standard_normal(shape, dtype=np.float32), backend=backend)
    if args.train:
        with lucid.no_grad():  # one eval-mode image tells the number of classes
            num_classes = model.eval()(x[:1]).shape[-1]
        y = lucid.tensor(rng.integers(0, num_classes, args.batch), backend=backend)
        model.train()

        def step() -> None:
            loss = F.cross_entropy(model(x), y)
            model.zero_grad()
            loss.backward()
    else:
        model.eval()
        if args.fuse:
            model = fuse_conv_bn(model, x[:1])

        def step() -> None:
            with lucid.no_grad():
                model(x)

    mode = "train step" if args.train else "forward (eval" + (", fused)" if args.fuse else ")")
    times = _timed(step, args.warmup, args.iters, f"{args.model} {mode}")
    med = statistics.median(times)
    peak = peak_rss_mib()
    threads = os.environ.get("LUCID_NUM_THREADS") or "default"
    print(f"{args.model} {mode}, batch {args.batch}, {args.image_size}x{args.image_size}, "
          f"backend {backend.name}, threads {threads}, {args.iters} iteration(s)")
    print(f"  images/s      {args.batch / med:10.2f}")
    print(f"  ms/iteration  {med * 1e3:10.2f}  (median; min {min(times) * 1e3:.2f}, "
          f"max {max(times) * 1e3:.2f})")
    print("  peak memory   " + ("   unknown" if peak is None else f"{peak:10.1f} MiB")
          + "  (peak resident set size of this process)")
    return 0


def _timed(step: Callable[[], None], warmup: int, iters: int, desc: str) -> list[float]:
    """Seconds of each of ``iters`` calls of ``step`` after ``warmup`` untimed ones."""
    times = []
    for i in _progress(range(warmup + iters), warmup + iters, desc):
        start = time.perf_counter()
        step()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return times
