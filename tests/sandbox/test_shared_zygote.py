"""One zygote for a whole run: judges attached to it get workers of their own, and what goes
wrong in one judge's connection stays there."""

from __future__ import annotations

import multiprocessing as mp
import os
import textwrap
import time
from pathlib import Path

import pytest
import torch

from grader.checks.student import Student
from grader.sandbox import Limits, Zygote
from grader.sandbox.shared import SharedZygote, receive
from grader.sandbox.wire import processes

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the sandbox needs Linux")

ADD = textwrap.dedent("""
    def add(a, b):
        return a + b
""").encode()
STUBBORN = textwrap.dedent("""
    import signal, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    def add(a, b):
        return a + b
""").encode()


def alive(pid: int) -> bool:
    return any(p == pid and fields[0] != b"Z" for p, fields in processes())


@pytest.fixture(scope="module")
def run_zygote():
    z = Zygote(device="cpu", limits=Limits(memory_mb=1024, max_processes=64, output_limit_kb=16),
               protect=[ROOT / "solutions", ROOT / "tests"])
    yield z
    z.close()


def attached(z: Zygote) -> Zygote:
    return Zygote.attached(z.attach(), z.facts())


def test_attached_judges_get_their_own_workers(run_zygote):
    a, b = attached(run_zygote), attached(run_zygote)
    assert a.pid == b.pid == run_zygote.pid and a.sandbox_level == run_zygote.sandbox_level
    wa = a.spawn({"m.py": ADD}, "m.py", "m")
    wb = b.spawn({"m.py": ADD}, "m.py", "m")
    assert Student(wa, timeout=10).add(torch.ones(2), 1).tolist() == [2.0, 2.0]
    assert Student(wb, timeout=10).add(2, 3) == 5
    # a judge cannot reap another judge's worker
    assert a._call({"op": "reap", "pid": wb.pid, "grace": 0})["ok"] is False
    assert wa.close().exit_status is not None and wb.close() is not None
    a.close(), b.close()


def test_a_judge_that_goes_away_takes_only_its_workers(run_zygote):
    a, b = attached(run_zygote), attached(run_zygote)
    wa = a.spawn({"m.py": ADD}, "m.py", "m")
    wb = b.spawn({"m.py": ADD}, "m.py", "m")
    Student(wa, timeout=10).add(1, 1), Student(wb, timeout=10).add(1, 1)
    a._ctl.close()                      # the judge process died: its end of the connection closes
    deadline = time.monotonic() + 10
    while alive(wa.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not alive(wa.pid)
    assert Student(wb, timeout=10).add(2, 2) == 4    # the other judge's student is still graded
    assert b.spawn({"m.py": ADD}, "m.py", "m").close() is not None
    wb.close(), b.close()
    deadline = time.monotonic() + 10                 # only the run's own connection is left
    while run_zygote.info()["judges"] > 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert run_zygote.info()["judges"] == 1


def test_a_reap_that_waits_does_not_hold_other_judges_up(run_zygote):
    a, b = attached(run_zygote), attached(run_zygote)
    slow = a.spawn({"m.py": STUBBORN}, "m.py", "m")
    Student(slow, timeout=10).add(1, 1)
    import threading
    done = {}
    # the worker's socket stays open on a's side, so it does not end by itself: the reap waits 3 s
    t = threading.Thread(target=lambda: done.setdefault("a", a.reap(slow.pid, 3.0)))
    start = time.monotonic()
    t.start()
    time.sleep(0.2)
    worker = b.spawn({"m.py": ADD}, "m.py", "m")
    assert Student(worker, timeout=10).add(1, 2) == 3
    assert time.monotonic() - start < 2.5           # not behind a's 3-second grace
    worker.close()
    t.join()
    assert done["a"]["killed"] is True
    a.close(), b.close()


def test_connections_travel_to_spawned_judges(run_zygote):
    ctx = mp.get_context("spawn")
    shared = SharedZygote(lambda: run_zygote, 2, ctx.Queue())
    with ctx.Pool(1, initializer=_keep_queue, initargs=(shared.queue,)) as pool:   # as the scheduler's judges
        got = pool.apply(_judge_process)
    assert got == [run_zygote.pid, 5]
    shared._thread.join()
    second = receive(shared.queue)
    assert second is not None and second.info()["pid"] == run_zygote.pid
    second.close()


_QUEUE = None


def _keep_queue(queue) -> None:
    global _QUEUE
    _QUEUE = queue


def _judge_process() -> list:
    zygote = receive(_QUEUE)
    worker = zygote.spawn({"m.py": ADD}, "m.py", "m")
    value = Student(worker, timeout=10).add(2, 3)
    worker.close()
    zygote.close()
    return [zygote.pid, value]


def test_no_zygote_means_every_judge_starts_its_own():
    ctx = mp.get_context("spawn")

    def broken():
        raise RuntimeError("no sandbox here")
    shared = SharedZygote(broken, 2, ctx.Queue())
    shared._thread.join()
    assert receive(shared.queue) is None and receive(shared.queue) is None
    assert "no sandbox" in str(shared.error)
