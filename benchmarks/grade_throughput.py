"""How fast does `grader grade` score a class, against the checks' own compute, nbgrader, a fresh
pytest per student and a bare `import torch`? Everything below is measured in one run.

    python benchmarks/grade_throughput.py [--students 100] [--perfect-students 30] [--jobs 2]
                                          [--naive-sample 6] [--nbgrader-sample 2] [--exercise ID ...]
                                          [--repeats 3] [--keep]

Builds a class of N students (perfect, untouched stub, wrong, broken; any N >= 1) over the whole
course (every exercise; `--exercise` narrows it), then measures:

* grader:   `grader grade CLASS --out ...` end to end (process start, zygote, judges, reports),
            wall clock and CPU of the whole process tree, with `--isolation exercise` and with
            `--isolation student` on the same class; the grades of the two must be identical;
* floor:    every student's checks run in-process on their own files (no sandbox, no process),
            the reference cache warm, summed over the class and divided by the judges: the cost
            of the checks themselves;
* start-up: a run of one perfect student per judge, less that student's checks (cold);
* per exercise: (grader - start-up - floor) per submitted exercise, per judge;
* one cheap exercise end to end (one perfect student, ch2.tensors, fresh --out) and a rerun of
  the class with nothing left to grade, each against a bare `python -c "import torch"` timed
  here and now (median of --repeats);
* naive:    `python -m pytest` on the visible + hidden checks in a fresh process per student,
            timed on a sample of students of every kind and scaled to the class and the cores;
* nbgrader: real `nbgrader autograde` on the exported course for a sample of students;
* where the CPU goes: the perfect class graded in both modes with TORCHGRADE_COSTS on
  (grader/costs.py): fork, reap and exit, seal, codec, judge, student code, per submitted
  exercise.

Prints the issue's targets (issue 26) with what this run measured. Wall-clock ratios mean what
they say only on a quiet machine; the CPU columns hold up better on a busy one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
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


def time_class_floor(course, class_dir: Path, students: list[str], exercise_ids: list[str]) -> float:
    """Seconds the checks take in-process on every student's own files, the reference cache
    warm (time_floor ran first): what grading this class costs without a sandbox or a process."""
    import warnings
    total = 0.0
    for i, student in enumerate(students):
        for ex_id in exercise_ids:
            ex = course.exercise(ex_id)
            path = class_dir / student / ex.file
            executor = Executor.from_file(path, f"bench_student_{i}_{ex.chapter}_{ex.name}", forbid=ex.forbid)
            checks, student_proxy = collect_checks(course, ex_id), Student(LocalTransport(executor), ex)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                start = time.perf_counter()
                run_checks(checks, student_proxy, reference_module=load_reference(ex), device="cpu",
                           gpu_available=False, check_timeout=course.grading.check_timeout)
                total += time.perf_counter() - start
            sys.modules.pop(f"bench_student_{i}_{ex.chapter}_{ex.name}", None)
    return total


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
    if students <= 0:
        return None
    if not nbin.exists():   # said, not skipped silently: the nbgrader row is one of the targets
        print(f"nbgrader: no {nbin} (install the dev extras into this venv); its comparison is left out")
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
    parser.add_argument("--perfect-students", type=int, default=30,
                        help="class of perfect students, graded with the CPU counters on (0: skip)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--naive-sample", type=int, default=6, help="students timed the naive way (0: skip)")
    parser.add_argument("--nbgrader-sample", type=int, default=2, help="students autograded by nbgrader (0: skip)")
    parser.add_argument("--exercise", action="append", dest="exercises", help="exercise ids (default: all)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each short measurement (median)")
    parser.add_argument("--keep", action="store_true", help="keep the generated class and results")
    args = parser.parse_args()
    if args.students < 1:
        parser.error("--students must be at least 1")
    course = load_course(ROOT)
    exercise_ids = args.exercises or list(course.exercises)
    n_ex = len(exercise_ids)
    work = Path(tempfile.mkdtemp(prefix="grade_bench_"))
    try:
        kinds = build_class(course, exercise_ids, args.students, work / "class")
        load = os.getloadavg()[0]
        print(f"class: {args.students} students ({', '.join(f'{k}: {list(kinds.values()).count(k)}' for k in dict.fromkeys(KINDS))}),"
              f" {n_ex} exercises, {args.jobs} jobs on {os.cpu_count()} cores, load {load:.1f} at start", flush=True)
        # one core's worth of threads, as each judge gets: the floor is divided by the judges below
        import torch
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // args.jobs))
        cold_one, floor_one = time_floor(course, exercise_ids)
        floor = time_class_floor(course, work / "class", list(kinds), exercise_ids) / args.jobs
        # One untimed run first: the judge cache (budgets and reference answers, kept per course
        # version and machine) and the OS's file cache are then as an instructor's second run finds them.
        small = work / "small"
        perfect = [s for s, k in kinds.items() if k == "perfect"] or list(kinds)
        for s in perfect[: args.jobs]:
            shutil.copytree(work / "class" / s, small / s)
        run_grader(small, work / "results_warm_up", args.jobs, exercise_ids, "student")
        runs: dict[str, Run] = {}
        for mode in MODES:
            runs[mode] = run_grader(work / "class", work / f"results_{mode}", args.jobs, exercise_ids, mode)
            print(f"graded the class with --isolation {mode}: {runs[mode].wall:.1f} s", flush=True)
        same = same_grades(work / "results_exercise", work / "results_student")

        # the fixed cost of a run: one perfect student per judge, less their checks
        fixed = max(0.0, run_grader(small, work / "results_small", args.jobs, exercise_ids, "student").wall - cold_one)

        torch_import = median_run([sys.executable, "-c", "import torch"], args.repeats)
        cheap = cheap_exercise(course, work, args.repeats)
        rerun = median_run(grader_command(work / "class", work / "results_student", args.jobs, exercise_ids, "student"),
                           args.repeats)

        breakdown: dict[str, dict[str, float]] = {}
        if args.perfect_students > 0:
            pclass = work / "perfect_class"
            build_class_of(course, exercise_ids, args.perfect_students, pclass, "perfect")
            for mode in MODES:
                folder = work / f"costs_{mode}"
                folder.mkdir()
                run = run_grader(pclass, work / f"results_perfect_{mode}", args.jobs, exercise_ids, mode, costs=folder)
                breakdown[mode] = cpu_breakdown(folder, run, args.perfect_students * n_ex)

        naive = naive_times = None
        if args.naive_sample > 0:
            naive_times = time_naive(course, work / "class", naive_sample(kinds, args.naive_sample), exercise_ids)
            naive = statistics.mean(naive_times) * args.students / args.jobs
        nb_each = time_nbgrader(course, exercise_ids, args.nbgrader_sample, work / "nb")

        report(args, load, runs, same, floor, floor_one, cold_one, fixed, torch_import, cheap, rerun, breakdown,
               naive, naive_times, nb_each, n_ex)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


MODES = ("exercise", "student")


@dataclass
class Run:
    wall: float
    cpu: float           # user + system seconds of the whole process tree


def grader_command(class_dir: Path, out: Path, jobs: int, exercise_ids: list[str], isolation: str) -> list[str]:
    cmd = [sys.executable, "-m", "grader.cli", "grade", str(class_dir), "--out", str(out), "--jobs", str(jobs),
           "--isolation", isolation]
    for ex in exercise_ids:
        cmd += ["--only", ex]
    return cmd


def timed_run(cmd: list[str], env: dict | None = None) -> Run:
    """Wall clock and the CPU of the process and all it waited for (judges, zygote, workers)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd[:6])} ... failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return Run(wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)


def run_grader(class_dir: Path, out: Path, jobs: int, exercise_ids: list[str], isolation: str,
               costs: Path | None = None) -> Run:
    env = dict(os.environ, **({"TORCHGRADE_COSTS": str(costs)} if costs else {}))
    return timed_run(grader_command(class_dir, out, jobs, exercise_ids, isolation), env)


def median_run(cmd: list[str], repeats: int) -> Run:
    runs = [timed_run(cmd) for _ in range(max(1, repeats))]
    return Run(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs))


def cheap_exercise(course, work: Path, repeats: int) -> Run:
    """One perfect student's ch2.tensors graded from scratch (a fresh --out each time), as
    `grader grade` does it for an instructor trying one submission."""
    ex = course.exercise("ch2.tensors")
    one = work / "one" / "alice" / ex.file
    one.parent.mkdir(parents=True)
    one.write_text(ex.solution_path.read_text())
    runs = []
    for i in range(max(1, repeats)):
        runs.append(timed_run(grader_command(work / "one", work / f"results_one_{i}", 1, [ex.id],
                                             course.grading.isolation)))
    return Run(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs))


def naive_sample(kinds: dict[str, str], n: int) -> list[str]:
    """n students, taking the kinds in turn (fewer when the class is smaller)."""
    by_kind: dict[str, list[str]] = {}
    for s, k in kinds.items():
        by_kind.setdefault(k, []).append(s)
    order = [s for i in range(max(map(len, by_kind.values()))) for ks in by_kind.values() if i < len(ks)
             for s in [ks[i]]]
    return order[:n]


def same_grades(a: Path, b: Path) -> str:
    """'yes', or what differs: grades.csv byte for byte, and every grade in grades.json
    (validate.graded_outcomes)."""
    if (a / "grades.csv").read_bytes() != (b / "grades.csv").read_bytes():
        return "NO: grades.csv differs"
    from grader.validate import graded_outcomes
    left, right = graded_outcomes(a), graded_outcomes(b)
    if left != right:
        diff = sorted(k for k in left.keys() | right.keys() if left.get(k) != right.get(k))
        return f"NO: {len(diff)} grade(s) differ, e.g. {diff[:3]}"
    return "yes"


def cpu_breakdown(folder: Path, run: Run, submitted: int) -> dict[str, float]:
    """Milliseconds of CPU per submitted exercise, by part, from what each judge wrote
    (grader/costs.py); the rest is the run's start-up, the scheduler and the reports."""
    t: dict[str, float] = {}
    for path in folder.glob("judge-*.json"):
        for k, v in json.loads(path.read_text()).items():
            t[k] = t.get(k, 0.0) + v
    g = t.get
    parts = {
        "fork (zygote + worker set-up)": g("zygote.spawn", 0) + g("worker.setup", 0),
        "reap and worker exit": g("zygote.reap", 0) + max(0.0, g("zygote.worker_cpu", 0) - g("worker.cpu", 0)),
        "seal (estimated in situ)": g("worker.seal_estimate", 0),
        "codec (judge + worker)": g("judge.codec", 0) + g("worker.codec", 0),
        "student module imports, worker resets": g("worker.import", 0) + g("worker.load", 0),
        "student code (worker requests)": g("worker.handle", 0) - (g("worker.codec", 0) - g("worker.frame", 0))
        - g("worker.seal_estimate", 0),
        "judge (checks, references, transport)": g("process_cpu", 0) - g("judge.startup", 0) - g("judge.codec", 0),
        "judge start-up": g("judge.startup", 0),
    }
    parts["zygote start-up, scheduler, reports, counters"] = run.cpu - sum(parts.values())
    return {k: v * 1000 / submitted for k, v in parts.items()}


def report(args, load, runs, same, floor, floor_one, cold_one, fixed, torch_import, cheap, rerun, breakdown,
           naive, naive_times, nb_each, n_ex) -> None:
    n = args.students
    print()
    for mode, run in runs.items():
        print(f"grader grade --isolation {mode:8s} {run.wall:8.1f} s  ({run.wall / n * 1000:.0f} ms per student, "
              f"{run.cpu:.1f} CPU-s)")
    print(f"compute floor      {floor:8.1f} s   (every student's checks in-process, reference cache warm, over "
          f"{args.jobs} cores; a perfect student's: {floor_one * 1000:.0f} ms warm, {cold_one * 1000:.0f} ms cold)")
    print(f"fixed start-up     {fixed:8.1f} s   (a run of {args.jobs} perfect students, less their checks)")
    print(f"bare import torch  {torch_import.wall:8.2f} s   ({torch_import.cpu:.2f} CPU-s)")
    print(f"one cheap exercise {cheap.wall:8.2f} s   ({cheap.cpu:.2f} CPU-s: one student's ch2.tensors, fresh --out)")
    print(f"rerun, nothing new {rerun.wall:8.2f} s   ({rerun.cpu:.2f} CPU-s)")
    if naive is not None:
        print(f"naive pytest       {naive:8.1f} s   (estimated from {len(naive_times)} students: median "
              f"{statistics.median(naive_times):.2f} s each, on {args.jobs} cores)")
    if nb_each is not None:
        print(f"nbgrader autograde {nb_each:8.2f} s per student (real, {args.nbgrader_sample} students, all {n_ex} exercises)")
    print(f"grades identical in both modes: {same}")

    def above(run: Run) -> float:
        return max(0.0, run.wall - fixed - floor) * args.jobs / n / n_ex * 1000
    rows = [(f"grader / compute floor, `student` ({n} mixed students, whole course)",
             f"{runs['student'].wall / floor:.2f}x", "<= 1.25x"),
            ("grader / compute floor, `exercise`", f"{runs['exercise'].wall / floor:.2f}x", "<= 1.6x"),
            ("per exercise above its checks, `student`", f"{above(runs['student']):.1f} ms", "<= 10 ms"),
            ("per exercise above its checks, `exercise`", f"{above(runs['exercise']):.1f} ms", ""),
            ("one cheap exercise end to end / bare `import torch`",
             f"{cheap.wall / torch_import.wall:.2f}x ({cheap.cpu / torch_import.cpu:.2f}x in CPU)", "<= 2x"),
            ("rerun with nothing to grade / bare `import torch`",
             f"{rerun.wall / torch_import.wall:.2f}x ({rerun.cpu / torch_import.cpu:.2f}x in CPU)", "<= 1x"),
            ("fixed start-up of a run", f"{fixed:.1f} s", "")]
    if nb_each is not None:
        rows.append((f"vs `nbgrader autograde` on the exported course ({n} students, scaled)",
                     f"{nb_each * n / args.jobs / runs['student'].wall:.1f}x", ">= 20x"))
    if naive is not None:
        rows.append(("vs a fresh pytest per student", f"{naive / runs['student'].wall:.1f}x", ""))
    print()
    print(f"| measure | this run (load {load:.1f}) | target |")
    print("| --- | --- | --- |")
    for row in rows:
        print(f"| {row[0]} | {row[1]} | {row[2]} |")
    if breakdown:
        print()
        print(f"where the CPU goes, ms per submitted exercise ({args.perfect_students} perfect students, counters on):")
        print("| part | " + " | ".join(f"`{m}`" for m in breakdown) + " |")
        print("| --- | " + " | ".join("---" for _ in breakdown) + " |")
        for part in next(iter(breakdown.values())):
            print(f"| {part} | " + " | ".join(f"{b[part]:.1f}" for b in breakdown.values()) + " |")
        print("| total | " + " | ".join(f"{sum(b.values()):.1f}" for b in breakdown.values()) + " |")
    print(f"(load {os.getloadavg()[0]:.1f} at the end)")


if __name__ == "__main__":
    main()
