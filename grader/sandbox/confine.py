"""The confinement steps a worker takes on itself after the fork, before any student code:
a private tmpfs scratch dir and /proc, its own uid without capabilities, rlimits, a scrubbed
environment (Landlock and seccomp have modules of their own). The `can_*` probes tell the
zygote, once, which steps this machine allows."""

from __future__ import annotations

import base64
import ctypes
import os
import sys
import tempfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from grader.sandbox.children import in_child, remove_tree, user_tasks, vm_size, wait_pid

if TYPE_CHECKING:
    from grader.sandbox.state import ZygoteState

PR_SET_PDEATHSIG = 1
PR_SET_KEEPCAPS = 8
PR_CAPBSET_DROP = 24
M_ARENA_MAX = -8
CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_CHILD_SUBREAPER = 36
CAP_DAC_READ_SEARCH = 2
UID_BASE = 200_000  # root mode: worker pid N runs as uid UID_BASE + N (its own NPROC budget)

libc = ctypes.CDLL(None, use_errno=True)


def drop_privileges(uid: int, keep_dac: bool) -> None:
    """Become `uid` with no capability left (but CAP_DAC_READ_SEARCH when keep_dac), none
    regainable through exec."""
    if keep_dac:
        libc.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)
    for cap in range(64):
        if cap != CAP_DAC_READ_SEARCH or not keep_dac:
            libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if keep_dac:
        keep_only_dac_read_search()


def probe_drop(paths: list[str], keep_dac: bool) -> bool:
    """In a throw-away child: can a worker switch uid and still read the Python install?"""
    probe = [p for p in paths if p.startswith(os.path.realpath(sys.base_prefix))][:1] or [sys.prefix]
    pid = os.fork()
    if pid == 0:
        ok = 1
        try:
            drop_privileges(UID_BASE, keep_dac)
            for p in probe + [os.path.dirname(os.__file__), os.path.dirname(os.path.dirname(__file__))]:
                os.listdir(p)
            ok = 0
        except BaseException:  # noqa: BLE001
            pass
        os._exit(ok)
    return os.WIFEXITED(st := wait_pid(pid)) and os.WEXITSTATUS(st) == 0


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def keep_only_dac_read_search() -> None:
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    data[0].effective = data[0].permitted = 1 << CAP_DAC_READ_SEARCH
    if libc.capset(ctypes.byref(header), data) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"capset: {os.strerror(err)}")


def write_files(tempdir: str, files: dict[str, str]) -> None:
    for name, data in files.items():
        target = Path(tempdir, safe_relpath(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(base64.b64decode(data))


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount_scratch(tempdir: str, size_mb: int, hide: list[str] | tuple[str, ...] = (), *,
                  private_proc: bool = False, ipc: bool = False) -> None:
    """A private tmpfs of bounded size over the worker's directory: RLIMIT_FSIZE caps one file,
    this caps them all (a student writing file after file cannot fill the disk). It lives in the
    worker's own mount namespace and vanishes with its last process. Directories in `hide`
    (/tmp, /run: where other programs keep their unix sockets) are covered with empty ones.
    private_proc: a procfs of its own over /proc where other users' processes are invisible;
    ipc: its own IPC namespace (SysV objects, POSIX queues), destroyed with its last process."""
    _check(libc.unshare(CLONE_NEWNS | (CLONE_NEWIPC if ipc else 0)), "unshare(CLONE_NEWNS)")
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    if private_proc:
        mount_private_proc()
    for path in hide:
        _check(libc.mount(b"tmpfs", path.encode(), b"tmpfs", MS_NOSUID | MS_NODEV,
                           b"size=1m,mode=0755,nr_inodes=1024"), f"mount tmpfs over {path}")
    os.makedirs(tempdir, mode=0o700, exist_ok=True)
    options = f"size={max(1, size_mb)}m,mode=0700,nr_inodes=65536".encode()
    _check(libc.mount(b"tmpfs", tempdir.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options),
           "mount tmpfs")
    # a private /dev/shm too: multiprocessing (DataLoader workers) needs one, and sharing the
    # machine's would be a channel between students
    if os.path.isdir("/dev/shm"):
        shm = f"size={max(1, size_mb)}m,mode=1777,nr_inodes=65536".encode()
        _check(libc.mount(b"tmpfs", b"/dev/shm", b"tmpfs", MS_NOSUID | MS_NODEV, shm), "mount /dev/shm")


def mount_private_proc() -> None:
    """procfs with hidepid=invisible: since Linux 5.8 each mount is its own instance, so this
    changes nothing outside the worker's mount namespace (older kernels refuse the option)."""
    _check(libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                       b"hidepid=invisible"), "mount proc hidepid=invisible")


def can_mount_private_proc() -> bool:
    def probe() -> None:
        _check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
        _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
        mount_private_proc()
        with open("/proc/self/mountinfo") as fh:
            if "hidepid=invisible" not in fh.read():
                raise OSError("hidepid not in force")
    return in_child(probe)


def can_unshare_ipc() -> bool:
    return in_child(lambda: _check(libc.unshare(CLONE_NEWIPC), "unshare(CLONE_NEWIPC)"))


def can_mount_scratch(hide: list[str]) -> bool:
    if os.getuid() != 0:
        return False  # an unprivileged user namespace would do, but many distributions forbid it
    scratch = tempfile.mkdtemp(prefix="tg-probe-")
    try:
        return in_child(lambda: mount_scratch(scratch, 1, hide))
    finally:
        remove_tree(scratch)


def set_limits(state: ZygoteState, limits: dict, uid: int) -> None:
    import resource
    mb = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    fsize = int(limits["file_size_mb"]) * mb
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    nofile = int(limits["open_files"])
    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    nproc = int(limits["max_processes"])
    if not state.drop_uid:
        nproc += user_tasks(uid)  # our user's other processes count against the same limit
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    if state.device == "cpu":
        # each thread's malloc arena reserves 64 MB of address space; with many cores that alone
        # would eat the budget, so cap the number of arenas
        libc.mallopt(M_ARENA_MAX, 4)
        address_space = vm_size() + int(limits["memory_mb"]) * mb
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))


def scrub_environment(tempdir: str, device: str) -> None:
    keep_gpu = {k: v for k, v in os.environ.items()
                if device == "cuda" and k.startswith(("CUDA_", "NVIDIA_"))}
    os.environ.clear()
    os.environ.update(keep_gpu)
    bindir = os.path.dirname(sys.executable)
    os.environ.update({"PATH": f"{bindir}:/usr/local/bin:/usr/bin:/bin", "HOME": tempdir,
                       "TMPDIR": tempdir, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                       # getpass.getuser() (torch.compile's cache) fails for a uid without a
                       # passwd entry unless these are set
                       "USER": "user", "LOGNAME": "user",
                       "PYTHONDONTWRITEBYTECODE": "1"})
    if device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""


def safe_relpath(name: str) -> PurePosixPath:
    rel = PurePosixPath(name)
    if rel.is_absolute() or not rel.parts or any(p in ("..", "") for p in rel.parts) or "\x00" in name:
        raise ValueError(f"refusing file name {name!r}")
    return rel
