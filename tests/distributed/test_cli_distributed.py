"""``lucid train --distributed`` under ``mpiexec -n 2``: one rank prints and writes, all resume.

Each MPI test starts real processes (``mpiexec -n 2 python -m lucid train ...``) on the
bundled digits with the smallest model at 8x8 pixels, so a run takes seconds. Checked: exit
status 0; every report line printed once (rank 0 only); one metrics log with one row per
epoch and one checkpoint, not one per rank; a run interrupted after epoch 1 and resumed on 2
ranks from rank 0's state ends with exactly the weights of an uninterrupted 2-rank run (every
rank read the state, or the replicas would disagree and DDP would not hide it: rank 0's
weights are broadcast only at the start). Skipped without mpi4py or mpiexec; like
dist-core's job-level tests they start their own launcher, so they run in a plain ``pytest``
(and are skipped when pytest itself runs under ``mpiexec``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from lucid.cli import main
from lucid.io import checkpoint

MPIEXEC = str(Path(sys.executable).parent / "mpiexec") \
    if (Path(sys.executable).parent / "mpiexec").exists() else shutil.which("mpiexec")
#: Set by MPICH / Open MPI in their ranks: this pytest itself runs under a launcher.
UNDER_A_LAUNCHER = any(os.environ.get(v, "1") not in ("", "1")
                       for v in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE"))
needs_mpi = pytest.mark.skipif(
    MPIEXEC is None or importlib.util.find_spec("mpi4py") is None or UNDER_A_LAUNCHER,
    reason="starts its own 'mpiexec -n 2' (needs mpi4py and mpiexec: pip install "
           "'lucid[mpi]'); not from inside an MPI job")

QUICK = ["--model", "sk_resnet_mini", "--data", "digits", "--image-size", "8",
         "--batch-size", "64", "--threads", "1", "--no-plot", "--distributed"]
#: Run as rank r: copy rank 0's training state after epoch 1 to $STOP_COPY (rank 0 is the only
#: rank that writes it), then continue; the copy is a state "interrupted" after epoch 1.
COPY_AFTER_EPOCH_1 = """
import os, shutil, sys
import lucid.train_state as ts
real = ts.save_training_state
def save(path, *args, epoch, **kwargs):
    written = real(path, *args, epoch=epoch, **kwargs)
    if epoch == 1:
        shutil.copy(written, os.environ["STOP_COPY"])
    return written
ts.save_training_state = save
from lucid.cli import main
sys.exit(main(sys.argv[1:]))
"""


def mpirun(tmp_path: Path, *argv: str, ranks: int = 2, script: str | None = None,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``mpiexec -n ranks python -m lucid train argv`` (or ``python script``), with output."""
    runner = [sys.executable, "-m", "lucid"] if script is None else [sys.executable, script]
    # the launcher's variables of an enclosing job would make the ranks join that job
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("PMI_", "PMIX_", "OMPI_", "HYDRA_", "MPI_"))}
    environment.update({"OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", **(env or {})})
    return subprocess.run([str(MPIEXEC), "-n", str(ranks), *runner, "train", *argv],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env=environment)


def weights(path: Path) -> dict[str, np.ndarray]:
    arrays, _ = checkpoint.load(path)
    return arrays


@needs_mpi
def test_two_ranks_print_once_write_once_and_resume(tmp_path: Path) -> None:
    straight = mpirun(tmp_path, *QUICK, "--epochs", "2", "--out", str(tmp_path / "straight"),
                      script=str(_write(tmp_path / "train_copying_state.py",
                                         COPY_AFTER_EPOCH_1)),
                      env={"STOP_COPY": str(tmp_path / "after_epoch_1.npz")})
    assert straight.returncode == 0, straight.stdout + straight.stderr
    out = straight.stdout
    for line in ("digits: 1437 train / 360 test images", "model sk_resnet_mini:",
                 "distributed: 2 ranks (mpi), 719 images and batches of 64 per rank "
                 "(128 per step)", "epoch   1/2", "epoch   2/2", "saved checkpoint to",
                 "final test accuracy:"):
        assert out.count(line) == 1, (line, out)  # rank 0 only
    assert "epoch 1/2" in straight.stderr  # the progress bar is on (rank 0's)

    run_dir = tmp_path / "straight"
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "metrics.jsonl", "sk_resnet_mini_digits.npz", "sk_resnet_mini_digits_state.npz"]
    rows = [json.loads(r) for r in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert rows[-1]["test_accuracy"] > 0.5  # it learned; 2 epochs reach ~0.95
    # the whole test set was evaluated (360 images, sharded 180 + 180): accuracy in 1/360
    assert abs(rows[-1]["test_accuracy"] * 360 - round(rows[-1]["test_accuracy"] * 360)) < 1e-6

    resumed = mpirun(tmp_path, *QUICK, "--epochs", "2", "--out", str(tmp_path / "resumed"),
                     "--resume", str(tmp_path / "after_epoch_1.npz"), "--no-progress")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert resumed.stdout.count("resuming after epoch 1 of 2") == 1
    assert resumed.stdout.count("epoch   2/2") == 1 and "epoch   1/2" not in resumed.stdout
    a = weights(run_dir / "sk_resnet_mini_digits.npz")
    b = weights(tmp_path / "resumed" / "sk_resnet_mini_digits.npz")
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    rows = (tmp_path / "resumed" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(r)["epoch"] for r in rows] == [1, 2]


@needs_mpi
def test_a_rank_that_fails_ends_the_job(tmp_path: Path) -> None:
    """A state of another run is refused on every rank: the job ends with status 1 and one
    message per rank, without hanging."""
    first = mpirun(tmp_path, *QUICK, "--epochs", "1", "--no-progress", "--out",
                   str(tmp_path / "a"))
    assert first.returncode == 0, first.stdout + first.stderr
    state = tmp_path / "a" / "sk_resnet_mini_digits_state.npz"
    other = mpirun(tmp_path, *QUICK, "--epochs", "3", "--no-progress", "--out",
                   str(tmp_path / "b"), "--resume", str(state))
    assert other.returncode != 0
    assert "was written with epochs=1; this run has epochs=3" in other.stderr


#: Run as rank r: rank 1 alone is given a --resume file that does not exist.
RANK_1_MISSES_THE_STATE = """
import os, sys
from lucid.cli import main
argv = sys.argv[1:]
rank = os.environ.get("PMI_RANK") or os.environ.get("OMPI_COMM_WORLD_RANK")
if rank == "1":
    argv[argv.index("--resume") + 1] = "missing_state.npz"
sys.exit(main(argv))
"""


@needs_mpi
def test_one_rank_failing_alone_ends_the_whole_job(tmp_path: Path) -> None:
    """A check that fails on one rank only (its host lacks the --resume file) must not leave
    the other rank waiting in MPI: the job ends at once, saying which rank failed."""
    first = mpirun(tmp_path, *QUICK, "--epochs", "2", "--no-progress", "--out",
                   str(tmp_path / "a"))
    assert first.returncode == 0, first.stdout + first.stderr
    start = time.monotonic()
    proc = mpirun(tmp_path, *QUICK, "--epochs", "2", "--no-progress", "--out",
                  str(tmp_path / "b"), "--resume",
                  str(tmp_path / "a" / "sk_resnet_mini_digits_state.npz"),
                  script=str(_write(tmp_path / "rank_1_misses.py", RANK_1_MISSES_THE_STATE)))
    assert proc.returncode != 0
    assert "error on rank 1 of 2: ValueError: --resume 'missing_state.npz': no such file" \
        in proc.stderr
    assert time.monotonic() - start < 60


@pytest.mark.skipif(importlib.util.find_spec("mpi4py") is None or UNDER_A_LAUNCHER,
                    reason="needs mpi4py; not from inside an MPI job")
def test_without_mpiexec_it_trains_as_one_rank_and_says_so(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("PMI_", "PMIX_", "OMPI_", "HYDRA_", "MPI_"))}
    proc = subprocess.run([sys.executable, "-m", "lucid", "train", *QUICK, "--epochs", "1",
                           "--no-progress", "--out", str(tmp_path)], capture_output=True,
                          text=True, timeout=120, env=environment)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "training as one rank" in proc.stderr and "mpiexec -n N" in proc.stderr
    assert "distributed: 1 rank (mpi), 1437 images" in proc.stdout
    assert (tmp_path / "sk_resnet_mini_digits.npz").is_file()


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_distributed_without_mpi4py_names_the_extra(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # find_spec now reports it missing
    status = main(["train", *QUICK, "--out", str(tmp_path)])
    assert status == 1
    err = capsys.readouterr().err
    assert "--distributed needs mpi4py" in err and "pip install 'lucid[mpi]'" in err


def test_batch_size_help_says_per_process(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "with --distributed per process" in text and "--dist-backend {mpi,nccl}" in text


def test_dist_backend_without_distributed_is_refused(tmp_path, capsys) -> None:
    status = main(["train", "--dist-backend", "mpi", "--out", str(tmp_path)])
    assert status == 1
    assert "--dist-backend mpi needs --distributed" in capsys.readouterr().err


def test_nccl_needs_the_cupy_backend(tmp_path, capsys, monkeypatch) -> None:
    import lucid.cli._data as data

    def must_not_run(args):  # refused before any data is read or a group is joined
        raise AssertionError("data was loaded before the backends were checked")

    monkeypatch.setattr(data, "load_data", must_not_run)
    status = main(["train", *QUICK, "--dist-backend", "nccl", "--backend", "numpy",
                   "--out", str(tmp_path)])
    assert status == 1
    err = capsys.readouterr().err
    assert "--dist-backend nccl" in err and "'numpy'" in err and "--backend cupy" in err
