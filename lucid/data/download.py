"""Fetching a dataset file: checksum-verified, atomic, with a progress bar when tqdm is there.

``download_url`` streams to a temporary file beside the target, checks the MD5 or SHA-256,
and only then moves it into place with ``os.replace``, so an interrupted or corrupted
download never leaves a file that looks complete. Any URL ``urllib`` opens works (also
``file://``, which the tests use); no network is touched unless a download is asked for.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20


def file_digest(path: str | os.PathLike[str], algorithm: str = "md5") -> str:
    """The hex digest of a file (``md5`` or ``sha256``), read in chunks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def check_integrity(path: str | os.PathLike[str], md5: str | None = None,
                    sha256: str | None = None) -> bool:
    """Whether ``path`` exists and matches the given checksum (any file, when none given)."""
    if not os.path.isfile(path):
        return False
    if sha256 is not None:
        return file_digest(path, "sha256") == sha256.lower()
    if md5 is not None:
        return file_digest(path, "md5") == md5.lower()
    return True


def _progress(total: int | None, desc: str) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:  # progress bars are optional
        return None
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=desc,
                leave=False)


def download_url(url: str | Sequence[str], root: str | os.PathLike[str],
                 filename: str | None = None, md5: str | None = None,
                 sha256: str | None = None, timeout: float = 60.0) -> Path:
    """Download ``url`` (or the first of several mirrors that works) to ``root/filename``.

    A file already there with the right checksum is kept. Raises ``RuntimeError`` naming
    every URL tried and why it failed (offline, HTTP error, checksum mismatch).
    """
    urls = [url] if isinstance(url, str) else list(url)
    root = Path(root)
    name = filename or os.path.basename(urls[0].rstrip("/"))
    target = root / name
    if check_integrity(target, md5, sha256):
        return target
    root.mkdir(parents=True, exist_ok=True)
    errors = []
    for u in urls:
        try:
            _fetch(u, target, md5, sha256, timeout)
            return target
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            errors.append(f"{u}: {reason}")
    raise RuntimeError(f"could not download {name} (are you offline?). Tried:\n  "
                       + "\n  ".join(errors)
                       + f"\nDownload it by hand and put it at {target}")


def _fetch(url: str, target: Path, md5: str | None, sha256: str | None,
           timeout: float) -> None:
    algorithm, expected = ("sha256", sha256) if sha256 else ("md5", md5)
    h = hashlib.new(algorithm)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as r:
            length = r.headers.get("Content-Length") if getattr(r, "headers", None) else None
            bar = _progress(int(length) if length else None, target.name)
            try:
                for block in iter(lambda: r.read(_CHUNK), b""):
                    out.write(block)
                    h.update(block)
                    if bar is not None:
                        bar.update(len(block))
            finally:
                if bar is not None:
                    bar.close()
        if expected is not None and h.hexdigest() != expected.lower():
            raise ValueError(f"{algorithm} checksum mismatch: expected {expected}, got "
                             f"{h.hexdigest()} (the download is damaged or the file changed)")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def extract_tar(archive: str | os.PathLike[str], into: str | os.PathLike[str]) -> None:
    """Unpack a (gzipped) tar archive, refusing members that would land outside ``into``."""
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
