"""A worker's life after the fork: confine itself, import the student's module, answer the
judge's requests until EOF. A worker spawned `reusable` (isolation "student") also answers
{"op": "load"}: the same student's next exercise, imported as its own module in this process
when nothing the previous one left is off (grader/sandbox/reuse.py), else `unclean`."""

from __future__ import annotations

from grader.checks.integrity import ENGINE_BUILTINS as __builtins__  # type: ignore[no-redef]  # noqa: F401 - the seal's, see integrity

import importlib
import os
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader import costs
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
from grader.sandbox.reuse import Baseline
from grader.sandbox.wire import HEADER, MAX_FRAME, READY, SETUP_DONE, recv_exact

if TYPE_CHECKING:
    from grader.sandbox.state import ZygoteState


def worker_main(state: ZygoteState, message: dict, tempdir: str, sock_fd: int, out_fd: int,
                err_fd: int) -> None:
    costs.TOTALS.clear()     # the zygote's own parts are the zygote's to report
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
    baseline = None
    if message.get("reusable"):
        baseline = Baseline.take(tempdir, (tempdir, "/dev/shm") if state.tmpfs else (tempdir,), allowed,
                                 int(limits["memory_mb"]))
    sock = socket.socket(fileno=sock_fd)
    costs.add("setup", time.process_time())   # this process's CPU since the fork
    sock.sendall(HEADER.pack(SETUP_DONE))  # from here on, a failure is the student's
    serve_requests(sock, message, tempdir, baseline)


def serve_requests(sock: socket.socket, message: dict, tempdir: str, baseline: Baseline | None = None) -> None:
    from grader.checks import codec
    from grader.checks.executor import Executor

    # What the loop calls after the seal's last check of a request, bound before the student's
    # import: a module attribute or a socket method rebound later does not reach the reply.
    answer, loads, dumps, oom, flush = Executor.handle, codec.loads, codec.dumps, _oom_from_allocator, _flush
    send, pack, unpack, header_size = socket.socket.sendall, HEADER.pack, HEADER.unpack, HEADER.size
    load, counting, with_costs, add_cost, thread_time = _load, costs.ON, _with_costs, costs.add, time.thread_time
    executor = _import(message, tempdir)
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
            start = thread_time() if counting else 0.0
            request = loads(data)
            if counting:
                add_cost("frame", thread_time() - start)
                start = thread_time()
            if type(request) is dict and request.get("op") == "load":
                reply, executor = load(request, tempdir, baseline, executor)
                part = "load"
            else:
                reply = answer(executor, request)
                part = "handle"
            if counting:
                add_cost(part, thread_time() - start)
                reply = with_costs(request, reply)
        except BaseException as exc:  # noqa: BLE001 - a SystemExit from a student __del__, ...
            reply = {"ok": False, "error": {"kind": "exception", "message": f"{type(exc).__name__}: {exc}"}}
        reply = oom(reply)
        frame_start = thread_time() if counting else 0.0
        try:
            frame = dumps(reply)
        except MemoryError:
            frame = dumps({"ok": False, "error": {"kind": "oom", "message": "ran out of memory"}})
        except Exception as exc:  # noqa: BLE001
            frame = dumps({"ok": False, "error": {"kind": "not_plain", "message": f"reply could not be encoded: {exc}"}})
        if counting:
            add_cost("frame", thread_time() - frame_start)
        flush()
        send(sock, pack(len(frame)))
        send(sock, frame)


def _with_costs(request: Any, reply: Any) -> Any:
    """Benchmarks only (grader/costs.py): a request counted; the judge's last request of an
    exercise (verify) carries this worker's parts since the last one, with the seal's share
    estimated from what a check of it costs here and now. (What it keeps between calls lives in
    grader.costs: a table of this sealed module that changed would read as tampering.)"""
    costs.add("requests", 1)
    if type(request) is not dict or request.get("op") != "verify" or type(reply) is not dict:
        return reply
    from grader.checks import integrity
    marks = costs.MARKS
    start = time.thread_time()
    if "seal_check" not in marks:     # once per worker: what one whole check of the seal costs here
        marks["seal_check"] = min(_cpu_of(integrity.changes) for _ in range(2))
    # the executor checks the seal before a module's first request and after every request
    costs.add("seal_estimate", (costs.TOTALS.get("requests", 0.0) + 1) * marks["seal_check"])
    costs.add("bench", time.thread_time() - start)
    now = time.process_time()
    costs.add("cpu", now - marks.get("reported", 0.0))      # all of it, in this process, since the last report
    marks["reported"] = now
    return dict(reply, costs=costs.take())


def _cpu_of(fn: Any) -> float:
    start = time.thread_time()
    fn()
    return time.thread_time() - start


def _import(message: dict, tempdir: str) -> Any:
    """The exercise's module imported (or why not) under a sealed executor."""
    from grader.checks.executor import Executor
    with costs.measure("import"):
        executor = Executor.from_file(Path(tempdir, message["module_file"]), message["module_name"],
                                      message.get("forbid") or {}, seal=True)
    _flush()
    return executor


def _load(request: dict, tempdir: str, baseline: Baseline | None, executor: Any) -> tuple[dict, Any]:
    """The same student's next exercise in this worker, answered as its first request ("has")
    would be in a fresh one; or `unclean` with what the previous exercise left behind (the
    judge then forks a fresh worker for it)."""
    if baseline is None:
        return {"ok": True, "value": False, "unclean": ["this worker serves one exercise"]}, executor
    try:
        unclean = baseline.leftovers()
        if not unclean:
            baseline.kept.append(executor)      # its module and objects stay alive, unreachable
            baseline.restore()
            write_files(tempdir, request["files"])
            importlib.invalidate_caches()
    except Exception as exc:  # noqa: BLE001 - a worker that cannot be reset is not reused
        unclean = [f"it could not be reset ({type(exc).__name__}: {exc})"]
    if unclean:
        return {"ok": True, "value": False, "unclean": unclean}, executor
    executor = _import(request, tempdir)
    return executor.handle({"op": "has", "name": str(request.get("has", ""))}), executor


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


