"""How fast does `grader grade` score a class, compared with the naive way and with the floor?

    python benchmarks/grade_throughput.py [--students 100] [--jobs 2] [--naive-sample 6]

Builds a class of N students (perfect, untouched stub, wrong, broken), then measures in one run:

* grader:  `grader grade CLASS --out ...` end to end (process start, zygote, judges, reports);
* naive:   `python -m pytest` on the visible + hidden checks in a fresh process per student (what
           a MiniTorch-style or otter-style setup does: torch imported once per student). Timed on
           a sample of students of every kind and scaled to the class, as if run on all cores;
* floor:   the checks run in-process on the reference solution (no sandbox, no process),
           summed over the class and divided by the cores: the cost of the checks themselves.

Prints the ratios and the overhead (grader time above the floor, per student and per submitted
exercise, each of which gets its own sandboxed worker), in all and once the fixed start-up of a
run (timed on a class of one student per judge) is taken out.
Targets on a 2-core machine: >= 5x faster than naive, within 1.5x of the floor, < 50 ms overhead.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.checks.executor import Executor  # noqa: E402
from grader.checks.runner import collect_checks, load_reference, run_checks  # noqa: E402
from grader.checks.student import LocalTransport, Student  # noqa: E402
from grader.course import load_course  # noqa: E402

KINDS = ["perfect"] * 4 + ["stub"] * 2 + ["wrong"] * 3 + ["broken"]


def build_class(course, exercise_ids: list[str], n: int, dest: Path, seed: int = 0) -> dict[str, str]:
    rng = random.Random(seed)
    kinds = {}
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        student = f"s{i:03d}_{kind}"
        kinds[student] = kind
        for ex_id in exercise_ids:
            ex = course.exercise(ex_id)
            if kind == "perfect":
                text = ex.solution_path.read_text()
            elif kind == "stub":
                text = ex.stub_path.read_text()
            elif kind == "wrong":
                wrong = sorted(p for p in ex.variants_dir.glob("*.py") if 'VERDICT = "wrong"' in p.read_text()
                               and "GPU_ONLY = True" not in p.read_text())
                text = rng.choice(wrong).read_text() if wrong else ex.stub_path.read_text()
            else:
                text = ex.solution_path.read_text().replace("def ", "def (", 1)
            path = dest / student / ex.file
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return kinds


def time_grader(class_dir: Path, out: Path, jobs: int, exercise_ids: list[str]) -> float:
    cmd = [sys.executable, "-m", "grader.cli", "grade", str(class_dir), "--out", str(out), "--jobs", str(jobs)]
    for ex in exercise_ids:
        cmd += ["--only", ex]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"grader grade failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return seconds


def time_naive(course, class_dir: Path, students: list[str], exercise_ids: list[str]) -> list[float]:
    files = []
    for ex_id in exercise_ids:
        ex = course.exercise(ex_id)
        files += [str(p) for p in (ex.visible_tests_path, ex.hidden_checks_path) if p.is_file()]
    times = []
    for student in students:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--submission",
                        str(class_dir / student), *files], cwd=ROOT, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
    return times


def time_floor(course, exercise_ids: list[str], repeats: int = 3) -> float:
    """Seconds the checks of all exercises take in-process on the reference solutions."""
    plans = []
    for ex_id in exercise_ids:
        ex = course.exercise(ex_id)
        executor = Executor.from_file(ex.solution_path, f"bench_ref_{ex.chapter}_{ex.name}", forbid=ex.forbid)
        plans.append((collect_checks(course, ex_id), Student(LocalTransport(executor), ex), load_reference(ex)))
    best = float("inf")
    for _ in range(repeats):  # the first run warms caches, as the grader's judges are warm
        start = time.perf_counter()
        for checks, student, reference in plans:
            run_checks(checks, student, reference_module=reference, device="cpu", gpu_available=False)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--naive-sample", type=int, default=6, help="students timed the naive way")
    parser.add_argument("--exercise", action="append", dest="exercises",
                        help="exercise ids (default: ch3.softmax, ch4.dropout, ch6.convolution)")
    parser.add_argument("--keep", action="store_true", help="keep the generated class and results")
    args = parser.parse_args()
    course = load_course(ROOT)
    exercise_ids = args.exercises or ["ch3.softmax", "ch4.dropout", "ch6.convolution"]
    work = Path(tempfile.mkdtemp(prefix="grade_bench_"))
    try:
        kinds = build_class(course, exercise_ids, args.students, work / "class")
        print(f"class: {args.students} students ({', '.join(f'{k}: {list(kinds.values()).count(k)}' for k in dict.fromkeys(KINDS))}),"
              f" exercises {', '.join(exercise_ids)}, {args.jobs} jobs on {os.cpu_count()} cores")
        # one core's worth of threads, as each judge gets: the floor is divided by the cores below
        import torch
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // args.jobs))
        floor_one = time_floor(course, exercise_ids)
        floor = floor_one * args.students / args.jobs
        grader = time_grader(work / "class", work / "results", args.jobs, exercise_ids)
        # The fixed cost of a run: one perfect student per judge, minus their checks.
        small = work / "small"
        for s in [s for s, k in kinds.items() if k == "perfect"][: args.jobs]:
            shutil.copytree(work / "class" / s, small / s)
        fixed = max(0.0, time_grader(small, work / "results_small", args.jobs, exercise_ids) - floor_one)
        by_kind: dict[str, list[str]] = {}
        for s, k in kinds.items():
            by_kind.setdefault(k, []).append(s)
        sample = [by_kind[k][i] for i in range(args.naive_sample) for k in [list(by_kind)[i % len(by_kind)]]
                  if i // len(by_kind) < len(by_kind[k])][: args.naive_sample]
        naive_times = time_naive(course, work / "class", sample, exercise_ids)
        naive = statistics.mean(naive_times) * args.students / args.jobs
        overhead_ms = max(0.0, grader - floor) * args.jobs / args.students * 1000
        marginal_ms = max(0.0, grader - fixed - floor) * args.jobs / args.students * 1000
        n_ex = len(exercise_ids)
        print(f"grader grade       {grader:8.1f} s   ({grader / args.students * 1000:.0f} ms per student)")
        print(f"naive pytest       {naive:8.1f} s   (estimated from {len(naive_times)} students: "
              f"median {statistics.median(naive_times):.2f} s each, on {args.jobs} cores)")
        print(f"compute floor      {floor:8.1f} s   (reference checks {floor_one * 1000:.0f} ms per student, in-process)")
        print(f"speed-up vs naive  {naive / grader:8.1f} x   (target >= 5)")
        print(f"grader / floor     {grader / floor:8.2f} x   (target <= 1.5)")
        print(f"fixed start-up     {fixed:8.1f} s   (processes, torch, zygotes, reports: a run of {args.jobs} students)")
        print(f"overhead           {overhead_ms:8.1f} ms per student above the floor, {overhead_ms / n_ex:.1f} ms per "
              f"submitted exercise (target < 50)")
        print(f"  after start-up   {marginal_ms:8.1f} ms per student, {marginal_ms / n_ex:.1f} ms per submitted exercise "
              f"(a fresh sandboxed worker each)")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
