"""Check the built documentation site the way a reader sees it: in real headless Chromium.

    python tests/docs_site/check_site.py site --out screenshots   # after `mkdocs build`

Serves ``site/`` on a local port and opens every page in Chromium (Playwright driving the
system's browser: no browser download, no node). A page fails when

* the browser logs a console error or an uncaught exception, or a local file is missing;
* it asks for anything outside the local server (the site must work offline: no CDN);
* a Mermaid diagram did not become an SVG (Material renders them into a shadow root, which
  an init script here opens so the check can look inside);
* a formula pymdownx.arithmatex marked was not typeset by KaTeX, or KaTeX reported an error;
* a link, stylesheet, script or image points at a file of the site that does not exist, or
  at a ``#fragment`` that is no element's id in the target page (checked on the HTML files).

A PNG screenshot of every page lands in ``--out``; ``--full-page`` pages are shot whole.
Exit status 0 when every page passes, 1 otherwise (each problem printed with its page),
2 when Chromium or Playwright is missing.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:  # the browser part needs playwright; the link check does not
    from playwright.sync_api import Page, Route

#: Pages shot whole (the rest: the first screenful). Paths relative to the site.
FULL_PAGE = ("index.html", "models/sknet/index.html", "api/index.html")
MERMAID_TIMEOUT_MS = 60_000

# Material renders each Mermaid diagram into a *closed* shadow root; open it for the check.
_OPEN_SHADOW_ROOTS = """
(() => {
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    return attach.call(this, Object.assign({}, init, { mode: "open" }));
  };
})();
"""


# --------------------------------------------------------------------- static HTML checks
class _PageParser(HTMLParser):
    """Collects a page's ids, the URLs it references, and its diagram and math counts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.references: list[tuple[str, str]] = []  # (tag, url)
        self.mermaid = 0
        self.math = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for key in ("id", "name") if tag == "a" else ("id",):
            if values.get(key):
                self.ids.add(values[key])
        classes = values.get("class", "").split()
        if tag == "pre" and "mermaid" in classes:
            self.mermaid += 1
        if "arithmatex" in classes:
            self.math += 1
        for key in ("href", "src"):
            if key in values and tag in ("a", "link", "script", "img", "source", "iframe"):
                self.references.append((tag, values[key]))


@dataclass
class SitePage:
    """One HTML file of the built site, parsed."""

    path: PurePosixPath  # relative to the site root, e.g. api/nn/index.html
    ids: set[str]
    references: list[tuple[str, str]]
    mermaid: int
    math: int


def parse_site(site: Path) -> dict[PurePosixPath, SitePage]:
    """Every ``.html`` file of ``site``, keyed by its path relative to the site."""
    pages = {}
    for file in sorted(site.rglob("*.html")):
        parser = _PageParser()
        parser.feed(file.read_text(encoding="utf-8"))
        relative = PurePosixPath(file.relative_to(site).as_posix())
        pages[relative] = SitePage(relative, parser.ids, parser.references, parser.mermaid,
                                   parser.math)
    return pages


def _target_file(site: Path, page: PurePosixPath, url_path: str) -> PurePosixPath | None:
    """The site file a relative or root-relative URL path from ``page`` names, if any."""
    if url_path.startswith("/"):
        joined = PurePosixPath(url_path.lstrip("/"))
    else:
        joined = page.parent / url_path
    parts: list[str] = []
    for part in joined.parts:
        if part == "..":
            if not parts:
                return None  # climbs out of the site
            parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    target = PurePosixPath(*parts) if parts else PurePosixPath(".")
    on_disk = site / target
    if on_disk.is_dir():
        target = target / "index.html"
        on_disk = site / target
    return target if on_disk.is_file() else None


def broken_links(site: Path, pages: dict[PurePosixPath, SitePage]) -> list[str]:
    """Internal references that name a missing file or a fragment with no such id."""
    problems = []
    for page in pages.values():
        for tag, url in page.references:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or url.startswith(("mailto:", "javascript:")):
                continue  # external: not this site's business (and blocked in the browser)
            path, fragment = unquote(parts.path), unquote(parts.fragment)
            target = _target_file(site, page.path, path) if path else page.path
            if target is None:
                problems.append(f"{page.path}: <{tag}> {url!r} names no file of the site")
                continue
            if fragment and target.suffix == ".html":
                target_page = pages.get(target)
                if target_page is not None and fragment not in target_page.ids:
                    problems.append(f"{page.path}: <{tag}> {url!r}: {target} has no "
                                    f"id {fragment!r}")
    return problems


# ------------------------------------------------------------------------- the browser
@contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1 (a free port) in a thread; yields the base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def find_chromium() -> str | None:
    """``$CHROMIUM``, else the first Chromium on PATH."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _page_url(base: str, path: PurePosixPath) -> str:
    text = path.as_posix()
    return base + (text.removesuffix("index.html") if text.endswith("index.html") else text)


def _render_problems(page: Page, expected_mermaid: int, expected_math: int) -> list[str]:
    """Wait for the page's diagrams and formulas; what did not render."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    problems = []
    if expected_mermaid:
        script = """n => [...document.querySelectorAll("div.mermaid")]
                      .filter(d => d.shadowRoot && d.shadowRoot.querySelector("svg")).length >= n"""
        try:
            page.wait_for_function(script, arg=expected_mermaid,
                                   timeout=MERMAID_TIMEOUT_MS)
        except PlaywrightTimeout:
            rendered = page.evaluate(
                """() => [...document.querySelectorAll("div.mermaid")]
                   .filter(d => d.shadowRoot && d.shadowRoot.querySelector("svg")).length""")
            problems.append(f"{rendered} of {expected_mermaid} Mermaid diagrams rendered to "
                            "an SVG")
    if expected_math:
        counts = page.evaluate(
            """() => { const all = [...document.querySelectorAll(".arithmatex")];
                       return [all.filter(e => e.querySelector(".katex")).length,
                               document.querySelectorAll(".katex-error").length]; }""")
        typeset, errors = counts
        if typeset < expected_math or errors:
            problems.append(f"{typeset} of {expected_math} formulas typeset by KaTeX, "
                            f"{errors} KaTeX errors")
    return problems


def browse(site: Path, pages: dict[PurePosixPath, SitePage], chromium: str, out: Path,
           full_page: tuple[str, ...] = FULL_PAGE) -> list[str]:
    """Open every page in headless Chromium; the problems found, one line each."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    out.mkdir(parents=True, exist_ok=True)
    with serve(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(_OPEN_SHADOW_ROOTS)
        current: list[str] = []

        def outside(route: Route) -> None:
            request = route.request
            if request.url.startswith(base) or request.url.startswith(("data:", "blob:")):
                route.continue_()
            else:
                current.append(f"requested {request.url} (outside the site: no CDN at "
                               "view time)")
                route.abort()

        context.route("**/*", outside)
        page = context.new_page()
        page.on("console", lambda message: current.append(f"console {message.type}: "
                                                          f"{message.text}")
                if message.type == "error" else None)
        page.on("pageerror", lambda error: current.append(f"uncaught: {error}"))
        page.on("response", lambda response: current.append(
            f"HTTP {response.status} for {response.url}") if response.status >= 400 else None)
        for path, info in pages.items():
            current.clear()
            started = time.perf_counter()
            page.goto(_page_url(base, path), wait_until="load")
            page_problems = _render_problems(page, info.mermaid, info.math)
            page.wait_for_timeout(100)  # let late console messages arrive
            name = path.as_posix().removesuffix("index.html").strip("/").replace("/", "__")
            page.screenshot(path=str(out / f"{name or 'home'}.png"),
                            full_page=path.as_posix() in full_page)
            for problem in [*current, *page_problems]:
                problems.append(f"{path}: {problem}")
            print(f"  {path} ({time.perf_counter() - started:.1f} s, "
                  f"{info.mermaid} diagrams, {info.math} formulas)"
                  f"{'' if not current and not page_problems else '  FAILED'}")
        browser.close()
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, nargs="?", default=Path("site"),
                        help="the built site (mkdocs' site_dir); default: site")
    parser.add_argument("--out", type=Path, default=Path("site-screenshots"),
                        help="folder for the PNG screenshots (default: site-screenshots)")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        print(f"{args.site} holds no built site (no index.html): run `mkdocs build` first",
              file=sys.stderr)
        return 1
    pages = parse_site(args.site)
    problems = broken_links(args.site, pages)
    links = sum(len(p.references) for p in pages.values())
    print(f"{len(pages)} pages, {links} references checked on disk: {len(problems)} broken")
    chromium = find_chromium()
    if chromium is None:
        print("no Chromium found: install it (Debian: `apt-get install chromium`) or set "
              "CHROMIUM=/path/to/chromium", file=sys.stderr)
        return 2
    try:
        import playwright  # noqa: F401
    except ModuleNotFoundError:
        print("the check drives Chromium with Playwright: `pip install playwright` (no "
              "`playwright install` needed; it uses the system's Chromium)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    problems += browse(args.site, pages, chromium, args.out)
    print(f"opened {len(pages)} pages in {chromium} in {time.perf_counter() - started:.0f} s; "
          f"screenshots in {args.out}")
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    print(f"{len(problems)} problems" if problems else "every page passed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
