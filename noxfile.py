"""lucid's test matrix: backends × NumPy versions, the plugins, lint and type checks.

    python -m pip install nox && nox      # the default sessions (all of them work without a GPU)
    nox -l                                # list every session; * marks the defaults
    nox -s "tests(numpy-oldest)"          # one session
    nox -r                                # reuse the virtual environments of an earlier run

Every session installs lucid (and, where it applies, the packages under ``plugins/``) into
its own virtual environment as a user would, not in editable mode, so plugins are found
through their entry points only. Arguments after ``--`` go to pytest (or ruff, mypy).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import nox

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: nox itself depends on tomli there
    import tomli as tomllib

ROOT = Path(__file__).parent
PLUGINS = ROOT / "plugins"
ARRAY_API_PLUGIN = PLUGINS / "lucid-array-api"
SK_EXTRAS_PLUGIN = PLUGINS / "lucid-sk-extras"
BROKEN_PLUGIN = PLUGINS / "lucid-broken-example"
MERMAID_CHECK = ROOT / "tests" / "mermaid"

nox.needs_version = ">=2024.3"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.error_on_external_run = True
#: What a bare ``nox`` runs: everything that works on a machine without a GPU.
nox.options.sessions = [
    "tests(numpy-oldest)", "tests(numpy-newest)", "tests(array_api)", "plugins", "lint",
    "typecheck", "parity", "distributed", "docs",
]


def _oldest_numpy() -> str:
    """The pin for the oldest NumPy lucid supports, read from pyproject's ``numpy>=X.Y``."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        found = re.fullmatch(r"numpy\s*>=\s*(\d+)\.(\d+)(?:\.\d+)?\s*(?:,.*)?", requirement)
        if found:
            return f"numpy=={found[1]}.{found[2]}.*"
    raise RuntimeError("pyproject.toml has no 'numpy>=X.Y' dependency to take the oldest from")


def _cuda_missing() -> str | None:
    """Why CuPy cannot run here (no NVIDIA driver or no device), or None when a GPU is present."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return "no NVIDIA driver (nvidia-smi not found)"
    try:
        listing = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"nvidia-smi failed: {exc}"
    if listing.returncode != 0 or "GPU" not in listing.stdout:
        return f"nvidia-smi lists no CUDA device: {(listing.stdout + listing.stderr).strip()}"
    return None


def _install_lucid(session: nox.Session, *extras: str, numpy: str | None = None) -> None:
    """Install lucid from this checkout (not editable) with ``extras`` and a NumPy pin."""
    spec = f".[{','.join(extras)}]" if extras else "."
    session.install(spec, *([numpy] if numpy else []))


@nox.session
@nox.parametrize(("backend", "numpy"), [
    nox.param("numpy", "oldest", id="numpy-oldest"),
    nox.param("numpy", "newest", id="numpy-newest"),
    nox.param("cupy", "newest", id="cupy"),
    nox.param("array_api", "newest", id="array_api"),
])
def tests(session: nox.Session, backend: str, numpy: str) -> None:
    """Run the test suite for one backend: lucid's own suite, or the array API plugin's."""
    if backend == "cupy":
        reason = _cuda_missing()
        if reason:
            session.skip(f"CuPy backend needs a CUDA device: {reason}")
    pin = _oldest_numpy() if numpy == "oldest" else None
    if backend == "array_api":
        _install_lucid(session, "test", numpy=pin)
        session.install(str(ARRAY_API_PLUGIN))
        # the plugin's tests: the conformance kit, NumPy-semantics checks, an SKNet step
        session.run("pytest", "-q", "-ra", str(ARRAY_API_PLUGIN / "tests"), *session.posargs,
                    env={"LUCID_ARRAY_API_NAMESPACE": "array_api_strict"})
        return
    _install_lucid(session, "test", *(["cupy"] if backend == "cupy" else []), numpy=pin)
    if numpy == "newest":
        session.install("--upgrade", "numpy")
    session.run("python", "-c", "import numpy, sys; print('NumPy', numpy.__version__, "
                "'on Python', sys.version.split()[0])")
    env = {"LUCID_BACKEND": backend}
    if backend == "cupy":
        env["LUCID_REQUIRE_GPU"] = "1"  # on a GPU machine a skipped GPU test is a failure
    session.run("pytest", "-q", "-ra", *session.posargs, env=env)


def _uninstall(session: nox.Session, *distributions: str) -> None:
    """Remove ``distributions`` from the session's environment (a reused one may have them)."""
    if session.venv_backend == "uv":
        session.run("uv", "pip", "uninstall", *distributions, external=True)
    else:
        session.run("python", "-m", "pip", "uninstall", "--yes", *distributions)


@nox.session
def plugins(session: nox.Session) -> None:
    """Install the plugins/ distributions and check lucid finds them through entry points only."""
    _install_lucid(session, "test")
    _uninstall(session, "lucid-array-api", "lucid-sk-extras", "lucid-broken-example")
    sk_tests = str(SK_EXTRAS_PLUGIN / "tests")
    # before: the extra models are unknown
    session.run("pytest", "-q", "-ra", f"{sk_tests}/test_discovery.py",
                env={"LUCID_SK_EXTRAS_EXPECTED": "absent"})
    session.install(str(ARRAY_API_PLUGIN), str(SK_EXTRAS_PLUGIN), str(BROKEN_PLUGIN))
    # after: found, and a deliberately broken plugin beside them breaks nothing
    session.run("pytest", "-q", "-ra", sk_tests, str(BROKEN_PLUGIN / "tests"),
                f"{ARRAY_API_PLUGIN}/tests/test_array_api_backend.py::"
                "test_found_through_its_entry_point_only", *session.posargs,
                env={"LUCID_SK_EXTRAS_EXPECTED": "installed"})


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff over the whole repository (configured in pyproject.toml)."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", *(session.posargs or ["."]))


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy on the public package ``lucid`` (configured in pyproject's ``[tool.mypy]``)."""
    _install_lucid(session, "test")
    session.install("mypy>=1.8")
    session.run("mypy", *(session.posargs or ["lucid"]))


@nox.session
def distributed(session: nox.Session) -> None:
    """lucid.distributed over MPI: one-process tests, then ``mpiexec -n 2`` ones.

    Installs ``.[test,mpi]`` (mpi4py and the MPICH wheel, whose ``mpiexec`` lands in the
    session's bin). First a plain pytest of tests/distributed: errors, a world of one, and the
    job-level tests that start their own ``mpiexec -n 2`` (a failing rank ends the job,
    ``lucid train --distributed``). Then tests marked ``mpi`` run on two ranks: collectives
    against NumPy, DDP against one process on the whole batch, SyncBatchNorm, ``no_sync``.
    The NCCL tests (tests/distributed/test_nccl.py) run where CuPy sees a GPU; else they skip.
    A default session (3.5 min on 2 cores, most of it the CLI training jobs): CI proves on
    every run that two ranks train to the same weights as one process.
    """
    _install_lucid(session, "test", "mpi")
    session.run("pytest", "-q", "-ra", "tests/distributed", *session.posargs)
    session.run("mpiexec", "-n", "2", "python", "-m", "pytest", "-q", "-ra", "-p",
                "no:cacheprovider", "tests/distributed/test_multiprocess.py",
                "tests/distributed/test_nccl.py", *session.posargs)


@nox.session(venv_backend="virtualenv")
def parity(session: nox.Session) -> None:
    """Numerical parity with PyTorch/timm: converted weights compute the same function.

    Uses pip (not uv) so the pinned PyTorch wheel can come from a local wheel cache/index.
    """
    _install_lucid(session, "test")
    session.install("torch==2.14.1", "torchvision==0.29.1", "timm", "safetensors", "pillow")
    session.run("pytest", "-q", "-ra", "-m", "parity", "tests/parity", *session.posargs)


@nox.session(venv_backend="virtualenv")
def bench(session: nox.Session) -> None:
    """CPU speed and memory against PyTorch + timm (not a default session: it takes minutes).

    ``nox -s bench -- --threads 1 --only models`` passes its arguments to
    ``benchmarks/cpu_benchmark.py`` (default: the four models, batch 8, 2 threads, median of
    3). threadpoolctl lets the NumPy backend hold BLAS at one thread while its pool shares
    out convolution blocks. Uses pip (not uv), like ``parity``, for the pinned PyTorch wheel.
    """
    _install_lucid(session)
    session.install("threadpoolctl>=3.1", "tqdm>=4.60", "torch==2.14.1", "torchvision==0.29.1",
                    "timm")
    session.run("python", "benchmarks/cpu_benchmark.py",
                *(session.posargs or ["--only", "models", "--batch", "8", "--repeat", "3"]))


def _mermaid_tools_missing() -> str | None:
    """Why the Mermaid render check cannot run here (no node/npm/Chromium), or None."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if _chromium() is None:
        missing.append("chromium (or set CHROMIUM)")
    return f"missing {', '.join(missing)}" if missing else None


@nox.session
def mermaid(session: nox.Session) -> None:
    """Render lucid's Mermaid charts with the real Mermaid library in headless Chromium.

    Renders the charts the docs site's build hook generates (sk_resnet_50 for the SKNet
    page, resnet_50 for the ResNet page) and the hand-written one in docs/architecture.md;
    a parse or render error fails the session. SVGs and PNG screenshots land in the session's tmp
    folder. Needs node, npm and a Chromium (Debian: ``apt-get install nodejs npm chromium``;
    ``CHROMIUM=/path`` picks one); skips with the reason when any is missing. npm installs
    the ``mermaid`` and ``puppeteer-core`` packages of tests/mermaid/package.json (no
    browser download).
    """
    reason = _mermaid_tools_missing()
    if reason:
        session.skip(f"Mermaid render check needs node, npm and Chromium: {reason}")
    _install_lucid(session)
    work = Path(session.create_tmp()) / "mermaid"
    work.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "render.mjs"):
        shutil.copy(MERMAID_CHECK / name, work / name)
    session.run("npm", "install", "--no-audit", "--no-fund", "--prefix", str(work),
                external=True, env={"PUPPETEER_SKIP_DOWNLOAD": "1"})
    charts = work / "charts"
    session.run("python", str(MERMAID_CHECK / "extract_charts.py"), str(charts))
    files = sorted(str(p) for p in charts.glob("*.mmd"))
    session.run("node", str(work / "render.mjs"), str(work / "rendered"), *files,
                external=True)


def _chromium() -> str | None:
    """The Chromium the docs check drives: ``$CHROMIUM``, else the first one on PATH."""
    return os.environ.get("CHROMIUM") or next(
        (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
         if shutil.which(n)), None)


def _vendor_source_unreachable() -> str | None:
    """Why the site's Mermaid/KaTeX can be neither found in docs/ nor fetched, or None."""
    import sys
    import urllib.request

    check = subprocess.run([sys.executable, "docs/_build/vendor_assets.py", "--check"],
                           capture_output=True, cwd=ROOT)
    if check.returncode == 0:
        return None  # already vendored
    try:
        with urllib.request.urlopen("https://registry.npmjs.org/mermaid", timeout=30):
            return None
    except OSError as exc:
        return str(exc)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site strictly (warnings are errors), then check it in Chromium.

    Fetches the pinned Mermaid and KaTeX the pages load (docs/_build/vendor_assets.py: no CDN
    at view time), runs ``mkdocs build --strict`` into ``site/`` and opens every page in
    headless Chromium (tests/docs_site/check_site.py: console errors, diagrams rendered to
    SVG, math typeset, no broken internal link; screenshots in ``site-screenshots/``).
    Without a Chromium (Debian: ``apt-get install chromium``; ``CHROMIUM=/path`` picks one)
    the build still runs and the check is skipped; on a machine that can neither find the
    vendored files nor reach registry.npmjs.org, the session skips and says so.
    ``nox -s docs -- serve`` serves the site at http://127.0.0.1:8000 with live reload
    instead. On this project's 2-core machine a fresh run took 1–2.6 min (build 25–35 s, 41
    pages in Chromium 31–60 s).
    """
    import time

    unreachable = _vendor_source_unreachable()
    if unreachable:
        session.skip(f"the docs site loads Mermaid and KaTeX from docs/assets/vendor/, which "
                     f"is empty, and registry.npmjs.org (where they are fetched from) is not "
                     f"reachable here: {unreachable}")
    _install_lucid(session, "docs")
    session.run("python", "docs/_build/vendor_assets.py")
    env = {"NO_MKDOCS_2_WARNING": "1"}
    if session.posargs[:1] == ["serve"]:
        session.run("mkdocs", "serve", *session.posargs[1:], env=env)
        return
    started = time.perf_counter()
    session.run("mkdocs", "build", "--strict", *session.posargs, env=env)
    session.log(f"mkdocs build --strict: {time.perf_counter() - started:.0f} s")
    chromium = _chromium()
    if chromium is None:
        session.skip("the site built, but checking it needs Chromium: apt-get install chromium "
                     "(or set CHROMIUM=/path/to/chromium)")
    session.install("playwright>=1.40", env={"PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"})
    session.run("python", "tests/docs_site/check_site.py", "site", "--out", "site-screenshots",
                env={"CHROMIUM": chromium})

