"""A grading run: decide who needs grading, run judges in parallel, commit each student as soon
as their result arrives, then write every report from the gradebook.

Judges are separate processes started with the "spawn" method: they inherit nothing from this
process (no CUDA state, no half-imported modules). With several judges, this process starts the
run's one zygote and hands each judge a connection to it (grader/sandbox/shared.py). This
process never imports torch, a check, a reference solution or student code, and never touches CUDA.
"""

from __future__ import annotations

import datetime as _dt
import json
import multiprocessing as mp
import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

from grader.course import Assignment, Course
from grader.errors import GraderError
from grader.grading.gradebook import GRADEBOOK_FILE, Gradebook, checks_digest, exercise_key, kept_code, merge
from grader.grading.judge import JudgeSettings, grade_in_process, init_process
from grader.grading.intake import collect
from grader.grading.submissions import Submission
from grader.results import StudentResult


class GradeError(GraderError):
    """Bad input to a grading run, said in one line."""


@dataclass
class RunResult:
    rows: list[StudentResult]         # graded students, sorted, as written to the reports
    exercise_ids: list[str]
    graded_now: list[str]             # students graded in this run
    reused: list[str]                 # students whose gradebook rows were current
    not_graded: list[str]             # discovered but without a result (interrupted, --student)
    metadata: dict = field(default_factory=dict)
    interrupted: bool = False
    failures: list[str] = field(default_factory=list)
    roster: dict | None = None        # {"unmatched": [...], "absent": [...]} with --roster
    warnings: list[str] = field(default_factory=list)   # likely mistakes in the download, see grading.intake


def detect_device(requested: str) -> str:
    """auto -> cuda when a usable GPU is present. Checked without creating a CUDA context."""
    if requested in ("cpu", "cuda"):
        return requested
    if not any(Path(p).exists() for p in ("/dev/nvidia0", "/dev/nvidiactl", "/dev/dxg")):
        return "cpu"      # no GPU device files: no need to pay for importing torch here
    os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")
    import torch
    return "cuda" if torch.cuda.is_available() else "cpu"


def grade_class(course: Course, submissions: Path, out: Path, *, jobs: int = 0, device: str = "auto",
                only: tuple[str, ...] = (), students: tuple[str, ...] = (), timeout: float | None = None,
                assignment: str | None = None, cluster: str | None = None,
                roster: Path | None = None, roster_columns: dict[str, str] | None = None,
                layout: str = "auto", times: Path | str | None = None,
                on_start: Callable[[int], None] | None = None,
                on_result: Callable[[str, StudentResult], None] | None = None,
                command: list[str] | None = None, report: bool = True, replace_class: bool = False) -> RunResult:
    started = _now()
    submissions, out = Path(submissions), Path(out)
    if not submissions.is_dir() and not (submissions.is_file() and submissions.suffix.lower() == ".zip"):
        raise GradeError(f"submissions folder {submissions} does not exist" if not submissions.exists()
                         else f"{submissions} is not a folder or a .zip download")
    if out.resolve() == submissions.resolve() or submissions.resolve().is_relative_to(out.resolve()):
        raise GradeError(f"--out {out} would put the reports around the submissions; use a separate folder")
    exercise_ids = course.select(only, assignment)
    the_assignment = course.assignments.get(assignment) if assignment else None
    chapter = assignment if assignment is not None and the_assignment is None else None
    excluded = [out]
    if the_assignment is not None:
        out = out / the_assignment.id     # one gradebook per assignment: re-grading one never touches another
    intake = collect(course, submissions, [course.exercises[e] for e in exercise_ids], layout=layout,
                     times=times, roster=roster, roster_columns=roster_columns, exclude=excluded,
                     nbgrader_assignment=chapter, tz=the_assignment.due.tzinfo if the_assignment else None)
    subs, roster_facts, warnings = intake.submissions, intake.roster_facts, intake.warnings
    if not subs:
        raise GradeError(f"no students in {submissions}: expected one folder or .zip per student "
                         "(e.g. alice/ch4/dropout.py or alice.zip) or an LMS's download")
    by_id = {s.student: s for s in subs}
    for sid in students:
        if sid not in by_id:
            known = ", ".join(list(by_id)[:10]) + (" ..." if len(by_id) > 10 else "")
            raise GradeError(f"--student {sid!r}: no such student in {submissions} (found: {known or 'none'})")

    g = course.grading
    pool = None
    if cluster:      # a Dask cluster (grading/cluster.py): the same judges, on its workers
        from grader.grading.cluster import Cluster
        pool = Cluster(cluster)
    resolved = pool.device(device) if pool else detect_device(device)
    sub_timeout = float(timeout) if timeout else g.submission_timeout
    settings = JudgeSettings(course_root=course.root, exercises=tuple(exercise_ids), device=resolved,
                             submission_timeout=sub_timeout, check_timeout=min(g.check_timeout, sub_timeout),
                             gpu_policy=g.gpu_policy, memory_mb=g.memory_limit_mb,
                             max_processes=g.max_processes, output_limit_kb=g.output_limit_kb,
                             protect=tuple(str(p.resolve()) for p in
                                           (course.root / "solutions", out, submissions)))
    key_settings = settings.key()
    digests = {e: checks_digest(course.exercises[e]) for e in exercise_ids}

    out.mkdir(parents=True, exist_ok=True)
    book = Gradebook(out / GRADEBOOK_FILE)
    try:
        _same_class(book, submissions, out, subs, replace_class)
        rows = book.rows()
        todo: list[tuple[Submission, tuple[str, ...], dict[str, str]]] = []
        reused = []
        for sub in subs:
            keys = {e: exercise_key(digests[e], sub.exercises[e], key_settings) for e in exercise_ids}
            old = rows.get(sub.student)
            if students:
                # --student: re-grade exactly these students; every other row stays as it is
                stale = exercise_ids if sub.student in students else []
            else:
                have = old.exercises if old is not None else {}
                stale = [e for e in exercise_ids if e not in have or have[e].key != keys[e]]
            if stale:
                todo.append((sub, tuple(stale), keys))
            elif old is not None:
                reused.append(sub.student)
        graded_now: list[str] = []
        failures: list[str] = []
        interrupted = False
        if on_start:
            on_start(len(todo))
        if todo:
            n_jobs = min(jobs or g.jobs or os.cpu_count() or 1, len(todo))

            def commit(sub: Submission, keys: dict[str, str], result: StudentResult) -> None:
                for e, entry in result.exercises.items():
                    entry.key = keys[e]
                    entry.code = kept_code(sub.exercises[e]) if e in sub.exercises else ""
                # the judge's time covers this run's exercises only: not a fact of the whole row
                row = replace(merge(book.get(sub.student), result), seconds=None)
                book.put(row)
                graded_now.append(sub.student)
                if on_result:
                    on_result(sub.student, row)

            if pool is not None:
                interrupted, failures = pool.run(settings, todo, commit)
            else:
                # Each judge and its worker take turns, so one thread each keeps the cores busy
                # without oversubscribing them (2 judges x 2 workers x 2 threads on 2 cores ran 3-5x slower).
                settings = replace(settings, threads=max(1, (os.cpu_count() or 1) // n_jobs))
                interrupted, failures = _run_judges(settings, todo, n_jobs, commit)
        book.put_handins({s.student: s.handin for s in subs})
        book.set_meta("roster", json.dumps(roster_facts))     # the class report lists both kinds
        held = json.loads(book.get_meta("exercises") or "[]")
        book.set_meta("exercises", json.dumps([e for e in course.exercises if e in set(held) | set(exercise_ids)]))
        book.set_meta("assignment", the_assignment.id if the_assignment else "")
        if todo:
            # How long grading took, for the class report (which reads the gradebook only).
            book.set_meta("last_run", json.dumps({"started": started, "finished": _now(), "graded": len(graded_now),
                                                  "interrupted": interrupted, "jobs": n_jobs}))
    finally:
        book.close()
        if pool is not None:
            pool.close()

    from grader.grading.final import load_class
    from grader.reports.grades import run_facts
    from grader.reports.outputs import write_outputs
    grades = load_class(out, course)
    graded_ids = {r.student for r in grades.rows}
    not_graded = [s.student for s in subs if s.student not in graded_ids]
    facts = run_facts(grades.rows)
    metadata = {"course": {"title": course.title, "version": course.version},
                **facts,
                "exercises": grades.exercise_ids,
                "graded_now": exercise_ids,
                "submissions": str(submissions),
                "students": len(grades.rows), "not_graded": not_graded,
                "options": {"device": device, "timeout": settings.submission_timeout,
                            "check_timeout": settings.check_timeout, "gpu_policy": settings.gpu_policy,
                            "findings": g.findings,
                            "jobs": jobs or g.jobs or os.cpu_count(),
                            **({"cluster": cluster} if cluster else {})},
                "command": command or [],
                "assignment": _assignment_facts(the_assignment),
                "roster": roster_facts,
                "warnings": warnings,
                "out": str(out),
                "started": started, "finished": _now(), "interrupted": interrupted}
    with Gradebook(out / GRADEBOOK_FILE) as book:
        book.set_meta("run", json.dumps(metadata, default=str))
    grades.run = metadata
    # the class report is drawn only where a person reads it (off for Gradescope's one student)
    write_outputs(grades, report=report)
    return RunResult(grades.rows, grades.exercise_ids, graded_now, reused, not_graded, metadata, interrupted,
                     failures, roster_facts, warnings)


def _same_class(book: Gradebook, submissions: Path, out: Path, subs: list[Submission], replace_class: bool) -> None:
    """One --out holds one class: grading another folder into it would mix two classes in one
    grades.csv. `--replace` grades this class in its place (rows of students not in it dropped;
    decisions people made are kept by student id)."""
    here = str(submissions.resolve())
    before = book.get_meta("class")
    if before and json.loads(before).get("submissions") != here:
        if not replace_class:
            raise GradeError(f"{out} holds the grades of the class in {json.loads(before).get('submissions')}; "
                             f"this run grades {here}: give --replace to grade it in their place, or another --out")
    if replace_class:
        present = {s.student for s in subs}
        book.drop_students([s for s in book.students() if s not in present])
    book.set_meta("class", json.dumps({"submissions": here}))


def _run_judges(settings: JudgeSettings, todo: list, n_jobs: int,
                commit: Callable[[Submission, dict, StudentResult], None]) -> tuple[bool, list[str]]:
    """Grade `todo` with `n_jobs` judge processes; commit each student as it finishes."""
    failures: list[str] = []
    ctx = mp.get_context("spawn")
    shared = None
    if n_jobs > 1:   # one zygote for all the judges of this run (grader/sandbox/shared.py)
        from grader.sandbox.shared import SharedZygote
        shared = SharedZygote(settings.new_zygote, n_jobs, ctx.Queue())
    pool = ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx, initializer=init_process,
                               initargs=(settings, shared.queue if shared else None))
    pending: dict[Future, tuple[Submission, dict]] = {}
    try:
        for sub, stale, keys in todo:
            fut = pool.submit(grade_in_process, sub, stale)
            pending[fut] = (sub, keys)
        while pending:
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for fut in done:
                sub, keys = pending.pop(fut)
                try:
                    result = fut.result()
                except BrokenProcessPool:
                    failures.append(f"{sub.student}: a judge process died; run the command again to grade "
                                    "the students left")
                    continue
                except Exception as exc:  # noqa: BLE001 - one student's judge failure is reported, not fatal
                    failures.append(f"{sub.student}: grading failed in the judge: {type(exc).__name__}: {exc}")
                    continue
                commit(sub, keys, result)
        pool.shutdown(wait=True)
        return False, failures
    except KeyboardInterrupt:
        _terminate(pool)
        return True, failures
    except BaseException:
        _terminate(pool)
        raise
    finally:
        if shared is not None:
            shared.close()


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop judges now: each closes its zygote on SIGTERM (see judge.init_process)."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        if p.is_alive():
            p.terminate()
    for p in processes:
        p.join(timeout=5)
        if p.is_alive():
            p.kill()


def _assignment_facts(a: Assignment | None) -> dict | None:
    if a is None:
        return None
    return {"id": a.id, "title": a.title, "points": a.points, "due": a.due.isoformat(),
            "late_policy": asdict(a.late_policy),
            "extensions": {s: t.isoformat() for s, t in a.extensions.items()}}


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


__all__ = ["grade_class", "GradeError", "RunResult", "detect_device"]
