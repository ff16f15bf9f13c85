"""CPU speed of lucid (NumPy backend) side by side with PyTorch, same machine and thread count.

    python benchmarks/cpu_benchmark.py --threads 2            # kernels + models
    python benchmarks/cpu_benchmark.py --threads 1 --only models --batch 8

Each figure is the median wall time of ``--repeat`` runs after one warm-up. lucid and PyTorch
are timed in separate processes: in one process, the OpenMP threads PyTorch leaves spinning
after each call steal cores from OpenBLAS (that halved lucid's two-thread speed in a test).
With ``--rounds R`` the two processes alternate R times per model (lucid, torch, lucid, ...):
each time is then the median over the rounds, and the ratio the median of the R paired
ratios, with their range, so that a machine whose speed drifts moves both sides alike.
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
    p.add_argument("--rounds", type=int, default=1,
                   help="alternate the lucid and torch processes this many times per model "
                        "and pair their ratios (for a machine whose speed drifts)")
    p.add_argument("--only", choices=["kernels", "models"], default=None)
    p.add_argument("--batch", type=int, default=8, help="batch size of the 224x224 models")
    p.add_argument("--models", default=",".join(MODELS),
                   help="comma-separated models (default: all four)")
    p.add_argument("--no-memory", action="store_true",
                   help="skip the peak-memory runs (one extra process per model and framework)")
    # internal: time one framework (and one model, or the kernels) in this process
    p.add_argument("--framework", choices=["lucid", "torch"], default=None,
                   help=argparse.SUPPRESS)
    p.add_argument("--part", default=None, help=argparse.SUPPRESS)
    p.add_argument("--memory", action="store_true", help=argparse.SUPPRESS)
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


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, in MiB (``ru_maxrss``)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def current_rss_mib() -> float:
    """This process's resident set size now, in MiB (Linux ``/proc``; else the peak)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1 << 20)
    except OSError:
        return peak_rss_mib()


def model_cases(name: str, make_model: Callable[[], object], make_batch: Callable,
                forward: Callable, train_step: Callable, batch: int, memory: bool
                ) -> Iterator[tuple[str, Callable[[], object]]]:
    """The timed cases of one model (the same list for both frameworks)."""
    model = make_model()
    if memory:  # only the batch-``batch`` train step, for its peak memory
        x, y = make_batch(batch)
        yield f"{name} train step (fwd+bwd)", lambda: train_step(model, x, y)
        return
    for b in dict.fromkeys((batch, 1)):
        x, y = make_batch(b)
        suffix = "" if b == batch else f", batch {b}"
        yield f"{name} forward (eval){suffix}", lambda x=x: forward(model, x)
        yield f"{name} train step (fwd+bwd){suffix}", lambda x=x, y=y: train_step(model, x, y)


# ------------------------------------------------------------------ lucid cases
def lucid_cases(args: argparse.Namespace) -> Iterator[tuple[str, Callable[[], object]]]:
    # lucid first, as a lucid program does: it sets OpenBLAS's thread timeout before NumPy
    # loads OpenBLAS (see lucid/__init__.py)
    import lucid

    # isort: split
    import numpy as np

    import lucid.nn.functional as F
    from lucid import models

    rng = np.random.default_rng(0)
    if args.part == "kernels":
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
        block = lucid.nn.ConvBNReLU2d(64, 64, 1).eval()
        ex = lucid.tensor(rng.standard_normal((8, 64, 112, 112), dtype=np.float32))

        def eval_block():
            with lucid.no_grad():
                block(ex)

        yield "conv1x1-bn-relu (eval) 64ch @112", eval_block
        return

    def make_batch(b):
        return (lucid.tensor(rng.standard_normal((b, 3, 224, 224), dtype=np.float32)),
                lucid.tensor(rng.integers(0, 1000, b)))

    def forward(model, x):
        model.eval()
        with lucid.no_grad():
            model(x)

    def train_step(model, x, y):
        model.train()
        loss = F.cross_entropy(model(x), y)
        model.zero_grad()
        loss.backward()

    yield from model_cases(args.part, lambda: models.get(args.part), make_batch, forward,
                           train_step, args.batch, args.memory)


# ------------------------------------------------------------------ torch cases
def torch_cases(args: argparse.Namespace) -> Iterator[tuple[str, Callable[[], object]]]:
    import numpy as np
    import torch
    import torch.nn.functional as TF

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    if args.part == "kernels":
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
        block = torch.nn.Sequential(torch.nn.Conv2d(64, 64, 1, bias=False),
                                    torch.nn.BatchNorm2d(64), torch.nn.ReLU()).eval()
        ex = torch.tensor(rng.standard_normal((8, 64, 112, 112), dtype=np.float32))

        def eval_block():
            with torch.no_grad():
                block(ex)

        yield "conv1x1-bn-relu (eval) 64ch @112", eval_block
        return
    import timm  # the models' column needs timm (ImportError: no torch column for models)

    def make_batch(b):
        return (torch.tensor(rng.standard_normal((b, 3, 224, 224), dtype=np.float32)),
                torch.tensor(rng.integers(0, 1000, b)))

    def forward(model, x):
        model.eval()
        with torch.no_grad():
            model(x)

    def train_step(model, x, y):
        model.train()
        loss = TF.cross_entropy(model(x), y)
        model.zero_grad()
        loss.backward()

    yield from model_cases(args.part, lambda: timm.create_model(MODELS[args.part],
                                                                pretrained=False),
                           make_batch, forward, train_step, args.batch, args.memory)


def _why(exc: BaseException) -> str:
    """One line saying why a case could not run."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:140]


def run_one(args: argparse.Namespace) -> int:
    """Child process: time one framework's cases; print JSON with times, skips and memory."""
    cases = lucid_cases(args) if args.framework == "lucid" else torch_cases(args)
    times: dict[str, float] = {}
    skipped: dict[str, str] = {}
    base = None
    for name, fn in cases:
        if base is None:  # the model and its batch are built: the resident baseline
            base = current_rss_mib()
        try:
            times[name] = median_time(fn, args.repeat)
        except Exception as exc:  # a case this framework cannot run: say why, go on
            skipped[name] = _why(exc)
    print(json.dumps({"times": times, "skipped": skipped, "peak_mib": peak_rss_mib(),
                      "base_mib": base}))
    return 0


def measure(framework: str, part: str, args: argparse.Namespace,
            memory: bool = False) -> tuple[dict, str]:
    """Run one framework's ``part`` in a fresh process with the thread settings."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "LUCID_NUM_THREADS"):
        env[var] = str(args.threads)
    cmd = [sys.executable, __file__, "--framework", framework, "--threads", str(args.threads),
           "--repeat", str(1 if memory else args.repeat), "--batch", str(args.batch),
           "--part", part] + (["--memory"] if memory else [])
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


def _cell(t: float | None, why: str | None) -> str:
    if t is not None:
        return f"{t * 1e3:>9.2f} ms"
    return f"{'skipped':>12}" if why else f"{'-':>12}"


def main() -> int:
    args = parse_args()
    if args.framework:
        return run_one(args)
    print(f"{versions()}; {args.threads} thread(s); median of {args.repeat}"
          + (f", {args.rounds} alternating rounds" if args.rounds > 1 else "")
          + "; each framework in its own process")
    print("ratio = lucid time / torch time (lower is better; 1.00x is parity)\n")
    parts = ([] if args.only == "models" else ["kernels"])
    if args.only != "kernels":
        unknown = sorted(set(args.models.split(",")) - set(MODELS))
        if unknown:
            print(f"unknown model(s) {unknown}; choose from {sorted(MODELS)}")
            return 2
        parts += args.models.split(",")
    print(f"{'case':<44} {'lucid':>12} {'torch':>12} {'ratio':>8}")
    notes: list[str] = []
    memory: list[tuple[str, dict, dict]] = []
    for part in parts:
        rounds = []
        for _ in range(max(1, args.rounds)):
            res, err = measure("lucid", part, args)
            if err:
                print(f"lucid run failed ({part}): {err}")
                return 1
            other, why = measure("torch", part, args)
            rounds.append((res, other))
        if why:
            notes.append(f"no PyTorch column for {part}: {why}")
        for name in dict.fromkeys(list(res["times"]) + list(res["skipped"])
                                  + list(other.get("skipped", {}))):
            mine = [r["times"][name] for r, _ in rounds if name in r["times"]]
            theirs = [o["times"][name] for _, o in rounds if name in o.get("times", {})]
            t = statistics.median(mine) if mine else None
            o = statistics.median(theirs) if theirs else None
            ratio = f"{'-':>8}"
            if t is not None and o is not None:
                paired = sorted(r["times"][name] / q["times"][name] for r, q in rounds
                                if name in r["times"] and name in q.get("times", {}))
                ratio = f"{statistics.median(paired):>7.2f}x"
                if len(paired) > 1:
                    ratio += f" ({paired[0]:.2f}-{paired[-1]:.2f})"
            why_l, why_t = res["skipped"].get(name), other.get("skipped", {}).get(name)
            print(f"{name:<44} {_cell(t, why_l)} {_cell(o, why_t)} {ratio}")
            for fw, reason in (("lucid", why_l), ("torch", why_t)):
                if reason:
                    notes.append(f"skipped {name} on {fw}: {reason}")
        if part != "kernels" and not args.no_memory:
            mem_l, _ = measure("lucid", part, args, memory=True)
            mem_t, _ = measure("torch", part, args, memory=True)
            memory.append((part, mem_l, mem_t))
    if memory:
        print(f"\npeak resident memory of a process running the batch-{args.batch} train "
              "step (ru_maxrss; in brackets: RSS after building the model, before the step)")
        print(f"{'model':<44} {'lucid':>16} {'torch':>16} {'ratio':>8}")
        for part, ml, mt in memory:
            def fmt(m: dict) -> str:
                return f"{m['peak_mib']:>6.0f} ({m['base_mib']:>4.0f}) MiB" if m else \
                    f"{'-':>16}"
            ratio = f"{ml['peak_mib'] / mt['peak_mib']:>7.2f}x" if ml and mt else f"{'-':>8}"
            print(f"{part:<44} {fmt(ml)} {fmt(mt)} {ratio}")
    for note in notes:
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
