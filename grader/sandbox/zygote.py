"""The zygote: a clean Python with torch imported that forks one confined worker per submission.

Started by `grader.sandbox.Zygote` with `python -I` and a scrubbed environment, it never sees a
check, a reference solution or the course's files: only engine modules that run beside student
code are imported here (executor, codec, specs, probes). CUDA is never initialised here; a
worker that needs the GPU initialises its own context after the fork.

Control protocol (see wire.py): {"op": "spawn", ...} with three fds (request socket, stdout
pipe, stderr pipe) -> {"ok": True, "pid": ..., "tempdir": ...}; {"op": "reap", "pid", "grace"}
-> exit status; {"op": "info"} -> facts for tests; {"op": "attach"} -> {"ok": True} with one fd,
a control connection of its own for another judge (one zygote serves a whole grading run); EOF
of the first connection -> kill everything and exit; EOF of an attached one -> kill its workers.
"""

from __future__ import annotations

import os
import socket
import sys
import types
from typing import Any

from grader.sandbox import landlock, seccomp
from grader.sandbox.children import kill_worker, remove_tree, rss_mb, sweep_orphans, vm_size, wait_pid
from grader.sandbox.confine import (
    PR_SET_CHILD_SUBREAPER,
    can_mount_private_proc,
    can_mount_scratch,
    can_unshare_ipc,
    libc,
    probe_drop,
)
from grader.sandbox.control import serve
from grader.sandbox.paths import device_paths, exposed_paths, inside, read_paths
from grader.sandbox.wire import send_control


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
                     and not any(inside(p, (d,)) for p in self.read_paths)]
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

    # torch.optim's step() and the dispatch modes of the forbid guard are wrapped in
    # torch._disable_dynamo, whose first call imports all of dynamo (0.8 s): pay it here, once.
    import torch._dynamo  # noqa: F401
    import torch.nn.functional  # noqa: F401

    import grader.checks.specs  # noqa: F401
    import grader.checks.codec  # noqa: F401
    import grader.checks.executor  # noqa: F401
    import grader.checks.probes  # noqa: F401

    warm_up()
    from grader.checks.executor import seal_engine
    seal_engine()  # every worker inherits the frozen engine and its snapshot
    # Everything allocated so far is shared with the workers copy-on-write; a garbage
    # collection in a worker would touch every object header and copy the whole heap.
    import gc
    gc.collect()
    gc.freeze()
    # Orphans of a worker (double fork, setsid) are re-parented to us, so we can kill them.
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
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
            kill_worker(pid)
            wait_pid(pid)
            remove_tree(state.workers.pop(pid))
        sweep_orphans(state)
        os._exit(0)  # skip interpreter teardown (torch's is slow); nothing is left to flush


def warm_up() -> None:
    """Run one request through the engine here, so the lazy imports and first-call set-up of
    torch.save/torch.load, seeding and the forbid guard are paid once, not after every fork."""

    import torch

    from grader.checks import codec
    from grader.checks.executor import Executor
    module = types.ModuleType("_tg_warm_up")
    exec("def f(x, y=None):\n    return [x * 2, (x.sum().item(), None)]\n", module.__dict__)
    executor = Executor(module, forbid={"f": ("dropout",)})
    request = {"op": "call", "name": "f", "args": codec.to_plain([torch.ones(3)]),
               "kwargs": codec.to_plain({}), "seed": 0, "forbid": ["conv2d"], "record": True}
    for _ in range(2):
        codec.loads(codec.dumps(executor.handle(codec.loads(codec.dumps(request)))))
    assert not torch.cuda.is_initialized()

if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "cpu",
         sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None)
