"""``lucid convert``: convert timm/PyTorch weights to a lucid checkpoint."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(sub: Any) -> None:
    """Register the ``convert`` command on the subparsers ``sub``."""
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
    c.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit status (1 with a one-line message for a damaged file)."""
    from lucid.convert import convert_file

    try:
        done = convert_file(args.model, args.src, args.dst, num_classes=args.num_classes,
                            in_channels=args.in_channels)
    except (ValueError, ImportError, OSError, LookupError, TypeError) as exc:
        # unreadable, damaged or hostile files (lucid.io.CheckpointError: one line naming the
        # file), tensors that do not fit the model (one line per tensor), unknown models
        print(f"lucid convert: error: {exc}", file=sys.stderr)
        return 1
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
