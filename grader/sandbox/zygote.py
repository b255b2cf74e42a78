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

from grader.sandbox import cgroups, heap, landlock, seccomp
from grader.sandbox.children import (kill_worker, remove_tree, rss_mb, settle_thread_pools, sweep_orphans,
                                     threads, wait_pid)
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
from grader.sandbox.state import ZygoteState
from grader.sandbox.wire import send_control


def probe_state(device: str, tmp_root: str | None) -> ZygoteState:
    """What this machine allows a worker, each step tried once in a throw-away child."""
    abi = landlock.abi_version()
    paths = read_paths()
    root = os.getuid() == 0
    # root: each worker gets its own uid (RLIMIT_NPROC is not enforced for root). Keep
    # CAP_DAC_READ_SEARCH only where the Python install sits in a private dir (/root/.pyenv).
    drop_uid, keep_dac = False, False
    if root:
        if probe_drop(paths, keep_dac=False):
            drop_uid = True
        elif probe_drop(paths, keep_dac=True):
            drop_uid = keep_dac = True
    # covered with empty tmpfs in the worker (its own dir is re-created inside afterwards),
    # unless the Python install lives there
    hide = [d for d in ("/tmp", "/var/tmp", "/run") if os.path.isdir(d) and not os.path.islink(d)
            and not any(inside(p, (d,)) for p in paths)]
    tmpfs = can_mount_scratch(hide)
    if not tmpfs:
        hide = []
    # root: a private /proc (other users' processes invisible: no argv, no pids of the judge
    # or of classmates) and an IPC namespace per worker, gone with its last process
    private_proc = tmpfs and drop_uid and can_mount_private_proc()
    ipc_namespace = tmpfs and can_unshare_ipc()
    # Unless /tmp and /run are covered, pathname unix sockets (ssh-agent, tmux, D-Bus of the
    # user running the grader) stay reachable: then no unix sockets at all. /tmp stays
    # visible when the Python install lives under it (a CI clone in /tmp, say).
    families = [seccomp.AF_INET, seccomp.AF_INET6, seccomp.AF_PACKET]
    sockets_hidden = all(d in hide for d in ("/tmp", "/run") if os.path.isdir(d))
    if not (tmpfs and drop_uid and sockets_hidden):
        families.append(seccomp.AF_UNIX)
    memory, no_memory_why = cgroups.create()
    conditions = {c for c, holds in ((seccomp.NO_IPC_NAMESPACE, not ipc_namespace),
                                     (seccomp.NO_MEMORY_CGROUP, memory is None)) if holds}
    syscalls, no_syscalls_why = seccomp.build(tuple(families), conditions)
    return ZygoteState(device=device, tmp_root=tmp_root, abi=abi, read_paths=paths,
                       devices=device_paths() if device == "cuda" else [], root=root,
                       drop_uid=drop_uid, keep_dac=keep_dac, hide=hide, tmpfs=tmpfs,
                       private_proc=private_proc, ipc_namespace=ipc_namespace,
                       socket_families=families, syscalls=syscalls, no_syscalls_why=no_syscalls_why,
                       memory=memory, no_memory_why=no_memory_why)


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

    # No parallel region may run here: torch's libgomp would leave a thread pool behind that
    # hangs a forked worker's own first parallel region. One thread until the forks; workers
    # get torch's default back (or Limits.threads).
    workers_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    warm_up()
    from grader.checks.executor import seal_engine
    seal_engine()  # every worker inherits the frozen engine and its snapshot
    torch.set_num_threads(workers_threads)
    if settle_thread_pools() != 1:
        raise RuntimeError(f"the zygote has {threads()} threads after its start-up: a worker forked "
                           "from it could hang (an OpenMP pool) or deadlock (a lock held by a thread)")
    heap.freeze()
    # Orphans of a worker (double fork, setsid) are re-parented to us, so we can kill them.
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    state = probe_state(device, tmp_root)
    level = state.level()
    exposed = exposed_paths(state, protect)
    if exposed:
        level += "; WARNING: workers can read " + ", ".join(exposed)
    send_control(ctl, {"ok": True, "pid": os.getpid(), "sandbox_level": level, "exposed": exposed,
                       "landlock_abi": state.abi, "rss_mb": rss_mb(os.getpid()),
                       "threads": threads()})
    try:
        serve(ctl, state)
    finally:
        for pid in list(state.workers):
            kill_worker(pid)
            wait_pid(pid)
            remove_tree(state.workers.pop(pid))
        sweep_orphans(state.workers)
        if state.memory is not None:
            state.memory.close()
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
