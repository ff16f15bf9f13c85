"""MkDocs hook of the site's machinery: refuse to build without the vendored scripts.

The pages load Mermaid and KaTeX from ``docs/assets/vendor/`` (no CDN at view time).
Without them the site would build "fine" and show raw diagram text and TeX, so the build
stops here with the command that fetches them.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

_VENDOR_SCRIPT = Path(__file__).with_name("vendor_assets.py")


def _vendor_module() -> Any:
    spec = importlib.util.spec_from_file_location("lucid_docs_vendor_assets", _VENDOR_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def on_config(config: Any) -> Any:
    lacking = _vendor_module().missing()
    if lacking:
        raise PluginError(
            "the docs site needs its vendored JavaScript (Mermaid, KaTeX), missing in "
            f"docs/assets/vendor/: {', '.join(lacking)}. Fetch them with "
            "`python docs/_build/vendor_assets.py` (or run `nox -s docs`, which does).")
    return config

