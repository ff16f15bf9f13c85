"""A broken plugin installed beside the good ones breaks nothing and is reported with reasons.

Run by the nox ``plugins`` session with this distribution, ``lucid-array-api`` and
``lucid-sk-extras`` all installed in one environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata

import numpy as np
import pytest

import lucid
import lucid.models
from lucid.backends import BackendUnavailableError, available, get_backend

BROKEN = "lucid-broken-example"


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (so no plugin is loaded yet) with extra ``env``."""
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("LUCID_RAISE_PLUGIN_ERRORS", "LUCID_REFERENCE_KERNELS")}
    full_env.update(env)
    return subprocess.run([sys.executable, "-c", code], env=full_env, capture_output=True,
                          text=True, timeout=120)


def test_the_broken_distribution_is_installed_beside_the_good_ones():
    for dist in (BROKEN, "lucid-array-api", "lucid-sk-extras"):
        metadata.distribution(dist)  # raises PackageNotFoundError when missing


def test_import_lucid_loads_no_plugin():
    done = _python("import sys, lucid, lucid.models\n"
                   "print(sorted(m for m in sys.modules if m.startswith('lucid_')))")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_good_backends_work_and_broken_ones_are_reported():
    status = available()
    assert status["numpy"].available and status["array_api"].available
    reasons = {name: status[name].reason or "" for name in
               ("broken_import", "exits_on_import", "hangs_on_import", "wrong_version",
                "not_a_backend")}
    assert not any(status[name].available for name in reasons)
    assert "RuntimeError" in reasons["broken_import"]
    assert "fails on import on purpose" in reasons["broken_import"]
    assert "SystemExit" in reasons["exits_on_import"]  # recorded; this process goes on
    deadline = os.environ["LUCID_PLUGIN_IMPORT_TIMEOUT"]  # set by conftest.py
    assert f"did not finish within {deadline} s" in reasons["hangs_on_import"]
    assert "API version" in reasons["wrong_version"]
    assert str(lucid.backends.API_VERSION + 1) in reasons["wrong_version"]
    assert "expected a lucid.backends.Backend" in reasons["not_a_backend"]
    for name in reasons:
        assert status[name].distribution == BROKEN
    x = lucid.tensor([1.0, 2.0], backend="array_api", requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_builtin_names_win_a_clash():
    status = available()["numpy"]
    assert status.value == "lucid_numpy:NumPyBackend"
    assert any(BROKEN in note and "built-ins win" in note for note in status.notes)
    assert type(get_backend("numpy")).__module__.startswith("lucid_numpy")


def test_asking_for_a_broken_backend_names_the_distribution_and_chains_the_cause():
    with pytest.raises(BackendUnavailableError, match=BROKEN) as info:
        get_backend("broken_import")
    assert isinstance(info.value.__cause__, RuntimeError)


def test_a_plugin_calling_sys_exit_does_not_end_the_process():
    done = _python("import lucid\n"
                   "s = lucid.backends.available()['exits_on_import']\n"
                   "print(s.available, 'SystemExit' in s.reason)\n"
                   "print((lucid.ones(2) + 1).numpy().tolist())\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["False True", "[2.0, 2.0]"]
    with pytest.raises(BackendUnavailableError, match="SystemExit") as info:
        get_backend("exits_on_import")
    assert isinstance(info.value.__cause__, SystemExit)


def test_a_plugin_that_never_finishes_importing_does_not_hang_a_typo():
    """With no import deadline at all, a mistyped name is answered from metadata at once."""
    done = _python("import sys, lucid\n"
                   "try:\n"
                   "    lucid.get_backend('hangs_on_imprt')\n"
                   "except lucid.backends.BackendNotFoundError as exc:\n"
                   "    print(exc)\n"
                   "print(any(m.startswith('lucid_broken_example') for m in sys.modules))\n",
                   LUCID_PLUGIN_IMPORT_TIMEOUT="0")
    assert done.returncode == 0, done.stderr
    message, imported = done.stdout.strip().splitlines()
    assert message.startswith("unknown backend 'hangs_on_imprt'")
    assert "did you mean 'hangs_on_import'" in message
    assert imported == "False"


def test_model_registry_keeps_good_plugins_and_rolls_back_broken_ones():
    failures = lucid.models.plugin_failures()
    broken = {label: reason for label, reason in failures.items() if BROKEN in label}
    assert len(broken) == 3, failures
    assert any("RuntimeError" in r for r in broken.values())
    assert any("DuplicateModelError" in r and "sk_resnet_50" in r for r in broken.values())
    assert any(r.startswith("SystemExit(") for r in broken.values())
    assert lucid.models.is_model("sk_resnet_50d")  # the good plugin still loads
    assert lucid.models.model_entry("sk_resnet_50").source == "lucid"  # no silent override
    assert not lucid.models.is_model("broken_example_net")  # half-loaded plugin rolled back
    assert not lucid.models.is_model("exiting_example_net")  # so is the one that exited
    assert "broken_example" not in lucid.models.list_families()


def test_a_model_plugin_calling_sys_exit_does_not_end_the_process():
    done = _python("import lucid.models\n"
                   "reasons = lucid.models.plugin_failures().values()\n"
                   "print([r for r in reasons if r.startswith('SystemExit(')])\n"
                   "print(lucid.models.get('sk_resnet_mini', num_classes=2).fc.weight.shape)\n")
    assert done.returncode == 0, done.stderr
    exited, shape = done.stdout.strip().splitlines()
    assert "calls sys.exit() on import on purpose" in exited
    assert shape == "(2, 128)"


def test_raise_plugin_errors_reraises_for_plugin_authors():
    backend = _python("import lucid; lucid.backends.get_backend('broken_import')",
                      LUCID_RAISE_PLUGIN_ERRORS="1")
    assert backend.returncode != 0
    assert "RuntimeError: lucid-broken-example" in backend.stderr
    models = _python("import lucid.models; lucid.models.list_models()",
                     LUCID_RAISE_PLUGIN_ERRORS="1")
    assert models.returncode != 0
    assert "lucid-broken-example" in models.stderr or "DuplicateModelError" in models.stderr


def test_reference_kernels_switch_applies_to_plugin_backends():
    done = _python(
        "import lucid\n"
        "from lucid.backends import uses_reference_kernels\n"
        "names = ('numpy', 'array_api')\n"
        "print(all(uses_reference_kernels(lucid.get_backend(n)) for n in names))\n",
        LUCID_REFERENCE_KERNELS="1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
