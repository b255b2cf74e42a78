"""What a judge computes once per course version and machine, kept between runs: every check's
time budget (what the check took against the reference solution, judge.REFERENCE_FACTOR) and
the reference answers that calibration computed (grader/checks/refcache.py). Without it every
judge of every run timed every check again (about 3 CPU-seconds for the whole course).

Where: the user's cache directory ($TORCHGRADE_CACHE_DIR, else $XDG_CACHE_HOME/torchgrade, else
~/.cache/torchgrade), one file per machine. Budgets are timings of this machine and reference
answers are floating-point results of its torch build and thread count, so neither belongs in the
course (a cache in the course's repository would be committed and read on another machine).
Reference answers are as secret as the solutions: the directory and file are the user's alone
(0700/0600), and the scheduler names the directory among the paths no worker may read.

Keys: the file name holds the machine (architecture, CPU model, cores), Python's, torch's and
numpy's versions and the engine's own code (every grader/*.py); inside, each entry is keyed by
the exercise's checks digest (its course.toml entry, visible and hidden checks, reference
solution: gradebook.checks_digest), the device, torch's threads in the judge and the settings a
budget depends on (check timeout, GPU policy). A stale entry is never read: its key differs. A
file that cannot be read, is cut short or holds anything but the expected shape counts as empty
and is rewritten; writes go to a temporary file renamed over the old one, so a reader sees the
old file or the new one, never half of one. TORCHGRADE_JUDGE_CACHE=off turns it off.
"""

from __future__ import annotations

import hashlib
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FORMAT = 1
ENV = "TORCHGRADE_JUDGE_CACHE"
MAX_ENTRIES = 400          # exercises x settings kept per machine; the oldest used go first
GRADER = Path(__file__).resolve().parents[1]


def enabled() -> bool:
    return os.environ.get(ENV, "on").strip().lower() not in ("0", "off", "false", "no")


def cache_dir() -> Path:
    given = os.environ.get("TORCHGRADE_CACHE_DIR")
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "torchgrade"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith(("model name", "Model", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def engine_digest() -> str:
    """The engine's own code: a change to any of it may change an answer or a budget."""
    h = hashlib.sha256()
    for path in sorted(GRADER.rglob("*.py")):
        h.update(str(path.relative_to(GRADER)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def machine_key() -> str:
    import numpy
    import torch
    parts = [platform.machine(), _cpu_model(), str(os.cpu_count()), sys.version, str(torch.__version__),
             str(numpy.__version__), engine_digest()]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]


class JudgeCache:
    """One judge's view of the cache file: read once, entries added, written back at save()."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else cache_dir() / f"judge-{machine_key()}.msgpack"
        self.entries: dict[str, dict] = _read(self.path) if enabled() else {}
        self._new: dict[str, dict] = {}

    def get(self, key: str) -> dict | None:
        entry = self._new.get(key) or self.entries.get(key)
        if entry is not None:
            entry["used"] = time.time()
        return entry

    def put(self, key: str, entry: dict) -> None:
        entry = dict(entry, used=time.time())
        self._new[key] = entry

    def save(self) -> None:
        """Write what this judge added, merged with what the file holds now (another judge may
        have written since): the newest entries win, at most MAX_ENTRIES."""
        if not self._new or not enabled():
            return
        merged = {**_read(self.path), **self._new}
        kept = dict(sorted(merged.items(), key=lambda kv: kv[1].get("used", 0.0))[-MAX_ENTRIES:])
        try:
            _write(self.path, {"format": FORMAT, "entries": kept})
        except OSError:
            return        # a cache that cannot be written costs time, never a grade
        self.entries.update(self._new)
        self._new.clear()


def budgets_key(checks_digest: str, settings: dict) -> str:
    """An exercise's budgets and answers under these settings (threads, device, timeouts)."""
    import json
    return hashlib.sha256((checks_digest + "\0" + json.dumps(settings, sort_keys=True)).encode()).hexdigest()[:32]


def valid_budgets(value: Any) -> dict[str, float] | None:
    """A check id -> seconds table as the cache must hold it, else None."""
    if type(value) is not dict:
        return None
    for k, v in value.items():
        if type(k) is not str or type(v) is not float or not math.isfinite(v) or v <= 0:
            return None
    return value


def _read(path: Path) -> dict[str, dict]:
    import msgpack
    try:
        with open(path, "rb") as fh:
            data = msgpack.unpackb(fh.read(), raw=False, strict_map_key=True)
    except (OSError, ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError, TypeError):
        return {}
    if type(data) is not dict or data.get("format") != FORMAT or type(data.get("entries")) is not dict:
        return {}
    return {k: v for k, v in data["entries"].items() if type(k) is str and type(v) is dict}


def _write(path: Path, data: dict) -> None:
    import msgpack
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=".judge-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(msgpack.packb(data, use_bin_type=True))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


__all__ = ["JudgeCache", "budgets_key", "cache_dir", "enabled", "valid_budgets", "ENV"]
