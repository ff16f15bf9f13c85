"""Fetch the JavaScript the docs site runs (Mermaid, KaTeX) into ``docs/assets/vendor/``.

Material for MkDocs would load Mermaid from unpkg.com and the math examples from a CDN at
view time; the built site must work offline, so the pinned npm tarballs are downloaded once
at build time, checked against the registry's SHA-512 integrity string, and the few files
the pages need are unpacked (the folder is git-ignored). ``mkdocs build`` stops with a
message naming this script when they are missing (see ``docs/_build/site_hooks.py``).

    python docs/_build/vendor_assets.py            # fetch what is missing or out of date
    python docs/_build/vendor_assets.py --check    # exit 1 and say what is missing
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import shutil
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "assets" / "vendor"
REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class Package:
    """One npm tarball: what to take from it (tarball path prefix -> path under VENDOR)."""

    name: str
    version: str
    integrity: str  # the registry's ``dist.integrity`` (sha512-<base64>)
    files: dict[str, str]

    @property
    def url(self) -> str:
        return f"{REGISTRY}/{self.name}/-/{self.name}-{self.version}.tgz"

    @property
    def stamp(self) -> Path:
        return VENDOR / self.name / ".version"


#: Mermaid: the same major version Material expects (it loads ``mermaid@11``) and the one the
#: ``nox -s mermaid`` check renders with; KaTeX: its renderer, stylesheet, fonts and the
#: auto-render extension that finds pymdownx.arithmatex's ``.arithmatex`` spans.
PACKAGES = (
    Package("mermaid", "11.17.2",
            "sha512-V6K3C8EBdEsPFZXSKMJe6ppQOENxuHARr9GvHX4hh47lAbhMRD9qf4oEK7LoaRQxULMa80/qt5gHO73aCleBBg==",
            {"package/dist/mermaid.min.js": "mermaid.min.js",
             "package/LICENSE": "LICENSE"}),
    Package("katex", "0.16.25",
            "sha512-woHRUZ/iF23GBP1dkDQMh1QBad9dmr8/PAwNA54VrSOVYgI12MAcE14TqnDdQOdzyEonGzMepYnqBMYdsoAr8Q==",
            {"package/dist/katex.min.js": "katex.min.js",
             "package/dist/katex.min.css": "katex.min.css",
             "package/dist/fonts/": "fonts/",
             "package/dist/contrib/auto-render.min.js": "contrib/auto-render.min.js",
             "package/LICENSE": "LICENSE"}),
)

#: The files the site's pages reference (mkdocs.yml's extra_javascript / extra_css).
REQUIRED = ("mermaid/mermaid.min.js", "katex/katex.min.js", "katex/katex.min.css",
            "katex/contrib/auto-render.min.js")


def missing() -> list[str]:
    """What the built site would lack: files absent or of another pinned version."""
    out = [name for name in REQUIRED if not (VENDOR / name).is_file()]
    for package in PACKAGES:
        if not package.stamp.is_file() or package.stamp.read_text().strip() != package.version:
            out.append(f"{package.name}@{package.version}")
    return out


def _verified_download(package: Package) -> bytes:
    """The tarball's bytes; ValueError if they do not match the pinned SHA-512."""
    try:
        with urllib.request.urlopen(package.url, timeout=120) as response:  # noqa: S310
            data = response.read()
    except OSError as exc:  # URLError, timeouts: no network or no registry
        raise SystemExit(f"could not fetch {package.url} ({exc}); the docs site needs "
                         f"{package.name}@{package.version}: run this script where "
                         "registry.npmjs.org is reachable, or copy docs/assets/vendor/ over"
                         ) from exc
    algorithm, _, expected = package.integrity.partition("-")
    if algorithm != "sha512":
        raise ValueError(f"{package.name}: integrity must be 'sha512-<base64>', got "
                         f"{package.integrity!r}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise ValueError(f"{package.name}@{package.version}: the tarball from {package.url} has "
                         f"SHA-512 {actual}, expected {expected} (pinned in {__file__})")
    return data


def _unpack(package: Package, data: bytes) -> None:
    """Write the wanted members of the tarball under ``VENDOR/<name>/``."""
    target = VENDOR / package.name
    if target.exists():
        shutil.rmtree(target)
    found: set[str] = set()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            if not member.isfile():
                continue
            for prefix, destination in package.files.items():
                if member.name == prefix or (prefix.endswith("/")
                                             and member.name.startswith(prefix)):
                    relative = destination + member.name[len(prefix):]
                    path = (target / relative).resolve()
                    if target.resolve() not in path.parents:
                        raise ValueError(f"{package.name}: member {member.name!r} escapes "
                                         f"{target}")
                    path.parent.mkdir(parents=True, exist_ok=True)
                    extracted = archive.extractfile(member)
                    assert extracted is not None  # a regular file always has content
                    path.write_bytes(extracted.read())
                    found.add(prefix)
    absent = set(package.files) - found
    if absent:
        raise ValueError(f"{package.name}@{package.version}: the tarball has no "
                         f"{', '.join(sorted(absent))}")
    package.stamp.write_text(package.version + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only report what is missing (exit status 1 when anything is)")
    args = parser.parse_args(argv)
    lacking = missing()
    if args.check:
        if lacking:
            print(f"missing in {VENDOR}: {', '.join(lacking)}", file=sys.stderr)
        return 1 if lacking else 0
    for package in PACKAGES:
        if package.stamp.is_file() and package.stamp.read_text().strip() == package.version:
            continue
        print(f"fetching {package.url}")
        _unpack(package, _verified_download(package))
    print(f"vendored assets ready in {VENDOR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
