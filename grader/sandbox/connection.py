"""The judge's connection to one confined worker: `Worker` implements
grader.checks.student.Transport. `request()` sends one codec frame and waits for the reply while
draining the worker's stdout/stderr (kept up to the limit, the rest dropped, so 1 GB of output
costs neither disk nor memory), under the call's deadline, its idle budget and (on a GPU) a
memory watch. Every way a worker can misbehave ends in a StudentError subclass: StudentTimeout
(killed), OutOfMemory, WorkerCrashed (the message says how it ended), ProtocolError (a forged or
oversized reply); a worker the sandbox could not set up is a ZygoteError, the engine's failure.
"""

from __future__ import annotations

import errno
import os
import select
import signal
import socket
import time
from dataclasses import dataclass
from typing import Any, Protocol

from grader.checks.student_errors import (NotPlainData, OutOfMemory, ProtocolError, StudentTimeout,
                                  WorkerCrashed)
from grader.sandbox.children import kill_worker, rss_mb
from grader.sandbox.wire import HEADER, MAX_FRAME, READY, SETUP_DONE, Limits, processes

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
IDLE_MS = 250        # past its idle deadline, a worker is sampled over windows this long...
IDLE_SHARE = 0.5     # ...and stopped in the first one where it ran (or was ready to) less than this


class ZygoteError(RuntimeError):
    """The zygote could not start or stopped answering (an engine problem, not the student's)."""


class Forker(Protocol):
    """What a worker needs of the zygote that forked it (client.Zygote)."""
    device: str
    sandbox_level: str
    baseline_rss_mb: float

    def reap(self, pid: int, grace: float) -> dict: ...


@dataclass(frozen=True)
class WorkerReport:
    stdout: str
    stderr: str
    exit_status: int | None
    signal: int | None
    killed: bool
    seconds: float
    oom_killed: bool = False                # by its memory cgroup
    memory_peak_mb: float | None = None     # the most its memory cgroup held (None: no cgroup)


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

    def __init__(self, zygote: Forker, pid: int, tempdir: str, sock: socket.socket, out_fd: int,
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
            self._status = self.zygote.reap(self.pid, grace)
        return self._status

    def _crash(self, stage: str, why: str) -> Exception:
        status = self._reap(0.5)
        for stream in (self._out, self._err):
            stream.drain()
        sig, code = status.get("signal"), status.get("exit_status")
        if status.get("oom_killed") and not self._we_killed:
            return OutOfMemory(f"used more than {self.limits.memory_mb} MB of memory {stage} "
                               "(stopped by its memory cgroup)")
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
                                    seconds=time.monotonic() - self._started,
                                    oom_killed=bool(status.get("oom_killed")),
                                    memory_peak_mb=status.get("memory_peak_mb"))
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
