"""The model registry: lookup, wildcards, suggestions, duplicates, and entry-point plugins."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

import lucid.models as models
from lucid import _plugins
from lucid.models import registry

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def restore_model_registry():
    saved = dict(registry._models)
    loaded, failures = registry._plugins_loaded, dict(registry._plugin_failures)
    yield
    registry._models.clear()
    registry._models.update(saved)
    registry._plugins_loaded = loaded
    registry._plugin_failures.clear()
    registry._plugin_failures.update(failures)
    _plugins.refresh(registry.ENTRY_POINT_GROUP)  # forget the test's temporary distributions


def make_distribution(root: Path, dist: str, modules: dict[str, str], entry_points: str) -> None:
    """A real (unpacked) distribution: modules plus a .dist-info with entry_points.txt."""
    for name, source in modules.items():
        (root / f"{name}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))


def test_presets_are_registered_on_import():
    assert {"sk_resnet_18", "sk_resnet_34", "sk_resnet_50", "sk_resnext_50_32x4d",
            "resnet_18", "resnet_34", "resnet_50", "resnet_101", "resnet_152"} <= set(
        models.list_models())
    assert models.is_model("sk_resnext_50_32x4d")
    assert models.model_entry("sk_resnet_50").family == "sknet"


def test_names_are_normalised():
    assert models.is_model("SK-ResNet-18")
    assert models.get("SK-ResNet-18", num_classes=2).fc.weight.shape == (2, 512)


def test_wildcards_exclude_and_family():
    assert models.list_models("sk_resnet_*") == ["sk_resnet_18", "sk_resnet_34", "sk_resnet_50",
                                                 "sk_resnet_mini"]
    assert models.list_models("sk_*", exclude="*mini") == [
        "sk_resnet_18", "sk_resnet_34", "sk_resnet_50", "sk_resnext_50_32x4d"]
    assert models.list_models(["resnet_1*", "resnet_5*"]) == ["resnet_101", "resnet_152",
                                                               "resnet_18", "resnet_50"]
    assert set(models.list_models(family="resnet")) == {
        "resnet_18", "resnet_34", "resnet_50", "resnet_101", "resnet_152"}
    assert models.list_models("nothing*") == []


def test_unknown_name_suggests_close_matches():
    with pytest.raises(models.UnknownModelError) as info:
        models.get("sk_resnet_05")
    msg = str(info.value)
    assert "unknown model 'sk_resnet_05'" in msg and "did you mean" in msg
    assert "'sk_resnet_50'" in msg
    assert isinstance(info.value, LookupError)


def test_duplicate_registration_is_an_error_unless_exist_ok():
    @models.register_model
    def my_tiny_net(**kw):
        return "first"

    with pytest.raises(models.DuplicateModelError, match="already registered"):
        @models.register_model(name="my-tiny-net")
        def other(**kw):
            return "second"

    @models.register_model(name="my_tiny_net", exist_ok=True)
    def replacement(**kw):
        return "third"

    assert models.get("my_tiny_net") == "third"


def test_a_registered_model_declares_its_weight_tags():
    cfgs = {"best": {"hf_hub_id": "someone/net.best", "num_classes": 7},
            "raw": {"url": "", "num_classes": 7}}

    @models.register_model(family="extras", pretrained_cfgs=cfgs)
    def tagged_net(**kw):
        return models.get("sk_resnet_mini", num_classes=7, **kw)

    entry = models.model_entry("tagged_net")
    assert entry.default_tag == "best" and entry.tags(pretrained=True) == ["best"]
    assert entry.tags() == ["best", "raw"]
    assert models.list_models("tagged*", pretrained=True) == ["tagged_net.best"]
    assert models.list_models("tagged*", include_tags=True) == ["tagged_net.best",
                                                                "tagged_net.raw"]
    assert models.get("tagged_net.raw").pretrained_cfg == {"url": "", "num_classes": 7}
    with pytest.raises(ValueError, match=r"tagged_net.raw has no published weights .*"
                                         r"tagged_net.best"):
        models.get("tagged_net.raw", pretrained=True)
    with pytest.raises(ValueError, match="may not contain '.'"):
        models.register_model(name="net.v2")(lambda **kw: None)


def test_entry_point_models_load_lazily_and_failures_are_isolated(tmp_path, monkeypatch):
    make_distribution(tmp_path, "good_models", {"good_models_mod": """
        import lucid.models as models

        @models.register_model(family="extras")
        def extra_net(**overrides):
            return models.get("sk_resnet_mini", **overrides)
    """}, """
        [lucid.models]
        extras = good_models_mod
    """)
    make_distribution(tmp_path, "callable_models", {"callable_models_mod": """
        def tiny_linear(num_classes=3):
            import lucid.nn as nn
            return nn.Linear(4, num_classes)

        def factories():
            return [tiny_linear]
    """}, """
        [lucid.models]
        tiny = callable_models_mod:factories
    """)
    make_distribution(tmp_path, "broken_models", {"broken_models_mod": """
        import lucid.models as models

        @models.register_model
        def half_registered(**kw):
            return None

        raise RuntimeError("plugin exploded on import")
    """}, """
        [lucid.models]
        broken = broken_models_mod
    """)
    make_distribution(tmp_path, "clashing_models", {"clashing_models_mod": """
        import lucid.models as models

        @models.register_model
        def sk_resnet_50(**kw):
            return "hijacked"
    """}, """
        [lucid.models]
        clash = clashing_models_mod
    """)
    monkeypatch.syspath_prepend(str(tmp_path))
    for mod in ("good_models_mod", "callable_models_mod", "broken_models_mod",
                "clashing_models_mod"):
        monkeypatch.delitem(sys.modules, mod, raising=False)
    models.refresh_plugins()

    assert models.is_model("extra_net")
    assert models.model_entry("extra_net").source == "plugin 'good_models'"
    assert models.get("extra_net", num_classes=3, in_channels=1).fc.weight.shape == (3, 128)
    assert models.get("tiny_linear").weight.shape == (3, 4)
    # the broken plugin registered nothing, the clash did not replace the core preset
    assert not models.is_model("half_registered")
    assert isinstance(models.get("sk_resnet_50", num_classes=2), models.SKNet)
    failures = models.plugin_failures()
    broken = [r for k, r in failures.items() if "broken_models" in k]
    clash = [r for k, r in failures.items() if "clashing_models" in k]
    assert broken and "plugin exploded on import" in broken[0]
    assert clash and "already registered" in clash[0]
    with pytest.raises(models.UnknownModelError, match="failed to load"):
        models.get("half_registered")


def test_plugin_errors_can_be_raised_for_plugin_authors(tmp_path, monkeypatch):
    make_distribution(tmp_path, "broken2", {"broken2_mod": "raise ImportError('no deps')\n"},
                      "[lucid.models]\nb = broken2_mod\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("LUCID_RAISE_PLUGIN_ERRORS", "1")
    models.refresh_plugins()
    with pytest.raises(ImportError, match="no deps"):
        models.list_models()


def test_a_plugin_calling_sys_exit_is_recorded_and_the_process_continues(tmp_path, monkeypatch):
    make_distribution(tmp_path, "exiting_models", {"exiting_models_mod": """
        import sys

        import lucid.models as models

        @models.register_model
        def registered_before_exit(**kw):
            return None

        sys.exit(3)
    """}, "[lucid.models]\nexiting = exiting_models_mod\n")
    make_distribution(tmp_path, "exiting_factories", {"exiting_factories_mod": """
        import sys

        def factories():
            sys.exit("no factories today")
    """}, "[lucid.models]\nfactories = exiting_factories_mod:factories\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("LUCID_RAISE_PLUGIN_ERRORS", raising=False)
    for mod in ("exiting_models_mod", "exiting_factories_mod"):
        monkeypatch.delitem(sys.modules, mod, raising=False)
    models.refresh_plugins()

    assert models.is_model("sk_resnet_50")  # this line runs: the process did not exit
    assert not models.is_model("registered_before_exit")  # rolled back like any failure
    failures = models.plugin_failures()
    exiting = [r for k, r in failures.items() if "exiting_models" in k]
    assert exiting == ["SystemExit(3) raised while importing the plugin"]
    factories = [r for k, r in failures.items() if "exiting_factories" in k]
    assert len(factories) == 1 and "SystemExit('no factories today')" in factories[0]


def test_failures_name_the_entry_point_and_distribution(tmp_path, monkeypatch):
    make_distribution(tmp_path, "named_dist", {"named_mod": "raise ValueError('bad value')\n"},
                      "[lucid.models]\nnamed = named_mod\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("LUCID_RAISE_PLUGIN_ERRORS", raising=False)
    monkeypatch.delitem(sys.modules, "named_mod", raising=False)
    models.refresh_plugins()
    failures = models.plugin_failures()
    assert failures["named (named_mod, distribution 'named_dist')"] == "ValueError: bad value"


def test_the_registry_parses_no_entry_points_itself():
    """Entry points are listed, imported and isolated by lucid._plugins only."""
    source = (ROOT / "lucid" / "models" / "registry.py").read_text()
    for needle in ("importlib", "metadata", "LUCID_RAISE_PLUGIN_ERRORS", "os.environ",
                   "convert"):
        assert needle not in source, needle
