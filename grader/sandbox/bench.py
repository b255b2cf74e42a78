"""How much a sandboxed submission costs: `python -m grader.sandbox.bench [N]`.

Prints the median wall time of spawn, first request (import + call) and close over N workers
(spawn + close: the fork, the worker's confinement, its exit and the reap),
and for comparison a cold `python -c "import torch"`, which is what a fresh process per
submission would pay.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from grader.checks.student import Student
from grader.sandbox import Zygote

SOURCE = b"import torch\n\ndef f(x):\n    return x * 2\n"


def main(n: int = 30) -> None:
    start = time.perf_counter()
    zyg = Zygote()
    boot = time.perf_counter() - start
    print(f"zygote start: {boot:.2f} s  ({zyg.sandbox_level})")
    import torch
    x = torch.arange(10.0)
    spawn, first, close, second = [], [], [], []
    cpu_before = _cpu_seconds(zyg.pid)
    for _ in range(n):
        t0 = time.perf_counter()
        worker = zyg.spawn({"sub/mod.py": SOURCE}, "sub/mod.py", "mod", {})
        t1 = time.perf_counter()
        student = Student(worker, timeout=30)
        student.f(x)
        t2 = time.perf_counter()
        student.f(x)
        t3 = time.perf_counter()
        worker.close()
        t4 = time.perf_counter()
        spawn.append(t1 - t0)
        first.append(t2 - t1)
        second.append(t3 - t2)
        close.append(t4 - t3)
    cpu = (_cpu_seconds(zyg.pid) - cpu_before) / n
    zyg.close()
    ms = lambda xs: f"{1000 * statistics.median(xs):6.2f} ms"  # noqa: E731
    print(f"spawn: {ms(spawn)}   first request: {ms(first)}   next request: {ms(second)}   "
          f"close: {ms(close)}")
    print(f"fork + exit + reap (spawn + close): {ms([a + c for a, c in zip(spawn, close)])}")
    total = [a + b + c for a, b, c in zip(spawn, first, close)]
    print(f"per submission (spawn + first request + close): {ms(total)}  over {n} workers, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"CPU time per submission (judge + zygote + worker, user + system): {1000 * cpu:.2f} ms "
          "(robust to a loaded machine, unlike the wall times)")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-I", "-c", "import torch"], check=True)
    print(f"cold python + import torch: {time.perf_counter() - t0:.2f} s")


def _cpu_seconds(zygote_pid: int) -> float:
    """This process plus the zygote plus its reaped children (the workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    with open(f"/proc/{zygote_pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    zygote = sum(int(v) for v in fields[11:15]) / tick  # utime stime cutime cstime
    mine = os.times()
    return zygote + mine.user + mine.system


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
