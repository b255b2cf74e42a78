"""The zygote's control loop: requests from every judge attached to it (spawn a worker,
reap one, attach another judge, info), answered one at a time; a reap that waits for its
worker does not hold the other judges up."""

from __future__ import annotations

import os
import select
import signal
import socket
import sys
import tempfile
import time
import traceback
from typing import TYPE_CHECKING, Any

from grader.sandbox.children import (
    children,
    fork_single_threaded,
    group_has_members,
    kill_worker,
    remove_tree,
    sweep_orphans,
    threads,
    wait_pid,
)
from grader.sandbox.confine import safe_relpath
from grader.sandbox.wire import close_fd, recv_control, send_control
from grader.sandbox.worker import worker_main

if TYPE_CHECKING:
    from grader.sandbox.state import ZygoteState

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
        reaps = [j.reaping for j in waiting if j.reaping is not None]
        timeout = max(0.0, min(r[1] for r in reaps) - time.monotonic()) if reaps else None
        readable: list[Any] = [j.sock for j in judges.values() if j.reaping is None]
        readable += [r[2] for r in reaps if r[2] is not None]
        try:
            ready, _, _ = select.select(readable, [], [], timeout)
        except InterruptedError:
            continue
        for judge in waiting:
            _finish_reap_if_due(state, judge)
        for sock in ready:
            if not isinstance(sock, socket.socket):
                continue
            asker = judges.get(sock.fileno())
            if asker is None or asker.reaping is not None:
                continue
            message, fds = recv_control(sock)
            if message is None:
                if asker.primary:
                    return
                _detach(state, asker)
                continue
            reply = _answer(state, asker, message, fds)
            if reply is not None:
                _send(state, asker, reply)


def _answer(state: ZygoteState, judge: _Judge, message: dict, fds: list[int]) -> dict | None:
    """The reply to one request, or None when it comes later (a reap that waits)."""
    op = message.get("op")
    try:
        if op == "spawn":
            reply = spawn(state, message, fds)
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
            try:   # answered here: the reply carries the new connection's other end
                send_control(judge.sock, {"ok": True}, [theirs.fileno()])
            finally:
                theirs.close()
            return None
        elif op == "info":
            import torch
            reply = {"ok": True, "modules": sorted(sys.modules), "pid": os.getpid(),
                     "cuda_initialized": bool(torch.cuda.is_initialized()),
                     "workers": sorted(state.workers), "children": sorted(children()),
                     "judges": len(state.judges), "threads": threads(),
                     "torch_threads": torch.get_num_threads()}
        else:
            reply = {"ok": False, "error": f"unknown op {op!r}"}
    except Exception as exc:  # noqa: BLE001 - report, keep serving other submissions
        reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}", "detail": traceback.format_exc()}
    finally:
        for fd in fds:
            close_fd(fd)
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


def _stop_waiting(judge: _Judge) -> None:
    if judge.reaping is not None and judge.reaping[2] is not None:
        close_fd(judge.reaping[2])
    judge.reaping = None


def _finish_reap_if_due(state: ZygoteState, judge: _Judge) -> None:
    assert judge.reaping is not None
    pid, deadline, _ = judge.reaping
    done, status = os.waitpid(pid, os.WNOHANG)
    if not done and time.monotonic() < deadline:
        return
    _stop_waiting(judge)
    _send(state, judge, finish_reap(state, pid, status if done else None))


def _detach(state: ZygoteState, judge: _Judge) -> None:
    """A judge other than the primary went away: its workers go too, nobody else's."""
    fd = judge.sock.fileno()
    _stop_waiting(judge)
    for pid in [p for p, owner in state.owners.items() if owner == fd]:
        if pid in state.workers:
            finish_reap(state, pid, None)
    state.judges.pop(fd, None)
    judge.sock.close()


def spawn(state: ZygoteState, message: dict, fds: list[int]) -> dict:
    if len(fds) != 3:
        raise ValueError("spawn needs 3 descriptors")
    tempdir = tempfile.mkdtemp(prefix="tg-w-", dir=state.tmp_root)
    try:
        for name in message["files"]:
            safe_relpath(name)
        safe_relpath(message["module_file"])
    except BaseException:
        remove_tree(tempdir)
        raise
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        pid = fork_single_threaded()
    except BaseException:
        remove_tree(tempdir)
        raise
    if pid == 0:
        code = 70
        try:
            # the worker must never be able to ask us for anything, for any judge (the
            # one that asked is among them)
            for judge in list(state.judges.values()):
                judge.sock.close()
                _stop_waiting(judge)
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


def finish_reap(state: ZygoteState, pid: int, status: int | None) -> dict:
    """Kill the worker's process group (status None: it is still running) and every orphan it
    left behind; report how it ended."""
    ended_by_itself = status is not None
    # members of its group still around (background processes) are killed too
    killed = status is None or group_has_members(pid)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if status is None:
        kill_worker(pid)
        status = wait_pid(pid)
        killed = True
    killed = sweep_orphans(state.workers) or killed
    # how its memory cgroup saw it (an OOM kill, the peak); then the cgroup goes
    memory = state.memory.release(pid) if state.memory is not None else {}
    remove_tree(state.workers.pop(pid))
    state.owners.pop(pid, None)
    exit_status = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    return {"ok": True, "exit_status": exit_status, "signal": sig, "killed": killed,
            "ended_by_itself": ended_by_itself, **memory}
