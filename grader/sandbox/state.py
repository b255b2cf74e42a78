"""What the zygote learned about this machine once, at start-up, and the sandbox level it spells
out: `ZygoteState`, filled by `zygote.probe_state`, read by the modules that spawn, confine and
reap workers (which is why it lives apart from all of them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.sandbox import landlock
from grader.sandbox.cgroups import MemoryCgroups
from grader.sandbox.seccomp import Filter


@dataclass
class ZygoteState:
    device: str
    tmp_root: str | None
    abi: int                        # Landlock ABI, 0 without
    read_paths: list[str]
    devices: list[str]              # device files a CUDA worker needs
    root: bool
    drop_uid: bool                  # root: each worker its own uid
    keep_dac: bool                  # ...keeping CAP_DAC_READ_SEARCH (python install in a private dir)
    hide: list[str]                 # covered with empty tmpfs in a worker
    tmpfs: bool                     # private tmpfs scratch dir and /dev/shm
    private_proc: bool
    ipc_namespace: bool
    socket_families: list[int]      # socket() refuses these
    syscalls: Filter | None         # the compiled seccomp policy; None: no filter
    no_syscalls_why: str
    memory: MemoryCgroups | None    # a memory cgroup per worker; None: RLIMIT_AS only
    no_memory_why: str
    workers: dict[int, str] = field(default_factory=dict)   # pid -> tempdir
    owners: dict[int, int] = field(default_factory=dict)    # pid -> control socket fd of its judge
    judges: dict[int, Any] = field(default_factory=dict)    # control socket fd -> control._Judge

    @property
    def deny_ipc(self) -> bool:
        """Without an IPC namespace SysV IPC and POSIX message queues are machine-wide."""
        return not self.ipc_namespace

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
        if self.syscalls is not None:
            text += "; " + self.syscalls.describe()
        else:
            text += (f"; no seccomp ({self.no_syscalls_why}): UDP, unix sockets, the keyring and "
                     "ptrace NOT restricted")
            if self.deny_ipc:
                text += "; SysV IPC NOT confined (no IPC namespace, no seccomp)"
        if self.memory is not None:
            text += "; " + self.memory.describe()
        else:
            how = "address space only (RLIMIT_AS" if self.device == "cpu" else "resident set only (judge"
            text += (f"; memory: {how}; no memory cgroup: {self.no_memory_why})"
                     + (", memfd refused" if self.syscalls is not None else
                        ", memory held in memfds NOT counted"))
        text += "; rlimits (memory, processes, file size)" if self.device == "cpu" else \
            "; rlimits (processes, file size) + judge RSS watchdog"
        return text
