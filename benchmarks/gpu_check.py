"""Prove the GPU paths on a machine with CUDA: one command, one table.

    python benchmarks/gpu_check.py [--quick]

On a machine with a CUDA GPU it runs, in order, and prints one Markdown table (README's "On a
GPU" section is that table):

1. the test suite's GPU tests (`pytest tests -k "cuda or gpu"`: the CUDA worker, the RSS watchdog);
2. `grader validate`, GPU_ONLY variants included (they are only checkable here);
3. the demo class graded with `--device cuda` and with `--device cpu`, compared check by check:
   identical points except the checks that the GPU policy skips on the CPU;
4. ch5's reference `time_matmul` on cuda against the same product timed with CUDA events
   (within 10 %);
5. the cost of one sandboxed CUDA worker (fork, CUDA context, first kernel, close) against a CPU
   worker from the same kind of zygote;
6. a GPU out-of-memory in one submission: that submission fails, the next worker of the same
   zygote runs as usual.

On a machine without CUDA it says so in one line and exits 0. `--quick` leaves out the two long
steps (validate and the demo class).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@dataclass
class Row:
    step: str
    ok: bool
    result: str
    target: str


# ----------------------------------------------------------------- comparing two grading runs

def check_points(grades: dict[str, Any]) -> dict[tuple[str, str, str], tuple[str, float]]:
    """(student, exercise, check) -> (status, points) from a grades.json document."""
    table: dict[tuple[str, str, str], tuple[str, float]] = {}
    for student in grades["students"]:
        for ex_id, ex in student["exercises"].items():
            for c in ex.get("checks", []):
                table[(student["student"], ex_id, c["name"])] = (c["status"], float(c["points"]))
            if not ex.get("checks"):
                table[(student["student"], ex_id, "")] = (ex["status"], float(ex["score"]))
    return table


def grade_differences(cuda: dict[str, Any], cpu: dict[str, Any]) -> tuple[list[str], int]:
    """Checks whose points differ between a CUDA and a CPU grading of the same class, leaving out
    the ones the GPU policy decides (skipped in either run). Returns (differences, exempt count)."""
    on_gpu, on_cpu = check_points(cuda), check_points(cpu)
    differences, exempt = [], 0
    for key in sorted(set(on_gpu) | set(on_cpu)):
        a, b = on_gpu.get(key), on_cpu.get(key)
        if a is None or b is None:
            differences.append(f"{'/'.join(key)}: only in the {'cpu' if a is None else 'cuda'} run")
        elif "skipped" in (a[0], b[0]):
            exempt += 1
        elif a[1] != b[1]:
            differences.append(f"{'/'.join(key)}: cuda {a[0]} {a[1]:g}, cpu {b[0]} {b[1]:g}")
    return differences, exempt


# ----------------------------------------------------------------------------------- the steps

def _run(cmd: list[str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "(no output)"


def step_gpu_tests() -> Row:
    proc = _run([sys.executable, "-m", "pytest", "-q", "tests", "-k", "cuda or gpu", "-p", "no:cacheprovider"], 1800)
    return Row("test suite, GPU tests", proc.returncode == 0, _last_line(proc.stdout), "all pass")


def step_validate() -> Row:
    proc = _run([sys.executable, "-m", "grader.cli", "validate"], 3600)
    return Row("grader validate (GPU_ONLY variants included)", proc.returncode == 0,
               _last_line(proc.stdout), "all targets behave")


def step_demo_class() -> Row:
    with tempfile.TemporaryDirectory() as tmp:
        runs = {}
        seconds = {}
        for device in ("cuda", "cpu"):
            out = Path(tmp) / device
            t0 = time.perf_counter()
            proc = _run([sys.executable, "-m", "grader.cli", "grade", "examples/submissions", "--out", str(out),
                         "--device", device], 1800)
            seconds[device] = time.perf_counter() - t0
            if proc.returncode != 0:
                return Row("demo class, cuda vs cpu", False, f"--device {device} failed: {_last_line(proc.stderr)}",
                           "identical except GPU-only checks")
            runs[device] = json.loads((out / "grades.json").read_text())
    differences, exempt = grade_differences(runs["cuda"], runs["cpu"])
    result = (f"{len(differences)} differences, {exempt} GPU-policy checks left out; "
              f"cuda {seconds['cuda']:.1f} s, cpu {seconds['cpu']:.1f} s")
    if differences:
        result += ": " + "; ".join(differences[:5])
    return Row("demo class, cuda vs cpu", not differences, result, "identical except GPU-only checks")


def step_time_matmul(n: int = 4096, repeats: int = 10) -> Row:
    import torch

    from grader.checks.runner import load_reference
    from grader.course import load_course
    gpu = load_reference(load_course(ROOT).exercise("ch5.gpu"))
    reported = gpu.time_matmul(n, "cuda", repeats)
    x = torch.rand(n, n, device="cuda")
    x @ x
    torch.cuda.synchronize()
    events = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        x @ x
        end.record()
        torch.cuda.synchronize()
        events.append(start.elapsed_time(end) / 1000.0)
    measured = statistics.median(events)
    ratio = reported / measured
    return Row(f"ch5 time_matmul({n}) vs CUDA events", abs(ratio - 1) <= 0.10,
               f"{1000 * reported:.3f} ms vs {1000 * measured:.3f} ms (x{ratio:.3f})", "within 10 %")


def _worker_seconds(device: str, source: bytes, call: Callable[[Any], Any], n: int) -> list[float]:
    from grader.checks.student import Student
    from grader.sandbox import Limits, Zygote
    times = []
    with Zygote(device=device, limits=Limits(memory_mb=16384, max_processes=256, output_limit_kb=16)) as zyg:
        for _ in range(n):
            t0 = time.perf_counter()
            worker = zyg.spawn({"sub/mod.py": source}, "sub/mod.py", "mod", {})
            student = Student(worker, timeout=120)
            call(student)
            worker.close()
            times.append(time.perf_counter() - t0)
    return times


def step_worker_overhead(n: int = 5) -> Row:
    source = b"import torch\n\ndef f(device):\n    return float((torch.ones(8, device=device) * 2).sum())\n"
    cuda = _worker_seconds("cuda", source, lambda s: s.f("cuda"), n)
    cpu = _worker_seconds("cpu", source, lambda s: s.f("cpu"), n)
    median_cuda, median_cpu = statistics.median(cuda), statistics.median(cpu)
    return Row("sandboxed worker: spawn + first call + close", median_cuda < 10.0,
               f"cuda {1000 * median_cuda:.0f} ms (context included), cpu {1000 * median_cpu:.0f} ms, "
               f"median of {n}", "cuda < 10 s")


def step_gpu_oom() -> Row:
    from grader.checks.student_errors import StudentError
    from grader.checks.student import Student
    from grader.sandbox import Limits, Zygote
    source = (b"import torch\n\n"
              b"def hog():\n    keep = []\n    while True:\n"
              b"        keep.append(torch.empty(1 << 30, dtype=torch.uint8, device='cuda'))\n\n"
              b"def fine():\n    return float(torch.ones(4, device='cuda').sum())\n")
    with Zygote(device="cuda", limits=Limits(memory_mb=16384, max_processes=256, output_limit_kb=16)) as zyg:
        worker = zyg.spawn({"sub/mod.py": source}, "sub/mod.py", "mod", {})
        try:
            Student(worker, timeout=300).hog()
            contained = "hog() returned"
        except StudentError as exc:
            contained = f"{type(exc).__name__}: {getattr(exc, 'exc_type', '')}".rstrip(": ")
        finally:
            worker.close()
        worker = zyg.spawn({"sub/mod.py": source}, "sub/mod.py", "mod", {})
        try:
            after = Student(worker, timeout=60).fine()
        finally:
            worker.close()
    ok = contained != "hog() returned" and after == 4.0
    return Row("GPU out of memory in one submission", ok,
               f"hog -> {contained}; next worker -> {after:g}", "contained; next worker runs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="leave out validate and the demo class")
    args = parser.parse_args(argv)
    import torch
    if not torch.cuda.is_available():
        print("gpu_check: no CUDA GPU on this machine (torch.cuda.is_available() is False); nothing to check")
        return 0
    print(f"gpu_check on {torch.cuda.get_device_name(0)}, torch {torch.__version__}, CUDA {torch.version.cuda}")
    steps: list[Callable[[], Row]] = [step_gpu_tests]
    if not args.quick:
        steps += [step_validate, step_demo_class]
    steps += [step_time_matmul, step_worker_overhead, step_gpu_oom]
    rows = []
    for step in steps:
        t0 = time.perf_counter()
        try:
            row = step()
        except Exception as exc:  # one broken step must not hide the others' results
            row = Row(step.__name__.removeprefix("step_"), False, f"{type(exc).__name__}: {exc}", "")
        rows.append(row)
        print(f"  {'ok ' if row.ok else 'BAD'} {row.step} ({time.perf_counter() - t0:.0f} s)", flush=True)
    print()
    print("| check | result | target | ok |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row.step} | {row.result.replace('|', '/')} | {row.target} | {'yes' if row.ok else '**no**'} |")
    return 0 if all(row.ok for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
