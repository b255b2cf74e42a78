"""The workers' syscall policy: Docker's default seccomp profile as the baseline, our refusals on
top. Each attempt below is made twice: in a sandboxed worker (refused) and, as a control, in a
plain process of the same machine (where the calls that would otherwise work do), so the tests
fail if the filter stops refusing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.checks.student import Student
from grader.sandbox import Limits, Zygote

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the sandbox needs Linux")
seccomp = pytest.importorskip("pyseccomp", reason="no libseccomp binding")

CALLS = ("add_key", "keyctl", "userfaultfd", "perf_event_open", "bpf", "ptrace", "process_vm_readv",
         "kcmp", "pidfd_open", "pidfd_getfd", "io_uring_setup", "name_to_handle_at",
         "open_by_handle_at", "memfd_create")
NR = {name: seccomp.resolve_syscall(seccomp.Arch.NATIVE, name) for name in CALLS}

# What a student could try with ctypes: each entry is "ok" or the errno's name.
ATTEMPTS = """
import ctypes, errno, os, signal, struct, time
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
NR = {nr!r}

def _try(fn):
    ctypes.set_errno(0)
    r = fn()
    return "ok" if r >= 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))

def attempts():
    out = {{}}
    out["add_key"] = _try(lambda: libc.syscall(NR["add_key"], b"user", b"tg-probe", b"x", 1, -2))
    out["keyctl"] = _try(lambda: libc.syscall(NR["keyctl"], 0, -4, 0))    # the user keyring's id
    out["userfaultfd"] = _try(lambda: libc.syscall(NR["userfaultfd"], 1))  # UFFD_USER_MODE_ONLY
    attr = bytearray(128)                  # a software clock of this process, user space only
    struct.pack_into("IIQ", attr, 0, 1, 128, 1)
    struct.pack_into("Q", attr, 40, (1 << 5) | (1 << 6))
    buf = (ctypes.c_char * 128).from_buffer(attr)
    out["perf_event_open"] = _try(lambda: libc.syscall(NR["perf_event_open"], buf, 0, -1, -1, 0))
    bpf_attr = (ctypes.c_char * 128).from_buffer(bytearray(struct.pack("IIII", 2, 4, 8, 1) + bytes(112)))
    out["bpf"] = _try(lambda: libc.syscall(NR["bpf"], 0, bpf_attr, 128))   # BPF_MAP_CREATE, an array
    secret = ctypes.create_string_buffer(b"sibling-secret")
    child = os.fork()
    if child == 0:
        time.sleep(30)
        os._exit(0)
    try:
        out["ptrace"] = _try(lambda: libc.syscall(NR["ptrace"], 16, child, 0, 0))  # PTRACE_ATTACH
        if out["ptrace"] == "ok":
            os.waitpid(child, 0)
            libc.syscall(NR["ptrace"], 17, child, 0, 0)                           # PTRACE_DETACH
        into = ctypes.create_string_buffer(16)
        local = (ctypes.c_void_p * 2)(ctypes.cast(into, ctypes.c_void_p), 14)
        remote = (ctypes.c_void_p * 2)(ctypes.cast(secret, ctypes.c_void_p), 14)
        out["process_vm_readv"] = _try(lambda: libc.syscall(NR["process_vm_readv"], child, local, 1, remote, 1, 0))
        out["kcmp"] = _try(lambda: libc.syscall(NR["kcmp"], os.getpid(), child, 0, 0, 0))  # KCMP_FILE
        pidfd = libc.syscall(NR["pidfd_open"], child, 0)
        out["pidfd_getfd"] = _try(lambda: libc.syscall(NR["pidfd_getfd"], pidfd, 0, 0) if pidfd >= 0 else -1)
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    params = ctypes.create_string_buffer(120)
    out["io_uring_setup"] = _try(lambda: libc.syscall(NR["io_uring_setup"], 1, params))
    handle = ctypes.create_string_buffer(struct.pack("I", 128) + bytes(132))
    mount_id = ctypes.c_int()
    libc.syscall(NR["name_to_handle_at"], -100, os.__file__.encode(), handle, ctypes.byref(mount_id), 0)
    root = os.open(os.path.dirname(os.__file__), os.O_RDONLY)   # any directory of that file system
    out["open_by_handle_at"] = _try(lambda: libc.syscall(NR["open_by_handle_at"], root, handle, 0))
    out["memfd_create"] = _try(lambda: libc.syscall(NR["memfd_create"], b"x", 0))
    return out
""".format(nr=NR)

REFUSED_ALWAYS = {"add_key", "keyctl", "userfaultfd", "perf_event_open", "bpf", "ptrace",
                  "process_vm_readv", "kcmp", "pidfd_getfd", "io_uring_setup", "open_by_handle_at"}


@pytest.fixture(scope="module")
def zyg():
    z = Zygote(device="cpu", limits=Limits(memory_mb=1024, max_processes=64),
               protect=[ROOT / "solutions"])
    yield z
    z.close()


def _in_worker(zyg: Zygote, source: str, name: str, *args):
    worker = zyg.spawn({"m.py": textwrap.dedent(source).encode()}, "m.py", "m", {})
    try:
        return Student(worker, timeout=30).call(name, *args)
    finally:
        worker.close()


def _in_plain_process(source: str, expr: str):
    code = textwrap.dedent(source) + f"\nimport json\nprint(json.dumps({expr}))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_level_names_the_baseline_and_what_is_refused_on_top(zyg):
    if "no seccomp" in zyg.sandbox_level:
        pytest.skip(zyg.sandbox_level)
    level = zyg.sandbox_level
    assert "Docker's default profile (moby/profiles seccomp/default.json@02e898b)" in level
    assert "no keyring" in level and "ptrace" in level and "userfaultfd" in level


def test_calls_beyond_dockers_baseline_are_refused_in_a_worker(zyg):
    if "no seccomp" in zyg.sandbox_level:
        pytest.skip(zyg.sandbox_level)
    control = _in_plain_process(ATTEMPTS, "attempts()")
    inside = _in_worker(zyg, ATTEMPTS, "attempts")
    for name in REFUSED_ALWAYS:
        assert inside[name] == "EPERM", (name, inside[name], control[name])
    # memory held in a memfd is counted by the worker's memory cgroup; without one it is refused
    assert inside["memfd_create"] == ("ok" if "memory: a cgroup" in zyg.sandbox_level else "EPERM")
    # the control: without our filter some of these work on this machine (all of them here as
    # root; inside a Docker container its own profile already refuses the keyring, kcmp, ...)
    works = {name for name, result in control.items() if result == "ok"}
    assert works & {"add_key", "keyctl", "ptrace", "process_vm_readv"}, control


KEYRING = """
import ctypes, errno, os, time
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
NR = {nr!r}
USER, SESSION = -4, -3
KEYCTL_SETPERM, KEYCTL_READ, KEYCTL_INVALIDATE, KEYCTL_SEARCH = 5, 11, 21, 10

def publish(text):
    ids = []
    for ring in (USER, SESSION):
        key = libc.syscall(NR["add_key"], b"user", b"tg-share-7f3a", text.encode(), len(text), ring)
        if key >= 0:
            libc.syscall(NR["keyctl"], KEYCTL_SETPERM, key, 0x3F3F3F3F)   # everybody may read it
            ids.append(key)
    return ids or errno.errorcode[ctypes.get_errno()]

def withdraw(ids):
    for key in ids:
        libc.syscall(NR["keyctl"], KEYCTL_INVALIDATE, key)

def steal():
    candidates = []
    try:
        with open("/proc/keys") as fh:
            candidates = [int(line.split()[0], 16) for line in fh if "tg-share-7f3a" in line]
    except OSError:
        pass
    for ring in (USER, SESSION):
        key = libc.syscall(NR["keyctl"], KEYCTL_SEARCH, ring, b"user", b"tg-share-7f3a", 0)
        if key >= 0:
            candidates.append(key)
    for key in candidates:
        buf = ctypes.create_string_buffer(256)
        n = libc.syscall(NR["keyctl"], KEYCTL_READ, key, buf, 256)
        if n > 0:
            return buf.raw[:n].decode()
    return None
""".format(nr={k: NR[k] for k in ("add_key", "keyctl")})


def test_the_keyring_is_no_channel_between_two_workers(zyg):
    if "no seccomp" in zyg.sandbox_level:
        pytest.skip(zyg.sandbox_level)
    # the control: two plain processes of the machine pass a key through the keyring (unless
    # the machine refuses keys to everybody, as Docker's own profile does)
    ids = _in_plain_process(KEYRING, "publish('the solution')")
    if isinstance(ids, list):
        try:
            assert _in_plain_process(KEYRING, "steal()") == "the solution"
        finally:
            _in_plain_process(KEYRING + f"\nwithdraw({ids!r})\n", "None")
    # two workers alive at the same time: the writer is refused, the reader finds nothing
    writer = zyg.spawn({"m.py": KEYRING.encode()}, "m.py", "m", {})
    reader = zyg.spawn({"m.py": KEYRING.encode()}, "m.py", "m", {})
    try:
        assert Student(writer, timeout=30).call("publish", "the solution") == "EPERM"
        assert Student(reader, timeout=30).call("steal") is None
    finally:
        writer.close()
        reader.close()
    with open("/proc/keys") as fh:
        assert "tg-share-7f3a" not in fh.read()
