"""lucid finds the extra SKNets through the ``lucid.models`` entry point, and only then.

The nox ``plugins`` session runs this file twice: with ``LUCID_SK_EXTRAS_EXPECTED=absent``
before the distribution is installed, and with ``installed`` (the default) after.
"""

from __future__ import annotations

import os
from importlib import metadata

import pytest

import lucid.models

DISTRIBUTION = "lucid-sk-extras"
MODELS = ("sk_resnet_26d", "sk_resnet_50d")
EXPECTED = os.environ.get("LUCID_SK_EXTRAS_EXPECTED", "installed")


def _installed() -> bool:
    try:
        metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return False
    return True


def test_the_distribution_is_in_the_expected_state():
    assert EXPECTED in ("installed", "absent"), f"LUCID_SK_EXTRAS_EXPECTED={EXPECTED!r}"
    assert _installed() == (EXPECTED == "installed")


@pytest.mark.skipif(EXPECTED != "installed", reason="the distribution is not installed")
def test_models_are_found_through_the_entry_point():
    eps = [ep for ep in metadata.entry_points(group="lucid.models") if ep.name == "sk_extras"]
    assert [ep.value for ep in eps] == ["lucid_sk_extras.models"]
    assert lucid.models.list_models("sk_resnet_*d") == list(MODELS)
    for name in MODELS:
        assert lucid.models.is_model(name)
        assert lucid.models.is_model(name.upper().replace("_", "-"))  # names are normalised
        entry = lucid.models.model_entry(name)
        assert entry.source == f"plugin {DISTRIBUTION!r}"
        assert entry.family == "sknet"
    assert set(MODELS) <= set(lucid.models.list_models(family="sknet"))
    assert not any("sk_extras" in label for label in lucid.models.plugin_failures())


@pytest.mark.skipif(EXPECTED != "absent", reason="the distribution is installed")
def test_models_are_unknown_without_the_distribution():
    for name in MODELS:
        assert not lucid.models.is_model(name)
        with pytest.raises(lucid.models.UnknownModelError, match=name):
            lucid.models.get(name)
    assert lucid.models.is_model("sk_resnet_50")  # the core presets are still there
