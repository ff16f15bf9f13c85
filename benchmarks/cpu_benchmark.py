"""CPU speed of lucid (NumPy backend) side by side with PyTorch, same machine and thread count.

    python benchmarks/cpu_benchmark.py --threads 2            # kernels + models
    python benchmarks/cpu_benchmark.py --threads 1 --only models --batch 8

Each figure is the median wall time of ``--repeat`` runs after one warm-up. lucid and PyTorch
are timed in separate processes: in one process, the OpenMP threads PyTorch leaves spinning
after each call steal cores from OpenBLAS (that halved lucid's two-thread speed in a test).
PyTorch (and timm for the SK models) are optional: without them only lucid's column is shown.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

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
MODELS = {"sk_resnet_18": "skresnet18", "sk_resnet_50": "skresnet50",
          "sk_resnext_50_32x4d": "skresnext50_32x4d", "resnet_50": "resnet50"}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--threads", type=int, default=2, help="BLAS / torch intra-op threads")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--only", choices=["kernels", "models"], default=None)
    p.add_argument("--batch", type=int, default=8, help="batch size of the 224x224 models")
    p.add_argument("--framework", choices=["lucid", "torch"], default=None,
                   help=argparse.SUPPRESS)  # internal: time one framework in this process
    return p.parse_args()


def median_time(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds of ``fn()`` over ``repeat`` runs after one warm-up."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ------------------------------------------------------------------ lucid cases
def lucid_cases(args: argparse.Namespace) -> Iterator[tuple[str, Callable[[], object]]]:
    import numpy as np

    import lucid
    import lucid.nn.functional as F
    from lucid import models

    rng = np.random.default_rng(0)
    if args.only in (None, "kernels"):
        for name, n, c, h, w, o, k, s, p, d, g in CONVS:
            lx = lucid.tensor(rng.standard_normal((n, c, h, w), dtype=np.float32),
                              requires_grad=True)
            lw = lucid.tensor(rng.standard_normal((o, c // g, k, k), dtype=np.float32) * 0.05,
                              requires_grad=True)
            yield name, lambda: F.conv2d(lx, lw, stride=s, padding=p, dilation=d,
                                         groups=g).sum().backward()
        lx = lucid.tensor(rng.standard_normal((8, 64, 112, 112), dtype=np.float32),
                          requires_grad=True)
        gamma, beta = lucid.ones(64, requires_grad=True), lucid.zeros(64, requires_grad=True)
        yield "max_pool 3x3 s2 @112", lambda: F.max_pool2d(lx, 3, 2, 1).sum().backward()
        yield "batch_norm (train) 64ch @112", lambda: F.batch_norm(
            lx, None, None, gamma, beta, training=True).sum().backward()
        yield "relu @112", lambda: F.relu(lx).sum().backward()
    if args.only in (None, "models"):
        x = lucid.tensor(rng.standard_normal((args.batch, 3, 224, 224), dtype=np.float32))
        y = lucid.tensor(rng.integers(0, 1000, args.batch))
        for name in MODELS:
            model = models.get(name)

            def fwd(model=model):
                model.eval()
                with lucid.no_grad():
                    model(x)

            def step(model=model):
                model.train()
                loss = F.cross_entropy(model(x), y)
                model.zero_grad()
                loss.backward()

            yield f"{name} forward (eval)", fwd
            yield f"{name} train step (fwd+bwd)", step


# ------------------------------------------------------------------ torch cases
def torch_cases(args: argparse.Namespace) -> Iterator[tuple[str, Callable[[], object]]]:
    import numpy as np
    import torch
    import torch.nn.functional as TF

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    if args.only in (None, "kernels"):
        for name, n, c, h, w, o, k, s, p, d, g in CONVS:
            tx = torch.tensor(rng.standard_normal((n, c, h, w), dtype=np.float32),
                              requires_grad=True)
            tw = torch.tensor(rng.standard_normal((o, c // g, k, k), dtype=np.float32) * 0.05,
                              requires_grad=True)
            yield name, lambda: TF.conv2d(tx, tw, stride=s, padding=p, dilation=d,
                                          groups=g).sum().backward()
        tx = torch.tensor(rng.standard_normal((8, 64, 112, 112), dtype=np.float32),
                          requires_grad=True)
        gamma = torch.ones(64, requires_grad=True)
        beta = torch.zeros(64, requires_grad=True)
        yield "max_pool 3x3 s2 @112", lambda: TF.max_pool2d(tx, 3, 2, 1).sum().backward()
        yield "batch_norm (train) 64ch @112", lambda: TF.batch_norm(
            tx, None, None, gamma, beta, training=True).sum().backward()
        yield "relu @112", lambda: TF.relu(tx).sum().backward()
    if args.only in (None, "models"):
        try:
            import timm
        except ImportError:
            return
        x = torch.tensor(rng.standard_normal((args.batch, 3, 224, 224), dtype=np.float32))
        y = torch.tensor(rng.integers(0, 1000, args.batch))
        for name, timm_name in MODELS.items():
            model = timm.create_model(timm_name, pretrained=False)

            def fwd(model=model):
                model.eval()
                with torch.no_grad():
                    model(x)

            def step(model=model):
                model.train()
                loss = TF.cross_entropy(model(x), y)
                model.zero_grad()
                loss.backward()

            yield f"{name} forward (eval)", fwd
            yield f"{name} train step (fwd+bwd)", step


def run_one(args: argparse.Namespace) -> int:
    """Child process: time one framework and print ``{case: seconds}`` as JSON."""
    cases = lucid_cases(args) if args.framework == "lucid" else torch_cases(args)
    results = {name: median_time(fn, args.repeat) for name, fn in cases}
    print(json.dumps(results))
    return 0


def measure(framework: str, args: argparse.Namespace) -> tuple[dict[str, float], str]:
    """Run one framework in a fresh process with the thread settings; return its timings."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(args.threads)
    cmd = [sys.executable, __file__, "--framework", framework, "--threads", str(args.threads),
           "--repeat", str(args.repeat), "--batch", str(args.batch)]
    if args.only:
        cmd += ["--only", args.only]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        return {}, last
    return json.loads(proc.stdout.strip().splitlines()[-1]), ""


def versions() -> str:
    out = subprocess.run([sys.executable, "-c", "import numpy, lucid; print(numpy.__version__, "
                          "lucid.__version__)"], capture_output=True, text=True).stdout.split()
    torch_v = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"],
                             capture_output=True, text=True).stdout.strip() or "not installed"
    return f"lucid {out[1]} (NumPy {out[0]}); torch {torch_v}"


def main() -> int:
    args = parse_args()
    if args.framework:
        return run_one(args)
    print(f"{versions()}; {args.threads} thread(s); median of {args.repeat}; "
          "each framework in its own process")
    print("ratio = lucid time / torch time (lower is better; 1.00x is parity)\n")
    lucid_t, err = measure("lucid", args)
    if err:
        print(f"lucid run failed: {err}")
        return 1
    torch_t, why = measure("torch", args)
    if why:
        print(f"(no PyTorch column: {why})\n")
    print(f"{'case':<44} {'lucid':>13} {'torch':>12} {'ratio':>8}")
    for name, t in lucid_t.items():
        other = torch_t.get(name)
        if other is None:
            print(f"{name:<44} {t * 1e3:>10.2f} ms {'-':>12} {'-':>8}")
        else:
            print(f"{name:<44} {t * 1e3:>10.2f} ms {other * 1e3:>9.2f} ms {t / other:>7.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
