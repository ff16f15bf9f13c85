"""``lucid bench``: lucid's own images/s, ms per iteration and peak memory for one model.

A tiny registered model and one or two iterations keep it fast; the printed numbers are
checked for consistency (images/s == batch / median seconds) and against the process's own
peak resident memory, and every step really runs the model (counted with a forward hook).
"""

from __future__ import annotations

import re
import resource
import sys

import pytest

import lucid.models as models
from lucid import nn
from lucid.cli import main

NAME = "cli_bench_tiny_net"


@pytest.fixture(scope="module", autouse=True)
def tiny_model():
    """A 2-layer conv net with batch norm, registered for the module's tests."""

    @models.register_model(name=NAME, exist_ok=True)
    def factory(num_classes: int = 10, **_: object) -> nn.Module:
        return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4),
                             nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                             nn.Linear(4, num_classes))

    yield
    models.unregister_model(NAME)


def _numbers(out: str) -> dict[str, float]:
    images = float(re.search(r"images/s\s+([\d.]+)", out)[1])
    med = float(re.search(r"ms/iteration\s+([\d.]+)", out)[1])
    peak = float(re.search(r"peak memory\s+([\d.]+) MiB", out)[1])
    return {"images": images, "ms": med, "peak": peak}


@pytest.mark.parametrize("extra,mode", [([], "forward (eval)"), (["--train"], "train step"),
                                        (["--fuse"], "forward (eval, fused)")])
def test_bench_prints_speed_and_memory(capsys, monkeypatch, extra, mode):
    calls = []
    handle = nn.register_module_forward_hook(
        lambda m, a, o: calls.append(1) if isinstance(m, nn.Sequential) else None)
    try:
        code = main(["bench", NAME, "--batch", "2", "--image-size", "16", "--iters", "2",
                     "--warmup", "1", *extra])
    finally:
        handle.remove()
    assert code == 0
    captured = capsys.readouterr()
    out = captured.out
    assert f"{NAME} {mode}, batch 2, 16x16" in out and "2 iteration(s)" in out
    # --fuse traces the model once more to find its conv/bn pairs; --train runs one image
    # first to learn the number of classes
    assert len(calls) == 3 + (1 if extra else 0)
    n = _numbers(out)
    # images/s comes from the unrounded median; the printed ms is rounded to 0.01 ms
    assert n["ms"] > 0
    low, high = 2e3 / (n["ms"] + 0.005), 2e3 / max(n["ms"] - 0.005, 1e-9)
    assert low * 0.999 <= n["images"] <= high * 1.001
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (
        1 << 20 if sys.platform == "darwin" else 1024)
    assert 0 < n["peak"] <= own + 1


def test_bench_progress_bar_with_tqdm(capsys):
    pytest.importorskip("tqdm")
    assert main(["bench", NAME, "--batch", "1", "--image-size", "8", "--iters", "1",
                 "--warmup", "0"]) == 0
    assert "it" in capsys.readouterr().err  # tqdm writes its bar to stderr


def test_bench_refuses_bad_arguments(capsys):
    with pytest.raises(SystemExit):
        main(["bench", NAME, "--iters", "0"])
    assert "expected a positive int, got '0'" in capsys.readouterr().err
    assert main(["bench", NAME, "--train", "--fuse", "--iters", "1"]) != 0
    assert "--fuse folds batch norm for inference" in capsys.readouterr().err
    assert main(["bench", "no_such_model_xyz", "--iters", "1"]) != 0
    assert "unknown model" in capsys.readouterr().err
