"""``lucid train``: argument checks before any work, the data sources, the metrics it writes
(JSON lines, PNG, TensorBoard), resuming, and fine-tuning from (fake, offline) Hub weights."""

from __future__ import annotations

import json
import shutil
import struct
import time
from pathlib import Path

import numpy as np
import pytest
from fake_hf_cache import random_timm_state, safetensors_bytes, use_offline_cache, write_snapshot

import lucid.train_state as train_state
from lucid.cli import main
from lucid.io import checkpoint

QUICK = ["--image-size", "8", "--no-progress", "--threads", "1"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["train", *argv])
    out, err = capsys.readouterr()
    return status, out, err


# ------------------------------------------------------------ checks before any work
@pytest.mark.parametrize(("argv", "words"), [
    (["--epochs", "0"], ["--epochs", ">= 1", "0"]),
    (["--batch-size", "-3"], ["--batch-size", ">= 1"]),
    (["--lr", "0"], ["--lr", "(0"]),
    (["--label-smoothing", "1"], ["--label-smoothing", "[0, 1)"]),
    (["--epochs", "ten"], ["--epochs", "integer", "'ten'"]),
    (["--val-fraction", "1.5"], ["--val-fraction"]),
])
def test_bad_numbers_are_refused_by_the_parser(capsys, argv, words) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["train", *argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    for word in words:
        assert word in err, (word, err)


def test_out_under_a_regular_file_fails_before_loading_data(tmp_path, capsys, monkeypatch):
    import lucid.cli._data as data

    def must_not_run(args):  # the check must come before any data is read
        raise AssertionError("data was loaded before --out was checked")

    monkeypatch.setattr(data, "load_data", must_not_run)
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    status, _, err = run(capsys, "--out", str(blocker / "runs"), *QUICK)
    assert status == 1
    assert "is a file, not a folder" in err and "file.txt" in err


@pytest.mark.skipif(not hasattr(__import__("os"), "geteuid") or __import__("os").geteuid() == 0,
                    reason="root can write into read-only folders")
def test_an_unwritable_out_folder_fails_before_loading_data(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        status, _, err = run(capsys, "--out", str(locked / "runs"), *QUICK)
    finally:
        locked.chmod(0o700)
    assert status == 1 and "not a writable folder" in err


@pytest.mark.parametrize(("argv", "words"), [
    (["--data", "imagenet-typo"], ["--data", "imagenet-typo", "mnist", "folder"]),
    (["--model", "sk_resnet_mimi"], ["sk_resnet_mimi", "sk_resnet_mini"]),
    (["--resume", "nowhere.npz"], ["--resume", "nowhere.npz", "no such file"]),
])
def test_bad_names_and_paths_are_one_line_errors(tmp_path, capsys, argv, words) -> None:
    start = time.perf_counter()
    status, _, err = run(capsys, *argv, "--out", str(tmp_path / "runs"), *QUICK)
    assert status == 1
    assert time.perf_counter() - start < 5  # before any training
    assert "Traceback" not in err
    for word in words:
        assert word in err, (word, err)


# ------------------------------------------------------------------- metrics written
def read_tensorboard_scalars(folder: Path) -> dict[str, dict[int, float]]:
    """Parse TensorBoard event files (TFRecord framing + Event protos) without TensorBoard."""
    from tensorboardX.proto import event_pb2

    scalars: dict[str, dict[int, float]] = {}
    for path in folder.glob("events.out.tfevents.*"):
        data = path.read_bytes()
        i = 0
        while i < len(data):
            (length,) = struct.unpack("<Q", data[i:i + 8])
            event = event_pb2.Event()
            event.ParseFromString(data[i + 12:i + 12 + length])
            i += 12 + length + 4
            for value in event.summary.value:
                scalars.setdefault(value.tag, {})[event.step] = value.simple_value
    return scalars


def test_digits_run_writes_checkpoint_metrics_png_and_tensorboard(tmp_path, capsys):
    out, board = tmp_path / "runs", tmp_path / "board"
    status, text, _ = run(capsys, "--epochs", "2", "--out", str(out), "--tensorboard",
                          str(board), *QUICK)
    assert status == 0, text
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert set(rows[0]) == {"epoch", "train_loss", "train_accuracy", "test_loss",
                            "test_accuracy", "seconds", "lr"}
    assert rows[0]["lr"] == pytest.approx(0.05) and rows[1]["lr"] == pytest.approx(0.025)
    from PIL import Image

    with Image.open(out / "curves.png") as png:
        assert png.format == "PNG" and png.size == (1000, 400)
    scalars = read_tensorboard_scalars(board)
    for tag, field in (("loss/train", "train_loss"), ("accuracy/test", "test_accuracy"),
                       ("lr", "lr")):
        assert scalars[tag] == {r["epoch"]: pytest.approx(r[field], rel=1e-6) for r in rows}
    arrays, meta = checkpoint.load(out / "sk_resnet_mini_digits.npz")
    assert meta["test_accuracy"] == pytest.approx(rows[-1]["test_accuracy"])
    assert meta["classes"] == [str(i) for i in range(10)]
    assert f"final test accuracy: {rows[-1]['test_accuracy']:.4f}" in text


def test_no_plot_skips_the_png(tmp_path, capsys):
    status, _, _ = run(capsys, "--epochs", "1", "--out", str(tmp_path), "--no-plot", *QUICK)
    assert status == 0
    assert (tmp_path / "metrics.jsonl").exists() and not (tmp_path / "curves.png").exists()


# --------------------------------------------------------------------------- resume
def test_a_resumed_run_ends_with_the_same_weights_as_an_uninterrupted_one(
        tmp_path, capsys, monkeypatch):
    """Interrupt a 2-epoch run after epoch 1, resume it: the final weights are identical."""
    argv = ["--epochs", "2", "--augment", *QUICK]
    assert run(capsys, *argv, "--out", str(tmp_path / "straight"))[0] == 0

    real_save = train_state.save_training_state

    def save_then_stop(path, *args, epoch, **kwargs):
        written = real_save(path, *args, epoch=epoch, **kwargs)
        shutil.copy(written, tmp_path / "after_epoch_1.npz")
        raise KeyboardInterrupt  # the process dies after the first epoch's state is on disk

    monkeypatch.setattr(train_state, "save_training_state", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        run(capsys, *argv, "--out", str(tmp_path / "resumed"))
    monkeypatch.setattr(train_state, "save_training_state", real_save)
    status, text, _ = run(capsys, *argv, "--out", str(tmp_path / "resumed"), "--resume",
                          str(tmp_path / "after_epoch_1.npz"))
    assert status == 0 and "resuming after epoch 1 of 2" in text
    straight, _ = checkpoint.load(tmp_path / "straight" / "sk_resnet_mini_digits.npz")
    resumed, _ = checkpoint.load(tmp_path / "resumed" / "sk_resnet_mini_digits.npz")
    assert straight.keys() == resumed.keys()
    for key in straight:
        np.testing.assert_array_equal(straight[key], resumed[key], err_msg=key)
    rows = (tmp_path / "resumed" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(r)["epoch"] for r in rows] == [1, 2]


def test_resume_refuses_a_state_of_another_run(tmp_path, capsys):
    assert run(capsys, "--epochs", "1", "--out", str(tmp_path), *QUICK)[0] == 0
    state = tmp_path / "sk_resnet_mini_digits_state.npz"
    status, _, err = run(capsys, "--epochs", "3", "--out", str(tmp_path), "--resume",
                         str(state), *QUICK)
    assert status == 1 and "epochs=1" in err and "epochs=3" in err
    final = tmp_path / "sk_resnet_mini_digits.npz"  # weights only: not a training state
    status, _, err = run(capsys, "--epochs", "1", "--out", str(tmp_path), "--resume",
                         str(final), *QUICK)
    assert status == 1 and "not a lucid training state" in err


# ----------------------------------------------------------------------- data sources
def write_image_tree(root: Path, per_class: int) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    for name, rgb in {"blue": (30, 30, 200), "green": (30, 200, 30), "red": (200, 30, 30)}.items():
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = np.clip(np.array(rgb) + rng.normal(0, 25, (12, 14, 3)), 0, 255)
            Image.fromarray(pixels.astype(np.uint8)).save(root / name / f"{i}.png")


def test_an_image_folder_with_train_and_val(tmp_path, capsys):
    write_image_tree(tmp_path / "shapes" / "train", 6)
    write_image_tree(tmp_path / "shapes" / "val", 2)
    status, text, _ = run(capsys, "--data", str(tmp_path / "shapes"), "--epochs", "2",
                          "--batch-size", "6", "--augment", "--out", str(tmp_path / "runs"),
                          *QUICK)
    assert status == 0, text
    assert "shapes: 18 train / 6 test images, 3 classes, 3x8x8" in text
    _, meta = checkpoint.load(tmp_path / "runs" / "sk_resnet_mini_shapes.npz")
    assert meta["classes"] == ["blue", "green", "red"] and meta["num_classes"] == 3


def test_one_image_tree_is_split_with_the_seed(tmp_path, capsys):
    write_image_tree(tmp_path / "pics", 10)
    status, text, _ = run(capsys, "--data", str(tmp_path / "pics"), "--val-fraction", "0.2",
                          "--epochs", "1", "--out", str(tmp_path / "runs"), *QUICK)
    assert status == 0 and "pics: 24 train / 6 test images" in text


def write_mnist(root: Path, n_train: int, n_test: int) -> None:
    rng = np.random.default_rng(0)
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for stem, shape in (("train-images-idx3-ubyte", (n_train, 28, 28)),
                        ("train-labels-idx1-ubyte", (n_train,)),
                        ("t10k-images-idx3-ubyte", (n_test, 28, 28)),
                        ("t10k-labels-idx1-ubyte", (n_test,))):
        values = rng.integers(0, 10 if len(shape) == 1 else 256, shape).astype(np.uint8)
        header = bytes([0, 0, 0x08, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)
        (raw / stem).write_bytes(header + values.tobytes())


def test_mnist_from_a_local_folder(tmp_path, capsys):
    write_mnist(tmp_path / "datasets", 40, 10)
    status, text, _ = run(capsys, "--data", "mnist", "--data-dir", str(tmp_path / "datasets"),
                          "--epochs", "1", "--augment", "--out", str(tmp_path / "runs"), *QUICK)
    assert status == 0, text
    assert "mnist: 40 train / 10 test images, 10 classes, 1x8x8" in text


def test_mnist_missing_without_download_names_the_folder(tmp_path, capsys):
    status, _, err = run(capsys, "--data", "mnist", "--data-dir", str(tmp_path / "empty"),
                         "--epochs", "1", "--out", str(tmp_path / "runs"), *QUICK)
    assert status == 1 and "empty" in err and "Traceback" not in err


# ---------------------------------------------------------------------- fine-tuning
def test_pretrained_fine_tunes_with_a_new_classifier(tmp_path, capsys, monkeypatch):
    cache = use_offline_cache(tmp_path, monkeypatch)
    published = random_timm_state("skresnet18", seed=1)
    write_snapshot(cache, "timm/skresnet18.ra_in1k", safetensors_bytes(published))
    write_image_tree(tmp_path / "pics" / "train", 3)
    write_image_tree(tmp_path / "pics" / "val", 1)
    monkeypatch.setattr(train_state, "save_training_state", _stop_before_training)
    with pytest.raises(_Stop) as stop:
        run(capsys, "--model", "sk_resnet_18", "--pretrained", "--data",
            str(tmp_path / "pics"), "--epochs", "1", "--lr", "1e-9", "--out",
            str(tmp_path / "runs"), "--image-size", "32", "--no-progress")
    text = capsys.readouterr().out
    assert "(pretrained, new classifier)" in text
    model = stop.value.model
    assert model.fc.weight.shape == (3, 512)
    # with a learning rate of 1e-9 one step leaves the published first conv as it was
    np.testing.assert_allclose(model.state_dict()["stem.0.conv.weight"].numpy(),
                               published["conv1.weight"], atol=1e-6)


class _Stop(Exception):
    def __init__(self, model):
        self.model = model


def _stop_before_training(path, model, *args, **kwargs):
    raise _Stop(model)
