"""How much data preparation lucid's DataLoader hides behind compute, on this machine.

An epoch of 256 random 160x200 uint8 images through the ImageNet training transforms
(RandomResizedCrop(128), RandomHorizontalFlip, ToTensor, Normalize), batch 32, with a
stand-in training step per batch (a float32 matrix product that takes roughly as long as
preparing one batch). Rows: the batch read in the caller's thread (``prefetch_factor=0``),
the default background thread, and worker processes; with torch and torchvision installed,
PyTorch's DataLoader with torchvision's transforms on the same images for reference.

    python benchmarks/data_loader.py --repeat 3
    python benchmarks/data_loader.py --workers 2 --step-ms 30
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def images(n: int) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (n, 160, 200, 3), dtype=np.uint8)


class Augmented:
    """Images through a transform; label = index mod 10."""

    def __init__(self, data: np.ndarray, transform) -> None:
        self.data, self.transform = data, transform

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, i: int):
        return self.transform(self.data[i]), i % 10


def stand_in_step(ms: float) -> None:
    """Busy work for about ``ms`` milliseconds (BLAS releases the GIL, as a model would)."""
    if ms <= 0:
        return
    a = np.ones((256, 256), np.float32)
    end = time.perf_counter() + ms / 1000
    while time.perf_counter() < end:
        a = (a @ a) * np.float32(1 / 256)


def epoch(loader, step_ms: float) -> float:
    start = time.perf_counter()
    for _ in loader:
        stand_in_step(step_ms)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--step-ms", type=float, default=40.0)
    args = parser.parse_args()

    from lucid.data import DataLoader
    from lucid.data import transforms as T

    data = images(256)
    tf = T.Compose([T.RandomResizedCrop(128), T.RandomHorizontalFlip(), T.ToTensor(),
                    T.Normalize(T.IMAGENET_MEAN, T.IMAGENET_STD)])
    ds = Augmented(data, tf)
    rows = [("lucid, in the caller's thread", lambda: DataLoader(ds, 32, prefetch_factor=0)),
            ("lucid, background thread", lambda: DataLoader(ds, 32)),
            (f"lucid, {args.workers} workers",
             lambda: DataLoader(ds, 32, num_workers=args.workers))]
    try:
        import torch.utils.data as tud
        from PIL import Image
        from torchvision import transforms as TV

        tv = TV.Compose([TV.RandomResizedCrop(128), TV.RandomHorizontalFlip(), TV.ToTensor(),
                         TV.Normalize(T.IMAGENET_MEAN, T.IMAGENET_STD)])
        tds = Augmented(data, lambda a: tv(Image.fromarray(a)))
        rows += [("torch, in the caller's thread", lambda: tud.DataLoader(tds, 32)),
                 (f"torch, {args.workers} workers",
                  lambda: tud.DataLoader(tds, 32, num_workers=args.workers))]
    except ImportError:
        pass
    prep = statistics.median(epoch(DataLoader(ds, 32, prefetch_factor=0), 0)
                             for _ in range(args.repeat))
    print(f"preparing the epoch alone: {prep:.2f} s; compute alone: "
          f"{8 * args.step_ms / 1000:.2f} s (8 steps of {args.step_ms:.0f} ms)")
    for name, make in rows:
        times = [epoch(make(), args.step_ms) for _ in range(args.repeat)]
        print(f"{name:34s} {statistics.median(times):6.2f} s  (median of {args.repeat})")


if __name__ == "__main__":
    main()
