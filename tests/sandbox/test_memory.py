"""All of a worker's memory counts against its limit: a memory cgroup per worker as root (memfds,
tmpfs files, its children), RLIMIT_AS where there is none (memfds refused then). What a worker
held is read from outside it: the zygote's report of its cgroup, not the worker's word."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from grader.checks.student_errors import OutOfMemory
from grader.checks.student import Student
from grader.sandbox import Limits, Zygote, cgroups

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the sandbox needs Linux")

LIMIT_MB = 256
FILL = """
import os, torch
def memfd(mb):
    try:
        fd = os.memfd_create("hoard")
    except OSError as exc:
        return ["refused", 0, exc.errno]
    held = 0
    chunk = b"x" * (16 << 20)
    try:
        while held < mb:
            os.write(fd, chunk)
            held += 16
    except OSError as exc:
        return ["stopped", held, exc.errno]
    return ["held", held, 0]
def scratch_file(mb):
    held = 0
    chunk = b"x" * (16 << 20)
    with open("hoard.bin", "wb") as fh:
        while held < mb:
            fh.write(chunk)
            fh.flush()
            held += 16
    return held
def tensor(mb):
    return int(torch.ones(mb << 18).sum().item()) >> 18      # mb of float32, touched
def where():
    with open("/proc/self/cgroup") as fh:
        return fh.read()
"""


@pytest.fixture(scope="module")
def zyg():
    z = Zygote(device="cpu", limits=Limits(memory_mb=LIMIT_MB, max_processes=64, scratch_mb=1024,
                                           file_size_mb=1024))
    yield z
    z.close()


def _spawn(zyg: Zygote):
    worker = zyg.spawn({"m.py": textwrap.dedent(FILL).encode()}, "m.py", "m", {})
    return worker, Student(worker, timeout=60)


def _counted(zyg: Zygote) -> bool:
    return "memory: a cgroup" in zyg.sandbox_level


def test_memory_held_in_a_memfd_never_exceeds_the_limit(zyg):
    worker, student = _spawn(zyg)
    try:
        outcome = student.memfd(2 * LIMIT_MB)
    except OutOfMemory as exc:
        outcome = ["oom", str(exc)]
    report = worker.close()
    if _counted(zyg):
        assert outcome[0] == "oom" and f"more than {LIMIT_MB} MB" in outcome[1], outcome
        assert report.oom_killed
        # the zygote read the worker's cgroup after it died: it never held more than its limit
        assert report.memory_peak_mb is not None and report.memory_peak_mb <= LIMIT_MB
    elif "memfd refused" in zyg.sandbox_level:
        assert outcome[0] == "refused", outcome      # seccomp: no memfd without a cgroup
    else:
        pytest.skip("nothing counts or refuses memfds here: " + zyg.sandbox_level)


def test_files_in_its_tmpfs_count_as_its_memory(zyg):
    if not _counted(zyg):
        pytest.skip(zyg.sandbox_level)
    worker, student = _spawn(zyg)
    with pytest.raises(OutOfMemory):
        student.scratch_file(2 * LIMIT_MB)       # the scratch dir allows 1024 MB, memory 256
    assert worker.close().memory_peak_mb <= LIMIT_MB


def test_an_honest_worker_under_its_limit_is_untouched_and_its_cgroup_goes(zyg):
    worker, student = _spawn(zyg)
    assert student.tensor(LIMIT_MB // 2) == LIMIT_MB // 2
    own = student.where()
    report = worker.close()
    assert not report.oom_killed
    if not _counted(zyg):
        return
    assert f"/{cgroups.PREFIX}{zyg.pid}/w-{worker.pid}" in own
    assert 0 < report.memory_peak_mb <= LIMIT_MB
    worker_dir = _memory_cgroup_dir(own)
    assert not os.path.exists(worker_dir)                 # removed at the reap
    parent = os.path.dirname(worker_dir)
    assert os.path.isdir(parent)
    assert "memory: a cgroup" in zyg.sandbox_level


def test_the_zygote_removes_its_cgroups_when_it_ends():
    with Zygote(device="cpu", limits=Limits(memory_mb=LIMIT_MB)) as z:
        if "memory: a cgroup" not in z.sandbox_level:
            pytest.skip(z.sandbox_level)
        worker, student = _spawn(z)
        parent = os.path.dirname(_memory_cgroup_dir(student.where()))
        assert os.path.isdir(parent)
        # the judge goes away without closing the worker: the zygote's exit cleans up
    assert not os.path.exists(parent)


def test_without_a_memory_cgroup_memfds_are_refused(under_filter):
    from grader.sandbox import seccomp
    assert under_filter({seccomp.NO_MEMORY_CGROUP}, """
        import os
        try:
            os.memfd_create("x")
            result = "allowed"
        except OSError as exc:
            result = exc.errno
    """) == 1                                            # EPERM
    assert under_filter(set(), """
        import os
        result = os.memfd_create("x") >= 0
    """) is True


def _memory_cgroup_dir(proc_self_cgroup: str) -> str:
    """The directory of the memory cgroup a /proc/<pid>/cgroup text names, on this machine."""
    by_controller = {}
    for line in proc_self_cgroup.splitlines():
        _id, controllers, path = line.split(":", 2)
        by_controller[controllers] = path
    for mount, _root, options in cgroups._mounts("cgroup"):
        if "memory" in options.split(","):
            return mount + next(p for c, p in by_controller.items() if "memory" in c.split(","))
    return next(m for m, _r, _o in cgroups._mounts("cgroup2")) + by_controller[""]


# ---------------------------------------------------------------------------- cgroup v2, on paper
# The machines the suite runs on may have v1 (this one) or v2; the v2 choices are checked on a
# directory laid out like a v2 hierarchy.

def _fake_v2(tmp_path: Path, monkeypatch, own: str, enabled: dict[str, str]) -> Path:
    mount = tmp_path / "cgroup"
    for rel, subtree in enabled.items():
        d = mount / rel.strip("/") if rel != "/" else mount
        d.mkdir(parents=True, exist_ok=True)
        (d / "cgroup.subtree_control").write_text(subtree)
    (mount / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    info, procs = tmp_path / "mountinfo", tmp_path / "cgroup-of-self"
    info.write_text(f"41 31 0:38 / {mount} rw,relatime - cgroup2 cgroup2 rw\n")
    procs.write_text(f"0::{own}\n")
    monkeypatch.setattr(cgroups, "MOUNTINFO", str(info))
    monkeypatch.setattr(cgroups, "OWN_CGROUPS", str(procs))
    return mount


def test_v2_the_workers_go_beside_the_zygote_where_memory_is_handed_down(tmp_path, monkeypatch):
    mount = _fake_v2(tmp_path, monkeypatch, "/user.slice/user-0.slice/session-3.scope",
                     {"/": "cpu memory pids", "/user.slice": "memory pids",
                      "/user.slice/user-0.slice": "memory pids",
                      "/user.slice/user-0.slice/session-3.scope": ""})
    assert cgroups._v1_base() is None
    assert cgroups._v2_base() == (2, str(mount / "user.slice/user-0.slice"))


def test_v2_the_root_is_the_last_resort(tmp_path, monkeypatch):
    mount = _fake_v2(tmp_path, monkeypatch, "/docker/abc", {"/": "", "/docker": "", "/docker/abc": ""})
    assert cgroups._v2_base() == (2, str(mount))           # "+memory" written to the root
    assert (mount / "cgroup.subtree_control").read_text() == "+memory"


def test_v2_a_worker_cgroup_is_capped_without_swap(tmp_path):
    parent = tmp_path / "torchgrade-1"
    parent.mkdir()
    groups = cgroups.MemoryCgroups(2, str(parent))
    cg = Path(groups.path(os.getpid()))
    real_mkdir = os.mkdir

    def mkdir_with_files(path, *a, **k):          # the kernel makes the files of a new cgroup
        real_mkdir(path, *a, **k)
        for name in ("memory.max", "memory.swap.max", "memory.oom.group", "cgroup.procs"):
            Path(path, name).write_text("")
    import unittest.mock
    with unittest.mock.patch.object(os, "mkdir", mkdir_with_files):
        groups.join(300)
    assert (cg / "memory.max").read_text() == str(300 << 20)
    assert (cg / "memory.swap.max").read_text() == "0"
    assert (cg / "memory.oom.group").read_text() == "1"
    assert (cg / "cgroup.procs").read_text() == str(os.getpid())


def _state(**changes):
    from grader.sandbox.state import ZygoteState
    facts = dict(device="cpu", tmp_root=None, abi=7, read_paths=[], devices=[], root=False,
                 drop_uid=False, keep_dac=False, hide=[], tmpfs=False, private_proc=False,
                 ipc_namespace=False, socket_families=[2, 10, 17, 1], syscalls=None,
                 no_syscalls_why="libseccomp unavailable: no libseccomp.so.2", memory=None,
                 no_memory_why="not root")
    facts.update(changes)
    return ZygoteState(**facts)


def test_the_level_says_which_memory_cap_is_in_force():
    from grader.sandbox import seccomp
    policy, why = seccomp.build((2, 10, 17, 1), {seccomp.NO_IPC_NAMESPACE, seccomp.NO_MEMORY_CGROUP})
    if policy is None:
        pytest.skip(why)
    level = _state(syscalls=policy).level()
    assert "memory: address space only (RLIMIT_AS; no memory cgroup: not root), memfd refused" in level
    assert "no SysV IPC or POSIX message queues, no memfd" in level
    bare = _state().level()
    assert "no seccomp (libseccomp unavailable: no libseccomp.so.2)" in bare
    assert "memory held in memfds NOT counted" in bare and "SysV IPC NOT confined" in bare
    counted = _state(memory=cgroups.MemoryCgroups(2, "/sys/fs/cgroup/torchgrade-1"), syscalls=policy).level()
    assert "memory: a cgroup (v2) per worker counts all it holds" in counted
    gpu = _state(device="cuda").level()
    assert "resident set only (judge; no memory cgroup: not root)" in gpu and "RSS watchdog" in gpu
