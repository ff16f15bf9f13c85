"""The backend plugin registry, exercised with real (temporary) installed distributions.

Each test installs tiny plugin distributions into a temporary site directory: a
``<name>-<version>.dist-info`` folder with ``METADATA`` and ``entry_points.txt`` next to the
plugin module, put on ``sys.path``. ``importlib.metadata`` then finds their entry points
exactly as it finds those of pip-installed packages. The autouse fixture in conftest.py
restores the registry's caches after every test.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import lucid
from lucid import _plugins
from lucid.backends import (
    ENTRY_POINT_GROUP,
    NN_KERNELS,
    Backend,
    BackendNotFoundError,
    BackendUnavailableError,
    MixedBackendError,
    ReferenceKernels,
    available,
    get_backend,
    names,
    refresh,
    register_backend,
    registry,
    set_backend,
    unregister_backend,
    use_backend,
    uses_reference_kernels,
    with_reference_kernels,
)

GOOD_PLUGIN = """
    from lucid_numpy import NumPyBackend

    class GoodBackend(NumPyBackend):
        '''A third-party backend: the NumPy one under another name.'''
"""


class Site:
    """A temporary site directory on ``sys.path`` into which tests install distributions."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.modules: set[str] = set()

    def install(self, dist: str, entry_points: dict[str, str],
                modules: dict[str, str] | None = None, where: Path | None = None,
                version: str = "1.0") -> None:
        """Write a distribution's metadata, its ``lucid.backends`` entry points and modules."""
        base = where or self.root
        info = base / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        lines = "".join(f"{name} = {value}\n" for name, value in entry_points.items())
        (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{lines}")
        for module, source in (modules or {}).items():
            (base / f"{module}.py").write_text(textwrap.dedent(source))
            self.modules.add(module)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """An empty site directory on sys.path; plugin modules are unloaded afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("LUCID_BACKEND", raising=False)
    monkeypatch.delenv("LUCID_RAISE_PLUGIN_ERRORS", raising=False)
    monkeypatch.delenv("LUCID_REFERENCE_KERNELS", raising=False)
    s = Site(tmp_path)
    yield s
    for module in s.modules:
        sys.modules.pop(module, None)


@pytest.fixture
def good(site: Site) -> Site:
    """A site holding the well-behaved plugin ``goodbk`` (distribution ``lucid-goodbk``)."""
    site.install("lucid-goodbk", {"goodbk": "lucidtest_good:GoodBackend"},
                 {"lucidtest_good": GOOD_PLUGIN})
    refresh()
    return site


# ---------------------------------------------------------------- a good plugin
def test_good_plugin_is_found_through_its_entry_point(good: Site) -> None:
    """An installed distribution's backend is listed, loaded on demand and usable."""
    assert "goodbk" in names()
    assert "lucidtest_good" not in sys.modules  # listing names imports nothing
    status = available()["goodbk"]
    assert status.available and status.reason is None
    assert status.source == "entry point" and status.value == "lucidtest_good:GoodBackend"
    assert status.distribution == "lucid-goodbk"
    backend = get_backend("goodbk")
    assert type(backend).__name__ == "GoodBackend" and backend.name == "goodbk"
    assert get_backend("GoodBK") is backend  # names are case-insensitive
    t = lucid.ones(2, 3, backend="goodbk") * 2
    assert t.device == "goodbk" and t.numpy().tolist() == [[2.0] * 3] * 2


def test_entry_point_names_are_case_insensitive(site: Site) -> None:
    """An entry point declared as ``MixedCase`` is found under any spelling."""
    site.install("lucid-mixed", {"MixedCase": "lucidtest_mixed:GoodBackend"},
                 {"lucidtest_mixed": GOOD_PLUGIN})
    refresh()
    assert "mixedcase" in names()
    assert available()["mixedcase"].available
    assert get_backend("MixedCase") is get_backend("mixedcase")


def test_numpy_is_available_through_the_root_distribution() -> None:
    """The built-in NumPy backend is reported as found through lucid's own entry point."""
    refresh()
    status = available()["numpy"]
    assert status.available and status.value == "lucid_numpy:NumPyBackend"
    assert status.distribution == "lucid"


def test_scan_is_cached_until_refresh(site: Site) -> None:
    """Entry points are scanned once; a plugin installed later appears after refresh()."""
    refresh()
    assert "goodbk" not in names()
    site.install("lucid-goodbk", {"goodbk": "lucidtest_good:GoodBackend"},
                 {"lucidtest_good": GOOD_PLUGIN})
    assert "goodbk" not in names()  # cached scan
    refresh()
    assert "goodbk" in names()


def test_builtin_names_resolve_without_a_scan() -> None:
    """Loading ``numpy`` does not scan entry points at all."""
    refresh()
    registry._instances.pop("numpy", None)
    assert type(get_backend("numpy")).__name__.startswith("NumPyBackend")
    assert registry._scanned is None
    assert ENTRY_POINT_GROUP not in _plugins._scans  # lucid's own metadata was enough


# --------------------------------------------------------------- broken plugins
#: kind -> (entry-point value, module source, text expected in the reason)
BROKEN = {
    "raises_on_import": ("lucidtest_bad:Backend", """
        raise RuntimeError("boom: this plugin cannot be imported")
     """, "RuntimeError: boom"),
    "missing_attribute": ("lucidtest_bad:Nothing", """
        VALUE = 1
     """, "AttributeError"),
    "wrong_type": ("lucidtest_bad:NotABackend", """
        class NotABackend:
            pass
     """, "expected a lucid.backends.Backend"),
    "factory_returns_wrong_type": ("lucidtest_bad:make", """
        def make():
            return object()
     """, "not a lucid.backends.Backend"),
    "wrong_api_version": ("lucidtest_bad:OldBackend", """
        from lucid_numpy import NumPyBackend

        class OldBackend(NumPyBackend):
            api_version = 0
     """, "API version 0"),
    "cannot_run_here": ("lucidtest_bad:NoDevice", """
        from lucid_numpy import NumPyBackend

        class NoDevice(NumPyBackend):
            @classmethod
            def unavailable_reason(cls):
                return "no accelerator found on this machine"
     """, "no accelerator found"),
    "exits_on_import": ("lucidtest_bad:Backend", """
        import sys
        sys.exit("this plugin calls sys.exit() when imported")
     """, "SystemExit"),
    "factory_exits": ("lucidtest_bad:make", """
        import sys

        def make():
            sys.exit(3)
     """, "SystemExit(3)"),
    "incomplete_backend": ("lucidtest_bad:Partial", """
        from lucid.backends import Backend

        class Partial(Backend):
            api_version = 2

            def zeros(self, shape, dtype):
                return None
     """, "does not implement the backend interface: missing abs, acos"),
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_broken_plugin_is_reported_and_isolated(good: Site, kind: str) -> None:
    """A bad plugin is listed with its reason; selecting it raises; the others still work."""
    value, source, reason = BROKEN[kind]
    good.install("lucid-badbk", {"badbk": value}, {"lucidtest_bad": source})
    refresh()
    statuses = available()
    bad = statuses["badbk"]
    assert not bad.available and reason in bad.reason
    assert bad.distribution == "lucid-badbk"
    assert reason in str(bad) and "lucid-badbk" in str(bad)
    assert statuses["goodbk"].available and statuses["numpy"].available
    with pytest.raises(BackendUnavailableError) as info:
        get_backend("badbk")
    assert "lucid-badbk" in str(info.value) and reason in str(info.value)
    assert info.value.__cause__ is not None  # the plugin's own exception is chained
    with pytest.raises(BackendUnavailableError):
        lucid.zeros(1, backend="badbk")
    assert (lucid.ones(2, backend="goodbk") + 1).device == "goodbk"
    assert lucid.ones(2).device == "numpy"


def test_import_failure_chains_the_plugins_exception(good: Site) -> None:
    """The error for a plugin that failed to import carries that exception as its cause."""
    value, source, _ = BROKEN["raises_on_import"]
    good.install("lucid-badbk", {"badbk": value}, {"lucidtest_bad": source})
    refresh()
    with pytest.raises(BackendUnavailableError) as info:
        get_backend("badbk")
    cause = info.value.__cause__
    assert isinstance(cause, RuntimeError) and "boom" in str(cause)


def test_raise_plugin_errors_env_var_reraises(good: Site,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """``LUCID_RAISE_PLUGIN_ERRORS=1`` lets a plugin's own exception propagate."""
    value, source, _ = BROKEN["raises_on_import"]
    good.install("lucid-badbk", {"badbk": value}, {"lucidtest_bad": source})
    refresh()
    monkeypatch.setenv("LUCID_RAISE_PLUGIN_ERRORS", "1")
    with pytest.raises(RuntimeError, match="boom"):
        get_backend("badbk")
    with pytest.raises(RuntimeError, match="boom"):
        available()


# ------------------------------------------------------------ duplicates, clashes
def test_conflicting_entry_points_name_both_distributions(good: Site) -> None:
    """Two distributions giving one name different values: unavailable, both named."""
    good.install("lucid-clash-a", {"clash": "lucidtest_clash_a:GoodBackend"},
                 {"lucidtest_clash_a": GOOD_PLUGIN})
    good.install("lucid-clash-b", {"clash": "lucidtest_clash_b:GoodBackend"},
                 {"lucidtest_clash_b": GOOD_PLUGIN})
    refresh()
    status = available()["clash"]
    assert not status.available
    for text in ("conflicting", "lucid-clash-a", "lucid-clash-b", "lucidtest_clash_a",
                 "lucidtest_clash_b"):
        assert text in status.reason
    with pytest.raises(BackendUnavailableError, match="lucid-clash-b"):
        get_backend("clash")
    assert "lucidtest_clash_a" not in sys.modules and "lucidtest_clash_b" not in sys.modules
    assert available()["goodbk"].available


def test_identical_entry_points_are_one_plugin(site: Site) -> None:
    """The same (name, value) from two distributions is one plugin, not a clash."""
    site.install("lucid-dup-a", {"dupbk": "lucidtest_dup:GoodBackend"},
                 {"lucidtest_dup": GOOD_PLUGIN})
    site.install("lucid-dup-b", {"dupbk": "lucidtest_dup:GoodBackend"})
    refresh()
    assert names().count("dupbk") == 1
    status = available()["dupbk"]
    assert status.available, status.reason
    assert get_backend("dupbk").name == "dupbk"


def test_same_distribution_twice_on_the_path_is_one_plugin(site: Site, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """An editable install and a copy of the same distribution do not clash."""
    second = tmp_path / "second"
    second.mkdir()
    monkeypatch.syspath_prepend(str(second))
    entry = {"twicebk": "lucidtest_twice:GoodBackend"}
    site.install("lucid-twice", entry, {"lucidtest_twice": GOOD_PLUGIN})
    site.install("lucid-twice", entry, where=second)
    refresh()
    assert available()["twicebk"].available


def test_plugin_cannot_override_a_builtin(site: Site) -> None:
    """An entry point claiming ``numpy`` is ignored (noted), and never imported."""
    site.install("lucid-evil", {"numpy": "lucidtest_evil:Evil"}, {"lucidtest_evil": """
        raise RuntimeError("the impostor was imported")
     """})
    refresh()
    registry._instances.pop("numpy", None)
    status = available()["numpy"]
    assert status.available and status.value == "lucid_numpy:NumPyBackend"
    assert any("lucidtest_evil:Evil" in note and "built-ins win" in note
               for note in status.notes)
    assert type(get_backend("numpy")).__name__ == "NumPyBackend"
    assert "lucidtest_evil" not in sys.modules


# ------------------------------------------------------------------ unknown names
def test_unknown_name_lists_available_backends(good: Site) -> None:
    """An unknown backend name raises BackendNotFoundError listing the usable ones."""
    with pytest.raises(BackendNotFoundError) as info:
        get_backend("nosuchbackend")
    message = str(info.value)
    assert "'nosuchbackend'" in message and "numpy" in message and "goodbk" in message
    assert isinstance(info.value, LookupError)
    with pytest.raises(BackendNotFoundError, match="did you mean 'goodbk'"):
        get_backend("goodbj")
    with pytest.raises(BackendNotFoundError):
        set_backend("nosuchbackend")
    with pytest.raises(BackendNotFoundError):
        with use_backend("nosuchbackend"):
            pass
    with pytest.raises(BackendNotFoundError):
        lucid.ones(2).to("nosuchbackend")


# ---------------------------------------------------------------------- selection
def test_selection_precedence(good: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """tensor.to() / backend= > use_backend > set_backend > LUCID_BACKEND > numpy."""
    from lucid_numpy import NumPyBackend

    register_backend("setbk", NumPyBackend)
    register_backend("ctxbk", NumPyBackend)
    assert lucid.zeros(1).device == "numpy"
    monkeypatch.setenv("LUCID_BACKEND", "goodbk")
    assert lucid.zeros(1).device == "goodbk"
    set_backend("setbk")
    assert lucid.zeros(1).device == "setbk"
    with use_backend("ctxbk") as chosen:
        assert chosen.name == "ctxbk"
        t = lucid.randn(2)
        assert t.device == "ctxbk"
        assert t.to("goodbk").device == "goodbk"
        assert lucid.zeros(1, backend="numpy").device == "numpy"
        with use_backend("numpy"):
            assert lucid.zeros(1).device == "numpy"
        assert lucid.zeros(1).device == "ctxbk"
    assert lucid.zeros(1).device == "setbk"
    set_backend(None)
    assert lucid.zeros(1).device == "goodbk"
    monkeypatch.delenv("LUCID_BACKEND")
    assert lucid.zeros(1).device == "numpy"


def test_tensors_of_two_backends_do_not_mix(good: Site) -> None:
    """An op on tensors of two backends raises instead of copying silently."""
    a, b = lucid.ones(2), lucid.ones(2, backend="goodbk")
    with pytest.raises(MixedBackendError, match="goodbk"):
        a + b
    assert (a + b.to("numpy")).device == "numpy"


def test_in_process_registration() -> None:
    """register_backend takes a class, an instance or a factory; names are protected."""
    from lucid_numpy import NumPyBackend

    register_backend("viaclass", NumPyBackend)
    instance = NumPyBackend()
    register_backend("viainstance", instance)
    register_backend("viafactory", lambda: NumPyBackend())
    assert get_backend("viainstance") is instance
    for name in ("viaclass", "viainstance", "viafactory"):
        assert get_backend(name).name == name
        status = available()[name]
        assert status.available and status.source == "registered"
    with pytest.raises(ValueError, match="already registered"):
        register_backend("viaclass", NumPyBackend)
    with pytest.raises(ValueError, match="numpy"):
        register_backend("numpy", NumPyBackend)
    with pytest.raises(ValueError, match="cupy"):  # first-party, even where it cannot run
        register_backend("CuPy", NumPyBackend)
    register_backend("viaclass", NumPyBackend, exist_ok=True)
    unregister_backend("viaclass")
    assert "viaclass" not in names()
    with pytest.raises(BackendNotFoundError):
        get_backend("viaclass")


def test_reference_kernels_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    """``LUCID_REFERENCE_KERNELS=1`` loads backends as their reference-kernel subclass.

    A class is instantiated as ``with_reference_kernels(cls)``; an instance (or a factory's
    product) gets that class in place; nothing is patched onto instances.
    """
    from lucid_numpy import NumPyBackend

    monkeypatch.setenv("LUCID_REFERENCE_KERNELS", "1")
    registry._instances.pop("numpy", None)
    backend = get_backend("numpy")
    assert type(backend) is with_reference_kernels(NumPyBackend)
    assert not any(name in vars(backend) for name in NN_KERNELS)
    assert uses_reference_kernels(backend) and not uses_reference_kernels(NumPyBackend)
    assert any("reference NN kernels" in note for note in available()["numpy"].notes)
    instance = NumPyBackend()
    register_backend("refinstance", instance)
    register_backend("reffactory", lambda: NumPyBackend())
    assert get_backend("refinstance") is instance and uses_reference_kernels(instance)
    assert type(instance) is with_reference_kernels(NumPyBackend)
    assert uses_reference_kernels(get_backend("reffactory"))
    x = lucid.randn(1, 2, 5, 5, backend="refinstance")
    w = lucid.randn(3, 2, 3, 3, backend="refinstance")
    assert lucid.nn.functional.conv2d(x, w, padding=1).shape == (1, 3, 5, 5)


def test_with_reference_kernels_derives_a_cached_subclass(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The derived class swaps only the NN kernels; the original class and instance are intact."""
    import numpy as np
    from lucid_numpy import NumPyBackend

    monkeypatch.delenv("LUCID_REFERENCE_KERNELS", raising=False)
    registry._instances.pop("numpy", None)
    shared = get_backend("numpy")
    before = {name: getattr(NumPyBackend, name) for name in NN_KERNELS}
    derived = with_reference_kernels(NumPyBackend)
    assert derived is with_reference_kernels(NumPyBackend)  # cached
    assert issubclass(derived, NumPyBackend) and derived is not NumPyBackend
    assert with_reference_kernels(derived) is derived  # already all reference
    for name in NN_KERNELS:
        assert getattr(derived, name) is getattr(ReferenceKernels, name), name
        assert getattr(NumPyBackend, name) is before[name], name
    # only the NN kernels change: the conveniences and the core stay the backend's own
    for name in ("relu", "sigmoid", "mean", "clip", "ones", "add", "matmul"):
        assert getattr(derived, name) is getattr(NumPyBackend, name), name
    assert type(shared) is NumPyBackend and not uses_reference_kernels(shared)
    assert not any(name in vars(shared) for name in NN_KERNELS)
    ref = derived()
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 4, 6, 6)), rng.standard_normal((6, 2, 3, 3))
    np.testing.assert_allclose(ref.conv2d(x, w, (2, 1), (1, 1), (1, 2), 2),
                               shared.conv2d(x, w, (2, 1), (1, 1), (1, 2), 2), rtol=1e-12,
                               atol=1e-12)
    with pytest.raises(TypeError, match="Backend subclass"):
        with_reference_kernels(object)  # type: ignore[arg-type]


def test_reference_kernels_mixin_completes_a_core_only_backend() -> None:
    """``class B(ReferenceKernels, Backend)`` with only the required core can be created."""
    from lucid_numpy import NumPyBackend

    core = {name for name in Backend.__abstractmethods__
            if name not in NN_KERNELS and name not in ("ones", "clip", "sigmoid", "relu", "mean")}
    namespace = {name: getattr(NumPyBackend, name) for name in core}
    namespace["__init__"] = NumPyBackend.__init__
    namespace.update(xp=NumPyBackend.xp, passes_class=NumPyBackend.passes_class)
    core_only = type("CoreOnly", (ReferenceKernels, Backend), namespace)
    assert not core_only.__abstractmethods__
    assert uses_reference_kernels(core_only)
    with pytest.raises(TypeError):  # the contract alone provides nothing
        type("Nothing", (Backend,), dict(namespace))()
    register_backend("coreonly", core_only)
    x = lucid.randn(2, 3, 4, 4, backend="coreonly", requires_grad=True)
    y = lucid.nn.functional.max_pool2d(x, 2).relu().sigmoid().mean()
    y.backward()
    assert x.grad is not None and x.grad.shape == (2, 3, 4, 4)
    # batch_norm_eval is optional: the interface's default composes the core
    assert "batch_norm_eval" not in Backend.__abstractmethods__
    core = get_backend("coreonly")
    rng = np.random.default_rng(3)
    xa, scale, shift = (rng.standard_normal(s) for s in ((2, 3, 4), (3,), (3,)))
    want = xa * scale.reshape(1, 3, 1) + shift.reshape(1, 3, 1)
    np.testing.assert_array_equal(core.batch_norm_eval(xa, scale, shift), want)
    np.testing.assert_array_equal(core.batch_norm_eval(xa, scale, shift, True),
                                  np.maximum(want, 0))


def test_missing_numpy_backend_says_lucid_is_not_installed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from an uninstalled source tree, no backend is found, and the error says why."""
    monkeypatch.setattr(_plugins, "own_entry_points", lambda group: ())
    monkeypatch.setattr(_plugins, "entry_points", lambda group: ())
    monkeypatch.setattr(_plugins, "own_distribution_installed", lambda: False)
    monkeypatch.delenv("LUCID_BACKEND", raising=False)
    refresh()
    registry._instances.pop("numpy", None)
    with pytest.raises(BackendNotFoundError, match=r"not installed; run `pip install -e \.`"):
        get_backend("numpy")
    assert "pip install -e ." in (available()["numpy"].reason or "")


# ------------------------------------------------------------- layering
_BACKENDS_DIR = Path(lucid.backends.__file__).parent


def _imports(path: Path) -> set[str]:
    """Every module a file imports (``from . import x`` as ``.x``), at any depth."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            found.add(base)
            if not node.module:
                found.update(base + alias.name for alias in node.names)
    return found


def test_backends_package_imports_no_array_library_and_names_no_plugin() -> None:
    """``lucid/backends`` imports neither NumPy nor CuPy and never names a plugin module."""
    for path in sorted(_BACKENDS_DIR.glob("*.py")):
        imported = _imports(path)
        assert not {m for m in imported if m.split(".")[0] in ("numpy", "cupy")}, path.name
        text = path.read_text()
        assert "lucid_numpy" not in text and "lucid_cupy" not in text, path.name


def test_interface_imports_nothing_of_the_backends_package() -> None:
    """The contract depends on no implementation and never on the registry."""
    imported = _imports(_BACKENDS_DIR / "interface.py")
    assert imported <= {"__future__", "abc", "collections.abc", "typing", ".._dtype"}, imported


def test_first_party_backends_import_only_public_lucid() -> None:
    """The NumPy and CuPy plugins use lucid's public API and never each other."""
    root = Path(__file__).resolve().parents[1] / "backends"
    for plugin, other in (("lucid_numpy", "lucid_cupy"), ("lucid_cupy", "lucid_numpy")):
        for path in sorted((root / plugin).glob("*.py")):
            for module in _imports(path):
                assert not module.startswith(other), f"{path.name} imports {module}"
                parts = module.split(".")
                assert not (parts[0] == "lucid" and any(p.startswith("_") for p in parts[1:])), \
                    f"{plugin}/{path.name} imports lucid's private {module}"


def test_backend_is_copied_as_itself_and_not_pickled_by_reference() -> None:
    """A backend is a singleton for copy/deepcopy; pickling it is the tensor's job."""
    import copy

    b = get_backend("numpy")
    assert copy.copy(b) is b and copy.deepcopy(b) is b
    assert "__reduce__" not in vars(Backend)


# ------------------------------------------------------------- import laziness
_PROBE = """
import json, os, sys, time
start = time.perf_counter()
import lucid
seconds = time.perf_counter() - start
loaded = sorted(m for m in ("numpy", "lucid_numpy", "lucid_cupy", "lucidtest_bad",
                            "lucidtest_good") if m in sys.modules)
scanned = lucid.backends.registry._scanned is not None
device = lucid.zeros(1).device
status = {k: [v.available, v.reason] for k, v in lucid.backends.available().items()}
print(json.dumps({"loaded": loaded, "scanned": scanned, "device": device,
                  "status": status, "seconds": seconds}))
"""


def _probe(site_root: Path, **env: str) -> dict:
    """Run ``import lucid`` in a fresh interpreter with ``site_root`` on the path."""
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("LUCID_BACKEND", "LUCID_RAISE_PLUGIN_ERRORS")}
    path = [str(site_root)] + [p for p in sys.path if p]
    full_env.update(PYTHONPATH=os.pathsep.join(path), **env)
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                          env=full_env, cwd=site_root, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_import_lucid_loads_no_backend_even_with_broken_plugins(good: Site) -> None:
    """``import lucid`` imports no backend module and scans no entry points."""
    value, source, _ = BROKEN["raises_on_import"]
    good.install("lucid-badbk", {"badbk": value}, {"lucidtest_bad": source})
    result = _probe(good.root, LUCID_BACKEND="goodbk")
    assert result["loaded"] == [] and result["scanned"] is False
    assert result["device"] == "goodbk"  # LUCID_BACKEND picks the plugin
    assert result["status"]["numpy"] == [True, None]
    assert result["status"]["goodbk"] == [True, None]
    assert result["status"]["badbk"][0] is False and "boom" in result["status"]["badbk"][1]


def test_plugin_calling_sys_exit_does_not_end_the_process(site: Site) -> None:
    """A plugin whose import calls ``sys.exit()`` is recorded as a failure; lucid goes on."""
    value, source, _ = BROKEN["exits_on_import"]
    site.install("lucid-exitbk", {"exitbk": value}, {"lucidtest_bad": source})
    result = _probe(site.root)
    assert result["device"] == "numpy"
    available_, reason = result["status"]["exitbk"]
    assert available_ is False and "SystemExit" in reason and "sys.exit()" in reason
    assert result["status"]["numpy"] == [True, None]
