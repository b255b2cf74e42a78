"""The judge's side of the sandbox: start a clean zygote (or attach to the run's), ask it for
workers, reap and close. Talking to one worker is grader.sandbox.connection's `Worker`.
"""

from __future__ import annotations

import base64
import fcntl
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from grader.sandbox.connection import Worker, ZygoteError
from grader.sandbox.wire import Limits, recv_control, send_control

F_SETPIPE_SZ = 1031
GRADER_PARENT = str(Path(__file__).resolve().parents[2])
# Variables the zygote inherits: enough to find libraries and GPUs, nothing about the grading.
ZYGOTE_ENV = ("PATH", "LANG", "LC_ALL", "LD_LIBRARY_PATH", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


# The zygote's whole command line: it reads where the engine is and what to protect from the
# control socket (see Zygote.__init__), so no path is in its argv.
BOOT = ("import json, socket, struct, sys; s = socket.socket(fileno={fd}); "
        "n = struct.unpack('>Q', s.recv(8, socket.MSG_WAITALL))[0]; "
        "c = json.loads(s.recv(n, socket.MSG_WAITALL)); sys.path.insert(0, c['path']); "
        "from grader.sandbox.zygote import main; "
        "main(s.detach(), c['device'], c['tmp_root'], c['protect'])")


def zygote_environment(protect: Any = ()) -> dict[str, str]:
    """What the zygote (and so every worker's /proc/self/environ) starts with: enough to find
    libraries and GPUs, no instructor path (solutions, the class, the output)."""
    env = {k: v for k, v in os.environ.items() if k in ZYGOTE_ENV or k.startswith(("CUDA_", "NVIDIA_"))}
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"   # workers set their own; the zygote runs nothing
    secret = [os.path.realpath(str(p)).rstrip("/") for p in protect]
    for key, value in env.items():
        if "/" in value:
            env[key] = ":".join(p for p in value.split(":")
                                if not any(p == d or p.startswith(d + "/") for d in secret))
    return env


class Zygote:
    def __init__(self, device: str = "cpu", limits: Limits | None = None, *,
                 tmp_root: str | os.PathLike | None = None, start_timeout: float = 120.0,
                 protect: list[str | os.PathLike] | tuple[str | os.PathLike, ...] = ()) -> None:
        """protect: instructor paths (solutions/, hidden checks, the output folder) that must stay
        unreadable; any that a worker could read is named in sandbox_level and in `exposed`."""
        if device not in ("cpu", "cuda"):
            raise ValueError(f"device must be 'cpu' or 'cuda', not {device!r}")
        self.device = device
        self.limits = limits or Limits()
        self._lock = threading.Lock()
        self._closed = False
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._ctl = ours
        env = zygote_environment(protect)
        self._errlog: Any = tempfile.TemporaryFile()
        self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, "-I", "-c", BOOT.format(fd=theirs.fileno())], pass_fds=(theirs.fileno(),),
            env=env, stdin=subprocess.DEVNULL, stdout=self._errlog, stderr=self._errlog,
            start_new_session=True, cwd="/")
        theirs.close()
        # Paths go over the socket, never on the command line: every process may read every
        # other's /proc/<pid>/cmdline, and a worker's own is the zygote's.
        send_control(ours, {"path": GRADER_PARENT, "device": device,
                            "tmp_root": str(tmp_root) if tmp_root else None,
                            "protect": [str(p) for p in protect]})
        hello = self._receive(start_timeout, "start")
        self._learn(hello)

    def _learn(self, hello: dict) -> None:
        """What the zygote said of itself when it started (also what an attached judge is told)."""
        self.pid: int = int(hello["pid"])
        self.sandbox_level: str = str(hello["sandbox_level"])
        self.landlock_abi: int = int(hello["landlock_abi"])
        self.exposed: list[str] = list(hello.get("exposed") or [])
        # what a worker shares with the zygote (torch) is not the student's memory use
        self.baseline_rss_mb: float = float(hello.get("rss_mb") or 0.0)

    # ------------------------------------------------------------------ one zygote, several judges

    def facts(self) -> dict:
        """What a judge attached to this zygote needs to know of it (plain data)."""
        return {"device": self.device, "limits": self.limits.to_dict(), "pid": self.pid,
                "sandbox_level": self.sandbox_level, "landlock_abi": self.landlock_abi,
                "exposed": list(self.exposed), "rss_mb": self.baseline_rss_mb}

    def attach(self) -> socket.socket:
        """A control connection of its own for another judge process: one zygote then serves a
        whole run (one torch start instead of one per judge). Pass it, with facts(), to
        Zygote.attached in that process."""
        reply, fds = self._exchange({"op": "attach"})
        if not reply.get("ok") or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            raise ZygoteError(f"the sandbox zygote gave no connection: {reply.get('error')}")
        return socket.socket(fileno=fds[0])

    @classmethod
    def attached(cls, sock: socket.socket, facts: dict) -> "Zygote":
        """The client of a zygote another process started (see attach). Closing it ends only
        this judge's workers; the zygote lives until the process that started it closes it."""
        self = cls.__new__(cls)
        self.device = str(facts["device"])
        self.limits = Limits(**facts["limits"])
        self._lock = threading.Lock()
        self._closed = False
        self._ctl = sock
        self._proc = None
        self._errlog = None
        self._learn(facts)
        return self

    def _receive(self, timeout: float | None, what: str) -> dict:
        message, fds = self._receive_with_fds(timeout, what)
        for fd in fds:
            os.close(fd)
        return message

    def _receive_with_fds(self, timeout: float | None, what: str) -> tuple[dict, list[int]]:
        self._ctl.settimeout(timeout)
        try:
            message, fds = recv_control(self._ctl)
        except (socket.timeout, OSError) as exc:
            raise ZygoteError(f"sandbox zygote did not answer ({what}): {exc}{self._log_tail()}") from None
        if message is None:
            for fd in fds:
                os.close(fd)
            raise ZygoteError(f"sandbox zygote exited ({what}){self._log_tail()}")
        return message, fds

    def _log_tail(self) -> str:
        if self._errlog is None:     # attached: the zygote's output is its starter's
            return ""
        try:
            self._errlog.seek(0)
            text = self._errlog.read()[-4000:].decode(errors="replace").strip()
        except (OSError, ValueError):
            return ""
        return f"\n--- zygote output ---\n{text}" if text else ""

    def _call(self, message: dict, fds: tuple[int, ...] = (), timeout: float | None = 60.0) -> dict:
        reply, received = self._exchange(message, fds, timeout)
        for fd in received:
            os.close(fd)
        return reply

    def _exchange(self, message: dict, fds: tuple[int, ...] = (),
                  timeout: float | None = 60.0) -> tuple[dict, list[int]]:
        """One request and its reply, with the descriptors the reply carries."""
        with self._lock:
            if self._closed:
                raise ZygoteError("the sandbox zygote is closed")
            try:
                send_control(self._ctl, message, fds)
            except OSError as exc:
                raise ZygoteError(f"sandbox zygote is gone: {exc}{self._log_tail()}") from None
            return self._receive_with_fds(timeout, str(message.get("op")))

    def info(self) -> dict:
        """Facts about the zygote process (tests: loaded modules, CUDA state, children)."""
        return self._call({"op": "info"})

    # ------------------------------------------------------------------ workers

    def spawn(self, files: dict[str, bytes], module_file: str, module_name: str,
              forbid: dict[str, list[str]] | None = None, *, limits: Limits | None = None) -> "Worker":
        limits = limits or self.limits
        sock_ours, sock_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        for fd in (out_r, err_r):
            try:
                fcntl.fcntl(fd, F_SETPIPE_SZ, 1 << 20)
            except OSError:
                pass
        message = {"op": "spawn", "files": {str(k): base64.b64encode(bytes(v)).decode()
                                            for k, v in files.items()},
                   "module_file": str(module_file), "module_name": str(module_name),
                   "forbid": {str(k): [str(n) for n in v] for k, v in (forbid or {}).items()},
                   "limits": limits.to_dict()}
        started = time.monotonic()
        try:
            reply = self._call(message, (sock_theirs.fileno(), out_w, err_w))
        except BaseException:
            for fd in (out_r, err_r):
                os.close(fd)
            sock_ours.close()
            raise
        finally:
            sock_theirs.close()
            os.close(out_w)
            os.close(err_w)
        if not reply.get("ok"):
            for fd in (out_r, err_r):
                os.close(fd)
            sock_ours.close()
            raise ValueError(f"could not start a worker: {reply.get('error')}")
        return Worker(self, int(reply["pid"]), str(reply["tempdir"]), sock_ours, out_r, err_r,
                      limits, started)

    def reap(self, pid: int, grace: float) -> dict:
        """Reap worker `pid`, killing it unless it ends within `grace` seconds."""
        reply = self._call({"op": "reap", "pid": pid, "grace": grace})
        if not reply.get("ok"):
            return {"exit_status": None, "signal": None, "killed": True}
        return reply

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._ctl.close()  # EOF: the zygote kills its workers (and exits, if it is ours)
            except OSError:
                pass
        if self._proc is None:
            return
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._errlog.close()

    def __enter__(self) -> "Zygote":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass


