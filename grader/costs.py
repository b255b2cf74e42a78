"""Where a grading run's CPU goes, for benchmarks/grade_throughput.py: counters that cost nothing
unless TORCHGRADE_COSTS names a folder.

With it set, every process of a run adds up its own CPU seconds (time.thread_time, so a section
counts only the thread that ran it) by part: the zygote's forks and reaps, a worker's set-up
after the fork, its imports, requests, seal checks and exit, the codec on both sides, the
judge's checks. A worker's parts travel to its judge in the reply to the judge's last request
(`verify`), the zygote's in its reap replies; each judge writes what it gathered to
`<folder>/judge-<pid>.json` when it ends. Nothing here changes what is graded.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import time
from pathlib import Path
from typing import Any, Callable, Iterator

ENV = "TORCHGRADE_COSTS"
ON = bool(os.environ.get(ENV))
TOTALS: dict[str, float] = {}
MARKS: dict[str, float] = {}   # a worker's own bookkeeping between reports (grader.sandbox.worker)
_depth: dict[str, int] = {}


def add(part: str, seconds: float) -> None:
    TOTALS[part] = TOTALS.get(part, 0.0) + seconds


@contextlib.contextmanager
def measure(part: str) -> Iterator[None]:
    """CPU seconds of this thread in the block, added to `part` (nothing when off)."""
    if not ON:
        yield
        return
    start = time.thread_time()
    try:
        yield
    finally:
        add(part, time.thread_time() - start)


def take() -> dict[str, float]:
    """The totals so far, and start again from zero (what a reply carries to the judge)."""
    out = dict(TOTALS)
    TOTALS.clear()
    return out


def absorb(parts: Any, prefix: str = "") -> None:
    """Add what another process measured (plain data from a reply: checked, never trusted
    further than a benchmark's figure)."""
    if type(parts) is dict:
        for k, v in parts.items():
            if type(k) is str and type(v) in (int, float):
                add(prefix + k, float(v))


def timed(part: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """fn, its CPU time added to `part` (the outermost call only: to_plain calls itself)."""
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        if _depth.get(part):
            return fn(*args, **kwargs)
        _depth[part] = 1
        start = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            _depth[part] = 0
            add(part, time.thread_time() - start)
    return call


def time_codec(prefix: str) -> None:
    """Count the codec's work in this process under `<prefix>codec` (before the engine is
    sealed, in the zygote; at start in a judge)."""
    if not ON:
        return
    from grader.checks import codec
    if getattr(codec.to_plain, "_tg_timed", False):
        return
    for name in ("to_plain", "from_plain", "dumps", "loads"):
        wrapped = timed(prefix + "codec", getattr(codec, name))
        wrapped._tg_timed = True  # type: ignore[attr-defined]
        setattr(codec, name, wrapped)


def write(kind: str, extra: dict[str, float] | None = None) -> None:
    """This process's totals into the folder TORCHGRADE_COSTS names."""
    folder = os.environ.get(ENV)
    if not folder:
        return
    data = {**TOTALS, **(extra or {}), "process_cpu": time.process_time()}
    try:
        Path(folder, f"{kind}-{os.getpid()}.json").write_text(json.dumps(data))
    except OSError:
        pass


__all__ = ["ON", "add", "measure", "take", "absorb", "timed", "time_codec", "write"]
