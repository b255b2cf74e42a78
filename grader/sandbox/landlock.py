"""Landlock through raw syscalls (ctypes): no root, no extra package.

Landlock lets an unprivileged process give up filesystem (ABI >= 1), TCP (ABI >= 4) and
signal / abstract-unix-socket (ABI >= 6) access for itself and every process it starts later.
The worker calls `restrict(...)` once, after the fork, before any student code runs.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
import struct
from pathlib import Path
from typing import Iterable

SYS_CREATE_RULESET = 444
SYS_ADD_RULE = 445
SYS_RESTRICT_SELF = 446
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

# filesystem rights
EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
REMOVE_DIR = 1 << 4
REMOVE_FILE = 1 << 5
MAKE_CHAR = 1 << 6
MAKE_DIR = 1 << 7
MAKE_REG = 1 << 8
MAKE_SOCK = 1 << 9
MAKE_FIFO = 1 << 10
MAKE_BLOCK = 1 << 11
MAKE_SYM = 1 << 12
REFER = 1 << 13        # ABI 2
TRUNCATE = 1 << 14     # ABI 3
IOCTL_DEV = 1 << 15    # ABI 5
# network rights (ABI 4)
BIND_TCP = 1 << 0
CONNECT_TCP = 1 << 1
# scopes (ABI 6)
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0
SCOPE_SIGNAL = 1 << 1

# rights that make sense on a regular file (anything else on a file rule is EINVAL)
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
READ = EXECUTE | READ_FILE | READ_DIR

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class LandlockError(OSError):
    pass


def _syscall(number: int, *args: object) -> int:
    result = _libc.syscall(ctypes.c_long(number), *args)
    if result < 0:
        err = ctypes.get_errno()
        raise LandlockError(err, f"landlock syscall {number}: {os.strerror(err)}")
    return int(result)


def abi_version() -> int:
    """0 when the kernel has no Landlock (or it is disabled at boot)."""
    try:
        return _syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0),
                        ctypes.c_uint32(CREATE_RULESET_VERSION))
    except LandlockError as exc:
        if exc.errno in (errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL, errno.EPERM):
            return 0
        raise


def fs_rights(abi: int) -> int:
    rights = (1 << 13) - 1
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


def describe(abi: int) -> str:
    if abi <= 0:
        return "rlimits only: kernel has no landlock (files and network are NOT confined)"
    parts = ["filesystem"]
    parts.append("tcp" if abi >= 4 else "tcp NOT restricted (needs landlock ABI 4)")
    if abi >= 6:
        parts.append("signal/abstract-socket scoping")
    return f"landlock-abi{abi} ({' + '.join(parts)})"


def restrict(abi: int, *, read: Iterable[str | Path], write: Iterable[str | Path],
             devices: Iterable[str | Path] = ()) -> None:
    """Confine this process: `read` paths read/execute only, `write` paths full access,
    `devices` read/write/ioctl (GPU device files). Missing paths are skipped. No TCP (ABI >= 4);
    no signals or abstract unix sockets outside the sandbox (ABI >= 6)."""
    if abi <= 0:
        return
    handled_fs = fs_rights(abi)
    if abi >= 6:
        attr = struct.pack("=QQQ", handled_fs, BIND_TCP | CONNECT_TCP,
                           SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL)
    elif abi >= 4:
        attr = struct.pack("=QQ", handled_fs, BIND_TCP | CONNECT_TCP)
    else:
        attr = struct.pack("=Q", handled_fs)
    buf = ctypes.create_string_buffer(attr, len(attr))
    ruleset = _syscall(SYS_CREATE_RULESET, buf, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    try:
        file_read = READ_FILE | EXECUTE
        file_rw = READ_FILE | WRITE_FILE | (TRUNCATE if abi >= 3 else 0)
        for path in read:
            _add(ruleset, path, READ & handled_fs, file_read)
        for path in write:
            _add(ruleset, path, handled_fs, file_rw)
        for path in devices:
            _add(ruleset, path, READ_FILE | WRITE_FILE | (IOCTL_DEV if abi >= 5 else 0) | READ_DIR,
                 file_rw | (IOCTL_DEV if abi >= 5 else 0))
        if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            err = ctypes.get_errno()
            raise LandlockError(err, f"prctl(NO_NEW_PRIVS): {os.strerror(err)}")
        _syscall(SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)


def _add(ruleset: int, path: str | Path, dir_rights: int, file_rights: int) -> None:
    try:
        fd = os.open(str(path), os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # a path this machine does not have
    try:
        is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
        rights = dir_rights if is_dir else (dir_rights & file_rights)
        attr = struct.pack("=Qi", rights, fd)
        buf = ctypes.create_string_buffer(attr, len(attr))
        _syscall(SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH), buf,
                 ctypes.c_uint32(0))
    finally:
        os.close(fd)
