"""The zygote: a clean Python with torch imported that forks one confined worker per submission.

Started by `grader.sandbox.Zygote` with `python -I` and a scrubbed environment, it never sees a
check, a reference solution or the course's files: only engine modules that run beside student
code are imported here (executor, codec, build, probes). CUDA is never initialised here; a
worker that needs the GPU initialises its own context after the fork.

Control protocol (see wire.py): {"op": "spawn", ...} with three fds (request socket, stdout
pipe, stderr pipe) -> {"ok": True, "pid": ..., "tempdir": ...}; {"op": "reap", "pid", "grace"}
-> exit status; {"op": "info"} -> facts for tests; {"op": "attach"} -> {"ok": True} with one fd,
a control connection of its own for another judge (one zygote serves a whole grading run); EOF
of the first connection -> kill everything and exit; EOF of an attached one -> kill its workers.
"""

from __future__ import annotations

import base64
import ctypes
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import time
import traceback
from pathlib import Path, PurePosixPath
from typing import Any

from grader.sandbox import landlock, seccomp
from grader.sandbox.wire import (HEADER, MAX_FRAME, READY, SETUP_DONE, processes, recv_control, recv_exact,
                                 send_control)

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

_libc = ctypes.CDLL(None, use_errno=True)


# ---------------------------------------------------------------------------- zygote side

class ZygoteState:
    def __init__(self, device: str, tmp_root: str | None) -> None:
        self.device = device
        self.tmp_root = tmp_root
        self.workers: dict[int, str] = {}  # pid -> tempdir
        self.owners: dict[int, int] = {}   # pid -> the control socket (fd) of the judge that asked
        self.judges: dict[int, Any] = {}   # control socket fd -> _Judge (serve fills it)
        self.abi = landlock.abi_version()
        self.read_paths = read_paths()
        self.devices = device_paths() if device == "cuda" else []
        self.root = os.getuid() == 0
        # root: each worker gets its own uid (RLIMIT_NPROC is not enforced for root). Keep
        # CAP_DAC_READ_SEARCH only where the Python install sits in a private dir (/root/.pyenv).
        self.drop_uid, self.keep_dac = (False, False)
        if self.root:
            if probe_drop(self.read_paths, keep_dac=False):
                self.drop_uid = True
            elif probe_drop(self.read_paths, keep_dac=True):
                self.drop_uid = self.keep_dac = True
        self.baseline_vm = vm_size()
        # covered with empty tmpfs in the worker (its own dir is re-created inside afterwards),
        # unless the Python install lives there
        self.hide = [d for d in ("/tmp", "/var/tmp", "/run") if os.path.isdir(d) and not os.path.islink(d)
                     and not any(_inside(p, (d,)) for p in self.read_paths)]
        self.tmpfs = can_mount_scratch(self.hide)
        if not self.tmpfs:
            self.hide = []
        # root: a private /proc (other users' processes invisible: no argv, no pids of the judge
        # or of classmates) and an IPC namespace per worker, gone with its last process
        self.private_proc = self.tmpfs and self.drop_uid and can_mount_private_proc()
        self.ipc_namespace = self.tmpfs and can_unshare_ipc()
        # Unless /tmp and /run are covered, pathname unix sockets (ssh-agent, tmux, D-Bus of the
        # user running the grader) stay reachable: then no unix sockets at all. /tmp stays
        # visible when the Python install lives under it (a CI clone in /tmp, say).
        self.socket_families = [seccomp.AF_INET, seccomp.AF_INET6, seccomp.AF_PACKET]
        sockets_hidden = all(d in self.hide for d in ("/tmp", "/run") if os.path.isdir(d))
        if not (self.tmpfs and self.drop_uid and sockets_hidden):
            self.socket_families.append(seccomp.AF_UNIX)
        self.seccomp = seccomp.available()
        # without an IPC namespace SysV IPC and POSIX message queues are machine-wide: refused
        self.deny_ipc = not self.ipc_namespace

    def level(self) -> str:
        text = landlock.describe(self.abi)
        if self.drop_uid:
            text += "; own uid per worker" + (" (+CAP_DAC_READ_SEARCH, the python install is "
                                              "under a private dir)" if self.keep_dac else "")
        elif self.root:
            text += ("; workers run as uid 0 without capabilities (cannot switch uid): process "
                     "limit NOT enforced")
        text += (f"; private tmpfs scratch dir ({', '.join(self.hide) or 'nothing'} hidden)" if self.tmpfs
                 else "; scratch dir on disk (total size not capped)")
        text += ("; private /proc (hidepid: other processes invisible)" if self.private_proc
                 else "; shared /proc (other processes' pids and command lines visible)")
        if self.ipc_namespace:
            text += "; IPC namespace per worker"
        if self.seccomp:
            names = {seccomp.AF_INET: "inet", seccomp.AF_INET6: "inet6", seccomp.AF_PACKET: "packet",
                     seccomp.AF_UNIX: "unix"}
            text += "; seccomp: no new sockets (" + ", ".join(names[f] for f in self.socket_families) + ")"
            if self.deny_ipc:
                text += ", no SysV IPC or POSIX message queues"
        else:
            text += "; no seccomp on this architecture (UDP and unix sockets NOT restricted)"
            if self.deny_ipc:
                text += "; SysV IPC NOT confined (no IPC namespace, no seccomp)"
        text += "; rlimits (memory, processes, file size)" if self.device == "cpu" else \
            "; rlimits (processes, file size) + judge RSS watchdog"
        return text


def main(fd: int, device: str = "cpu", tmp_root: str | None = None,
         protect: list[str] | tuple[str, ...] = ()) -> None:
    ctl = socket.socket(fileno=fd)
    # the judge's own soft memory cap is not ours (a worker gets its own limit below)
    import resource
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    # Everything a worker needs is imported once, here, so a fork is all a submission costs.
    import numpy  # noqa: F401
    import torch  # noqa: F401
    import torch.nn.functional  # noqa: F401
    # torch.optim's step() and the dispatch modes of the forbid guard are wrapped in
    # torch._disable_dynamo, whose first call imports all of dynamo (0.8 s): pay it here, once.
    import torch._dynamo  # noqa: F401
    import grader.checks.build  # noqa: F401
    import grader.checks.codec  # noqa: F401
    import grader.checks.executor  # noqa: F401
    import grader.checks.probes  # noqa: F401

    warm_up()
    # Everything allocated so far is shared with the workers copy-on-write; a garbage
    # collection in a worker would touch every object header and copy the whole heap.
    import gc
    gc.collect()
    gc.freeze()
    # Orphans of a worker (double fork, setsid) are re-parented to us, so we can kill them.
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    state = ZygoteState(device, tmp_root)
    level = state.level()
    exposed = exposed_paths(state, protect)
    if exposed:
        level += "; WARNING: workers can read " + ", ".join(exposed)
    send_control(ctl, {"ok": True, "pid": os.getpid(), "sandbox_level": level, "exposed": exposed,
                       "landlock_abi": state.abi, "rss_mb": rss_mb(os.getpid())})
    try:
        serve(ctl, state)
    finally:
        for pid in list(state.workers):
            _kill_worker(pid)
            _waitpid(pid)
            _rmtree(state.workers.pop(pid))
        sweep_orphans(state)
        os._exit(0)  # skip interpreter teardown (torch's is slow); nothing is left to flush


def warm_up() -> None:
    """Run one request through the engine here, so the lazy imports and first-call set-up of
    torch.save/torch.load, seeding and the forbid guard are paid once, not after every fork."""
    import types

    import torch

    from grader.checks import codec
    from grader.checks.executor import Executor
    module = types.ModuleType("_tg_warm_up")
    exec("def f(x, y=None):\n    return [x * 2, (x.sum().item(), None)]\n", module.__dict__)
    executor = Executor(module, forbid={"f": ["dropout"]})
    request = {"op": "call", "name": "f", "args": codec.to_plain([torch.ones(3)]),
               "kwargs": codec.to_plain({}), "seed": 0, "forbid": ["conv2d"], "record": True}
    for _ in range(2):
        codec.loads(codec.dumps(executor.handle(codec.loads(codec.dumps(request)))))
    assert not torch.cuda.is_initialized()


class _Judge:
    """One judge's control connection. The first (the process that started the zygote) is
    primary: its EOF ends the zygote. Others come from "attach": their EOF ends their workers."""

    def __init__(self, sock: socket.socket, primary: bool) -> None:
        self.sock = sock
        self.primary = primary
        self.reaping: tuple[int, float, int | None] | None = None   # pid, deadline, pidfd


def serve(ctl: socket.socket, state: ZygoteState) -> None:
    """Answer every judge's requests, one at a time, in the order they come. A reap that must
    wait for its worker to end does not hold the others up: it is answered when the worker
    ends (its pidfd) or when its grace is over, whichever comes first."""
    judges = {ctl.fileno(): _Judge(ctl, primary=True)}
    state.judges = judges
    while True:
        waiting = [j for j in judges.values() if j.reaping is not None]
        now = time.monotonic()
        timeout = max(0.0, min(j.reaping[1] for j in waiting) - now) if waiting else None
        readable = [j.sock for j in judges.values() if j.reaping is None]
        readable += [j.reaping[2] for j in waiting if j.reaping[2] is not None]
        try:
            ready, _, _ = select.select(readable, [], [], timeout)
        except InterruptedError:
            continue
        for judge in waiting:
            _finish_reap_if_due(state, judge)
        for sock in ready:
            if not isinstance(sock, socket.socket):
                continue
            judge = judges.get(sock.fileno())
            if judge is None or judge.reaping is not None:
                continue
            message, fds = recv_control(sock)
            if message is None:
                if judge.primary:
                    return
                _detach(state, judge)
                continue
            reply = _answer(state, judge, message, fds)
            if reply is not None:
                _send(state, judge, reply)


def _answer(state: ZygoteState, judge: _Judge, message: dict, fds: list[int]) -> dict | None:
    """The reply to one request, or None when it comes later (a reap that waits)."""
    op = message.get("op")
    reply_fds: list[int] = []
    try:
        if op == "spawn":
            reply = spawn(judge.sock, state, message, fds)
            state.owners[int(reply["pid"])] = judge.sock.fileno()
        elif op == "reap":
            pid, grace = int(message["pid"]), float(message.get("grace", 0.0))
            if pid not in state.workers or state.owners.get(pid) != judge.sock.fileno():
                reply = {"ok": False, "error": f"no worker {pid}"}
            else:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done or grace <= 0:
                    reply = finish_reap(state, pid, status if done else None)
                else:
                    judge.reaping = (pid, time.monotonic() + grace, _pidfd(pid))
                    return None
        elif op == "attach":
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            state.judges[ours.fileno()] = _Judge(ours, primary=False)
            reply, reply_fds = {"ok": True}, [theirs.fileno()]
            try:
                send_control(judge.sock, reply, reply_fds)
            finally:
                theirs.close()
            return None
        elif op == "info":
            import torch
            reply = {"ok": True, "modules": sorted(sys.modules), "pid": os.getpid(),
                     "cuda_initialized": bool(torch.cuda.is_initialized()),
                     "workers": sorted(state.workers), "children": sorted(children()),
                     "judges": len(state.judges)}
        else:
            reply = {"ok": False, "error": f"unknown op {op!r}"}
    except Exception as exc:  # noqa: BLE001 - report, keep serving other submissions
        reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}", "detail": traceback.format_exc()}
    finally:
        for fd in fds:
            _close(fd)
    return reply


def _send(state: ZygoteState, judge: _Judge, reply: dict) -> None:
    try:
        send_control(judge.sock, reply)
    except OSError:   # that judge is gone; the others are not
        if judge.primary:
            raise
        _detach(state, judge)


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _finish_reap_if_due(state: ZygoteState, judge: _Judge) -> None:
    assert judge.reaping is not None
    pid, deadline, pidfd = judge.reaping
    done, status = os.waitpid(pid, os.WNOHANG)
    if not done and time.monotonic() < deadline:
        return
    judge.reaping = None
    if pidfd is not None:
        _close(pidfd)
    _send(state, judge, finish_reap(state, pid, status if done else None))


def _detach(state: ZygoteState, judge: _Judge) -> None:
    """A judge other than the primary went away: its workers go too, nobody else's."""
    fd = judge.sock.fileno()
    if judge.reaping is not None and judge.reaping[2] is not None:
        _close(judge.reaping[2])
    judge.reaping = None
    for pid in [p for p, owner in state.owners.items() if owner == fd]:
        if pid in state.workers:
            finish_reap(state, pid, None)
    state.judges.pop(fd, None)
    judge.sock.close()


def safe_relpath(name: str) -> PurePosixPath:
    rel = PurePosixPath(name)
    if rel.is_absolute() or not rel.parts or any(p in ("..", "") for p in rel.parts) or "\x00" in name:
        raise ValueError(f"refusing file name {name!r}")
    return rel


def spawn(ctl: socket.socket, state: ZygoteState, message: dict, fds: list[int]) -> dict:
    if len(fds) != 3:
        raise ValueError("spawn needs 3 descriptors")
    tempdir = tempfile.mkdtemp(prefix="tg-w-", dir=state.tmp_root)
    try:
        for name in message["files"]:
            safe_relpath(name)
        safe_relpath(message["module_file"])
    except BaseException:
        _rmtree(tempdir)
        raise
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            # the worker must never be able to ask us for anything, for any judge
            for judge in list(state.judges.values()):
                judge.sock.close()
                if judge.reaping is not None and judge.reaping[2] is not None:
                    _close(judge.reaping[2])
            ctl.close()
            worker_main(state, message, tempdir, *fds)
            code = 0
        except BaseException:  # noqa: BLE001
            try:
                os.write(2, ("sandbox: worker setup failed:\n" + traceback.format_exc()).encode())
            except OSError:
                pass
        finally:
            os._exit(code)
    state.workers[pid] = tempdir
    return {"ok": True, "pid": pid, "tempdir": tempdir}


def reap(state: ZygoteState, pid: int, grace: float) -> dict:
    """Wait up to `grace` s for the worker to end by itself, then finish_reap."""
    if pid not in state.workers:
        return {"ok": False, "error": f"no worker {pid}"}
    return finish_reap(state, pid, _wait_exit(pid, grace))


def finish_reap(state: ZygoteState, pid: int, status: int | None) -> dict:
    """Kill the worker's process group (status None: it is still running) and every orphan it
    left behind; report how it ended."""
    ended_by_itself = status is not None
    # members of its group still around (background processes) are killed too
    killed = status is None or _group_had_members(pid)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if status is None:
        _kill_worker(pid)
        status = _waitpid(pid)
        killed = True
    killed = sweep_orphans(state) or killed
    _rmtree(state.workers.pop(pid))
    state.owners.pop(pid, None)
    exit_status = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    return {"ok": True, "exit_status": exit_status, "signal": sig, "killed": killed,
            "ended_by_itself": ended_by_itself}


def _wait_exit(pid: int, grace: float) -> int | None:
    """The wait status if `pid` ends within `grace` seconds, else None (it keeps running)."""
    done, status = os.waitpid(pid, os.WNOHANG)
    if done or grace <= 0:
        return status if done else None
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    try:
        deadline = time.monotonic() + grace
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if pidfd is not None:
                select.select([pidfd], [], [], left)
            else:
                time.sleep(min(left, 0.002))
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _group_had_members(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def _kill_worker(pid: int) -> None:
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
        except (ProcessLookupError, PermissionError):
            pass


def _waitpid(pid: int) -> int:
    while True:
        try:
            return os.waitpid(pid, 0)[1]
        except InterruptedError:
            continue
        except ChildProcessError:
            return 0


def children() -> list[int]:
    me = os.getpid()
    return [pid for pid, fields in processes() if len(fields) > 1 and int(fields[1]) == me]


def sweep_orphans(state: ZygoteState) -> bool:
    """Kill and reap every child that is not a live worker: processes a student detached."""
    killed = False
    for _ in range(200):
        strays = [pid for pid in children() if pid not in state.workers]
        if not strays:
            break
        for pid in strays:
            _kill_worker(pid)
        for pid in strays:
            _waitpid(pid)
        killed = True
    return killed


def _rmtree(path: str) -> None:
    def fix(func: Any, p: str, _exc: Any) -> None:
        try:
            os.chmod(os.path.dirname(p), 0o700)
            os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass
    try:
        shutil.rmtree(path, onerror=fix)
    except RecursionError:  # a student's folder chain deeper than Python recurses
        import subprocess
        subprocess.run(["rm", "-rf", "--", path], check=False)


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


# ---------------------------------------------------------------------------- what a worker may read

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
        if module is not None and getattr(module, "__file__", None):
            paths.add(os.path.realpath(os.path.dirname(os.path.dirname(module.__file__))))
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
        if _inside(real, tuple(state.read_paths)):
            found.append(real)
    return found


def device_paths() -> list[str]:
    found = []
    for entry in os.listdir("/dev"):
        if entry.startswith("nvidia") or entry in ("dri", "kfd"):
            found.append(os.path.join("/dev", entry))
    return found


def drop_privileges(uid: int, keep_dac: bool) -> None:
    """Become `uid` with no capability left (but CAP_DAC_READ_SEARCH when keep_dac), none
    regainable through exec."""
    if keep_dac:
        _libc.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)
    for cap in range(64):
        if cap != CAP_DAC_READ_SEARCH or not keep_dac:
            _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if keep_dac:
        _keep_only_dac_read_search()


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
    return os.WIFEXITED(st := _waitpid(pid)) and os.WEXITSTATUS(st) == 0


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1 << 20)


def vm_size() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def user_tasks(uid: int) -> int:
    """Threads the user already has (RLIMIT_NPROC counts them all, not just ours)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                text = fh.read()
        except OSError:
            continue
        uid_line = text[text.find("Uid:"):].split("\n", 1)[0].split()
        if len(uid_line) > 1 and int(uid_line[1]) == uid:
            t = text.find("Threads:")
            total += int(text[t:].split("\n", 1)[0].split()[1]) if t >= 0 else 1
    return total


# ---------------------------------------------------------------------------- worker side

class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _keep_only_dac_read_search() -> None:
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    data[0].effective = data[0].permitted = 1 << CAP_DAC_READ_SEARCH
    if _libc.capset(ctypes.byref(header), data) != 0:
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
    _check(_libc.unshare(CLONE_NEWNS | (CLONE_NEWIPC if ipc else 0)), "unshare(CLONE_NEWNS)")
    _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    if private_proc:
        mount_private_proc()
    for path in hide:
        _check(_libc.mount(b"tmpfs", path.encode(), b"tmpfs", MS_NOSUID | MS_NODEV,
                           b"size=1m,mode=0755,nr_inodes=1024"), f"mount tmpfs over {path}")
    os.makedirs(tempdir, mode=0o700, exist_ok=True)
    options = f"size={max(1, size_mb)}m,mode=0700,nr_inodes=65536".encode()
    _check(_libc.mount(b"tmpfs", tempdir.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options),
           "mount tmpfs")
    # a private /dev/shm too: multiprocessing (DataLoader workers) needs one, and sharing the
    # machine's would be a channel between students
    if os.path.isdir("/dev/shm"):
        shm = f"size={max(1, size_mb)}m,mode=1777,nr_inodes=65536".encode()
        _check(_libc.mount(b"tmpfs", b"/dev/shm", b"tmpfs", MS_NOSUID | MS_NODEV, shm), "mount /dev/shm")


def mount_private_proc() -> None:
    """procfs with hidepid=invisible: since Linux 5.8 each mount is its own instance, so this
    changes nothing outside the worker's mount namespace (older kernels refuse the option)."""
    _check(_libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                       b"hidepid=invisible"), "mount proc hidepid=invisible")


def _in_child(fn: Any) -> bool:
    """Does `fn` succeed in a throw-away child (namespaces and mounts are tried there)?"""
    pid = os.fork()
    if pid == 0:
        ok = 1
        try:
            fn()
            ok = 0
        except BaseException:  # noqa: BLE001
            pass
        os._exit(ok)
    st = _waitpid(pid)
    return os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0


def can_mount_private_proc() -> bool:
    def probe() -> None:
        _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
        _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
        mount_private_proc()
        with open("/proc/self/mountinfo") as fh:
            if "hidepid=invisible" not in fh.read():
                raise OSError("hidepid not in force")
    return _in_child(probe)


def can_unshare_ipc() -> bool:
    return _in_child(lambda: _check(_libc.unshare(CLONE_NEWIPC), "unshare(CLONE_NEWIPC)"))


def can_mount_scratch(hide: list[str]) -> bool:
    if os.getuid() != 0:
        return False  # an unprivileged user namespace would do, but many distributions forbid it
    scratch = tempfile.mkdtemp(prefix="tg-probe-")
    try:
        return _in_child(lambda: mount_scratch(scratch, 1, hide))
    finally:
        _rmtree(scratch)


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
        _libc.mallopt(M_ARENA_MAX, 4)
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


def worker_main(state: ZygoteState, message: dict, tempdir: str, sock_fd: int, out_fd: int,
                err_fd: int) -> None:
    os.setsid()
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    for fd in (null, out_fd, err_fd):
        os.close(fd)
    limits = message["limits"]
    uid = UID_BASE + os.getpid() if state.drop_uid else os.getuid()
    if state.tmpfs:
        mount_scratch(tempdir, int(limits.get("scratch_mb") or 512), state.hide,
                      private_proc=state.private_proc, ipc=state.ipc_namespace)
    write_files(tempdir, message["files"])
    if state.drop_uid:
        for dirpath, dirnames, filenames in os.walk(tempdir):
            for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
                os.chown(name, uid, uid)
    set_limits(state, limits, uid)
    landlock.restrict(state.abi, read=state.read_paths,
                      write=[tempdir, "/dev/null"] + (["/dev/shm"] if state.tmpfs else []),
                      devices=state.devices)
    if state.seccomp:
        seccomp.restrict(tuple(state.socket_families), deny_ipc=state.deny_ipc)
    if state.drop_uid:
        drop_privileges(uid, state.keep_dac)
    elif state.root:  # stuck with uid 0: at least no capability (modules, raw I/O, ...) is left
        for cap in range(64):
            if cap != CAP_DAC_READ_SEARCH:
                _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
        _keep_only_dac_read_search()
    scrub_environment(tempdir, state.device)
    os.chdir(tempdir)
    tempfile.tempdir = tempdir  # the zygote cached /tmp, where the worker may not write
    # The judge's sys.path may name the course root; the engine is already imported, so only
    # installs stay, and the submission's folder goes last (a torch.py there shadows nothing).
    allowed = tuple(state.read_paths)
    sys.path[:] = [p for p in sys.path if p and _inside(os.path.realpath(p), allowed)] + [tempdir]
    if int(limits.get("threads") or 0) > 0:
        import torch
        torch.set_num_threads(int(limits["threads"]))
    sock = socket.socket(fileno=sock_fd)
    sock.sendall(HEADER.pack(SETUP_DONE))  # from here on, a failure is the student's
    serve_requests(sock, message, tempdir)


def serve_requests(sock: socket.socket, message: dict, tempdir: str) -> None:
    from grader.checks import codec
    from grader.checks.executor import Executor

    executor = Executor.from_file(Path(tempdir, message["module_file"]), message["module_name"],
                                  message.get("forbid") or {})
    _flush()
    sock.sendall(HEADER.pack(READY))
    while True:
        header = recv_exact(sock, HEADER.size)
        if header is None:
            return
        (n,) = HEADER.unpack(header)
        if n > MAX_FRAME:
            return
        data = recv_exact(sock, n)
        if data is None:
            return
        try:
            reply = executor.handle(codec.loads(data))
        except BaseException as exc:  # noqa: BLE001 - a SystemExit from a student __del__, ...
            reply = {"ok": False, "error": {"kind": "exception", "message": f"{type(exc).__name__}: {exc}"}}
        reply = _oom_from_allocator(reply)
        try:
            frame = codec.dumps(reply)
        except MemoryError:
            frame = codec.dumps({"ok": False, "error": {"kind": "oom", "message": "ran out of memory"}})
        except Exception as exc:  # noqa: BLE001
            frame = codec.dumps({"ok": False, "error": {"kind": "not_plain",
                                                         "message": f"reply could not be encoded: {exc}"}})
        _flush()
        sock.sendall(HEADER.pack(len(frame)))
        sock.sendall(frame)


def _oom_from_allocator(reply: Any) -> Any:
    """torch reports a failed CPU allocation as RuntimeError, not MemoryError."""
    if type(reply) is dict and reply.get("ok") is False and type(reply.get("error")) is dict:
        error = reply["error"]
        text = str(error.get("message", ""))
        if error.get("kind") in ("exception", "load") and (
                "can't allocate memory" in text or "out of memory" in text.lower()):
            reply = dict(reply, error=dict(error, kind="oom"))
    return reply


def _inside(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)



def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a student may have replaced or closed them
            pass


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "cpu",
         sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None)
