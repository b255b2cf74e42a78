"""`grader validate`: proof that the checks are sound. Every reference solution scores 100 %,
every stub 0, every plausible wrong variant loses points and every correct alternative gets
full marks — all through the same checks a student faces."""

from __future__ import annotations

import ast
import multiprocessing as mp
import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import torch

from grader.checks.clauses import clause_table
from grader.checks.runner import collect_checks, load_reference, run_checks
from grader.checks.student import local_student
from grader.course import Course, Exercise, load_course
from grader.mutation.run import prove_equivalents

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
