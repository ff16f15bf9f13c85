"""CPU speed of lucid (NumPy backend) side by side with PyTorch, same machine and thread count.

    python benchmarks/cpu_benchmark.py --threads 2            # kernels + models
    python benchmarks/cpu_benchmark.py --threads 2 --only models

Each figure is the median wall time of ``--repeat`` runs after one warm-up. PyTorch (and
timm for the SK models) are optional: without them only lucid's column is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--threads", type=int, default=2, help="BLAS / torch intra-op threads")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--only", choices=["kernels", "models"], default=None)
    p.add_argument("--batch", type=int, default=8, help="batch size of the 224x224 models")
    return p.parse_args()


ARGS = parse_args()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402  (imported after the thread settings)

import lucid  # noqa: E402
import lucid.nn.functional as F  # noqa: E402
from lucid import models  # noqa: E402

try:
    import torch
    import torch.nn.functional as TF

    torch.set_num_threads(ARGS.threads)
except ImportError:
    torch = None
try:
    import timm
except ImportError:
    timm = None


def median_time(fn, repeat: int) -> float:
    """Median seconds of ``fn()`` over ``repeat`` runs after one warm-up."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def row(name: str, t_lucid: float, t_torch: float | None) -> None:
    if t_torch is None:
        print(f"{name:<44} {t_lucid * 1e3:>10.2f} ms {'-':>12} {'-':>8}")
    else:
        print(f"{name:<44} {t_lucid * 1e3:>10.2f} ms {t_torch * 1e3:>9.2f} ms "
              f"{t_lucid / t_torch:>7.2f}x")


# (name, N, C, H, W, O, k, stride, padding, dilation, groups)
CONVS = [
    ("3x3 64->64 @56", 8, 64, 56, 56, 64, 3, 1, 1, 1, 1),
    ("1x1 256->64 @56", 8, 256, 56, 56, 64, 1, 1, 0, 1, 1),
    ("3x3 128->128 s2 @56", 8, 128, 56, 56, 128, 3, 2, 1, 1, 1),
    ("3x3 dil2 64->64 @56 (SK branch)", 8, 64, 56, 56, 64, 3, 1, 2, 2, 1),
    ("3x3 g32 128->128 @56 (ResNeXt)", 8, 128, 56, 56, 128, 3, 1, 1, 1, 32),
    ("3x3 g32 dil2 256->256 @28 (SKNeXt)", 8, 256, 28, 28, 256, 3, 1, 2, 2, 32),
    ("7x7 s2 3->64 @224 (stem)", 8, 3, 224, 224, 64, 7, 2, 3, 1, 1),
]


def bench_kernels() -> None:
    print(f"\n{'convolution forward + backward':<44} {'lucid':>13} {'torch':>12} {'ratio':>8}")
    rng = np.random.default_rng(0)
    for name, n, c, h, w, o, k, s, p, d, g in CONVS:
        x = rng.standard_normal((n, c, h, w), dtype=np.float32)
        wt = rng.standard_normal((o, c // g, k, k), dtype=np.float32) * 0.05
        lx = lucid.tensor(x, requires_grad=True)
        lw = lucid.tensor(wt, requires_grad=True)

        def run_lucid():
            y = F.conv2d(lx, lw, stride=s, padding=p, dilation=d, groups=g)
            y.sum().backward()

        t_torch = None
        if torch is not None:
            tx = torch.tensor(x, requires_grad=True)
            tw = torch.tensor(wt, requires_grad=True)

            def run_torch():
                y = TF.conv2d(tx, tw, stride=s, padding=p, dilation=d, groups=g)
                y.sum().backward()

            t_torch = median_time(run_torch, ARGS.repeat)
        row(name, median_time(run_lucid, ARGS.repeat), t_torch)

    print(f"\n{'other kernels, forward + backward':<44} {'lucid':>13} {'torch':>12} {'ratio':>8}")
    x = rng.standard_normal((8, 64, 112, 112), dtype=np.float32)
    lx = lucid.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True) if torch is not None else None
    gamma = lucid.ones(64, requires_grad=True)
    beta = lucid.zeros(64, requires_grad=True)
    cases = [
        ("max_pool 3x3 s2 @112",
         lambda: F.max_pool2d(lx, 3, 2, 1).sum().backward(),
         lambda: TF.max_pool2d(tx, 3, 2, 1).sum().backward()),
        ("batch_norm (train) 64ch @112",
         lambda: F.batch_norm(lx, None, None, gamma, beta, training=True).sum().backward(),
         lambda: TF.batch_norm(tx, None, None, torch.ones(64, requires_grad=True),
                               torch.zeros(64, requires_grad=True), training=True)
         .sum().backward()),
        ("relu @112",
         lambda: F.relu(lx).sum().backward(),
         lambda: TF.relu(tx).sum().backward()),
    ]
    for name, fl, ft in cases:
        row(name, median_time(fl, ARGS.repeat),
            median_time(ft, ARGS.repeat) if torch is not None else None)


TIMM_NAMES = {"sk_resnet_18": "skresnet18", "sk_resnet_50": "skresnet50",
              "sk_resnext_50_32x4d": "skresnext50_32x4d", "resnet_50": "resnet50"}


def bench_models() -> None:
    n = ARGS.batch
    print(f"\n{f'model, batch {n}, 3x224x224':<44} {'lucid':>13} {'torch':>12} {'ratio':>8}")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3, 224, 224), dtype=np.float32)
    y = rng.integers(0, 1000, n)
    for name in ("sk_resnet_18", "sk_resnet_50", "sk_resnext_50_32x4d", "resnet_50"):
        model = models.get(name)
        lx, ly = lucid.tensor(x), lucid.tensor(y)

        def fwd():
            model.eval()
            with lucid.no_grad():
                model(lx)

        def step():
            model.train()
            loss = F.cross_entropy(model(lx), ly)
            model.zero_grad()
            loss.backward()

        t_fwd_t = t_step_t = None
        if torch is not None and timm is not None:
            tm = timm.create_model(TIMM_NAMES[name], pretrained=False)
            tx, ty = torch.tensor(x), torch.tensor(y)

            def tfwd():
                tm.eval()
                with torch.no_grad():
                    tm(tx)

            def tstep():
                tm.train()
                loss = TF.cross_entropy(tm(tx), ty)
                tm.zero_grad()
                loss.backward()

            t_fwd_t, t_step_t = median_time(tfwd, ARGS.repeat), median_time(tstep, ARGS.repeat)
        row(f"{name} forward (eval)", median_time(fwd, ARGS.repeat), t_fwd_t)
        row(f"{name} train step (fwd+bwd)", median_time(step, ARGS.repeat), t_step_t)


def main() -> int:
    print(f"lucid {lucid.__version__} on backend {lucid.get_backend().name}; NumPy "
          f"{np.__version__}; torch {torch.__version__ if torch else 'not installed'}; "
          f"{ARGS.threads} thread(s); median of {ARGS.repeat}")
    print("ratio = lucid time / torch time (lower is better; 1.00x is parity)")
    if ARGS.only in (None, "kernels"):
        bench_kernels()
    if ARGS.only in (None, "models"):
        bench_models()
    return 0


if __name__ == "__main__":
    sys.exit(main())
