"""What each exercise's checks cost for a perfect submission, on one CPU thread: the budget table.

    python benchmarks/check_costs.py [--exercise ID ...] [--repeats 3] [--budget-ms 150]

Every exercise's visible and hidden checks run in this process against its reference solution
(the student side answered in-process through the same codec as the wire, as `grader validate`
does), with `torch.set_num_threads(1)`. The time of each run is split three ways:

* student:   inside the student's calls (what a worker computes, codec included);
* reference: inside calls of the reference solution's functions and modules (what the judge
             computes for the expected answers);
* judge:     everything else the checks do (making inputs, comparing, the codec on the judge side).

Times are CPU seconds of this thread (time.thread_time), so a machine busy with other work does
not inflate them; `--wall` reports wall-clock seconds instead. The best of `--repeats` warm runs
is reported. Exercises over the budget (~150 ms, the course's
rule for a perfect submission) are flagged; the exit code is 1 when any is over and
`--strict` is given.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import sys
import time
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from grader.checks.executor import Executor  # noqa: E402
from grader.checks.runner import collect_checks, load_reference, run_checks  # noqa: E402
from grader.checks.student import LocalTransport, Student  # noqa: E402
from grader.course import Course, load_course  # noqa: E402


NOW = time.thread_time  # main() switches to perf_counter with --wall


class Clock:
    """Seconds spent inside the calls it wraps; nested wrapped calls count once."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._depth = 0

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._depth += 1
            start = NOW()
            try:
                return fn(*args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self.seconds += NOW() - start
        return timed


class TimedTransport(LocalTransport):
    def __init__(self, executor: Executor, clock: Clock) -> None:
        super().__init__(executor)
        self.request = clock.wrap(super().request)  # type: ignore[method-assign]


def timed_reference(module: types.ModuleType, clock: Clock) -> types.ModuleType:
    """A stand-in for the reference module whose functions and nn.Module classes report their time
    to `clock` (classes become timed subclasses, so isinstance and state_dict keys are unchanged)."""
    proxy = types.ModuleType(module.__name__)
    for name, value in vars(module).items():
        if inspect.isclass(value) and issubclass(value, torch.nn.Module) and value.__module__ == module.__name__:
            value = type(value.__name__, (value,), {"__call__": clock.wrap(value.__call__),
                                                     "__init__": clock.wrap(value.__init__)})
        elif inspect.isfunction(value) and value.__module__ == module.__name__:
            value = clock.wrap(value)
        setattr(proxy, name, value)
    return proxy


@dataclass
class Cost:
    exercise: str
    checks: int
    total: float
    student: float
    reference: float
    passed: bool

    @property
    def judge(self) -> float:
        return max(0.0, self.total - self.student - self.reference)


def measure(course: Course, exercise_id: str, repeats: int = 3) -> Cost:
    ex = course.exercise(exercise_id)
    checks = collect_checks(course, exercise_id)
    reference = load_reference(ex)
    best: Cost | None = None
    # One reference module for all runs, as one judge keeps one for all its students: the
    # reference cache and the checks' own memos (keyed by the reference's functions) stay warm.
    reference_clock = Clock()
    proxy = timed_reference(reference, reference_clock) if reference is not None else None
    for _ in range(repeats + 1):  # the first run warms caches, as a grader's judges are warm
        student_clock = Clock()
        reference_clock.seconds = 0.0
        executor = Executor.from_file(ex.solution_path, f"cost_{ex.chapter}_{ex.name}", forbid=ex.forbid)
        student = Student(TimedTransport(executor, student_clock), ex)
        start = NOW()
        results = run_checks(checks, student, reference_module=proxy, device="cpu", gpu_available=False)
        total = NOW() - start
        cost = Cost(exercise_id, len(checks), total, student_clock.seconds, reference_clock.seconds,
                    all(r.status in ("passed", "skipped") for r in results))
        if best is None or cost.total < best.total:
            best = cost
    assert best is not None
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", action="append", dest="exercises", help="exercise id (default: all)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--budget-ms", type=float, default=150.0)
    parser.add_argument("--strict", action="store_true", help="exit 1 when an exercise is over budget")
    parser.add_argument("--wall", action="store_true", help="wall-clock seconds instead of this thread's CPU time")
    args = parser.parse_args(argv)
    global NOW
    if args.wall:
        NOW = time.perf_counter
    torch.set_num_threads(1)
    course = load_course(ROOT)
    ids = args.exercises or list(course.exercises)
    ms = lambda s: f"{1000 * s:8.1f}"  # noqa: E731
    print(f"check cost of a perfect submission, one CPU thread, {'wall' if args.wall else 'CPU'} ms, "
          f"best of {args.repeats} warm runs (budget {args.budget_ms:g} ms)")
    print(f"{'exercise':<24} {'checks':>6} {'student':>8} {'judge':>8} {'ref':>8} {'total':>8}  verdict")
    over, total = [], 0.0
    for ex_id in ids:
        cost = measure(course, ex_id, args.repeats)
        total += cost.total
        verdict = "ok" if cost.total * 1000 <= args.budget_ms else "OVER BUDGET"
        if not cost.passed:
            verdict += " (the reference failed a check!)"
        if cost.total * 1000 > args.budget_ms:
            over.append(ex_id)
        print(f"{ex_id:<24} {cost.checks:>6} {ms(cost.student)} {ms(cost.judge)} {ms(cost.reference)} "
              f"{ms(cost.total)}  {verdict}", flush=True)
    print(f"{len(ids)} exercises, {1000 * total:.0f} ms in all per perfect student; "
          f"over budget: {', '.join(over) if over else 'none'}")
    return 1 if (over and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
