"""What a worker can learn about other processes (/proc, argv, environment) and share with a
later worker (SysV IPC): nothing instructor-side, nothing that outlives it."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from grader.checks.student import Student
from grader.sandbox import Limits, Zygote

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the sandbox needs Linux")

PROC_SCAN = """
import os
def scan():
    seen, pids = [], []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pids.append(int(entry))
        for what in ("cmdline", "environ"):
            try:
                with open(f"/proc/{entry}/{what}", "rb") as fh:
                    seen.append(fh.read().decode(errors="replace"))
            except OSError:
                pass
    return pids, "\\n".join(seen)
"""

IPC = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
IPC_CREAT, KEY = 0o1000, 0x7467
def make(text):
    shmid = libc.shmget(KEY, 4096, IPC_CREAT | 0o666)
    if shmid < 0:
        return "refused: " + os.strerror(ctypes.get_errno())
    addr = libc.shmat(shmid, None, 0)
    ctypes.memmove(ctypes.c_void_p(addr), text.encode(), len(text))
    return shmid
def find():
    shmid = libc.shmget(KEY, 0, 0)
    if shmid < 0:
        return None
    addr = libc.shmat(shmid, None, 0)
    return ctypes.string_at(ctypes.c_void_p(addr), 32).rstrip(b"\\0").decode()
"""


@pytest.fixture(scope="module")
def secret_dirs(tmp_path_factory):
    base = tmp_path_factory.mktemp("isolation")
    return [base / "class-folder-xyzzy", base / "output-folder-plugh", ROOT / "solutions"]


@pytest.fixture(scope="module")
def zyg(secret_dirs):
    z = Zygote(device="cpu", limits=Limits(memory_mb=1024, max_processes=64), protect=secret_dirs)
    yield z
    z.close()


def _worker(zyg, source):
    worker = zyg.spawn({"m.py": textwrap.dedent(source).encode()}, "m.py", "m", {})
    return worker, Student(worker, timeout=20)


def test_no_instructor_path_in_any_argv_or_environment_a_worker_reads(zyg, secret_dirs):
    worker, student = _worker(zyg, PROC_SCAN)
    try:
        pids, text = student.scan()
    finally:
        worker.close()
    for path in secret_dirs:
        assert str(path) not in text
    assert "class-folder-xyzzy" not in text and "output-folder-plugh" not in text
    if "private /proc" in zyg.sandbox_level:
        assert os.getpid() not in pids and zyg.pid not in pids     # the judge is invisible
        assert set(pids) <= {worker.pid} | set(range(worker.pid, worker.pid + 64))


def test_zygote_command_line_names_no_path(zyg, secret_dirs):
    with open(f"/proc/{zyg.pid}/cmdline", "rb") as fh:
        argv = fh.read().decode()
    assert "/" not in argv.split("\0", 1)[1]     # only the interpreter itself is a path
    with open(f"/proc/{zyg.pid}/environ", "rb") as fh:
        env = fh.read().decode()
    assert not any(str(p) in env for p in secret_dirs)


def test_ipc_objects_do_not_reach_the_next_worker_or_outlive_theirs(zyg):
    writer, student = _worker(zyg, IPC)
    made = student.call("make", "print('stolen solution')")  # student.make is the build-handle method
    writer_pid = writer.pid
    reader, other = _worker(zyg, IPC)
    try:
        assert other.find() is None            # not while the writer is alive...
    finally:
        reader.close()
    writer.close()
    reader, other = _worker(zyg, IPC)
    try:
        assert other.find() is None            # ...nor after
    finally:
        reader.close()
    with open("/proc/sysvipc/shm") as fh:
        rows = [line.split() for line in fh.readlines()[1:]]
    assert not [r for r in rows if int(r[0]) == 0x7467], rows  # gone from the machine
    if "IPC namespace per worker" in zyg.sandbox_level:
        assert isinstance(made, int)           # allowed, but private
    else:
        assert str(made).startswith("refused")
    assert writer_pid


def test_level_says_what_is_in_force(zyg):
    level = zyg.sandbox_level
    assert ("IPC namespace per worker" in level) or ("no SysV IPC" in level) or ("NOT confined" in level)
    assert "/proc" in level


def test_without_an_ipc_namespace_seccomp_refuses_sysv_ipc(under_filter):
    from grader.sandbox import seccomp
    result = under_filter({seccomp.NO_IPC_NAMESPACE}, """
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        result = {}
        for name, call in (("shm", lambda: libc.shmget(0, 4096, 0o1000 | 0o600)),
                           ("msg", lambda: libc.msgget(0, 0o1000 | 0o600)),
                           ("sem", lambda: libc.semget(0, 1, 0o1000 | 0o600))):
            result[name] = (call(), ctypes.get_errno())
    """)
    assert result == {"shm": [-1, 1], "msg": [-1, 1], "sem": [-1, 1]}       # EPERM, as Docker
    result = under_filter(set(), """
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        result = {"shm": libc.shmget(0, 4096, 0o1000 | 0o600)}
        libc.shmctl(result["shm"], 0, None)     # IPC_RMID
    """)
    assert result["shm"] >= 0      # with an IPC namespace of its own, a worker may use them
