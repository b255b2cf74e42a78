"""The path policy: what a worker may read (the Python install, the engine, a few system
files), which instructor paths it must not, and the GPU device files."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.sandbox.state import ZygoteState


def read_paths() -> list[str]:
    """The Python installation, its packages, the engine's own package, system libraries."""
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix,
                                               sys.base_exec_prefix)}
    paths = set(prefixes)
    for entry in sys.path:
        if not entry or not os.path.isdir(entry):
            continue
        real = os.path.realpath(entry)
        # never a course root that happens to be on sys.path: only installs and package dirs
        if any(real.startswith(p + os.sep) for p in prefixes) or real.endswith(("-packages", ".zip")):
            paths.add(real)
    import grader
    paths.add(os.path.realpath(os.path.dirname(grader.__file__)))
    for mod in ("torch", "numpy"):
        module = sys.modules.get(mod)
        where = getattr(module, "__file__", None) if module is not None else None
        if where:
            paths.add(os.path.realpath(os.path.dirname(os.path.dirname(where))))
    paths.update(["/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/proc", "/sys",
                  "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
                  "/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/hosts", "/etc/alternatives",
                  "/etc/os-release", "/etc/mime.types", "/dev/urandom", "/dev/random", "/dev/zero",
                  "/dev/full"])
    return sorted(p for p in paths if os.path.exists(p))


def exposed_paths(state: ZygoteState, protect: list[str] | tuple[str, ...]) -> list[str]:
    """Instructor paths (solutions, checks, output) that fall inside something workers may read:
    a course kept under /usr, say. Landlock cannot carve an exception out of a granted tree."""
    if state.abi <= 0:
        return [str(p) for p in protect]
    found = []
    for path in protect:
        real = os.path.realpath(path)
        if inside(real, tuple(state.read_paths)):
            found.append(real)
    return found


def device_paths() -> list[str]:
    found = []
    for entry in os.listdir("/dev"):
        if entry.startswith("nvidia") or entry in ("dri", "kfd"):
            found.append(os.path.join("/dev", entry))
    return found


def inside(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)
