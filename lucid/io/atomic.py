"""Atomic file writes whose leftovers are recognisable and cleaned up.

A file is written to a temporary file beside the target, fsynced and renamed over it, so a
reader sees the old file or the new one, never half of one. The temporary file is named

    .<target name>.<host>.<pid>.<random>.lucid-tmp

so that a save killed mid-write (SIGKILL, power loss) leaves something anyone can recognise,
and the next save to the same target removes it. A leftover is *stale*, and removed, when

* it was written on this host by a process that no longer exists (``kill(pid, 0)`` says so;
  never our own pid: another thread of this process may be writing it), or
* it has not been modified for :data:`STALE_AFTER_S` (a day), whoever wrote it: a live
  writer keeps modifying its file, and one on another host sharing the folder cannot be
  asked whether it is alive.

A concurrent writer's live file is neither, so it is never touched. (A dead writer whose pid
was reused is kept until the age rule applies; that costs disk space, never data.)
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

TEMP_SUFFIX = ".lucid-tmp"
#: Leftovers untouched for this long are removed whatever wrote them (seconds).
STALE_AFTER_S = 24 * 3600


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"


def _process_exists(pid: int) -> bool:
    if os.name != "posix":  # no harmless probe elsewhere: only the age rule applies
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, under another user
        return True
    return True


def _is_stale(entry: os.DirEntry[str], prefix: str, now: float) -> bool:
    try:
        age = now - entry.stat(follow_symlinks=False).st_mtime
    except OSError:
        return False
    if age > STALE_AFTER_S:
        return True
    parts = entry.name[len(prefix):-len(TEMP_SUFFIX)].rsplit(".", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    host, pid = parts[0], int(parts[1])
    return host == _host() and pid != os.getpid() and not _process_exists(pid)


def remove_stale_temp_files(target: str | os.PathLike[str]) -> list[Path]:
    """Remove the stale leftovers of interrupted writes to ``target``; return what went."""
    target = Path(target)
    prefix = f".{target.name}."
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        if (entry.name.startswith(prefix) and entry.name.endswith(TEMP_SUFFIX)
                and entry.is_file(follow_symlinks=False) and _is_stale(entry, prefix, now)):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


@contextlib.contextmanager
def atomic_write(target: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary file that becomes ``target`` when the block ends, and vanishes if it raises."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{_host()}.{os.getpid()}.",
                               suffix=TEMP_SUFFIX, dir=target.parent)
    try:
        with os.fdopen(fd, "w+b") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


__all__ = ["STALE_AFTER_S", "TEMP_SUFFIX", "atomic_write", "remove_stale_temp_files"]
