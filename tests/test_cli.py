"""The command line: the digits training job end to end (a short run), models and backends."""

from __future__ import annotations

import pytest

from lucid.cli import main
from lucid.io import checkpoint

pytest.importorskip("sklearn")


def test_train_runs_on_digits_and_saves_a_checkpoint(tmp_path, capsys):
    code = main(["train", "--epochs", "1", "--image-size", "8", "--batch-size", "64",
                 "--no-progress", "--out", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "1437 train / 360 test" in out
    assert "final test accuracy" in out
    arrays, meta = checkpoint.load(tmp_path / "sk_resnet_mini_digits.npz")
    assert meta["model"] == "sk_resnet_mini" and 0.0 <= meta["test_accuracy"] <= 1.0
    assert arrays["fc.weight"].shape == (10, 128)


def test_models_and_backends_listings(capsys):
    assert main(["models", "sk_*"]) == 0
    out = capsys.readouterr().out
    assert "sk_resnext_50_32x4d" in out and "\nresnet_50 " not in out
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    assert "numpy: available" in out
    assert "cupy:" in out


def test_user_errors_are_one_line_messages_not_tracebacks(capsys):
    assert main(["train", "--model", "sk_resnet_5", "--epochs", "1", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "lucid train: error: unknown model 'sk_resnet_5'" in err
    assert "did you mean" in err and "Traceback" not in err
    assert main(["train", "--backend", "nosuch", "--no-progress"]) == 1
    assert "unknown backend 'nosuch'" in capsys.readouterr().err
