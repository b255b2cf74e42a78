"""Writing a file atomically: readers see the old content or the new, never half of it.

The temporary file is made by `tempfile.mkstemp` in the target's folder (a fresh name, opened
with O_EXCL), so a link planted where we write (a submission's results folder) is never
followed; `os.replace` then swaps whatever is at the path, file or link, for ours.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes | str, mode: int = 0o644) -> Path:
    """Write `data` to `path` atomically, with permissions `mode`; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


__all__ = ["atomic_write"]
