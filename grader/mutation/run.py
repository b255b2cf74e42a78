"""Run an exercise's mutants through its visible and hidden checks.

One warm process loads torch, the checks and the reference, and runs the checks on the
reference first: that proves the baseline (the reference keeps full marks) and fills the
reference cache, so a mutant's run computes only the student side. Each mutant then runs in a
child forked from it (fresh module, nothing it changes in torch's global state leaks into the
next one), and a child that outlives its time limit is killed: a hanging mutant is bounded and
counts as killed, since the grader's own time limits fail it too.
"""

from __future__ import annotations

import functools
import json
import os
import select
import shutil
import signal
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import torch

from grader.checks.runner import Check, collect_checks, load_reference, run_checks
from grader.checks.student import local_student, warm_torch
from grader.course import Course, Exercise
from grader.mutation.equivalent import EquivalentRecord, load_records
from grader.mutation.operators import Mutant, generate_mutants

MIN_LIMIT = 10.0      # seconds a mutant may take at least, however fast the reference is
LIMIT_FACTOR = 20.0   # ... and this many times the reference's own time
PASSED = ("passed", "skipped")


@dataclass
class MutantResult:
    mutant: Mutant
    status: str                     # killed | survived | equivalent | timeout | crashed
    failed: list[str] = field(default_factory=list)   # the checks that failed it
    seconds: float = 0.0
    reason: str = ""                # an equivalent mutant's recorded reason

    @property
    def killed(self) -> bool:
        return self.status in ("killed", "timeout", "crashed")


@dataclass
class ExerciseReport:
    exercise: str
    results: list[MutantResult] = field(default_factory=list)
    reference_lost: list[str] = field(default_factory=list)   # checks the reference itself fails
    stale: list[EquivalentRecord] = field(default_factory=list)     # recorded, no longer generated
    wrongly_equivalent: list[MutantResult] = field(default_factory=list)  # recorded, yet a check fails it
    seconds: float = 0.0

    @property
    def killed(self) -> int:
        return sum(r.killed for r in self.results)

    @property
    def equivalent(self) -> int:
        return sum(r.status == "equivalent" for r in self.results)

    @property
    def survivors(self) -> list[MutantResult]:
        return [r for r in self.results if r.status == "survived"]

    @property
    def checks_per_kill(self) -> float:
        """The median number of checks a killed mutant fails: how many checks one slip costs."""
        counts = sorted(len(r.failed) for r in self.results if r.status == "killed")
        return float(counts[len(counts) // 2]) if counts else 0.0

    @property
    def score(self) -> float:
        """Killed over the mutants that can be killed (equivalent ones cannot)."""
        total = len(self.results) - self.equivalent
        return 100.0 * self.killed / total if total else 100.0

    @property
    def ok(self) -> bool:
        return not (self.reference_lost or self.survivors or self.stale or self.wrongly_equivalent)

    def problems(self) -> list[str]:
        out = [f"the reference itself fails {name}" for name in self.reference_lost]
        out += [f"recorded equivalent mutant no longer generated (remove the record): {r.mutant}"
                for r in self.stale]
        out += [f"recorded equivalent mutant fails {', '.join(r.failed[:3]) or 'a check'} (not equivalent, "
                f"or that check is unfair to correct code): {r.mutant.key}" for r in self.wrongly_equivalent]
        return out


def _outcomes(checks: list[Check], path: Path, exercise: Exercise, module_name: str, reference: Any,
              timeout: float | None) -> list[tuple[str, str]]:
    student = local_student(path, exercise, module_name=module_name, timeout=timeout)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = run_checks(checks, student, reference_module=reference, device="cpu",
                             gpu_policy="skip", gpu_available=False)
    return [(r.name, r.status) for r in results]


def _child(fd: int, run: Callable[[], list[tuple[str, str]]]) -> None:
    """In the forked child: run, write the outcomes to the pipe, exit without cleanup."""
    code = 0
    try:
        payload = json.dumps(run()).encode()
    except BaseException as exc:  # noqa: BLE001 - a mutant that crashes the checks is killed
        payload = json.dumps({"crash": f"{type(exc).__name__}: {exc}"[:300]}).encode()
        code = 1
    try:
        os.write(fd, payload)  # small: one (name, status) per check
    finally:
        os._exit(code)


def _run_forked(jobs: list[tuple[Mutant, Callable[[], list[tuple[str, str]]]]], parallel: int,
                limit: float, on_done: Callable[[MutantResult], None]) -> None:
    pending = list(reversed(jobs))
    running: dict[int, tuple[int, Mutant, float, bytearray]] = {}   # pid -> (read fd, mutant, start, data)
    while pending or running:
        while pending and len(running) < parallel:
            mutant, run = pending.pop()
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(read)
                _child(write, run)
            os.close(write)
            running[pid] = (read, mutant, time.monotonic(), bytearray())
        fds = {entry[0]: pid for pid, entry in running.items()}
        ready, _, _ = select.select(list(fds), [], [], 0.2)
        for fd in ready:
            chunk = os.read(fd, 65536)
            pid = fds[fd]
            if chunk:
                running[pid][3].extend(chunk)
                continue
            read, mutant, start, data = running.pop(pid)
            os.close(read)
            os.waitpid(pid, 0)
            on_done(_verdict(mutant, bytes(data), time.monotonic() - start))
        now = time.monotonic()
        for pid, (read, mutant, start, _) in list(running.items()):
            if now - start > limit:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                os.close(read)
                del running[pid]
                on_done(MutantResult(mutant, "timeout", [f"(took more than {limit:.0f} s)"], now - start))


def _verdict(mutant: Mutant, data: bytes, seconds: float) -> MutantResult:
    try:
        outcome = json.loads(data.decode() or "null")
    except ValueError:
        outcome = None
    if not isinstance(outcome, list):
        why = outcome.get("crash", "") if isinstance(outcome, dict) else "the child died"
        return MutantResult(mutant, "crashed", [f"({why})"], seconds)
    failed = [f"{name} [{status}]" for name, status in outcome if status not in PASSED]
    return MutantResult(mutant, "killed" if failed else "survived", failed, seconds)


def mutate_exercise(course: Course, exercise_id: str, *, jobs: int = 1, keys: Iterable[str] | None = None,
                    operators: tuple[str, ...] | None = None, limit: float | None = None,
                    progress: Callable[[MutantResult], None] | None = None) -> ExerciseReport:
    """Mutation-test one exercise. keys: only the mutants with these keys (validate re-proves
    the recorded equivalent ones); limit: seconds one mutant may take (default: from the
    reference's own time)."""
    exercise = course.exercise(exercise_id)
    report = ExerciseReport(exercise.id)
    started = time.perf_counter()
    records = {r.mutant: r for r in load_records(exercise)}
    mutants = generate_mutants(exercise.solution_path.read_text(encoding="utf-8"), operators)
    generated = {m.key for m in mutants}
    if keys is not None:
        wanted = set(keys)
        mutants = [m for m in mutants if m.key in wanted]
    report.stale = [r for k, r in records.items() if k not in generated and (keys is None or k in set(keys))]

    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # what a check costs is measured on one thread; and forks stay safe
    try:
        _run_mutants(course, exercise, report, records, mutants, limit, jobs, progress)
    finally:
        torch.set_num_threads(threads)
    report.seconds = time.perf_counter() - started
    return report


def _run_mutants(course: Course, exercise: Exercise, report: ExerciseReport, records: dict[str, EquivalentRecord],
                 mutants: list[Mutant], limit: float | None, jobs: int,
                 progress: Callable[[MutantResult], None] | None) -> None:
    checks = collect_checks(course, exercise.id, hidden=True)
    reference = load_reference(exercise)
    warm_torch()   # once here, not in every child
    tic = time.perf_counter()
    baseline = _outcomes(checks, exercise.solution_path, exercise, f"torchgrade_mutate_{exercise.chapter}_"
                         f"{exercise.name}_reference", reference, None)
    limit = limit or max(MIN_LIMIT, LIMIT_FACTOR * (time.perf_counter() - tic))
    report.reference_lost = [name for name, status in baseline if status not in PASSED]
    if report.reference_lost:
        return

    workdir = Path(tempfile.mkdtemp(prefix="torchgrade_mutants_"))
    try:
        jobs_list: list[tuple[Mutant, Callable[[], list[tuple[str, str]]]]] = []
        for i, mutant in enumerate(mutants):
            path = workdir / f"m{i}" / exercise.solution_path.name
            path.parent.mkdir()
            path.write_text(mutant.source, encoding="utf-8")
            name = f"torchgrade_mutant_{exercise.chapter}_{exercise.name}_{i}"

            jobs_list.append((mutant, functools.partial(_outcomes, checks, path, exercise, name, reference, limit)))

        def done(result: MutantResult) -> None:
            record = records.get(result.mutant.key)
            if record is not None:
                if result.killed:
                    report.wrongly_equivalent.append(result)
                else:
                    result.status, result.reason = "equivalent", record.reason
            report.results.append(result)
            if progress is not None:
                progress(result)
        _run_forked(jobs_list, max(1, jobs), limit, done)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    order = {m.key: i for i, m in enumerate(mutants)}
    report.results.sort(key=lambda r: order[r.mutant.key])


def prove_equivalents(course: Course, exercise_id: str) -> list[str]:
    """`grader validate`'s part: the recorded equivalent mutants still exist and still survive."""
    exercise = course.exercise(exercise_id)
    records = load_records(exercise)
    if not records:
        return []
    report = mutate_exercise(course, exercise_id, keys=[r.mutant for r in records])
    return report.problems()
