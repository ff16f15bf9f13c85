"""One data-parallel train step: N processes x T threads against one process, same total batch.

    mpiexec -n 2 python benchmarks/distributed_step.py --threads 1   # 2 processes x 1 thread
    python benchmarks/distributed_step.py --threads 2                 # 1 process x 2 threads
    python benchmarks/distributed_step.py --interleave 3              # both, A B A B A B

A step is forward, cross-entropy, backward and SGD (momentum) on random 224x224 images; the
global batch (``--global-batch``, default 16) is split evenly over the ranks, so both set-ups
process the same images per step. Under ``mpiexec`` the model is wrapped in
``DistributedDataParallel`` (gradients all-reduced over MPI during backward). ``--threads``
caps every thread pool of each process: BLAS (OpenBLAS/MKL/OpenMP variables, set before NumPy
loads) and lucid's NumPy-backend pool (``LUCID_NUM_THREADS``).

A step's time is the slowest rank's (steps are synchronised by the all-reduce anyway); the
report is the median over ``--iters`` steps after ``--warmup``, with min and max, and images/s
= global batch / median. Under ``mpiexec`` the same number of steps is timed again inside
``no_sync()`` (no gradient all-reduce): the difference is what communication costs.
``--interleave K`` runs the two set-ups K times each, alternating, as separate jobs (other
work on a shared machine shifts over time; alternating spreads it over both) and prints each
run and the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="sk_resnet_18")
    p.add_argument("--threads", type=int, default=1, help="threads per process (BLAS + pool)")
    p.add_argument("--global-batch", type=int, default=16,
                   help="images per step over all ranks (split evenly; default 16)")
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--iters", type=int, default=6)
    p.add_argument("--json", action="store_true", help="print one JSON line (rank 0)")
    p.add_argument("--interleave", type=int, default=0, metavar="K",
                   help="run 'mpiexec -n 2 ... --threads 1' and '... --threads 2' K times "
                        "each, alternating, and summarise")
    return p.parse_args(argv)


def limit_threads(threads: int) -> None:
    """Cap BLAS and lucid's pool; must run before NumPy is imported."""
    assert "numpy" not in sys.modules, "set thread limits before NumPy loads"
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "LUCID_NUM_THREADS"):
        os.environ[var] = str(threads)


def launched_by_mpi() -> bool:
    return any(os.environ.get(v, "") not in ("", "1") for v in ("PMI_SIZE",
                                                                "OMPI_COMM_WORLD_SIZE"))


def measure(args: argparse.Namespace) -> dict[str, Any] | None:
    """Time the train step in this process (one rank of a job, or alone); rank 0's report."""
    limit_threads(args.threads)
    import numpy as np

    import lucid
    import lucid.nn.functional as F
    from lucid import models, optim

    distributed = launched_by_mpi()
    rank, world = 0, 1
    if distributed:
        import lucid.distributed as dist
        from lucid.nn.parallel import DistributedDataParallel

        dist.init_process_group("mpi")
        rank, world = dist.get_rank(), dist.get_world_size()
    if args.global_batch % world:
        raise SystemExit(f"--global-batch {args.global_batch} does not split over {world} "
                         "ranks")
    batch = args.global_batch // world
    lucid.manual_seed(0)
    model: Any = models.get(args.model)
    if distributed:
        model = DistributedDataParallel(model)
    model.train()
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(rank)
    x = lucid.tensor(rng.standard_normal((batch, 3, args.image_size, args.image_size),
                                         dtype=np.float32))
    y = lucid.tensor(rng.integers(0, 1000, batch))

    def step() -> None:
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    times = []
    for i in range(args.warmup + args.iters):
        if distributed:
            dist.barrier()
        start = time.perf_counter()
        step()
        if i >= args.warmup:
            times.append(time.perf_counter() - start)
    local: list[float] = []
    if distributed:
        # the same steps without the gradient all-reduce (DDP's no_sync): compute alone
        with model.no_sync():
            for _ in range(args.iters):
                dist.barrier()
                start = time.perf_counter()
                step()
                local.append(time.perf_counter() - start)
        # the slowest rank's time, step by step
        t = lucid.tensor(times + local, dtype="float64")
        dist.all_reduce(t, dist.ReduceOp.MAX)
        both = [float(v) for v in t.numpy()]
        times, local = both[:len(times)], both[len(times):]
        dist.destroy_process_group()
    if rank != 0:
        return None
    med = statistics.median(times)
    return {"setup": f"{world} process{'es' if world > 1 else ''} x {args.threads} thread"
                     f"{'s' if args.threads > 1 else ''}",
            "model": args.model, "global_batch": args.global_batch, "per_rank_batch": batch,
            "image_size": args.image_size, "median_s": med, "min_s": min(times),
            "max_s": max(times), "images_per_s": args.global_batch / med, "iters": len(times),
            "no_sync_median_s": statistics.median(local) if local else None}


def interleave(args: argparse.Namespace) -> None:
    """A B A B ...: each set-up as its own job, then the medians and spreads of the runs."""
    here = Path(__file__).resolve()
    mpiexec = Path(sys.executable).parent / "mpiexec"
    launcher = str(mpiexec) if mpiexec.exists() else shutil.which("mpiexec")
    if launcher is None:
        raise SystemExit("--interleave needs mpiexec (pip install mpi4py mpich)")
    common = ["--model", args.model, "--global-batch", str(args.global_batch), "--image-size",
              str(args.image_size), "--warmup", str(args.warmup), "--iters", str(args.iters),
              "--json"]
    setups = {"2 processes x 1 thread": [launcher, "-n", "2", sys.executable, str(here),
                                         "--threads", "1", *common],
              "1 process x 2 threads": [sys.executable, str(here), "--threads", "2", *common]}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in setups}
    for k in range(args.interleave):
        for name, cmd in setups.items():
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            report = json.loads(out.strip().splitlines()[-1])
            runs[name].append(report)
            print(f"run {k + 1} {name}: median {report['median_s'] * 1e3:.0f} ms "
                  f"(min {report['min_s'] * 1e3:.0f}, max {report['max_s'] * 1e3:.0f}), "
                  f"{report['images_per_s']:.2f} images/s"
                  + (f", no_sync {report['no_sync_median_s'] * 1e3:.0f} ms"
                     if report["no_sync_median_s"] is not None else "")
                  + f", load average "
                  f"{os.getloadavg()[0]:.2f}", flush=True)
    print(f"\n{args.model} train step, {args.global_batch} images of {args.image_size}x"
          f"{args.image_size} per step, {args.interleave} interleaved runs each "
          f"({args.iters} steps after {args.warmup} warm-ups per run)")
    for name, reports in runs.items():
        meds = [r["median_s"] for r in reports]
        print(f"  {name:24s} median of run medians {statistics.median(meds) * 1e3:7.0f} ms "
              f"(runs {min(meds) * 1e3:.0f}-{max(meds) * 1e3:.0f}), "
              f"{args.global_batch / statistics.median(meds):.2f} images/s")


def main() -> None:
    args = parse_args()
    if args.interleave:
        interleave(args)
        return
    report = measure(args)
    if report is None:
        return
    if args.json:
        print(json.dumps(report))
        return
    print(f"{report['setup']}: {args.model} train step, global batch {args.global_batch} "
          f"({report['per_rank_batch']} per rank), {args.image_size}x{args.image_size}")
    print(f"  ms/step   {report['median_s'] * 1e3:9.1f}  (median of {report['iters']}; min "
          f"{report['min_s'] * 1e3:.1f}, max {report['max_s'] * 1e3:.1f})")
    print(f"  images/s  {report['images_per_s']:9.2f}")
    if report["no_sync_median_s"] is not None:
        print(f"  ms/step without the all-reduce (no_sync) {report['no_sync_median_s'] * 1e3:.1f}"
              " (median): the rest of a step is communication")


if __name__ == "__main__":
    main()
