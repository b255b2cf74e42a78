"""The judge's side of the sandbox: start a clean zygote, spawn workers, talk to them safely.

A Worker implements grader.checks.student.Transport: `request()` sends one codec frame and
waits for the reply while draining the worker's stdout/stderr (kept up to the limit, the rest
dropped, so 1 GB of output costs neither disk nor memory). Every way a worker can misbehave ends
in a StudentError subclass: StudentTimeout (killed), OutOfMemory, WorkerCrashed (the message
says how it ended), ProtocolError (a forged or oversized reply).
"""

from __future__ import annotations

import base64
import errno
import fcntl
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.checks.errors import (NotPlainData, OutOfMemory, ProtocolError, StudentTimeout,
                                  WorkerCrashed)
from grader.sandbox.children import kill_worker, rss_mb
from grader.sandbox.wire import (HEADER, MAX_FRAME, READY, SETUP_DONE, Limits, processes,
                                 recv_control, send_control)

F_SETPIPE_SZ = 1031
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
IDLE_MS = 250        # past its idle deadline, a worker is sampled over windows this long...
IDLE_SHARE = 0.5     # ...and stopped in the first one where it ran (or was ready to) less than this
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


class ZygoteError(RuntimeError):
    """The zygote could not start or stopped answering (an engine problem, not the student's)."""


@dataclass(frozen=True)
class WorkerReport:
    stdout: str
    stderr: str
    exit_status: int | None
    signal: int | None
    killed: bool
    seconds: float


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

    def _reap(self, pid: int, grace: float) -> dict:
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


class _Output:
    """One captured stream: the first `limit` bytes are kept, the rest only counted."""

    def __init__(self, fd: int, limit: int) -> None:
        self.fd = fd
        self.limit = limit
        self.data = bytearray()
        self.dropped = 0
        self.eof = False
        os.set_blocking(fd, False)

    def drain(self) -> None:
        while not self.eof:
            try:
                chunk = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                return
            except OSError:
                self.eof = True
                return
            if not chunk:
                self.eof = True
                return
            room = self.limit - len(self.data)
            if room > 0:
                self.data += chunk[:room]
            self.dropped += max(0, len(chunk) - max(room, 0))

    def text(self) -> str:
        text = self.data.decode("utf-8", errors="replace")
        if self.dropped:
            text += f"\n[... {self.dropped} more bytes of output dropped]"
        return text


class Worker:
    """One confined process serving one student's module. Not thread-safe: one judge thread."""

    def __init__(self, zygote: Zygote, pid: int, tempdir: str, sock: socket.socket, out_fd: int,
                 err_fd: int, limits: Limits, started: float) -> None:
        self.zygote = zygote
        self.pid = pid
        self.tempdir = tempdir
        self.limits = limits
        self.sandbox_level = zygote.sandbox_level
        self._sock = sock
        sock.setblocking(False)
        self._out = _Output(out_fd, limits.output_limit_kb * 1024)
        self._err = _Output(err_fd, limits.output_limit_kb * 1024)
        self._started = started
        self._ready = False
        self._status: dict | None = None   # set once reaped
        self._failure: Exception | None = None
        self._report: WorkerReport | None = None
        self._we_killed = False
        self._oom_kills = _oom_kills()
        self._idle_at: float | None = None
        self._idle_window: tuple[float, float] | None = None
        self._request_start = time.monotonic()

    # ------------------------------------------------------------------ Transport

    def request(self, request: dict, timeout: float | None = None, *,
                idle_after: float | None = None) -> dict:
        """idle_after: seconds after which the call is stopped as soon as the worker is not
        computing (its threads ran or were runnable less than IDLE_SHARE of an IDLE_MS window,
        by the kernel's schedstat, read from here): a submission that sleeps or blocks costs
        that long, one that computes keeps `timeout`."""
        self._idle_at = None if idle_after is None else time.monotonic() + max(0.0, idle_after)
        self._idle_window = None
        if self._failure is not None:
            raise type(self._failure)(f"the worker is no longer running: {self._failure}")
        if self._report is not None:
            raise WorkerCrashed("the worker was closed")
        from grader.checks import codec   # here: starting a zygote must not import torch
        payload = codec.dumps(request)
        self._request_start = time.monotonic()
        deadline = None if timeout is None else time.monotonic() + timeout
        stage = "while importing your file" if not self._ready else "during the call"
        try:
            if not self._ready:
                self._expect_ready(deadline, timeout)
            stage = "during the call"
            self._send(HEADER.pack(len(payload)), deadline, timeout)
            self._send(payload, deadline, timeout)
            frame = self._receive_frame(deadline, timeout)
        except _Dead as dead:
            raise self._fail(self._crash(stage, dead.why)) from None
        try:
            # a whole frame was read, so the stream is still in step: a reply refused for its
            # shape is that call's failure (NotPlainData), not the worker's
            codec.check_frame(frame)
        except ProtocolError as exc:
            raise self._fail(exc) from None
        except NotPlainData as exc:
            raise NotPlainData(f"the reply was refused: {exc}") from None
        try:
            reply = codec.loads(frame)
        except NotPlainData as exc:
            raise self._fail(ProtocolError(f"the worker sent an unreadable reply ({exc})")) from None
        if type(reply) is not dict:
            raise self._fail(ProtocolError("the worker sent a malformed reply"))
        return reply

    # ------------------------------------------------------------------ plumbing

    def _expect_ready(self, deadline: float | None, timeout: float | None) -> None:
        try:
            header = self._recv_exact(HEADER.size, deadline, timeout, "starting the worker")
        except _Dead:
            # No student code runs before SETUP_DONE: this is the sandbox failing, not them.
            self._reap(0.5)
            self._err.drain()
            raise self._fail(ZygoteError("the sandbox could not set up a worker: "
                                         + self._err.text()[-3000:])) from None
        if HEADER.unpack(header)[0] != SETUP_DONE:
            raise self._fail(ProtocolError("the worker did not start properly"))
        header = self._recv_exact(HEADER.size, deadline, timeout, "importing your file")
        (n,) = HEADER.unpack(header)
        if n != READY:
            raise self._fail(ProtocolError("the worker sent data before it was asked"))
        self._ready = True

    def _receive_frame(self, deadline: float | None, timeout: float | None) -> bytearray:
        (n,) = HEADER.unpack(self._recv_exact(HEADER.size, deadline, timeout, "the call"))
        if n > MAX_FRAME:
            self._kill()
            raise self._fail(ProtocolError(f"the reply is larger than {MAX_FRAME >> 20} MB"))
        return self._recv_exact(n, deadline, timeout, "the call")

    def _wait(self, want_write: bool, deadline: float | None, timeout: float | None, what: str) -> None:
        """Block until the socket is ready, draining output; enforce deadline and memory."""
        poller = select.poll()
        poller.register(self._sock.fileno(), select.POLLOUT if want_write else select.POLLIN)
        for stream in (self._out, self._err):
            if not stream.eof:
                poller.register(stream.fd, select.POLLIN)
        watch_rss = self.zygote.device == "cuda"
        while True:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                self._kill()
                raise self._fail(StudentTimeout(f"{what} did not finish within {timeout:g} s"))
            wait_ms = None if deadline is None else max(1, int((deadline - now) * 1000) + 1)
            if self._idle_at is not None and now >= self._idle_at:
                if self._idle(now):
                    self._kill()
                    raise self._fail(StudentTimeout(f"{what} was still waiting, not computing, after "
                                                    f"{self._idle_budget:.3g} s"))
                wait_ms = min(wait_ms or IDLE_MS, IDLE_MS)
            elif self._idle_at is not None:
                wait_ms = max(1, min(wait_ms or 10**9, int((self._idle_at - now) * 1000) + 1))
            if watch_rss:
                wait_ms = 200 if wait_ms is None else min(wait_ms, 200)
                if self._rss_mb() > self.limits.memory_mb + self.zygote.baseline_rss_mb:
                    self._kill()
                    raise self._fail(OutOfMemory(f"used more than {self.limits.memory_mb} MB of memory "
                                                 f"during {what}"))
            events = poller.poll(wait_ms)
            socket_ready = False
            for fd, ev in events:
                if fd == self._sock.fileno():
                    socket_ready = True
                else:
                    stream = self._out if fd == self._out.fd else self._err
                    stream.drain()
                    if stream.eof:
                        poller.unregister(fd)
            if socket_ready:
                return

    def _recv_exact(self, n: int, deadline: float | None, timeout: float | None, what: str) -> bytearray:
        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        while got < n:
            try:
                k = self._sock.recv_into(view[got:], min(n - got, 1 << 24))
            except (BlockingIOError, InterruptedError):
                self._wait(False, deadline, timeout, what)
                continue
            except OSError as exc:
                raise _Dead(f"connection error {exc}") from None
            if k == 0:
                raise _Dead("closed the connection")
            got += k
        return buf  # no copy: a reply may be hundreds of MB

    def _send(self, data: bytes, deadline: float | None, timeout: float | None) -> None:
        view = memoryview(data)
        sent = 0
        while sent < len(data):
            try:
                sent += self._sock.send(view[sent:])
            except (BlockingIOError, InterruptedError):
                self._wait(True, deadline, timeout, "the call")
            except OSError as exc:
                if exc.errno in (errno.EPIPE, errno.ECONNRESET):
                    raise _Dead("closed the connection") from None
                raise

    @property
    def _idle_budget(self) -> float:
        return max(0.0, (self._idle_at or 0.0) - self._request_start)

    def _idle(self, now: float) -> bool:
        """Past the idle deadline: did the worker's threads run (or wait to run) less than
        IDLE_SHARE of the last IDLE_MS window? Processes in its group count as its own."""
        cpu = self._cpu_seconds()
        if self._idle_window is None:
            self._idle_window = (now, cpu)
            return False
        start, cpu0 = self._idle_window
        if now - start < IDLE_MS / 1000:
            return False
        self._idle_window = (now, cpu)
        return cpu - cpu0 < IDLE_SHARE * (now - start)

    def _cpu_seconds(self) -> float:
        """Seconds the worker's threads, and those of the processes in its group (DataLoader
        workers), ran or were ready to run (on a CPU, or waiting in the run queue: on a machine
        busier than its cores, a computing worker still counts as computing), from the kernel's
        schedstat; CPU time alone where that is missing."""
        total, found = 0.0, False
        for pid in [self.pid] + _group_members(self.pid):
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tids:
                try:
                    with open(f"/proc/{pid}/task/{tid}/schedstat", "rb") as fh:
                        run, wait = fh.read().split()[:2]
                    total += (int(run) + int(wait)) / 1e9
                    found = True
                except (OSError, ValueError):
                    try:
                        with open(f"/proc/{pid}/task/{tid}/stat", "rb") as fh:
                            stat = fh.read()
                        fields = stat[stat.rfind(b")") + 2:].split()
                        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
                        found = True
                    except (OSError, ValueError, IndexError):
                        continue
        return total if found else float("inf")   # gone: never called idle on that account

    def _rss_mb(self) -> float:
        try:
            return rss_mb(self.pid)
        except (OSError, ValueError, IndexError):
            return 0.0

    def _kill(self) -> None:
        """SIGKILL the whole group now, then let the zygote reap it (and any detached orphans)."""
        self._we_killed = True
        kill_worker(self.pid)
        try:
            self._reap(0.0)
        except Exception:  # noqa: BLE001 - zygote gone; close() reports what it can
            pass

    def _reap(self, grace: float) -> dict:
        if self._status is None:
            self._status = self.zygote._reap(self.pid, grace)
        return self._status

    def _crash(self, stage: str, why: str) -> Exception:
        status = self._reap(0.5)
        for stream in (self._out, self._err):
            stream.drain()
        sig, code = status.get("signal"), status.get("exit_status")
        if status.get("ended_by_itself") is False and not self._we_killed:
            return WorkerCrashed(f"the worker {why} {stage} and was stopped")
        if sig is not None:
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
            if sig == signal.SIGKILL and not self._we_killed and _oom_kills() != self._oom_kills:
                return OutOfMemory(f"the worker was killed by the kernel for lack of memory {stage}")
            return WorkerCrashed(f"the worker was killed by signal {sig} ({name}) {stage}")
        if code is not None:
            hint = " (sys.exit/os._exit in your code?)" if code in (0, 1) else ""
            return WorkerCrashed(f"the worker exited with status {code} {stage}{hint}; "
                                 "your code must return, not exit")
        return WorkerCrashed(f"the worker {why} {stage}")

    def _fail(self, error: Exception) -> Exception:
        if self._failure is None:
            self._failure = error
        return error

    @property
    def alive(self) -> bool:
        return self._failure is None and self._report is None

    # ------------------------------------------------------------------ end

    def close(self) -> WorkerReport:
        """Kill the worker's whole process group and every process it detached; collect output."""
        if self._report is not None:
            return self._report
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            # a worker ends by itself once its socket closes (tens of ms: tearing down a
            # forked torch process and its namespaces); only one that does not is killed
            status = self._reap(0.25)
        except Exception:  # noqa: BLE001 - the zygote is gone: kill what we can ourselves
            self._kill()
            status = {"exit_status": None, "signal": None, "killed": True}
        deadline = time.monotonic() + 1.0
        for stream in (self._out, self._err):
            while not stream.eof and time.monotonic() < deadline:
                stream.drain()
                if not stream.eof:
                    select.select([stream.fd], [], [], max(0.0, deadline - time.monotonic()))
        for fd in (self._out.fd, self._err.fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self._sock.close()
        self._report = WorkerReport(stdout=self._out.text(), stderr=self._err.text(),
                                    exit_status=status.get("exit_status"), signal=status.get("signal"),
                                    killed=bool(status.get("killed")) or self._we_killed,
                                    seconds=time.monotonic() - self._started)
        return self._report

    def __enter__(self) -> "Worker":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _group_members(pgid: int) -> list[int]:
    """Other processes in process group `pgid` (what a worker started and did not detach)."""
    key = str(pgid).encode()
    return [pid for pid, fields in processes() if pid != pgid and len(fields) > 2 and fields[2] == key]


def _oom_kills() -> int | None:
    """The kernel's count of OOM kills so far: did the one that hit our worker come from it?"""
    try:
        with open("/proc/vmstat") as fh:
            for line in fh:
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


class _Dead(Exception):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why
