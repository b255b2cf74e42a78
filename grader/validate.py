"""`grader validate`: proof that the checks are sound. Every reference solution scores 100 %,
every stub 0, every plausible wrong variant loses points and every correct alternative gets
full marks — all through the same checks a student faces."""

from __future__ import annotations

import ast
import multiprocessing as mp
import os
import re
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from grader.checks.clauses import clause_table
from grader.checks.runner import collect_checks, load_reference, run_checks
from grader.checks.student import local_student
from grader.course import Course, Exercise, load_course
from grader.mutation.run import prove_equivalents
from grader.results import CheckResult

MIN_WRONG = 6   # the course's bar: at least six plausible mistakes per exercise
MIN_CORRECT = 2


@dataclass(frozen=True)
class Target:
    exercise: str
    kind: str          # solution | stub | wrong | correct
    name: str
    path: Path
    gpu_only: bool = False
    cpu_only: bool = False
    about: str = ""
    loses_only: tuple[str, ...] = ()   # a wrong variant's LOSES_ONLY: exactly these checks fail

    @property
    def expectation(self) -> str:
        return {"solution": "100 %", "stub": "0 points", "wrong": "loses points", "correct": "100 %"}[self.kind]


@dataclass
class Outcome:
    target: Target
    earned: float = 0.0
    available: float = 0.0
    lost: list[str] = field(default_factory=list)   # checks that did not pass, with status
    ok: bool = False
    note: str = ""

    @property
    def percent(self) -> float:
        return 100.0 * self.earned / self.available if self.available else 0.0


def _literal_assignments(path: Path) -> tuple[dict, str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    doc = (ast.get_docstring(tree) or "").strip().splitlines()
    return values, (doc[0] if doc else "")


def targets_for(exercise: Exercise) -> tuple[list[Target], list[str]]:
    """The modules to grade for one exercise, and problems with the set itself."""
    targets = [Target(exercise.id, "solution", "reference solution", exercise.solution_path),
               Target(exercise.id, "stub", "stub", exercise.stub_path)]
    problems = []
    if exercise.variants_dir.is_dir():
        for path in sorted(exercise.variants_dir.glob("*.py")):
            values, doc = _literal_assignments(path)
            verdict = values.get("VERDICT")
            if verdict not in ("wrong", "correct"):
                problems.append(f"{path.name}: VERDICT must be \"wrong\" or \"correct\", got {verdict!r}")
                continue
            targets.append(Target(exercise.id, verdict, path.stem, path, bool(values.get("GPU_ONLY")),
                                  bool(values.get("CPU_ONLY")), doc,
                                  tuple(str(n) for n in values.get("LOSES_ONLY") or ())))
    wrong = sum(t.kind == "wrong" for t in targets)
    correct = sum(t.kind == "correct" for t in targets)
    if wrong < MIN_WRONG:
        problems.append(f"only {wrong} wrong variant(s) in {exercise.variants_dir.relative_to(exercise.root)}; "
                        f"write at least {MIN_WRONG}")
    if correct < MIN_CORRECT:
        problems.append(f"only {correct} correct alternative(s); write at least {MIN_CORRECT}")
    return targets, problems


def evaluate(course: Course, target: Target, gpu_available: bool | None = None) -> Outcome:
    exercise = course.exercise(target.exercise)
    outcome = Outcome(target)
    if gpu_available is None:
        gpu_available = torch.cuda.is_available()
    if not target.path.is_file():
        outcome.note = f"{target.path.relative_to(course.root)} does not exist"
        return outcome
    checks = collect_checks(course, exercise.id, hidden=True)
    if not checks:
        outcome.note = "no checks found"
        return outcome
    module_name = f"torchgrade_validate_{exercise.chapter}_{exercise.name}_{target.kind}_{target.name}"
    student = local_student(target.path, exercise, module_name=module_name)
    device = torch.device("cuda" if gpu_available else "cpu")
    with warnings.catch_warnings():  # a variant's own warnings are noise in the proof's table
        warnings.simplefilter("ignore")
        results = run_checks(checks, student, reference_module=load_reference(exercise), device=device,
                             gpu_policy="skip", gpu_available=gpu_available)
    return judged(outcome, results, gpu_available)


def judged(outcome: Outcome, results: list[CheckResult], gpu_available: bool) -> Outcome:
    """`outcome` filled in from its target's check results: does it behave as its kind must?"""
    target = outcome.target
    outcome.earned = sum(r.points for r in results)
    outcome.available = sum(r.max_points for r in results)
    outcome.lost = [f"{r.name} [{r.status}] {r.message.splitlines()[0] if r.message else ''}"
                    for r in results if r.status not in ("passed", "skipped")]
    full = outcome.available > 0 and outcome.earned == outcome.available
    if target.kind in ("solution", "correct"):
        outcome.ok = full
        if not full:
            outcome.note = "should get full marks; lost: " + "; ".join(outcome.lost[:3])
    elif target.kind == "stub":
        outcome.ok = outcome.earned == 0
        if not outcome.ok:
            passed = [r.name for r in results if r.status == "passed"]
            outcome.note = "a stub must score 0, but these checks pass: " + ", ".join(passed)
    elif target.loses_only:
        # a slip one check is about (a naming contract) must cost that check and nothing else
        failed = sorted(r.name for r in results if r.status not in ("passed", "skipped"))
        outcome.ok = failed == sorted(target.loses_only)
        if not outcome.ok:
            outcome.note = (f"should lose exactly {', '.join(sorted(target.loses_only))}; lost: "
                            + ("; ".join(outcome.lost[:4]) or "nothing"))
    else:
        outcome.ok = not full
        if not outcome.ok:
            if target.gpu_only and not gpu_available:
                outcome.ok = True
                outcome.note = "mistake only observable on a CUDA GPU: not checkable on this machine"
            elif target.cpu_only and gpu_available:
                outcome.ok = True
                outcome.note = "mistake only observable without a GPU: not checkable on this machine"
            else:
                outcome.note = "a wrong variant got full marks: the checks miss this mistake"
    return outcome


def in_sandbox(course: Course, exercise_ids: list[str] | None, isolation: str, work: Path, jobs: int = 0,
               students: set[str] | None = None) -> tuple[list[Outcome], list[str], dict[tuple[str, str, str], list]]:
    """Every target graded as a student's file is: by `grader grade`, in the sandbox, with this
    isolation. Student "tNN" hands in the NN-th target of every exercise (so one student's
    exercises are different variants: what isolation "student" has to keep apart); `students`:
    only these. Also returns each target's check results as (name, status, points), keyed by
    (exercise, target, student), to compare between modes."""
    from grader.grading.scheduler import grade_class
    ids = exercise_ids or list(course.exercises)
    targets: dict[str, list[Target]] = {}
    problems: list[str] = []
    for ex_id in ids:
        found, issues = targets_for(course.exercise(ex_id))
        targets[ex_id] = found
        problems += [f"{ex_id}: {p}" for p in issues]
    who: dict[tuple[str, str], Target] = {}
    class_dir = work / "class"
    for ex_id, found in targets.items():
        for i, target in enumerate(found):
            student = student_of(i)
            if students is not None and student not in students:
                continue
            who[(student, ex_id)] = target
            if target.path.is_file():
                dest = class_dir / student / course.exercise(ex_id).file
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(target.path.read_bytes())
    result = grade_class(course, class_dir, work / f"graded-{isolation}", jobs=jobs, only=tuple(ids),
                         isolation=isolation, report=False)
    rows = {r.student: r for r in result.rows}
    gpu = result.metadata.get("device") == "cuda"
    outcomes, seen = [], {}
    for (student, ex_id), target in who.items():
        entry = rows[student].exercises.get(ex_id) if student in rows else None
        outcome = Outcome(target)
        if entry is None or entry.status != "graded":
            outcome.note = f"not graded: {entry.message if entry else 'no result'}"
            outcomes.append(outcome)
            continue
        results = entry.check_results()
        seen[(ex_id, target.name, student)] = [(r.name, str(r.status), r.points) for r in results]
        outcomes.append(judged(outcome, results, gpu))
    return outcomes, problems + result.failures, seen


def student_of(index: int) -> str:
    """The student of in_sandbox's class who hands in every exercise's index-th target."""
    return f"t{index:02d}"


# A worker's own directories get random names (tempfile), different in every run of either mode.
_WORKER_DIRS = re.compile(r"\b(tg-w-|tg-scratch-)[A-Za-z0-9_]{8}\b")


def _same_in_any_run(value: Any) -> Any:
    """value with the random names of a worker's directories replaced by one placeholder."""
    if isinstance(value, str):
        return _WORKER_DIRS.sub(lambda m: m.group(1) + "*", value)
    if isinstance(value, (list, tuple)):
        return type(value)(_same_in_any_run(v) for v in value)
    if isinstance(value, dict):
        return {k: _same_in_any_run(v) for k, v in value.items()}
    return value


def graded_outcomes(out: Path) -> dict:
    """Every grade a `grader grade --out` folder holds, from its grades.json: per student the
    final grade and its parts, per exercise everything the student is told but timings, the
    worker's process facts (how many processes served it, how they ended) and its stdout/stderr,
    which isolation changes by design: torch warns once per process for some warnings
    (TORCH_WARN_ONCE, native state a reused worker keeps), so in "student" mode the same warning
    from a student's second exercise is not printed again. The random names of a worker's
    directories are normalised. Two folders of one class graded alike compare equal."""
    import json
    doc = json.loads((Path(out) / "grades.json").read_text())
    found: dict = {}
    for s in doc["students"]:
        for ex_id, e in s["exercises"].items():
            found[(s["student"], ex_id)] = _same_in_any_run((
                e["score"], e["status"], e["counted"], e["state"], e["message"], e["tampering"], e["notes"],
                e["findings"],
                [(c["name"], c["status"], c["points"], c["message"], c["detail"]) for c in e["checks"]]))
        found[s["student"]] = (s["total"], s["max"], s["grade"])
    return found


def in_both_modes(course: Course, exercise_ids: list[str] | None, work: Path, jobs: int = 0,
                  students: set[str] | None = None) -> tuple[list[Outcome], list[str], list[str]]:
    """in_sandbox with isolation "exercise" and "student": the outcomes of "student", a problem
    for every target whose checks end differently in the two, and a note for every target that
    ended differently once but not again: the students concerned are graded a second time in
    both modes, and a difference counts only when each mode gives its own result again (a
    timing check near its tolerance can flip between two runs of the same mode). `students`: as
    in_sandbox."""
    outcomes, problems, fresh = in_sandbox(course, exercise_ids, "exercise", work / "first", jobs, students)
    reused_outcomes, reused_problems, reused = in_sandbox(course, exercise_ids, "student", work / "first", jobs,
                                                          students)
    differ = sorted(key for key in fresh.keys() | reused.keys() if fresh.get(key) != reused.get(key))
    notes: list[str] = []
    if differ:
        again = {mode: in_sandbox(course, exercise_ids, mode, work / "again", jobs,
                                  students={key[2] for key in differ})[2] for mode in ("exercise", "student")}
        for key in differ:
            said = f"{key[0]} {key[1]}: graded differently with isolation exercise and student"
            if again["exercise"].get(key) == fresh.get(key) and again["student"].get(key) == reused.get(key):
                problems.append(f"{said}, twice: {fresh.get(key)} vs {reused.get(key)}")
            else:
                notes.append(f"{said} once, not when graded again (a check whose result varies from run to run)")
    return reused_outcomes, sorted(set(problems) | set(reused_problems)), notes


def _evaluate_in_worker(args: tuple[Path, Target]) -> Outcome:
    root, target = args
    return evaluate(load_course(root), target)


def validate(course: Course, exercise_ids: list[str] | None = None, jobs: int = 0) -> tuple[list[Outcome], list[str]]:
    targets: list[Target] = []
    problems: list[str] = []
    for ex_id in exercise_ids or list(course.exercises):
        ex = course.exercise(ex_id)
        found, issues = targets_for(ex)
        targets += found
        problems += [f"{ex.id}: {p}" for p in issues]
    for ex_id in exercise_ids or list(course.exercises):
        # every clause of the contract is charged by one check (grader.checks.clauses) ...
        problems += [f"{ex_id}: {p}" for p in clause_table(course, ex_id).problems]
        # ... and the mutants recorded as equivalent still exist and still pass every check
        problems += [f"{ex_id}: {p}" for p in prove_equivalents(course, ex_id)]
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(targets) == 1 or torch.cuda.is_initialized():
        outcomes = [evaluate(course, t) for t in targets]
    else:
        # fork is safe here: CUDA is not initialised in this process (checked above)
        with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("fork")) as pool:
            outcomes = list(pool.map(_evaluate_in_worker, [(course.root, t) for t in targets]))
    return outcomes, problems
