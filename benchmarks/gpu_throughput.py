"""GPU throughput of lucid's CuPy backend against PyTorch + timm on the same GPU.

For ``sk_resnet_50`` and ``sk_resnext_50_32x4d`` (timm: ``skresnet50``, ``skresnext50_32x4d``)
at batch 32 and 224x224 it measures, in images per second:

* ``forward``: inference, model in eval mode, no autograd recording;
* ``train_step``: model in train mode, forward + cross-entropy + backward + SGD step
  (lr 0.1, momentum 0.9) + zero_grad.

Each figure is the median of ``--iters`` timed iterations after ``--warmup`` untimed ones;
every iteration is bracketed by a device synchronisation (``cupy.cuda.Device().synchronize()``
or ``torch.cuda.synchronize()``), so the time is the GPU work of that iteration, not the
time to queue it.

Precision: ``--precision fp32`` (the default) runs both frameworks in strict float32
(PyTorch's cuDNN and cuBLAS TF32 switched off); ``--precision tf32`` lets both use TF32
tensor cores (``CUPY_TF32=1`` for CuPy's GEMMs). Note that PyTorch's own default is TF32 for
convolutions, so quote the mode with the numbers.

Reproduce::

    python benchmarks/gpu_throughput.py                      # both models, both frameworks
    python benchmarks/gpu_throughput.py --precision tf32 --iters 30 --json results.json

Without a usable CUDA device (or without CuPy) the script says why and exits with status 0;
a framework that is missing (e.g. no PyTorch/timm) is reported and the other still runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

#: lucid model name -> timm model name.
MODELS = {"sk_resnet_50": "skresnet50", "sk_resnext_50_32x4d": "skresnext50_32x4d"}
MODES = ("forward", "train_step")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    p.add_argument("--frameworks", nargs="+", default=["lucid", "torch"],
                   choices=["lucid", "torch"])
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--size", type=int, default=224, help="input height and width")
    p.add_argument("--iters", type=int, default=20, help="timed iterations per measurement")
    p.add_argument("--warmup", type=int, default=5, help="untimed iterations first")
    p.add_argument("--precision", choices=["fp32", "tf32"], default="fp32")
    p.add_argument("--no-cudnn-benchmark", action="store_true",
                   help="leave torch.backends.cudnn.benchmark off (it is on by default here)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = p.parse_args(argv)
    for name in ("batch", "size", "iters"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be at least 1, got {getattr(args, name)}")
    if args.warmup < 0:
        p.error(f"--warmup must be at least 0, got {args.warmup}")
    return args


def time_iterations(step: Callable[[], None], sync: Callable[[], None], warmup: int,
                    iters: int) -> list[float]:
    """Seconds per iteration of ``step`` (each bracketed by ``sync``), after ``warmup`` runs."""
    for _ in range(warmup):
        step()
    sync()
    times = []
    for _ in range(iters):
        sync()
        t0 = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t0)
    return times


# --------------------------------------------------------------------------- lucid
def lucid_unavailable_reason() -> str | None:
    """Why lucid's cupy backend cannot run here, or None."""
    try:
        import lucid
    except Exception as exc:  # not installed in this interpreter
        return f"cannot import lucid ({type(exc).__name__}: {exc})"
    status = lucid.backends.available().get("cupy")
    if status is None:
        return "no 'cupy' backend plugin is installed"
    return None if status.available else status.reason


def bench_lucid(model_name: str, args: argparse.Namespace) -> dict[str, list[float]]:
    """Time lucid's forward and train step for one model on the cupy backend."""
    import cupy

    import lucid
    import lucid.nn.functional as F

    def sync() -> None:
        cupy.cuda.Device().synchronize()

    lucid.manual_seed(0)
    model = lucid.models.get(model_name).to("cupy")
    x = lucid.randn(args.batch, 3, args.size, args.size, backend="cupy")
    target = lucid.randint(0, 1000, size=(args.batch,), backend="cupy")
    results: dict[str, list[float]] = {}

    model.eval()

    def forward() -> None:
        with lucid.no_grad():
            model(x)

    results["forward"] = time_iterations(forward, sync, args.warmup, args.iters)

    model.train()
    opt = lucid.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def train_step() -> None:
        loss = F.cross_entropy(model(x), target)
        loss.backward()
        opt.step()
        opt.zero_grad()

    results["train_step"] = time_iterations(train_step, sync, args.warmup, args.iters)
    return results


def release_lucid() -> None:
    """Hand CuPy's cached blocks back to the driver (call once the model is gone)."""
    import gc

    import cupy

    gc.collect()  # the model's arrays must be garbage before the pool can hand their blocks back
    cupy.get_default_memory_pool().free_all_blocks()


# --------------------------------------------------------------------------- PyTorch
def torch_unavailable_reason() -> str | None:
    """Why PyTorch + timm cannot run on a GPU here, or None."""
    try:
        import timm  # noqa: F401
        import torch
    except Exception as exc:
        return f"PyTorch and timm are needed ({type(exc).__name__}: {exc})"
    if not torch.cuda.is_available():
        return "torch.cuda.is_available() is False"
    return None


def bench_torch(model_name: str, args: argparse.Namespace) -> dict[str, list[float]]:
    """Time PyTorch + timm's forward and train step for one model on the GPU."""
    import timm
    import torch

    device = torch.device("cuda")
    torch.manual_seed(0)
    model = timm.create_model(MODELS[model_name], pretrained=False).to(device)
    x = torch.randn(args.batch, 3, args.size, args.size, device=device)
    target = torch.randint(0, 1000, (args.batch,), device=device)
    results: dict[str, list[float]] = {}

    model.eval()

    def forward() -> None:
        with torch.no_grad():
            model(x)

    results["forward"] = time_iterations(forward, torch.cuda.synchronize, args.warmup,
                                         args.iters)

    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def train_step() -> None:
        loss = torch.nn.functional.cross_entropy(model(x), target)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    results["train_step"] = time_iterations(train_step, torch.cuda.synchronize, args.warmup,
                                            args.iters)
    return results


def release_torch() -> None:
    """Hand PyTorch's cached blocks back to the driver (call once the model is gone)."""
    import torch

    torch.cuda.empty_cache()


def configure_precision(args: argparse.Namespace, use_torch: bool) -> dict[str, Any]:
    """Set TF32 switches for both frameworks; returns what was set (for the report)."""
    tf32 = args.precision == "tf32"
    if tf32:
        os.environ["CUPY_TF32"] = "1"  # read by CuPy when it first picks a GEMM compute type
    else:
        os.environ.pop("CUPY_TF32", None)
    settings: dict[str, Any] = {"precision": args.precision, "CUPY_TF32": int(tf32)}
    if use_torch:
        import torch

        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        torch.backends.cudnn.benchmark = not args.no_cudnn_benchmark
        settings.update(torch_matmul_tf32=tf32, torch_cudnn_tf32=tf32,
                        cudnn_benchmark=not args.no_cudnn_benchmark)
    return settings


def environment(use_lucid: bool, use_torch: bool) -> dict[str, Any]:
    """Versions and the device name, for the report."""
    env: dict[str, Any] = {"python": platform.python_version()}
    if use_lucid:
        import cupy

        import lucid

        props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
        name = props["name"]
        env.update(lucid=lucid.__version__, cupy=cupy.__version__,
                   cuda_runtime=cupy.cuda.runtime.runtimeGetVersion(),
                   device=name.decode() if isinstance(name, bytes) else str(name))
    if use_torch:
        import timm
        import torch

        env.update(torch=torch.__version__, timm=timm.__version__,
                   torch_cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version())
        env.setdefault("device", torch.cuda.get_device_name())
    return env


def report(rows: list[dict[str, Any]], batch: int) -> str:
    """A plain-text table of images/s and the lucid/torch ratio."""
    lines = [f"{'model':<22}{'mode':<12}{'lucid-cupy img/s':>18}{'torch+timm img/s':>18}"
             f"{'lucid/torch':>13}"]
    for r in rows:
        lu, to = r.get("lucid_img_s"), r.get("torch_img_s")
        ratio = f"{lu / to:.2f}" if lu and to else "-"
        lines.append(f"{r['model']:<22}{r['mode']:<12}"
                     f"{(f'{lu:.1f}' if lu else '-'):>18}{(f'{to:.1f}' if to else '-'):>18}"
                     f"{ratio:>13}")
    lines.append(f"(batch {batch}; images/s = batch / median seconds per iteration)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the process exit status."""
    args = parse_args(argv)
    reasons = {}
    if "lucid" in args.frameworks:
        reasons["lucid"] = lucid_unavailable_reason()
    if "torch" in args.frameworks:
        reasons["torch"] = torch_unavailable_reason()
    use_lucid = "lucid" in reasons and reasons["lucid"] is None
    use_torch = "torch" in reasons and reasons["torch"] is None
    missing = {fw: why for fw, why in reasons.items() if why is not None}
    for fw, why in missing.items():
        print(f"{fw}: not measured: {why}", file=sys.stderr)
    if missing:  # a comparison with a column silently missing would read as a result
        print("error: not every requested framework can run here; install what is named above "
              "or pass --frameworks with the ones that can", file=sys.stderr)
        return 2

    settings = configure_precision(args, use_torch)
    env = environment(use_lucid, use_torch)
    print("environment:", ", ".join(f"{k}={v}" for k, v in env.items()))
    print("settings:", ", ".join(f"{k}={v}" for k, v in settings.items()),
          f"batch={args.batch}, size={args.size}, warmup={args.warmup}, iters={args.iters}")

    rows = []
    for model_name in args.models:
        timings: dict[str, dict[str, list[float]]] = {}
        if use_lucid:
            print(f"lucid-cupy  {model_name} ...", flush=True)
            timings["lucid"] = bench_lucid(model_name, args)
            release_lucid()  # so the two frameworks' caching allocators do not compete
        if use_torch:
            print(f"torch+timm  {MODELS[model_name]} ...", flush=True)
            timings["torch"] = bench_torch(model_name, args)
            release_torch()
        for mode in MODES:
            row: dict[str, Any] = {"model": model_name, "mode": mode}
            for fw, per_mode in timings.items():
                med = statistics.median(per_mode[mode])
                row[f"{fw}_median_s"] = med
                row[f"{fw}_img_s"] = args.batch / med
                row[f"{fw}_times_s"] = per_mode[mode]
            rows.append(row)
    print()
    print(report(rows, args.batch))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": env, "settings": settings, "args": vars(args),
                       "results": rows}, f, indent=2)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
