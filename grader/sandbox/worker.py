"""A worker's life after the fork: confine itself, import the student's module, answer the
judge's requests until EOF."""

from __future__ import annotations

from grader.checks.integrity import ENGINE_BUILTINS as __builtins__  # type: ignore[no-redef]  # noqa: F401 - the seal's, see integrity

import os
import signal
import socket
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.sandbox import landlock
from grader.sandbox.confine import (
    CAP_DAC_READ_SEARCH,
    PR_CAPBSET_DROP,
    PR_SET_PDEATHSIG,
    UID_BASE,
    drop_privileges,
    keep_only_dac_read_search,
    libc,
    mount_scratch,
    scrub_environment,
    set_limits,
    write_files,
)
from grader.sandbox.paths import inside
from grader.sandbox.wire import HEADER, MAX_FRAME, READY, SETUP_DONE, recv_exact

if TYPE_CHECKING:
    from grader.sandbox.state import ZygoteState


def worker_main(state: ZygoteState, message: dict, tempdir: str, sock_fd: int, out_fd: int,
                err_fd: int) -> None:
    os.setsid()
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    for fd in (null, out_fd, err_fd):
        os.close(fd)
    limits = message["limits"]
    if state.memory is not None:   # first: every page from here on is counted
        state.memory.join(int(limits["memory_mb"]))
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
    if state.syscalls is not None:
        state.syscalls.install()
    if state.drop_uid:
        drop_privileges(uid, state.keep_dac)
    elif state.root:  # stuck with uid 0: at least no capability (modules, raw I/O, ...) is left
        for cap in range(64):
            if cap != CAP_DAC_READ_SEARCH:
                libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
        keep_only_dac_read_search()
    scrub_environment(tempdir, state.device)
    os.chdir(tempdir)
    tempfile.tempdir = tempdir  # the zygote cached /tmp, where the worker may not write
    # The judge's sys.path may name the course root; the engine is already imported, so only
    # installs stay, and the submission's folder goes last (a torch.py there shadows nothing).
    allowed = tuple(state.read_paths)
    sys.path[:] = [p for p in sys.path if p and inside(os.path.realpath(p), allowed)] + [tempdir]
    if int(limits.get("threads") or 0) > 0:
        import torch
        torch.set_num_threads(int(limits["threads"]))
    sock = socket.socket(fileno=sock_fd)
    sock.sendall(HEADER.pack(SETUP_DONE))  # from here on, a failure is the student's
    serve_requests(sock, message, tempdir)


def serve_requests(sock: socket.socket, message: dict, tempdir: str) -> None:
    from grader.checks import codec
    from grader.checks.executor import Executor

    # What the loop calls after the seal's last check of a request, bound before the student's
    # import: a module attribute or a socket method rebound later does not reach the reply.
    answer, loads, dumps, oom, flush = Executor.handle, codec.loads, codec.dumps, _oom_from_allocator, _flush
    send, pack, unpack, header_size = socket.socket.sendall, HEADER.pack, HEADER.unpack, HEADER.size
    executor = Executor.from_file(Path(tempdir, message["module_file"]), message["module_name"],
                                  message.get("forbid") or {}, seal=True)
    flush()
    send(sock, pack(READY))
    while True:
        header = recv_exact(sock, header_size)
        if header is None:
            return
        (n,) = unpack(header)
        if n > MAX_FRAME:
            return
        data = recv_exact(sock, n)
        if data is None:
            return
        try:
            reply = answer(executor, loads(data))
        except BaseException as exc:  # noqa: BLE001 - a SystemExit from a student __del__, ...
            reply = {"ok": False, "error": {"kind": "exception", "message": f"{type(exc).__name__}: {exc}"}}
        reply = oom(reply)
        try:
            frame = dumps(reply)
        except MemoryError:
            frame = dumps({"ok": False, "error": {"kind": "oom", "message": "ran out of memory"}})
        except Exception as exc:  # noqa: BLE001
            frame = dumps({"ok": False, "error": {"kind": "not_plain", "message": f"reply could not be encoded: {exc}"}})
        flush()
        send(sock, pack(len(frame)))
        send(sock, frame)


def _oom_from_allocator(reply: Any) -> Any:
    """torch reports a failed CPU allocation as RuntimeError, not MemoryError."""
    if type(reply) is dict and reply.get("ok") is False and type(reply.get("error")) is dict:
        error = reply["error"]
        text = str(error.get("message", ""))
        if error.get("kind") in ("exception", "load") and (
                "can't allocate memory" in text or "out of memory" in text.lower()):
            reply = dict(reply, error=dict(error, kind="oom"))
    return reply


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a student may have replaced or closed them
            pass


