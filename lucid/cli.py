"""The ``lucid`` command line: train on the bundled digits, list and summarise models, list
backends, convert weights."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import Any


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


def _print_table(header: list[str], rows: list[list[str]], right: set[int],
                 footer: Sequence[str] = ()) -> None:
    """Print a table with ``rich`` on a terminal when it is installed, else as plain text."""
    if sys.stdout.isatty():
        try:
            from rich.console import Console
            from rich.table import Table
        except ImportError:
            pass
        else:
            table = Table(*header, show_lines=False, header_style="bold")
            for i, col in enumerate(table.columns):
                col.justify = "right" if i in right else "left"
            for r in rows:
                table.add_row(*r)
            console = Console()
            console.print(table)
            for text in footer:
                console.print(text)
            return
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if i in right else v.ljust(w)
                         for i, (v, w) in enumerate(zip(values, widths))).rstrip()

    print(line(header))
    print(line(["-" * w for w in widths]))
    for r in rows:
        print(line(r))
    for text in footer:
        print(text)


def _model_stats(name: str, image_size: int) -> dict[str, Any]:
    """Parameters and GMACs of a registered model at ``image_size`` (errors as text)."""
    import lucid
    from lucid import models

    try:
        model = models.get(name)
        in_channels = getattr(getattr(model, "config", None), "in_channels", 3)
        macs = lucid.count_flops(model, (1, in_channels, image_size, image_size)).macs
        return {"params": model.num_parameters(), "gmacs": round(macs / 1e9, 3)}
    except Exception as exc:  # a plugin model that cannot run here is listed, not fatal
        return {"params": None, "gmacs": None, "error": f"{type(exc).__name__}: {exc}"}


def _cmd_models(args: argparse.Namespace) -> int:
    import json

    from lucid import models

    found = []
    for name in models.list_models(args.pattern, family=args.family):
        entry = models.model_entry(name)
        row: dict[str, Any] = {"name": name, "family": entry.family, "source": entry.source}
        if not args.no_stats:
            row.update(_model_stats(name, args.image_size))
        found.append(row)
    if args.json:
        print(json.dumps(found, indent=2))
    else:
        gmacs = f"GMACs@{args.image_size}"
        header = ["model", "family", "params", gmacs, "source"]
        if args.no_stats:
            header = ["model", "family", "source"]
        cells = []
        for r in found:
            stats = [] if args.no_stats else [
                "?" if r["params"] is None else f"{r['params']:,}",
                "?" if r["gmacs"] is None else f"{r['gmacs']:.2f}"]
            cells.append([r["name"], r["family"], *stats, str(r["source"])])
        _print_table(header, cells, set() if args.no_stats else {2, 3})
    for r in found:
        if r.get("error"):
            print(f"! {r['name']}: {r['error']}", file=sys.stderr)
    for label, reason in models.plugin_failures().items():
        print(f"! model plugin {label} failed: {reason}", file=sys.stderr)
    return 0


def _cmd_summary(args: argparse.Namespace) -> int:
    import json

    import lucid
    from lucid import models
    from lucid.visual import build_module_mermaid_chart

    model = models.get(args.model)
    if args.format == "mermaid":
        sys.stdout.write(build_module_mermaid_chart(model, args.input_size, depth=args.depth))
        return 0
    s = lucid.summary(model, args.input_size, depth=args.depth)
    if args.format == "json":
        print(json.dumps(s.to_dict(), indent=2))
    else:
        header, cells = s.table_cells()
        _print_table(header, cells, {3, 4}, s.totals_lines())
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    import platform

    import lucid
    from lucid import models

    try:
        import numpy
        numpy_version = numpy.__version__
    except ImportError:
        numpy_version = "not installed"
    print(f"lucid {lucid.__version__}")
    print(f"Python {platform.python_version()} ({sys.executable})")
    print(f"NumPy {numpy_version}")
    print("backends:")
    for status in lucid.backends.available().values():
        print(f"  {status}")
    print(f"models: {len(models.list_models())} registered")
    for label, reason in models.plugin_failures().items():
        print(f"  ! model plugin {label} failed: {reason}")
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


def _version() -> str:
    import lucid

    return lucid.__version__


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``lucid`` command."""
    parser = argparse.ArgumentParser(prog="lucid", description=__doc__)
    parser.add_argument("--version", action="version", version=f"lucid {_version()}")
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

    m = sub.add_parser("models", help="list registered models with parameters and GMACs")
    m.add_argument("pattern", nargs="?", default="*", help="shell-style wildcard")
    m.add_argument("--family", default=None)
    m.add_argument("--json", action="store_true", help="print JSON instead of a table")
    m.add_argument("--image-size", type=int, default=224,
                   help="square input size the GMACs are counted at (default 224)")
    m.add_argument("--no-stats", action="store_true",
                   help="do not build the models (no parameter and GMAC columns; fast)")
    m.set_defaults(func=_cmd_models)

    s = sub.add_parser("summary", help="per-layer table, JSON or Mermaid chart of a model",
                       description="Run MODEL once on zeros of --input-size and show its "
                       "layers: output shapes, parameters and MACs (table or json), or a "
                       "Mermaid flowchart (mermaid).")
    s.add_argument("model", help="registered model name, e.g. sk_resnet_50")
    s.add_argument("--input-size", default="1,3,224,224",
                   help="input shape, batch included (default 1,3,224,224)")
    s.add_argument("--depth", type=int, default=3, help="levels of submodules shown")
    s.add_argument("--format", choices=("table", "mermaid", "json"), default="table")
    s.set_defaults(func=_cmd_summary)

    i = sub.add_parser("info", help="lucid, Python and NumPy versions, backends, models")
    i.set_defaults(func=_cmd_info)

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
