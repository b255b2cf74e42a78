"""How long `grader report` takes for a large class: a generated gradebook of 300 students on the
real course (every exercise, every check), then report.html, figures and feedback pages.

    python benchmarks/report_build.py [--students 300] [--keep DIR]

The class is made, not graded: students of random ability pass each check with a chance that
grows with their ability, hand in the reference solution (names changed), one of the course's
variants, or the untouched stub, and some pairs copy each other; one student in 50 has code that
times out or crashes, and one hands in nothing. The target is under 10 s; the
output says how the time splits (similarity, figures, the rest) and the ratio to the target.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.course import Course, load_course  # noqa: E402
from grader.grading.final import load_class  # noqa: E402
from grader.grading.gradebook import Gradebook  # noqa: E402
from grader.results import StudentResult  # noqa: E402

TARGET_S = 10.0
CHECKS_PER_EXERCISE = 12
_RENAMEABLE = re.compile(r"\b(X|Y|x|y|p|mask|keep|out|result|H|H1|H2|net|loss|total|exps|scores|batch)\b")
REASONS = ("{sym}: {k} of {n} entries differ from the expected values (largest difference {d:.3f})",
           "{sym}: wrong shape: got ({k}, 1), expected ({k},)", "used torch.nn.functional.{sym}",
           "{sym} raised ValueError at line {k} of your file", "{sym} returned float64, expected float32")


def _renamed(code: str, rng: random.Random) -> str:
    names: dict[str, str] = {}
    return _RENAMEABLE.sub(lambda m: names.setdefault(m.group(), f"{m.group()}_{rng.randrange(1000)}"), code)


def generate_class(course: Course, n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    sources: dict[str, list[str]] = {}
    for e, ex in course.exercises.items():
        texts = [ex.solution_path.read_text()] if ex.solution_path.is_file() else []
        if ex.variants_dir.is_dir():
            texts += [p.read_text() for p in sorted(ex.variants_dir.glob("*.py"))]
        sources[e] = texts or [""]
    difficulty = {e: [rng.uniform(0.05, 0.95) for _ in range(CHECKS_PER_EXERCISE)] for e in course.exercises}
    rows = []
    for i in range(n):
        student = f"student{i:03d}"
        ability = rng.random()
        exercises = {}
        for e, ex in course.exercises.items():
            symbols = list(ex.symbols)
            handed_in = i != 7 and rng.random() < 0.55 + 0.45 * ability     # student007 hands in nothing
            if not handed_in:
                checks = [_check(e, j, symbols, ex.points, "missing", "not handed in") for j in range(CHECKS_PER_EXERCISE)]
                exercises[e] = _entry("missing", checks, ex.points, "")
                continue
            pick = rng.random()
            if pick < 0.05:
                code = ex.stub_path.read_text() if ex.stub_path.is_file() else ""
            elif pick < 0.6:
                code = _renamed(sources[e][0], rng)
            else:
                code = _renamed(rng.choice(sources[e]), rng)
            if i % 25 == 1 and rows:          # a copy of the previous student's file, names changed
                previous = rows[-1]["exercises"][e].get("code")
                code = _renamed(previous, rng) if previous else code
            checks = []
            for j, b in enumerate(difficulty[e]):
                if rng.random() < 0.02:         # a check that went wrong; one student in 50 has code that hangs
                    status = rng.choice(["error", "forbidden"] + (["timeout", "crashed", "oom"] if i % 50 == 3 else []))
                else:
                    status = "passed" if ability + rng.gauss(0, 0.2) > b else "failed"
                reason = "" if status == "passed" else rng.choice(REASONS).format(
                    sym=rng.choice(symbols), k=rng.randrange(1, 5000), n=5000, d=rng.random())
                checks.append(_check(e, j, symbols, ex.points, status, reason))
            exercises[e] = _entry("graded", checks, ex.points, code)
        rows.append({"student": student, "kind": "folder", "source": student, "problem": "",
                     "facts": {"python": "3.11", "torch": "2.x", "device": "cpu", "gpu": None,
                               "sandbox": "landlock-abi7 (generated class)"},
                     "exercises": exercises})
    return rows


def _check(e: str, j: int, symbols: list[str], points: float, status: str, reason: str) -> dict:
    mx = round(points / CHECKS_PER_EXERCISE, 4)
    return {"check_id": f"{e}::test_{j:02d}", "name": f"test_{j:02d}", "title": f"{symbols[j % len(symbols)]}: check {j}",
            "visible": j < 4, "status": status, "points": mx if status == "passed" else 0.0, "max_points": mx,
            "message": reason, "summary": reason, "detail": "", "seconds": 0.01, "device": "cpu"}


def _entry(status: str, checks: list[dict], points: float, code: str) -> dict:
    return {"status": status, "message": "" if status == "graded" else "not handed in", "source": "",
            "notes": [], "score": round(sum(c["points"] for c in checks), 4), "max": points, "checks": checks,
            "sandbox": "landlock-abi7 (generated class)" if status == "graded" else None,
            "seconds": 0.3 if status == "graded" else 0.0, "code": code, "worker": None}


def write_class(n: int, out: Path) -> Course:
    """A generated class of n students in out/gradebook.sqlite; the course it is of."""
    course = load_course(ROOT)
    with Gradebook(out / "gradebook.sqlite") as book:
        for r in generate_class(course, n):
            book.put(StudentResult.from_json(r))
    return course


def measure(n: int, out: Path) -> dict:
    from grader.reports import html, similarity

    course = write_class(n, out)
    spent = {"similarity": 0.0, "figures": 0.0}

    def timed(fn, key):
        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[key] += time.perf_counter() - t
        return wrapper

    originals = (html.compare, {name: getattr(html.figures, name) for name in html.figures.__all__})
    html.compare = timed(similarity.compare, "similarity")
    for name, fn in originals[1].items():
        setattr(html.figures, name, timed(fn, "figures"))
    try:
        start, cpu = time.perf_counter(), time.process_time()
        result = html.write_class_report(load_class(out, course))
        total, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        html.compare = originals[0]
        for name, fn in originals[1].items():
            setattr(html.figures, name, fn)
    again = time.perf_counter()
    html.write_class_report(load_class(out, course))        # as at the end of a resumed run: pages current
    again = time.perf_counter() - again
    return {"students": n, "exercises": len(course.exercises), "seconds": total, "cpu": cpu, "again": again, **spent,
            "pairs": result.pairs, "clusters": result.clusters, "people": result.people,
            "flagged": result.flagged_checks,
            "bytes": (out / "report.html").stat().st_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--keep", type=Path, default=None, help="Write the report here (default: a temporary folder).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        m = measure(args.students, out)
    rest = m["seconds"] - m["similarity"] - m["figures"]
    load = os.getloadavg()[0]
    print(f"class report of {m['students']} generated students x {m['exercises']} exercises: "
          f"{m['seconds']:.2f} s (target < {TARGET_S:g} s: {m['seconds'] / TARGET_S:.2f} of it), "
          f"{m['cpu']:.2f} s of CPU; load average {load:.1f} on {os.cpu_count()} core(s)")
    print(f"  similarity {m['similarity']:.2f} s, figures {m['figures']:.2f} s, reading, statistics, "
          f"feedback pages and HTML {rest:.2f} s")
    print(f"  again with the feedback pages current (a resumed run): {m['again']:.2f} s")
    print(f"  report.html {m['bytes'] / 1e6:.1f} MB, {m['people']} student(s) need a person, {m['clusters']} group(s) "
          f"of alike files ({m['pairs']} pair(s)) beyond the reference, {m['flagged']} flagged check(s)")


if __name__ == "__main__":
    main()
