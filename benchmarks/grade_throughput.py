"""How fast does `grader grade` score a class, compared with the naive way, nbgrader and the floor?

    python benchmarks/grade_throughput.py [--students 100] [--perfect-students 30] [--jobs 2]
                                          [--naive-sample 6] [--nbgrader-sample 2] [--exercise ID ...]

Builds a class of N students (perfect, untouched stub, wrong, broken) over the whole course (every
exercise; `--exercise` narrows it), then measures in one run:

* grader:   `grader grade CLASS --out ...` end to end (process start, zygote, judges, reports),
            on the mixed class and on a class of perfect students;
* naive:    `python -m pytest` on the visible + hidden checks in a fresh process per student (what
            a MiniTorch-style or otter-style setup does: torch imported once per student). Timed on
            a sample of students of every kind and scaled to the class, as if run on all cores;
* nbgrader: real `nbgrader autograde` on the exported course (`grader export nbgrader`), for a
            sample of students (perfect and stub notebooks), scaled to the class the same way;
* floor:    the checks run in-process on the reference solution (no sandbox, no process), with the
            reference cache warm (what a judge reaches once it has seen the inputs), summed over the
            class and divided by the cores: the cost of the checks themselves.

Prints the issue's targets table (issue 11) with what this run measured.
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

from grader.checks import refcache  # noqa: E402
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


def build_class_of(course, exercise_ids: list[str], n: int, dest: Path, kind: str) -> None:
    """A class of n students who all hand in `kind` (as build_class writes it)."""
    global KINDS
    saved, KINDS = KINDS, [kind]
    try:
        build_class(course, exercise_ids, n, dest)
    finally:
        KINDS = saved


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


def time_floor(course, exercise_ids: list[str], repeats: int = 3) -> tuple[float, float]:
    """Seconds the checks of all exercises take in-process on the reference solutions: the first
    run (reference cache cold, as for a judge's first student) and the best warm run."""
    plans = []
    for ex_id in exercise_ids:
        ex = course.exercise(ex_id)
        executor = Executor.from_file(ex.solution_path, f"bench_ref_{ex.chapter}_{ex.name}", forbid=ex.forbid)
        plans.append((collect_checks(course, ex_id), Student(LocalTransport(executor), ex), load_reference(ex)))
    refcache.CACHE.clear()
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        for checks, student, reference in plans:
            run_checks(checks, student, reference_module=reference, device="cpu", gpu_available=False)
        times.append(time.perf_counter() - start)
    return times[0], min(times[1:])


def _nb_env(tmp: Path) -> dict:
    """As tests/export/test_nbgrader.py: nbgrader's tools from this venv, a private Jupyter setup."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    for var, sub in (("JUPYTER_DATA_DIR", "data"), ("JUPYTER_PATH", "data"), ("JUPYTER_CONFIG_DIR", "config"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")):
        env[var] = str(tmp / ".jupyter" / sub)
    env["TORCHGRADE_COURSE"] = str(ROOT)
    env.pop("TORCHGRADE_GRADE_BACKEND", None)
    return env


def time_nbgrader(course, exercise_ids: list[str], students: int, work: Path) -> float | None:
    """Seconds per student of real `nbgrader autograde` on the exported course (all chapters),
    students alternating perfect (every solution cell answered) and stub (release notebook)."""
    import json
    from grader.export.nbgrader import export_course
    nbin = Path(sys.executable).parent / "nbgrader"
    if not nbin.exists() or students <= 0:
        return None
    nbdir = work / "nbcourse"
    env = _nb_env(work)
    export_course(course, nbdir, exercise_ids=exercise_ids, course_path=ROOT)
    chapters = sorted({course.exercise(e).chapter for e in exercise_ids})
    for chapter in chapters:
        subprocess.run([str(nbin), "generate_assignment", chapter], cwd=nbdir, env=env, check=True,
                       capture_output=True)
    for i in range(students):
        for ex_id in exercise_ids:
            ex = course.exercise(ex_id)
            release = nbdir / "release" / ex.chapter / f"{ex.name}.ipynb"
            nb = json.loads(release.read_text())
            if i % 2 == 0:  # perfect: the source notebook's answers in the release's cells
                source = json.loads((nbdir / "source" / ex.chapter / f"{ex.name}.ipynb").read_text())
                answers = {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in source["cells"]
                           if c["metadata"].get("nbgrader", {}).get("solution")}
                for cell in nb["cells"]:
                    gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
                    if gid in answers:
                        cell["source"] = answers[gid]
            folder = nbdir / "submitted" / f"nb{i:03d}" / ex.chapter
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{ex.name}.ipynb").write_text(json.dumps(nb))
    start = time.perf_counter()
    for chapter in chapters:
        proc = subprocess.run([str(nbin), "autograde", chapter], cwd=nbdir, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"nbgrader autograde {chapter} failed ({proc.returncode}): {proc.stderr[-500:]}")
            return None
    return (time.perf_counter() - start) / students


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--perfect-students", type=int, default=30, help="class of perfect students (0: skip)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--naive-sample", type=int, default=6, help="students timed the naive way")
    parser.add_argument("--nbgrader-sample", type=int, default=2, help="students autograded by nbgrader (0: skip)")
    parser.add_argument("--exercise", action="append", dest="exercises", help="exercise ids (default: all)")
    parser.add_argument("--keep", action="store_true", help="keep the generated class and results")
    args = parser.parse_args()
    course = load_course(ROOT)
    exercise_ids = args.exercises or list(course.exercises)
    work = Path(tempfile.mkdtemp(prefix="grade_bench_"))
    try:
        kinds = build_class(course, exercise_ids, args.students, work / "class")
        load = os.getloadavg()[0]
        print(f"class: {args.students} students ({', '.join(f'{k}: {list(kinds.values()).count(k)}' for k in dict.fromkeys(KINDS))}),"
              f" {len(exercise_ids)} exercises, {args.jobs} jobs on {os.cpu_count()} cores, load {load:.1f} at start")
        # one core's worth of threads, as each judge gets: the floor is divided by the cores below
        import torch
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // args.jobs))
        cold_one, floor_one = time_floor(course, exercise_ids)
        floor = floor_one * args.students / args.jobs
        grader = time_grader(work / "class", work / "results", args.jobs, exercise_ids)
        # The fixed cost of a run: one perfect student per judge, minus their checks.
        small = work / "small"
        perfect = [s for s, k in kinds.items() if k == "perfect"]
        for s in perfect[: args.jobs]:
            shutil.copytree(work / "class" / s, small / s)
        fixed = max(0.0, time_grader(small, work / "results_small", args.jobs, exercise_ids) - cold_one)
        grader_perfect = None
        if args.perfect_students > 0:
            pclass = work / "perfect_class"
            build_class_of(course, exercise_ids, args.perfect_students, pclass, "perfect")
            grader_perfect = time_grader(pclass, work / "results_perfect", args.jobs, exercise_ids)
        by_kind: dict[str, list[str]] = {}
        for s, k in kinds.items():
            by_kind.setdefault(k, []).append(s)
        sample = [by_kind[k][i] for i in range(args.naive_sample) for k in [list(by_kind)[i % len(by_kind)]]
                  if i // len(by_kind) < len(by_kind[k])][: args.naive_sample]
        naive_times = time_naive(course, work / "class", sample, exercise_ids)
        naive = statistics.mean(naive_times) * args.students / args.jobs
        perfect_times = [t for s, t in zip(sample, naive_times) if kinds[s] == "perfect"] or naive_times
        naive_perfect = statistics.mean(perfect_times) * args.perfect_students / args.jobs
        nb_each = time_nbgrader(course, exercise_ids, args.nbgrader_sample, work / "nb")
        overhead_ms = max(0.0, grader - floor) * args.jobs / args.students * 1000
        marginal_ms = max(0.0, grader - fixed - floor) * args.jobs / args.students * 1000
        n_ex = len(exercise_ids)
        print(f"grader grade       {grader:8.1f} s   ({grader / args.students * 1000:.0f} ms per student)")
        if grader_perfect is not None:
            print(f"  perfect class    {grader_perfect:8.1f} s   ({args.perfect_students} perfect students)")
        print(f"naive pytest       {naive:8.1f} s   (estimated from {len(naive_times)} students: "
              f"median {statistics.median(naive_times):.2f} s each, on {args.jobs} cores)")
        if nb_each is not None:
            print(f"nbgrader autograde {nb_each:8.2f} s per student (real, {args.nbgrader_sample} students, "
                  f"all {n_ex} exercises)")
        print(f"compute floor      {floor:8.1f} s   (reference checks {floor_one * 1000:.0f} ms per student "
              f"with the reference cache warm, {cold_one * 1000:.0f} ms cold; in-process)")
        print(f"fixed start-up     {fixed:8.1f} s   (processes, torch, zygotes, reports: a run of {args.jobs} students)")
        rows = [("whole course, %d mixed students, vs fresh pytest per student" % args.students,
                 f"{naive / grader:.1f}x", ">= 10x")]
        if grader_perfect is not None:
            rows.append((f"whole course, {args.perfect_students} perfect students, vs fresh pytest per student",
                         f"{naive_perfect / grader_perfect:.1f}x", ">= 5x"))
        if nb_each is not None:
            n = args.perfect_students or args.students
            ours = grader_perfect if grader_perfect is not None else grader * n / args.students
            rows.append((f"vs `nbgrader autograde` on the exported course ({n} students, scaled)",
                         f"{nb_each * n / args.jobs / ours:.1f}x", ">= 20x at 30 students"))
        rows += [("grader / compute floor (floor with cached reference)", f"{grader / floor:.2f}x", "<= 1.3x"),
                 ("fixed start-up of a run", f"{fixed:.1f} s", "<= 2.5 s"),
                 ("per submitted exercise above its checks, after start-up", f"{marginal_ms / n_ex:.1f} ms",
                  "<= 10 ms (keep)")]
        print()
        print(f"| measure | this run (load {load:.1f}) | target |")
        print("| --- | --- | --- |")
        for row in rows:
            print(f"| {row[0]} | {row[1]} | {row[2]} |")
        print(f"(overhead above the floor: {overhead_ms:.1f} ms per student in all; load {os.getloadavg()[0]:.1f} at the end)")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
