"""What does grading through Dask cost, and does it scale with workers?

    python benchmarks/cluster_scale.py [--students 300] [--workers 2] [--scale 1,2,4,8] [--scale-students 240]

Measures in one run:

* overhead: a generated class (perfect, stub, wrong, broken; ch3.softmax by default) graded with
  `--jobs W` (local judge processes) and with `--cluster local:W` (the same judges on a Dask
  LocalCluster of W workers), interleaved, best of --repeats. Each is timed in its steady state
  (between the 10th and the 90th percentile result, so start-up and stragglers are left out);
  the difference per submission, times the W workers, is the Dask overhead (target: under
  20 ms). Dask's own cost for an empty task is printed beside it.
* scale: a tiny course (one exercise, one check: a few milliseconds of compute) graded on
  `local:1`, `local:2`, `local:4`, `local:8`: students per second once the judges are up (a
  first run starts them; the same workers then grade the class). It grows with the workers
  until the cores are used up, then stays flat.

Every figure is measured here, side by side in the same run; nothing is assumed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from grade_throughput import build_class  # noqa: E402
from grader.course import load_course  # noqa: E402

TINY_COURSE = {
    "course.toml": """\
[course]
title = "Scale"
version = "1"

[grading]
check_timeout = 10
submission_timeout = 30

[chapters.ch1]
title = "One"

[exercises.ch1.twice]
title = "Twice"
file = "ch1/twice.py"
symbols = ["twice"]
points = 1
""",
    "solutions/ch1/twice.py": "def twice(x):\n    return 2 * x\n",
    "exercises/ch1/twice.py": "def twice(x):\n    raise NotImplementedError\n",
    "solutions/ch1/test_twice_hidden.py": """\
from grader.checks import check, expect

EXERCISE = "ch1.twice"


@check(points=1)
def test_twice(student):
    \"\"\"twice(21) is 42.\"\"\"
    expect.equal(student.twice(21), 42, what="twice(21)")
""",
}


def dask_round_trip(workers: int, tasks: int) -> tuple[float, float]:
    """ms per empty task: one at a time (a round trip), and in a stream of `tasks` (worker time)."""
    import logging

    from distributed import Client, LocalCluster, wait
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      memory_limit=0, silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
        client.submit(len, "warm", pure=False).result()
        start = time.perf_counter()
        for i in range(50):
            client.submit(len, b"x" * 2000, key=f"rt-{i}").result()
        one = (time.perf_counter() - start) / 50
        start = time.perf_counter()
        wait([client.submit(len, b"x" * 2000, key=f"st-{i}") for i in range(tasks)])
        stream = (time.perf_counter() - start) * workers / tasks
    return one * 1000, stream * 1000


def steady(course, class_dir: Path, out: Path, exercises: list[str], **mode) -> tuple[float, float]:
    """(seconds for the whole run, ms per student per judge between the 10th and the 90th
    percentile result): the second figure leaves out start-up and the last stragglers."""
    from grader.grading.scheduler import grade_class
    stamps: list[float] = []
    start = time.perf_counter()
    result = grade_class(course, class_dir, out, only=tuple(exercises),
                         on_result=lambda student, row: stamps.append(time.perf_counter()), **mode)
    total = time.perf_counter() - start
    if result.failures or result.interrupted:
        sys.exit(f"grading {mode} failed: {result.failures[:3]}")
    lo, hi = int(len(stamps) * 0.1), int(len(stamps) * 0.9)
    return total, (stamps[hi] - stamps[lo]) / (hi - lo) * 1000


def overhead(work: Path, students: int, workers: int, exercises: list[str], repeats: int) -> None:
    course = load_course(ROOT)
    build_class(course, exercises, students, work / "class")
    best: dict[str, tuple[float, float]] = {}
    for i in range(repeats):           # interleaved, best of each: other load hits both alike
        for name, mode in (("local", {"jobs": workers}), ("cluster", {"cluster": f"local:{workers}"})):
            out = work / f"out_{name}_{i}"
            total, per = steady(course, work / "class", out, exercises, **mode)
            if name not in best or per < best[name][1]:
                best[name] = (total, per)
    same = (work / "out_local_0" / "grades.csv").read_bytes() == (work / "out_cluster_0" / "grades.csv").read_bytes()
    rt, stream = dask_round_trip(workers, students)
    (t_local, local_ms), (t_cluster, cluster_ms) = best["local"], best["cluster"]
    local_ms, cluster_ms = local_ms * workers, cluster_ms * workers
    print(f"class: {students} students, {', '.join(exercises)}, {workers} workers on {os.cpu_count()} cores, "
          f"best of {repeats}")
    print(f"--jobs {workers}            {t_local:7.1f} s   ({local_ms:6.1f} ms per student per judge, steady state)")
    print(f"--cluster local:{workers}   {t_cluster:7.1f} s   ({cluster_ms:6.1f} ms per student per judge, steady state)")
    print(f"grades.csv identical     {'yes' if same else 'NO'}")
    print(f"Dask overhead            {cluster_ms - local_ms:7.1f} ms per submission (target < 20), "
          f"start-up and tail {t_cluster - t_local - (cluster_ms - local_ms) * students / workers / 1000:+.1f} s")
    print(f"  empty Dask task        {rt:7.1f} ms round trip, {stream:.1f} ms of a worker's time in a stream of {students}")


def scale(work: Path, students: int, sizes: list[int]) -> None:
    """Students per second with W warm judges: a first run starts them (and is not timed), a
    second run of the same settings on the same workers is timed from submit to last result."""
    from grader.grading.cluster import Cluster
    from grader.grading.judge import JudgeSettings
    from grader.grading.intake import collect
    root = work / "tiny"
    for rel, text in TINY_COURSE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    for i in range(students):
        path = work / "tiny_class" / f"s{i:04d}" / "ch1" / "twice.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(TINY_COURSE["solutions/ch1/twice.py"] if i % 3 else "def twice(x):\n    return x\n")
    course = load_course(root)
    g = course.grading
    settings = JudgeSettings(course_root=root, exercises=("ch1.twice",), device="cpu",
                             submission_timeout=g.submission_timeout, check_timeout=g.check_timeout,
                             gpu_policy=g.gpu_policy, memory_mb=g.memory_limit_mb, max_processes=g.max_processes,
                             output_limit_kb=g.output_limit_kb, protect=(str(root / "solutions"),))
    todo = [(s, ("ch1.twice",), {}) for s in collect(course, work / "tiny_class", [course.exercise("ch1.twice")]).submissions]
    print(f"scale: tiny course (one check), {students} students, warm judges, {os.cpu_count()} cores")
    base = None
    for w in sizes:
        pool = Cluster(f"local:{w}")
        try:
            pool.device("cpu")
            scores: list[float] = []
            _, failures = pool.run(settings, todo[: 4 * w], lambda *a: None)       # start every judge
            start = time.perf_counter()
            _, failures = pool.run(settings, todo, lambda sub, keys, result: scores.append(
                result.exercises["ch1.twice"].score))
            seconds = time.perf_counter() - start
        finally:
            pool.close()
        if failures or len(scores) != students:
            sys.exit(f"local:{w}: {len(scores)} of {students} graded: {failures[:3]}")
        rate = students / seconds
        base = base or rate
        print(f"  local:{w:<3} {rate:7.1f} students/s  ({rate / base:4.2f}x local:{sizes[0]}, {seconds:5.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--exercise", action="append", dest="exercises", help="default: ch3.softmax")
    parser.add_argument("--scale", default="1,2,4,8", help="worker counts of the scale run ('' to skip)")
    parser.add_argument("--scale-students", type=int, default=240)
    parser.add_argument("--repeats", type=int, default=2, help="interleaved runs of each mode (best kept)")
    parser.add_argument("--skip-overhead", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cluster_bench_"))
    try:
        if not args.skip_overhead:
            overhead(work, args.students, args.workers, args.exercises or ["ch3.softmax"], args.repeats)
        if args.scale:
            scale(work, args.scale_students, [int(x) for x in args.scale.split(",")])
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
