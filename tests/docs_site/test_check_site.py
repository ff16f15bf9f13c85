"""The docs-site check finds what it claims to find: broken links, unrendered diagrams and math,
console errors and requests outside the site (on small hand-written sites, not lucid's)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path, PurePosixPath

import pytest

HERE = Path(__file__).parent
VENDOR = HERE.parent.parent / "docs" / "assets" / "vendor"


def _load_check():
    spec = importlib.util.spec_from_file_location("lucid_docs_check_site", HERE / "check_site.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


check = _load_check()


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_links_to_missing_files_and_fragments_are_reported(tmp_path: Path) -> None:
    site = _write(tmp_path, {
        "index.html": '<h1 id="top">x</h1><a href="guide/">ok</a> <a href="guide/#setup">ok</a>'
                      ' <a href="#top">ok</a> <a href="missing/">bad</a>'
                      ' <a href="guide/#nowhere">bad</a> <a href="https://example.org/x">ext</a>'
                      ' <link href="assets/site.css"> <script src="assets/gone.js"></script>',
        "guide/index.html": '<h2 id="setup">s</h2><a href="../">ok</a><a href="../../out">bad</a>'
                            '<img src="../assets/site.css">',
        "assets/site.css": "body {}",
    })
    problems = check.broken_links(site, check.parse_site(site))
    assert sorted(problems) == sorted([
        "index.html: <a> 'missing/' names no file of the site",
        "index.html: <a> 'guide/#nowhere': guide/index.html has no id 'nowhere'",
        "index.html: <script> 'assets/gone.js' names no file of the site",
        "guide/index.html: <a> '../../out' names no file of the site",
    ])


def test_counts_diagrams_and_formulas_per_page(tmp_path: Path) -> None:
    site = _write(tmp_path, {"index.html": '<pre class="mermaid"><code>graph LR\na-->b</code>'
                                           '</pre><span class="arithmatex">\\(x\\)</span>'
                                           '<div class="arithmatex">\\[y\\]</div>'})
    page = check.parse_site(site)[PurePosixPath("index.html")]
    assert (page.mermaid, page.math) == (1, 2)


def _browser_or_skip() -> str:
    chromium = check.find_chromium()
    if chromium is None:
        pytest.skip("needs Chromium (apt-get install chromium, or CHROMIUM=/path)")
    pytest.importorskip("playwright", reason="needs the playwright package (pip install "
                        "playwright; no browser download)")
    if not (VENDOR / "mermaid" / "mermaid.min.js").is_file():
        pytest.skip("needs the vendored Mermaid/KaTeX: python docs/_build/vendor_assets.py")
    return chromium


# A page that renders its diagrams the way Material does: into a closed shadow root.
_PAGE = """<!doctype html><html><head>
<script src="{up}vendor/mermaid/mermaid.min.js"></script>
<script src="{up}vendor/katex/katex.min.js"></script>
<script src="{up}vendor/katex/contrib/auto-render.min.js"></script>
<link rel="stylesheet" href="{up}vendor/katex/katex.min.css">
</head><body>{body}
<script>
mermaid.initialize({{startOnLoad: false}});
(async () => {{
  let n = 0;
  for (const pre of document.querySelectorAll("pre.mermaid")) {{
    const {{svg}} = await mermaid.render("d" + n++, pre.textContent);
    const div = document.createElement("div");
    div.className = "mermaid";
    div.attachShadow({{mode: "closed"}}).innerHTML = svg;
    pre.replaceWith(div);
  }}
}})();
document.querySelectorAll(".arithmatex").forEach(e => renderMathInElement(e, {{
  delimiters: [{{left: "\\\\(", right: "\\\\)", display: false}}], throwOnError: true}}));
</script></body></html>"""


def _site(tmp_path: Path, pages: dict[str, str]) -> Path:
    site = tmp_path / "site"
    shutil.copytree(VENDOR, site / "vendor")
    for name, body in pages.items():
        up = "../" * name.count("/")
        _write(site, {name: _PAGE.format(up=up, body=body)})
    return site


@pytest.mark.slow
def test_a_good_page_passes_in_chromium(tmp_path: Path) -> None:
    chromium = _browser_or_skip()
    site = _site(tmp_path, {"index.html": '<pre class="mermaid">graph LR\n a --> b</pre>'
                                          '<p><span class="arithmatex">\\(x^2\\)</span></p>'})
    problems = check.browse(site, check.parse_site(site), chromium, tmp_path / "shots")
    assert problems == []
    assert (tmp_path / "shots" / "home.png").stat().st_size > 1000


@pytest.mark.slow
def test_broken_diagram_math_console_error_and_cdn_request_fail(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chromium = _browser_or_skip()
    monkeypatch.setattr(check, "MERMAID_TIMEOUT_MS", 5_000)
    site = _site(tmp_path, {
        "index.html": '<pre class="mermaid">graph LR\n a --> (( b</pre>',
        "math/index.html": '<span class="arithmatex">\\(\\frac{x\\)</span>',
        "noisy/index.html": '<script>console.error("boom")</script>',
        "cdn/index.html": '<img src="https://unpkg.com/x.png">',
    })
    problems = "\n".join(check.browse(site, check.parse_site(site), chromium,
                                      tmp_path / "shots"))
    assert "index.html: 0 of 1 Mermaid diagrams rendered" in problems
    assert "math/index.html: 0 of 1 formulas typeset" in problems
    assert "noisy/index.html: console error: boom" in problems
    assert "cdn/index.html: requested https://unpkg.com/x.png" in problems
