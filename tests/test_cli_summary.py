"""``lucid summary``, ``lucid models`` (parameters and GMACs), ``lucid info``, ``--version``."""

from __future__ import annotations

import json

import pytest

import lucid
import lucid.models as models
from lucid.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"lucid {lucid.__version__}"


def test_info_lists_versions_backends_and_models(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"lucid {lucid.__version__}\nPython ")
    assert "\nNumPy " in out and "numpy: available" in out
    assert f"models: {len(models.list_models())} registered" in out


def test_models_json_has_parameters_and_gmacs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "sk_resnet_18", "--json", "--image-size", "64"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["name"] == "sk_resnet_18" and row["family"] == "sknet"
    assert row["params"] == 11_958_056                 # timm's skresnet18
    assert row["gmacs"] == round(lucid.count_flops(models.get("sk_resnet_18"),
                                                    (1, 3, 64, 64)).macs / 1e9, 3)
    assert main(["models", "resnet_1*", "--no-stats"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["model", "family", "source"]
    assert "resnet_101" in out and "resnet_152" in out and "sk_" not in out


def test_summary_formats(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["summary", "sk_resnet_mini", "--input-size", "1,3,32,32", "--depth", "1"]
    assert main(args) == 0
    table = capsys.readouterr().out
    assert "Layer" in table and "Output Shape" in table and "Total params: 453,656" in table
    assert main([*args, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total_params"] == models.get("sk_resnet_mini").num_parameters()
    assert [r["name"] for r in data["rows"]][:3] == ["", "stem", "layer1"]
    assert main([*args, "--format", "mermaid"]) == 0
    assert capsys.readouterr().out.startswith("flowchart LR\n")


def test_summary_bad_input_size_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "sk_resnet_mini", "--input-size", "1,3,a"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("lucid summary: error: input_size='1,3,a'") and "Traceback" not in err
