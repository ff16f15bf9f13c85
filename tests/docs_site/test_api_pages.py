"""The API reference has a page for every public module, and every page is in the site's nav.

Static checks on docs/api/ and mkdocs.yml (no build): a public module dropped from the
reference, a page left out of the navigation or a ``:::`` directive naming something that
does not exist fails here, before anyone runs ``nox -s docs``.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
API = ROOT / "docs" / "api"
DIRECTIVE = re.compile(r"^::: ([\w.]+)\s*$", re.M)

#: The modules the reference must document (issue 16's list, plus the ones lucid grew).
PUBLIC_MODULES = (
    "lucid", "lucid.Tensor", "lucid.ops", "lucid.autograd", "lucid.nn", "lucid.nn.functional",
    "lucid.nn.init", "lucid.nn.utils", "lucid.nn.parallel", "lucid.optim",
    "lucid.optim.lr_scheduler", "lucid.data", "lucid.data.transforms", "lucid.models",
    "lucid.models.hub", "lucid.io", "lucid.backends", "lucid.testing", "lucid.distributed",
    "lucid.visual", "lucid.profiling", "lucid.train", "lucid.train_state", "lucid.metrics_log",
    "lucid.convert",
)


def _directives() -> dict[str, Path]:
    found = {}
    for page in sorted(API.glob("*.md")):
        for target in DIRECTIVE.findall(page.read_text(encoding="utf-8")):
            found[target] = page
    return found


def test_every_public_module_has_a_reference_section() -> None:
    missing = sorted(set(PUBLIC_MODULES) - set(_directives()))
    assert not missing, f"no '::: module' directive in docs/api/*.md for: {missing}"


def test_every_top_level_module_of_lucid_is_in_the_reference() -> None:
    """A new public module under lucid/ needs a page (the CLI is documented by its --help)."""
    import lucid

    modules = {f"lucid.{info.name}" for info in pkgutil.iter_modules(lucid.__path__)
               if not info.name.startswith("_") and info.name != "cli"}
    missing = sorted(modules - set(_directives()))
    assert not missing, f"public modules with no '::: module' in docs/api/*.md: {missing}"


@pytest.mark.parametrize("target", sorted(_directives()))
def test_each_directive_names_an_existing_object(target: str) -> None:
    module, _, attribute = target.rpartition(".")
    try:
        importlib.import_module(target)
    except ModuleNotFoundError:
        assert module, f"{target} is not importable"
        assert hasattr(importlib.import_module(module), attribute), (
            f"{target}: {module} has no attribute {attribute!r}")


def test_every_api_page_is_in_the_nav() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = config[config.index("\nnav:"):]
    absent = [page.name for page in sorted(API.glob("*.md"))
              if f"api/{page.name}" not in nav]
    assert not absent, f"docs/api pages missing from mkdocs.yml's nav: {absent}"
