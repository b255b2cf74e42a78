"""Take the instructor's paths off this process's command line.

Any process on the machine may read any other's /proc/<pid>/cmdline (where /proc is not
private), so `grader grade CLASS --out OUT` would tell a worker where the class and the output
live. Python keeps its own copy of argv (sys.argv, sys.orig_argv); the kernel shows the bytes
the process was started with, which this overwrites in place, as setproctitle(3) does.
"""

from __future__ import annotations

import ctypes


def _arg_area() -> tuple[int, int] | None:
    """Start and end address of this process's argv strings (fields 48 and 49 of
    /proc/self/stat, Linux >= 3.5)."""
    try:
        with open("/proc/self/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    fields = stat[stat.rfind(b")") + 2:].split()
    # fields[0] is field 3 (state); arg_start and arg_end are fields 48 and 49
    if len(fields) < 47:
        return None
    start, end = int(fields[45]), int(fields[46])
    return (start, end) if 0 < start < end else None


def hide_command_line(title: str = "grader") -> bool:
    """Replace what /proc/self/cmdline shows with `title`; True when it worked."""
    area = _arg_area()
    if area is None:
        return False
    start, end = area
    size = end - start
    text = title.encode()[: size - 1]
    try:
        ctypes.memset(start, 0, size)
        ctypes.memmove(start, text, len(text))
    except (OSError, ValueError):
        return False
    try:
        with open("/proc/self/cmdline", "rb") as fh:
            return fh.read().rstrip(b"\0") == text
    except OSError:
        return False


__all__ = ["hide_command_line"]
