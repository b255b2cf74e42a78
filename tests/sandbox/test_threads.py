"""Forking a process that runs torch: torch's bundled GNU libgomp is not fork-safe. Once a
process has run a parallel region with two or more threads, a child forked from it blocks
forever on a futex in its own next parallel region with two or more threads. The zygote never
runs one (its own torch work runs at one thread) and forks only while it has exactly one thread;
a worker may then use as many threads as it likes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from grader.checks.student import Student
from grader.sandbox import Limits, Zygote

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="forking needs Linux")

# bare torch: the parent works (or not) at 2 threads, forks, the child works at 2 threads
REPRODUCER = """
import os, sys, time, torch
torch.set_num_threads(2)
work = {
    "elementwise": lambda: (torch.ones(1 << 22) + 1).sum(),
    "matmul": lambda: torch.randn(512, 512) @ torch.randn(512, 512),
}
if sys.argv[1] == "parent-parallel":
    work[sys.argv[2]]()
elif sys.argv[1] == "parent-serial":
    torch.set_num_threads(1)
    work[sys.argv[2]]()
    torch.set_num_threads(2)
pid = os.fork()
if pid == 0:
    work[sys.argv[2]]()
    os._exit(0)
deadline = time.monotonic() + 5
while time.monotonic() < deadline:
    if os.waitpid(pid, os.WNOHANG)[0]:
        print("finished")
        break
    time.sleep(0.05)
else:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    print("hung")
"""


def _child_of(parent: str, work: str) -> str:
    out = subprocess.run([sys.executable, "-c", REPRODUCER, parent, work], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


@pytest.mark.parametrize("work", ["elementwise", "matmul"])
def test_libgomp_hangs_a_child_forked_after_a_parallel_region(work):
    if _child_of("parent-parallel", work) != "hung":
        pytest.skip("this torch's OpenMP runtime survives a fork")
    # the same child is fine when the parent stayed at one thread: what the zygote does
    assert _child_of("parent-serial", work) == "finished"


def test_a_process_that_ran_a_parallel_region_is_not_forked():
    code = textwrap.dedent("""
        import torch
        from grader.sandbox.children import fork_single_threaded, settle_thread_pools, threads
        settled = settle_thread_pools()               # numpy's OpenBLAS pool stops at a fork
        torch.set_num_threads(2)
        (torch.ones(1 << 22) + 1).sum()                # libgomp's pool thread now exists
        try:
            fork_single_threaded()
            print("forked")
        except RuntimeError as exc:
            print("refused", settled, threads(), exc)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.startswith("refused"), out.stdout + out.stderr[-2000:]
    settled, after = out.stdout.split()[1:3]
    assert settled == "1" and int(after) > 1, out.stdout


@pytest.fixture(scope="module")
def zyg():
    z = Zygote(device="cpu", limits=Limits(memory_mb=1024, max_processes=64, threads=2))
    yield z
    z.close()


PARALLEL = """
import torch
def work():
    a = (torch.ones(1 << 22) + 1).sum().item()
    b = (torch.randn(512, 512) @ torch.randn(512, 512)).shape[0]
    return [torch.get_num_threads(), a, b]
"""


def test_workers_use_two_threads_and_the_zygote_keeps_one(zyg):
    assert zyg.info()["threads"] == 1
    for _ in range(3):       # fresh forks after workers ran parallel regions: none hangs
        worker = zyg.spawn({"m.py": PARALLEL.encode()}, "m.py", "m", {})
        try:
            assert Student(worker, timeout=30).work() == [2, 2.0 * (1 << 22), 512]
        finally:
            worker.close()
    info = zyg.info()
    assert info["threads"] == 1
    assert info["torch_threads"] == torch_default_threads()    # workers get torch's default back


def torch_default_threads() -> int:
    out = subprocess.run([sys.executable, "-I", "-c", "import torch; print(torch.get_num_threads())"],
                         capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"})
    return int(out.stdout.strip())
