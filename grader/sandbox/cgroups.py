"""A memory cgroup per worker: everything a worker holds counts against its limit.

RLIMIT_AS caps address space, not memory: pages in a memfd or a tmpfs file are held without being
mapped, so a worker could hold more than its limit through them. The kernel charges every page a
process brings in (heap, memfd, tmpfs and /dev/shm files, page cache, its DataLoader children's)
to its memory cgroup, so as root each worker gets one, capped at its limit, with no swap; past it
the kernel reclaims what it can and then kills the worker (the student's `oom`).

Where the cgroups live, by the machine's cgroup version:
- v1 (a `memory` hierarchy, e.g. /sys/fs/cgroup/memory): under the zygote's own memory cgroup,
  `<its cgroup>/torchgrade-<zygote pid>/w-<worker pid>`;
- v2 (unified): a cgroup may hand controllers down only if no process sits in it, so
  `torchgrade-<zygote pid>` is made beside the zygote's cgroup, in the nearest one up the tree
  whose children already get the memory controller (or in the root), `w-<worker pid>` under it.

None of that is possible when not root, or when no cgroup up the tree hands the memory
controller down (a container's own root cgroup holds its processes): then RLIMIT_AS is the
fallback, memfds are refused (seccomp) and the sandbox level says so.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass

PREFIX = "torchgrade-"
MOUNTINFO = "/proc/self/mountinfo"
OWN_CGROUPS = "/proc/self/cgroup"


@dataclass(frozen=True)
class MemoryCgroups:
    """The zygote's parent cgroup; one child per worker under it."""
    version: int
    parent: str

    def path(self, pid: int) -> str:
        return os.path.join(self.parent, f"w-{pid}")

    def join(self, limit_mb: int) -> None:
        """In a new worker, still root, before any student code: a cgroup of its own, capped at
        `limit_mb` with no swap, and this process moved into it (its children follow)."""
        path = self.path(os.getpid())
        os.mkdir(path)
        limit = str(int(limit_mb) << 20)
        if self.version == 2:
            _write(path, "memory.max", limit)
            _write(path, "memory.swap.max", "0", optional=True)
            _write(path, "memory.oom.group", "1", optional=True)   # its DataLoader children go too
        else:
            _write(path, "memory.limit_in_bytes", limit)
            _write(path, "memory.memsw.limit_in_bytes", limit, optional=True)  # memory + swap
            _write(path, "memory.swappiness", "0", optional=True)
        _write(path, "cgroup.procs", str(os.getpid()))

    def release(self, pid: int) -> dict:
        """Once the worker is reaped: did its cgroup kill it for lack of memory, and how much did
        it hold at most; then the cgroup is removed."""
        path = self.path(pid)
        if not os.path.isdir(path):
            return {}
        if self.version == 2:
            events = _counters(path, "memory.events")
            peak = _read_int(path, "memory.peak")
        else:
            events = _counters(path, "memory.oom_control")
            peak = _read_int(path, "memory.max_usage_in_bytes")
        _kill_all(path)     # nothing should be left: the zygote swept its orphans
        _remove(path)
        return {"oom_killed": events.get("oom_kill", 0) > 0,
                "memory_peak_mb": None if peak is None else round(peak / (1 << 20), 1)}

    def close(self) -> None:
        """The zygote is ending: every worker cgroup left, then the parent."""
        remove_parent(self.parent)

    def describe(self) -> str:
        return (f"memory: a cgroup (v{self.version}) per worker counts all it holds (heap, memfd, "
                "tmpfs files, page cache), no swap")


def create() -> tuple[MemoryCgroups | None, str]:
    """The zygote's parent cgroup, or None and why not. Proven by moving a throw-away child into a
    worker cgroup of its own."""
    from grader.sandbox.children import in_child

    if os.getuid() != 0:
        return None, "not root"
    try:
        found = _v1_base() or _v2_base()
    except OSError as exc:
        return None, f"cgroups unreadable ({exc})"
    if found is None:
        return None, "no cgroup hands the memory controller down"
    version, base = found
    _sweep_stale(base)
    parent = os.path.join(base, f"{PREFIX}{os.getpid()}")
    try:
        os.mkdir(parent)
        if version == 2:
            _write(parent, "cgroup.subtree_control", "+memory")
    except OSError as exc:
        remove_parent(parent)
        return None, f"cannot make a cgroup under {base} ({exc.strerror})"
    groups = MemoryCgroups(version, parent)
    joined = in_child(lambda: groups.join(64))
    remove_workers(parent)
    if not joined:
        remove_parent(parent)
        return None, f"cannot move a process into a cgroup under {base}"
    return groups, ""


# ---------------------------------------------------------------------------- finding the place


def _mounts(fstype: str) -> list[tuple[str, str, str]]:
    """(mount point, root within the hierarchy, super options) of every mount of `fstype`."""
    found = []
    with open(MOUNTINFO) as fh:
        for line in fh:
            left, _, right = line.partition(" - ")
            fields, tail = left.split(), right.split()
            if len(fields) >= 5 and len(tail) >= 3 and tail[0] == fstype:
                found.append((fields[4].replace("\\040", " "), fields[3], tail[2]))
    return found


def _own(controller: str) -> str | None:
    """This process's cgroup in the hierarchy of `controller` ("" for v2)."""
    with open(OWN_CGROUPS) as fh:
        for line in fh:
            _id, controllers, path = line.rstrip("\n").split(":", 2)
            if (controller == "" and _id == "0" and controllers == "") or controller in controllers.split(","):
                return path
    return None


def _inside(mount: str, root: str, path: str) -> str | None:
    rel = os.path.relpath(path, root)
    return None if rel.startswith("..") else os.path.normpath(os.path.join(mount, rel))


def _v1_base() -> tuple[int, str] | None:
    own = _own("memory")
    for mount, root, options in _mounts("cgroup"):
        if own is not None and "memory" in options.split(","):
            base = _inside(mount, root, own)
            if base and os.access(base, os.W_OK):
                return 1, base
    return None


def _v2_base() -> tuple[int, str] | None:
    own = _own("")
    for mount, root, _options in _mounts("cgroup2"):
        if own is None or "memory" not in _read(mount, "cgroup.controllers").split():
            continue
        here = _inside(mount, root, own)
        while here is not None:
            # a cgroup whose children get the memory controller; the root may always hand it down
            if "memory" in _read(here, "cgroup.subtree_control").split():
                return 2, here
            if os.path.normpath(here) == os.path.normpath(mount):
                try:
                    _write(here, "cgroup.subtree_control", "+memory")
                    return 2, here
                except OSError:
                    break
            here = os.path.dirname(here)
    return None


def _sweep_stale(base: str) -> None:
    """Parents left by zygotes that were killed before they could clean up."""
    try:
        entries = os.listdir(base)
    except OSError:
        return
    for name in entries:
        if name.startswith(PREFIX) and name[len(PREFIX):].isdigit() and \
                not os.path.exists(f"/proc/{name[len(PREFIX):]}"):
            remove_parent(os.path.join(base, name))


def remove_workers(parent: str) -> None:
    """Every worker cgroup under `parent`, and what is still in it."""
    try:
        children = [e for e in os.listdir(parent) if e.startswith("w-")]
    except OSError:
        return
    for name in children:
        path = os.path.join(parent, name)
        _kill_all(path)
        _remove(path)


def remove_parent(parent: str) -> None:
    remove_workers(parent)
    _remove(parent)


# ---------------------------------------------------------------------------- files


def _kill_all(path: str) -> bool:
    killed = False
    for _ in range(100):
        pids = _pids(path)
        if not pids:
            break
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
                killed = True
            except ProcessLookupError:
                pass
        time.sleep(0.001)
    return killed


def _remove(path: str) -> None:
    """rmdir, a few times: a killed process leaves its cgroup a moment after it dies."""
    for attempt in range(50):
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.002 * (attempt + 1))


def _read(path: str, name: str) -> str:
    try:
        with open(os.path.join(path, name)) as fh:
            return fh.read()
    except OSError:
        return ""


def _read_int(path: str, name: str) -> int | None:
    text = _read(path, name).strip()
    return int(text) if text.isdigit() else None


def _counters(path: str, name: str) -> dict[str, int]:
    out = {}
    for line in _read(path, name).splitlines():
        key, _, value = line.partition(" ")
        if value.strip().isdigit():
            out[key] = int(value)
    return out


def _pids(path: str) -> list[int]:
    return [int(p) for p in _read(path, "cgroup.procs").split() if p.isdigit()]


def _write(path: str, name: str, value: str, *, optional: bool = False) -> None:
    target = os.path.join(path, name)
    if optional and not os.path.exists(target):
        return
    with open(target, "w") as fh:
        fh.write(value)
