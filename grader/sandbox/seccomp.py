"""A small seccomp filter: no new network sockets for student code.

Landlock (ABI 7) stops TCP but not UDP, and not connecting to unix sockets that have a path
(a tmux server, an ssh-agent, the session D-Bus of the instructor running the grader). The
filter refuses socket() for the listed address families and datagram socketpairs (which can
`sendto` a path), and, where the worker has no IPC namespace of its own, SysV IPC and POSIX
message queues, with EACCES. Syscalls of another ABI (x32, i386 through int 0x80, where
socketcall hides its arguments) are refused outright.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct

AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET = 1, 2, 10, 16, 17
SOCK_DGRAM = 2

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
RET_ALLOW = 0x7FFF0000
RET_ERRNO = 0x00050000

# per architecture: (AUDIT_ARCH, socket, socketpair)
ARCHES = {"x86_64": (0xC000003E, 41, 53), "aarch64": (0xC00000B7, 198, 199)}
# SysV IPC (shm*, sem*, msg*) and POSIX message queues (mq_*): machine-wide unless the worker has
# an IPC namespace, so a channel between classmates; refused then
IPC_CALLS = {"x86_64": (29, 30, 31, 64, 65, 66, 67, 68, 69, 70, 71, 220, 240, 241, 242, 243, 244, 245),
             "aarch64": tuple(range(180, 198))}

LD_W_ABS, JEQ_K, JGE_K, AND_K, RET_K = 0x20, 0x15, 0x35, 0x54, 0x06
OFF_NR, OFF_ARCH, OFF_ARG0, OFF_ARG1 = 0, 4, 16, 24

_libc = ctypes.CDLL(None, use_errno=True)


class _Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def available() -> bool:
    return platform.machine() in ARCHES


def _program(deny_families: tuple[int, ...], deny_ipc: bool = False) -> list[tuple[int, int, int, int]]:
    arch, nr_socket, nr_socketpair = ARCHES[platform.machine()]
    ipc = [(JEQ_K, "deny", None, nr) for nr in IPC_CALLS[platform.machine()]] if deny_ipc else []
    # instructions as (code, jump-if-true label, jump-if-false label, k); labels resolved below
    prog: list[tuple[object, object, object, int]] = [
        (LD_W_ABS, None, None, OFF_ARCH),
        (JEQ_K, None, "deny", arch),
        (LD_W_ABS, None, None, OFF_NR),
        (JGE_K, "deny", None, 0x40000000),          # x32 system calls
        *ipc,
        (JEQ_K, None, "pair", nr_socket),
        (LD_W_ABS, None, None, OFF_ARG0),
    ]
    for family in deny_families:
        prog.append((JEQ_K, "deny", None, family))
    prog.append((JEQ_K, "allow", "allow", 0))
    prog += [
        ("pair", None, None, 0),
        (JEQ_K, None, "allow", nr_socketpair),
        (LD_W_ABS, None, None, OFF_ARG1),
        (AND_K, None, None, 0xF),                    # the type without SOCK_CLOEXEC / NONBLOCK
        (JEQ_K, "deny", "allow", SOCK_DGRAM),
        ("allow", None, None, 0),
        (RET_K, None, None, RET_ALLOW),
        ("deny", None, None, 0),
        (RET_K, None, None, RET_ERRNO | errno.EACCES),
    ]
    labels: dict[str, int] = {}
    code: list[tuple[int, object, object, int]] = []
    for ins in prog:
        if isinstance(ins[0], str):
            labels[ins[0]] = len(code)
        else:
            code.append((int(ins[0]), ins[1], ins[2], ins[3]))  # type: ignore[call-overload]
    out = []
    for i, (op, jt, jf, k) in enumerate(code):
        rel = lambda label: 0 if label is None else labels[label] - i - 1  # noqa: E731
        out.append((op, rel(jt), rel(jf), k))
    return out


def restrict(deny_families: tuple[int, ...], *, deny_ipc: bool = False) -> None:
    """Install the filter for this process and everything it starts."""
    prog = _program(deny_families, deny_ipc)
    raw = b"".join(struct.pack("=HBBI", op, jt, jf, k) for op, jt, jf, k in prog)
    buf = ctypes.create_string_buffer(raw, len(raw))
    fprog = _Fprog(len(prog), ctypes.cast(buf, ctypes.c_void_p))
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
            _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"seccomp: {os.strerror(err)}")
