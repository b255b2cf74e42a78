"""Do correct alternatives fit the judge's time limits? For every exercise, each check is timed
against the reference (as the judge does to set its waiting budget: 20x, at least 1 s, at most
check_timeout) and against every correct variant, in this process. Prints each variant-check's
time as a fraction of the budget and of the check's timeout, worst first. Above 1.0 of the
budget a correct variant still passes (it computes, it does not wait). The timeout applies to
each call, the fraction shown is the whole check's: above 1.0 only a single call that long
would time out.

    python benchmarks/check_budgets.py [EXERCISE ...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.checks.executor import Executor  # noqa: E402
from grader.checks.runner import run_check  # noqa: E402
from grader.checks.student import LocalTransport, Student  # noqa: E402
from grader.course import load_course  # noqa: E402
from grader.grading.judge import Judge, JudgeSettings  # noqa: E402
from grader.validate import targets_for  # noqa: E402


def main(only: list[str]) -> int:
    course = load_course(ROOT)
    ids = only or list(course.exercises)
    g = course.grading
    judge = Judge(JudgeSettings(course_root=ROOT, exercises=tuple(ids), device="cpu",
                                submission_timeout=g.submission_timeout, check_timeout=g.check_timeout,
                                gpu_policy=g.gpu_policy, memory_mb=g.memory_limit_mb,
                                max_processes=g.max_processes, output_limit_kb=g.output_limit_kb,
                                backend="local"))
    rows = []
    for ex_id in ids:
        ex = course.exercise(ex_id)
        budgets = judge.budgets(ex)
        targets, _ = targets_for(ex)
        for target in (t for t in targets if t.kind == "correct" and not t.gpu_only):
            executor = Executor.from_file(target.path, f"budget_{ex.name}_{target.name}", forbid=ex.forbid)
            for check in judge.checks(ex_id):
                if check.id not in budgets:
                    continue
                student = Student(LocalTransport(executor), ex)
                start = time.perf_counter()
                result = run_check(check, student=student, reference_module=judge.reference(ex),
                                   device=torch.device("cpu"), gpu_available=False)
                took = time.perf_counter() - start
                cap = check.info.timeout or g.check_timeout
                rows.append((took / budgets[check.id], took / cap, took, budgets[check.id], target.name,
                             check.id, result.status))
    rows.sort(reverse=True)
    print(f"{'budget':>7} {'timeout':>7} {'seconds':>8}  variant / check (fractions of each)")
    for frac, of_cap, took, budget, name, cid, status in rows[:15]:
        print(f"{frac:7.2f} {of_cap:7.2f} {took:8.3f}  {name} / {cid} [{status}]")
    worst_budget = rows[0][0] if rows else 0.0
    worst_cap = max((r[1] for r in rows), default=0.0)
    print(f"worst correct variant: {worst_budget:.2f} of its waiting budget, {worst_cap:.2f} of its "
          f"check timeout ({len(rows)} variant-checks)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
