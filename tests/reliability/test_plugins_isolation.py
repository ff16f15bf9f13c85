"""Plugins cannot take the process down: ``sys.exit()`` on import, imports that never return.

Each test installs fake distributions (a ``*.dist-info`` folder with ``entry_points.txt`` and
the plugin's module) into a temporary folder; ``importlib.metadata`` finds them as it finds
pip-installed ones. Whatever could end or hang the interpreter runs in a subprocess with a
timeout, so a regression fails the test instead of killing or freezing pytest.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import lucid
from lucid import _plugins
from lucid.backends import (
    BackendNotFoundError,
    BackendUnavailableError,
    available,
    get_backend,
    names,
    refresh,
)

GOOD = """
    from lucid_numpy import NumPyBackend

    class GoodBackend(NumPyBackend):
        '''The NumPy backend under another name.'''
"""
EXITS = """
    import sys
    sys.exit("this plugin calls sys.exit() on import")
"""
HANGS = """
    import threading
    threading.Event().wait()  # never returns
"""
MODEL_EXITS = """
    import sys
    from lucid.models import register_model

    @register_model
    def exiting_net(**overrides):
        return None

    sys.exit(7)
"""
#: Lucid's own variables are cleared in subprocesses unless a test sets them.
_OWN_ENV = ("LUCID_BACKEND", "LUCID_RAISE_PLUGIN_ERRORS", "LUCID_PLUGIN_IMPORT_TIMEOUT",
            "LUCID_REFERENCE_KERNELS")


def install(root: Path, dist: str, entry_points: dict[str, dict[str, str]],
            modules: dict[str, str]) -> None:
    """Write distribution ``dist`` with ``{group: {name: value}}`` entry points and modules."""
    info = root / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    text = ""
    for group, entries in entry_points.items():
        text += f"[{group}]\n" + "".join(f"{n} = {v}\n" for n, v in entries.items())
    (info / "entry_points.txt").write_text(text)
    for module, source in modules.items():
        (root / f"{module}.py").write_text(textwrap.dedent(source))


def python(root: Path, code: str, timeout: float = 60, **env: str
           ) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter that sees the distributions under ``root``."""
    full = {k: v for k, v in os.environ.items() if k not in _OWN_ENV}
    full.update(PYTHONPATH=os.pathsep.join([str(root)] + [p for p in sys.path if p]), **env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=full, cwd=root, timeout=timeout)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on sys.path for fake distributions; their modules are unloaded afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    for var in _OWN_ENV:
        monkeypatch.delenv(var, raising=False)
    before = set(sys.modules)
    yield tmp_path
    for module in set(sys.modules) - before:
        if module.startswith("lucidrel_"):
            del sys.modules[module]
    refresh()


# ------------------------------------------------------------------ sys.exit() on import
EXIT_PROBE = """
    import lucid, lucid.models
    from lucid.backends import BackendNotFoundError, BackendUnavailableError
    status = lucid.backends.available()
    print("available:", status["exitbk"].available, status["numpy"].available,
          "SystemExit" in status["exitbk"].reason)
    try:
        lucid.get_backend("exitbj")
    except BackendNotFoundError as exc:
        print("typo:", "did you mean 'exitbk'" in str(exc))
    try:
        lucid.get_backend("exitbk")
    except (BackendUnavailableError, RuntimeError) as exc:
        print("asked:", type(exc).__name__)
    try:
        print("models:", "exiting_net" in lucid.models.list_models())
    except RuntimeError as exc:
        print("models:", type(exc).__name__)
    try:
        lucid.models.get("sk_resnet_mni")
    except LookupError as exc:
        print("model typo:", "sk_resnet_mini" in str(exc))
    print("built:", lucid.models.get("sk_resnet_mini", num_classes=3).fc.weight.shape)
    print("alive:", (lucid.ones(2) + 1).numpy().tolist())
"""


@pytest.fixture
def exiting(tmp_path: Path) -> Path:
    """A backend plugin and a model plugin that both call sys.exit() when imported."""
    install(tmp_path, "lucidrel-exit", {"lucid.backends": {"exitbk": "lucidrel_exit:Backend"},
                                        "lucid.models": {"exiting": "lucidrel_exit_models"}},
            {"lucidrel_exit": EXITS, "lucidrel_exit_models": MODEL_EXITS})
    return tmp_path


def test_sys_exit_in_a_plugin_ends_no_lookup(exiting: Path) -> None:
    """available(), a typo, the plugin's own name and the model registry all carry on."""
    done = python(exiting, EXIT_PROBE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "available: False True True", "typo: True", "asked: BackendUnavailableError",
        "models: False", "model typo: True", "built: (3, 128)", "alive: [2.0, 2.0]"]


def test_sys_exit_under_raise_plugin_errors_raises_instead_of_exiting(exiting: Path) -> None:
    """For plugin authors the failure propagates as an exception with a traceback, not an exit."""
    code = """
        import lucid, lucid.models
        try:
            lucid.get_backend("exitbj")
        except lucid.backends.BackendNotFoundError as exc:
            print("typo:", "did you mean 'exitbk'" in str(exc))
        try:
            lucid.get_backend("exitbk")
        except RuntimeError as exc:
            print(type(exc).__name__, type(exc.__cause__).__name__, exc.__cause__.code)
        try:
            lucid.models.list_models()
        except RuntimeError as exc:
            print(type(exc).__name__, exc.__cause__.code)
        print("alive")
    """
    done = python(exiting, code, LUCID_RAISE_PLUGIN_ERRORS="1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "typo: True", "PluginExitError SystemExit this plugin calls sys.exit() on import",
        "PluginExitError 7", "alive"]


def test_sys_exit_from_a_factory_under_raise_plugin_errors_is_an_exception(site: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A backend factory calling sys.exit() is a BackendUnavailableError chained to it."""
    install(site, "lucidrel-factory", {"lucid.backends": {"factbk": "lucidrel_factory:make"}},
            {"lucidrel_factory": "import sys\n\ndef make():\n    sys.exit(5)\n"})
    refresh()
    monkeypatch.setenv("LUCID_RAISE_PLUGIN_ERRORS", "1")
    with pytest.raises(BackendUnavailableError, match=r"SystemExit\(5\)") as info:
        get_backend("factbk")
    assert isinstance(info.value.__cause__, SystemExit)


# ------------------------------------------------------------- imports that never return
def test_a_typo_is_answered_from_metadata_without_importing_any_plugin(site: Path) -> None:
    """The unknown-name error lists installed names and close matches; nothing is imported."""
    install(site, "lucidrel-lazy", {"lucid.backends": {
        "goodbk": "lucidrel_good:GoodBackend", "raisebk": "lucidrel_raise:Backend"}},
        {"lucidrel_good": GOOD, "lucidrel_raise": "raise RuntimeError('imported!')\n"})
    refresh()
    with pytest.raises(BackendNotFoundError) as info:
        get_backend("goodbj")
    message = str(info.value)
    assert message.startswith("unknown backend 'goodbj'; installed backends: ")
    assert "did you mean 'goodbk'?" in message
    for name in ("numpy", "goodbk", "raisebk"):
        assert name in message
    assert not {"lucidrel_good", "lucidrel_raise"} & set(sys.modules)


def test_a_hanging_plugin_does_not_hang_a_typo(tmp_path: Path) -> None:
    """With no import deadline at all, a mistyped name still answers at once."""
    install(tmp_path, "lucidrel-hang", {"lucid.backends": {"hangbk": "lucidrel_hang:Backend"}},
            {"lucidrel_hang": HANGS})
    code = """
        import sys, lucid
        try:
            lucid.get_backend("hangbj")
        except lucid.backends.BackendNotFoundError as exc:
            print(exc)
        print(sorted(lucid.backends.names()), "lucidrel_hang" in sys.modules)
    """
    done = python(tmp_path, code, timeout=60, LUCID_PLUGIN_IMPORT_TIMEOUT="0")
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first.startswith("unknown backend 'hangbj'") and "did you mean 'hangbk'?" in first
    assert second.endswith("False") and "'hangbk'" in second


def test_available_reports_hanging_plugins_after_the_deadline(tmp_path: Path) -> None:
    """available() gives each hanging plugin its deadline, reports it, and the process exits."""
    install(tmp_path, "lucidrel-hang", {"lucid.backends": {
        "hangbk": "lucidrel_hang:Backend", "hangtoo": "lucidrel_hang2:Backend",
        "goodbk": "lucidrel_good:GoodBackend"}},
        {"lucidrel_hang": HANGS, "lucidrel_hang2": HANGS, "lucidrel_good": GOOD})
    code = """
        import time, lucid
        start = time.monotonic()
        status = lucid.backends.available()
        print(round(time.monotonic() - start))
        for name in ("hangbk", "hangtoo", "goodbk", "numpy"):
            print(name, status[name].available, status[name].reason)
        try:
            lucid.get_backend("hangbk")
        except lucid.backends.BackendUnavailableError as exc:
            print("asked:", "did not finish within 1 s" in str(exc))
    """
    start = time.monotonic()
    done = python(tmp_path, code, timeout=60, LUCID_PLUGIN_IMPORT_TIMEOUT="1")
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - start < 45  # two deadlines of 1 s, then a normal exit
    lines = done.stdout.splitlines()
    assert int(lines[0]) <= 10
    for line in lines[1:3]:  # the second hang got its deadline too
        assert " False its import did not finish within 1 s" in line, line
    assert lines[3:] == ["goodbk True None", "numpy True None", "asked: True"]


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT to a subprocess (POSIX only)")
def test_ctrl_c_while_waiting_for_a_hanging_plugin_interrupts(tmp_path: Path) -> None:
    """KeyboardInterrupt reaches the caller waiting on a plugin import."""
    install(tmp_path, "lucidrel-hang", {"lucid.backends": {"hangbk": "lucidrel_hang:Backend"}},
            {"lucidrel_hang": HANGS})
    env = {k: v for k, v in os.environ.items() if k not in _OWN_ENV}
    env.update(PYTHONPATH=os.pathsep.join([str(tmp_path)] + [p for p in sys.path if p]),
               LUCID_PLUGIN_IMPORT_TIMEOUT="600")
    # a child started from a background job inherits SIGINT as ignored (POSIX), and Python
    # then installs no KeyboardInterrupt handler: restore it, as an interactive shell would
    code = ("import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"
            "import lucid\nprint('waiting', flush=True)\nlucid.backends.available()\n")
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=tmp_path, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "waiting"
        time.sleep(1.0)  # inside available(), waiting for the import
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert "KeyboardInterrupt" in err and proc.returncode != 0


def test_keyboard_interrupt_raised_by_a_plugin_propagates(site: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """A KeyboardInterrupt inside a plugin's import is never recorded as a failure."""
    install(site, "lucidrel-kbd", {"lucid.backends": {"kbdbk": "lucidrel_kbd:Backend"}},
            {"lucidrel_kbd": "raise KeyboardInterrupt\n"})
    refresh()
    for deadline in ("10", "0"):  # in a worker thread and in the calling thread
        monkeypatch.setenv("LUCID_PLUGIN_IMPORT_TIMEOUT", deadline)
        sys.modules.pop("lucidrel_kbd", None)
        with pytest.raises(KeyboardInterrupt):
            get_backend("kbdbk")
        with pytest.raises(KeyboardInterrupt):
            available()
        assert "kbdbk" not in lucid.backends.registry._failures


def test_a_plugin_may_use_the_registry_while_it_imports(site: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The import runs in a worker thread; the registry's lock is not held meanwhile."""
    install(site, "lucidrel-user", {"lucid.backends": {"userbk": "lucidrel_user:UserBackend"}},
            {"lucidrel_user": """
                import lucid
                from lucid_numpy import NumPyBackend

                ONES = lucid.ones(2, backend="numpy").numpy().tolist()  # uses the registry

                class UserBackend(NumPyBackend):
                    pass
             """})
    refresh()
    monkeypatch.setenv("LUCID_PLUGIN_IMPORT_TIMEOUT", "20")
    start = time.monotonic()
    assert get_backend("userbk").name == "userbk"
    assert time.monotonic() - start < 10
    assert sys.modules["lucidrel_user"].ONES == [1.0, 1.0]


def test_a_backend_asked_for_while_a_module_imports_loads_in_the_calling_thread(
        site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plugin needing a half-imported module is imported where that module's lock is held.

    ``lucidrel_app`` asks for ``cyclebk`` while being imported, and the plugin imports
    ``lucidrel_app``: in a worker thread that import would wait for the lock the caller holds.
    """
    install(site, "lucidrel-cycle", {"lucid.backends": {"cyclebk": "lucidrel_cycle:Backend"}},
            {"lucidrel_cycle": """
                import lucidrel_app
                from lucid_numpy import NumPyBackend as Backend
             """,
             "lucidrel_app": """
                import lucid
                BACKEND = lucid.get_backend("cyclebk")
             """})
    refresh()
    monkeypatch.setenv("LUCID_PLUGIN_IMPORT_TIMEOUT", "30")
    start = time.monotonic()
    import lucidrel_app  # type: ignore[import-not-found]

    assert time.monotonic() - start < 10
    assert lucidrel_app.BACKEND.name == "cyclebk"


def test_import_timeout_setting_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    """The deadline is 60 s by default, 0 turns it off, and nonsense is refused by name."""
    monkeypatch.delenv("LUCID_PLUGIN_IMPORT_TIMEOUT", raising=False)
    assert _plugins.import_timeout() == 60.0
    monkeypatch.setenv("LUCID_PLUGIN_IMPORT_TIMEOUT", "2.5")
    assert _plugins.import_timeout() == 2.5
    monkeypatch.setenv("LUCID_PLUGIN_IMPORT_TIMEOUT", "0")
    assert _plugins.import_timeout() is None
    for bad in ("soon", "-1", "nan"):
        monkeypatch.setenv("LUCID_PLUGIN_IMPORT_TIMEOUT", bad)
        with pytest.raises(ValueError, match=f"LUCID_PLUGIN_IMPORT_TIMEOUT.*{bad!r}"):
            _plugins.import_timeout()


def test_listing_names_imports_nothing(site: Path) -> None:
    """names() reads entry-point metadata only."""
    install(site, "lucidrel-list", {"lucid.backends": {"listbk": "lucidrel_list:Backend"}},
            {"lucidrel_list": "raise RuntimeError('imported!')\n"})
    refresh()
    assert "listbk" in names()
    assert "lucidrel_list" not in sys.modules
