"""Gradescope interoperability: build an autograder zip, and the `run_autograder` entry that grades
one submission with our grader and writes Gradescope's results.json.

The zip (files at its root, as Gradescope wants):

    setup.sh             installs Python, torch/torchvision (pinned) and the course package
    run_autograder       calls `python -m grader.export.gradescope run --root /autograder`
    course/              the judge side: grader/, course.toml, pyproject.toml, README.md,
                         solutions/<chN>/<name>.py + test_<name>_hidden.py, exercises' visible tests
    course/gradescope.json   which exercises this autograder grades, and the versions it pins

How a submission is graded: the files in /autograder/submission are copied into a private class
folder (one student), laid out as `<chN>/<name>.py|.ipynb` whatever folders the student zipped;
then the real `grader grade` machinery (grader.grading) grades it: checks and reference solutions
in the judge, the student's code in a sandboxed worker. Only when grader.grading cannot be
imported does it fall back to running the checks in this process, and says so in its output.
results.json is written by this process alone, after grading has finished and every worker is
gone, atomically (a file the submission left at that path is replaced, never trusted). It never
contains a hidden check's source, inputs, expected values or instructor detail.

Paths come from --root (default $GRADESCOPE_ROOT, else /autograder), so tests can use a folder
shaped like /autograder.

It stays one module although it is long: the zip, the run_autograder entry it installs and the
results.json that entry writes are one contract with Gradescope, read best side by side.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import sys
import tempfile
import time
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

import click

from grader.atomic import atomic_write
from grader.errors import GraderError
from grader.reports.escape import plain_text
from grader.results import CheckResult, ExerciseResult, StudentResult, status_word
from grader.student_view import student_message

ROOT_ENV = "GRADESCOPE_ROOT"
CONFIG_NAME = "gradescope.json"
MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_FILES = 2000
VISIBLE_OUTPUT_CHARS = 4000
POINT_DECIMALS = 4
_SKIP_PARTS = {"__pycache__", ".git", ".ipynb_checkpoints", "__MACOSX", ".DS_Store"}


class PackageError(GraderError):
    """The autograder zip cannot be built as asked."""


# ---------------------------------------------------------------------------- results.json

def _shares(checks: list[CheckResult], points: float | None) -> list[float]:
    """Each check's max_score on Gradescope: its share of the exercise's course points (checks
    left out by the GPU policy have max 0 and get no share), so tests add up to the score."""
    maxima = [float(c.max_points or 0) for c in checks]
    total = sum(maxima)
    if points is None or total <= 0:
        return [round(m, POINT_DECIMALS) for m in maxima]
    shares = [round(points * m / total, POINT_DECIMALS) for m in maxima]
    rest = round(points - sum(shares), POINT_DECIMALS)
    if rest and any(shares):
        i = max(range(len(shares)), key=lambda k: shares[k])
        shares[i] = round(shares[i] + rest, POINT_DECIMALS)
    return shares


def _safe_output(c: CheckResult) -> str:
    """The status word and what the student may read about the check (student_view's policy)."""
    if c.status == "passed":
        return "passed"
    word = status_word(c.status)
    text = student_message(c)[:VISIBLE_OUTPUT_CHARS]
    return f"{word}: {text}" if text else word


def results_json(student_result: StudentResult, *, course: Any = None, hidden_visibility: str | None = None,
                 execution_time: float | None = None, output: str = "") -> dict:
    """Gradescope's results.json for one student.

    With `course`, each exercise's tests share its points from course.toml (so the top-level
    score is the exercise score `grader grade` reports) and hidden checks get
    `course.grading.hidden_visibility`; without it, raw check points are used.
    """
    visibility = hidden_visibility or (course.grading.hidden_visibility if course is not None else "after_due_date")
    tests: list[dict] = []
    total = 0.0
    lines: list[str] = []
    grade = student_result.grade
    for ex_id, entry in student_result.exercises.items():
        checks = entry.check_results()
        ex = course.exercises.get(ex_id) if course is not None else None
        shares = _shares(checks, ex.points if ex is not None else None)
        ex_score = 0.0
        hidden_n = 0
        n_hidden = sum(1 for c in checks if not c.visible)
        for number, (c, share) in enumerate(zip(checks, shares), start=1):
            maximum = float(c.max_points or 0)
            earned = float(c.points or 0)
            score = round(share * earned / maximum, POINT_DECIMALS) if maximum > 0 else 0.0
            ex_score += score
            visible = bool(c.visible)
            if visible:
                name = f"{ex_id}: {c.label}"
            else:
                hidden_n += 1
                name = f"{ex_id}: {c.label} (hidden check {hidden_n} of {n_hidden})"
            status = c.status or "error"
            tests.append({
                "name": name,
                "name_format": "text",
                "number": f"{ex_id}.{number}",
                "score": score,
                "max_score": share,
                "status": "passed" if status == "passed" or (status == "skipped" and score >= share) else "failed",
                "output": _safe_output(c),
                "output_format": "text",
                "tags": [ex_id, "visible" if visible else "hidden", status],
                "visibility": "visible" if visible else visibility,
            })
        ex_score = round(ex_score, POINT_DECIMALS)
        part = grade.exercises.get(ex_id) if grade is not None else None
        if part is not None and part.state not in ("graded", "missing", "error"):
            ex_score = round(part.points, POINT_DECIMALS)     # held, set by hand, tampering: as grades.csv has it
        total += ex_score
        maximum = ex.points if ex is not None else round(sum(shares), POINT_DECIMALS)
        line = f"{ex_id}: {ex_score:g} / {maximum:g} points"
        if part is not None and part.note and part.state not in ("graded", "missing", "error"):
            line += f" ({plain_text(part.note)})"
        if not entry.graded and entry.message:
            line += f" ({entry.status}: {plain_text(entry.message)})"
        for note in entry.notes:
            line += f"\n  note: {plain_text(note)}"
        lines.append(line)
    if grade is not None:
        # the final grade (grader.grading.final), scaled and late-penalised as grades.csv states it
        total = grade.final
        lines.append(f"final grade: {grade.final:g} / {grade.max:g}"
                     + (f" ({plain_text(grade.lateness)})" if grade.lateness else ""))
    summary = "\n".join(([output] if output else []) + lines)
    doc: dict[str, Any] = {
        "score": round(total, POINT_DECIMALS),
        "output": summary,
        "output_format": "text",
        # run_autograder's stdout is for the instructor only (Gradescope shows it to students otherwise)
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    if execution_time is not None:
        doc["execution_time"] = int(round(execution_time))
    return doc


# ---------------------------------------------------------------------------- the package

TEMPLATES = Path(__file__).with_name("templates")


def _script(name: str, **values: str) -> str:
    """A shell script shipped as package data, with its @name@ placeholders filled in (shell's
    own $ and {} stay as written)."""
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    leftover = re.findall(r"@\w+@", text)
    if leftover:
        raise PackageError(f"{name}: placeholders left unfilled: {leftover}")
    return text


def _course_files(course: Any, exercises: list[Any]) -> dict[str, Path | str]:
    """Archive path -> file on disk (or text): what the judge needs, nothing else (no variants,
    no stubs of other exercises, no caches). course.toml lists the packaged exercises only, since
    the judge's course must name no reference it does not carry."""
    from grader.course import course_toml_for

    root = course.root
    files: dict[str, Path | str] = {"course/course.toml": course_toml_for(course, [e.id for e in exercises])}
    for name in ("pyproject.toml", "README.md"):
        if (root / name).is_file():
            files[f"course/{name}"] = root / name
    grader_dir = root / "grader"
    for path in sorted(grader_dir.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not path.is_symlink() and not (set(rel.parts) & _SKIP_PARTS) \
                and path.suffix not in (".pyc", ".pyo"):
            files[f"course/{rel.as_posix()}"] = path
    for ex in exercises:
        for path in (ex.solution_path, ex.hidden_checks_path, ex.visible_tests_path, ex.stub_path):
            if path.is_file():
                files[f"course/{path.relative_to(root).as_posix()}"] = path
    return files


def build_package(course: Any, out_zip: Path, *, exercise_ids: Iterable[str] | None = None,
                  assignment: str | None = None) -> dict:
    """Write the autograder zip; returns {"files": n, "bytes": size, "exercises": [...]}."""
    import torch
    import torchvision

    wanted = list(exercise_ids or [])
    exercises = [course.exercises[e] for e in course.select(wanted, assignment)]
    missing = [e.id for e in exercises if not e.solution_path.is_file()]
    if wanted and missing:
        raise PackageError(f"{missing[0]}: no reference solution at solutions/{course.exercises[missing[0]].file}")
    exercises = [e for e in exercises if e.solution_path.is_file()]
    if not exercises:
        raise PackageError("nothing to package: no selected exercise has a reference solution")
    out_zip = Path(out_zip)
    if out_zip.resolve().is_relative_to(course.root.resolve() / "grader"):
        raise PackageError(f"{out_zip}: write the zip outside the grader package")
    versions = {"torch": torch.__version__.split("+")[0], "torchvision": torchvision.__version__.split("+")[0]}
    config = {"exercises": [e.id for e in exercises], "course": course.title, "version": course.version,
              **versions}
    files = _course_files(course, exercises)
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_zip.with_name(out_zip.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        def add_text(name: str, text: str, executable: bool = False) -> None:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text)
        add_text("setup.sh", _script("gradescope_setup.sh", python_min="3.10", **versions), executable=True)
        add_text("run_autograder", _script("gradescope_run_autograder.sh", root_env=ROOT_ENV), executable=True)
        add_text(f"course/{CONFIG_NAME}", json.dumps(config, indent=1) + "\n")
        for name, path in sorted(files.items()):
            add_text(name, path if isinstance(path, str) else path.read_text(encoding="utf-8"), executable=False)
    os.replace(tmp, out_zip)
    return {"files": len(files) + 3, "bytes": out_zip.stat().st_size, "exercises": config["exercises"]}


# ---------------------------------------------------------------------------- run_autograder

def _submission_files(submission: Path) -> dict[str, Path]:
    """Regular files of the submission (relative posix path -> path); links and caches skipped."""
    found: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(submission, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_PARTS and not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if name in _SKIP_PARTS or name.startswith("._"):
                continue
            try:
                mode = path.lstat().st_mode
            except OSError:
                continue
            if stat.S_ISREG(mode):
                found[path.relative_to(submission).as_posix()] = path
        if len(found) > MAX_FILES:
            break
    return found


def layout_submission(submission: Path, course: Any, exercise_ids: list[str], dest: Path) -> list[str]:
    """Copy what the student handed in to `dest/<chN>/<name>.py|.ipynb`, whatever folders they
    zipped (Gradescope uploads are often flat: `softmax.py`). Returns notes for the output."""
    files = _submission_files(submission)
    notes: list[str] = []
    dest.mkdir(parents=True, exist_ok=True)
    for ex_id in exercise_ids:
        ex = course.exercises[ex_id]
        stem = PurePosixPath(ex.file).with_suffix("")
        chosen = None
        for ext in (".py", ".ipynb"):
            exact = [rel for rel in files if rel == f"{stem}{ext}" or rel.endswith(f"/{stem}{ext}")]
            by_name = [rel for rel in files if PurePosixPath(rel).name == f"{ex.name}{ext}"]
            if exact:
                chosen = sorted(exact, key=len)[0]
            elif len(by_name) == 1:
                chosen = by_name[0]
            elif len(by_name) > 1:
                notes.append(f"{ex_id}: several files named {ex.name}{ext} ({', '.join(sorted(by_name)[:4])}); "
                             f"put the one to grade at {stem}{ext}")
            if chosen:
                break
        if chosen is None:
            continue
        src = files[chosen]
        if src.stat().st_size > MAX_FILE_BYTES:
            notes.append(f"{ex_id}: {chosen} is larger than {MAX_FILE_BYTES // 2**20} MiB; not graded")
            continue
        target = dest / f"{stem}{PurePosixPath(chosen).suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target, follow_symlinks=False)
        if chosen != f"{stem}{PurePosixPath(chosen).suffix}":
            notes.append(f"{ex_id}: graded {chosen}")
    return notes


def _grade_with_grader(course: Any, exercise_ids: list[str], class_dir: Path,
                       work: Path) -> tuple[StudentResult, str]:
    """The real `grader grade` machinery: judge process, sandboxed worker, gradebook. Returns the
    student's result and the words for the engine that made it."""
    from grader.grading.scheduler import grade_class
    result = grade_class(course, class_dir, work / "out", jobs=1, device="auto", only=tuple(exercise_ids),
                         command=["gradescope", "run"], report=False)
    if result.failures:
        raise RuntimeError("; ".join(result.failures))
    if not result.rows:
        raise RuntimeError("the grader produced no result for the submission")
    levels = "; ".join(result.metadata.get("sandbox_levels") or []) or "n/a"
    return result.rows[0], f"grader grade (sandbox: {levels})"


def _grade_in_process(course: Any, exercise_ids: list[str], class_dir: Path,
                      work: Path) -> tuple[StudentResult, str]:
    """Fallback when grader.grading is unavailable: the checks run in this process against the
    student's module imported here. NOT confined; said loudly in the output."""
    import torch

    from grader.checks.runner import collect_checks, exercise_score, load_reference, run_checks
    from grader.checks.student import local_student

    row = StudentResult("submission")
    gpu = torch.cuda.is_available()
    for ex_id in exercise_ids:
        ex = course.exercises[ex_id]
        checks = collect_checks(course, ex_id)
        stem = PurePosixPath(ex.file).with_suffix("")
        py = class_dir / "submission" / f"{stem}.py"
        entry = ExerciseResult("graded")
        if not py.is_file() and (class_dir / "submission" / f"{stem}.ipynb").is_file():
            from grader.grading.sources import notebook_to_module
            code, _ = notebook_to_module((class_dir / "submission" / f"{stem}.ipynb").read_bytes())
            py = work / "nb" / f"{ex.name}.py"
            py.parent.mkdir(parents=True, exist_ok=True)
            py.write_text(code, encoding="utf-8")
        student = local_student(py, ex, module_name=f"torchgrade_gs_{ex.chapter}_{ex.name}")
        if not py.is_file():
            entry.status, entry.message = "missing", f"no file for this exercise: expected {stem}.py or .ipynb"
        entry.checks = run_checks(checks, student, reference_module=load_reference(ex),
                                  device="cuda" if gpu else "cpu", gpu_policy=course.grading.gpu_policy,
                                  gpu_available=gpu, check_timeout=course.grading.check_timeout)
        entry.score, entry.max = exercise_score(entry.checks, ex)
        row.exercises[ex_id] = entry
    return row, "in-process checks (grader.grading unavailable; NOT sandboxed)"


def write_results(results_dir: Path, doc: dict) -> Path:
    """Atomically (re)place results.json: whatever is at that path (a file or a link a
    submission may have left) is replaced by ours, never opened or followed."""
    return atomic_write(results_dir / "results.json", json.dumps(doc, indent=1, allow_nan=False) + "\n")


def run(root: Path, course_dir: Path | None = None, engine: str = "auto") -> dict:
    """Grade root/submission, write root/results/results.json; returns the results document."""
    from grader.course import load_course

    start = time.monotonic()
    root = Path(root).resolve()
    course_dir = Path(course_dir).resolve() if course_dir else root / "source" / "course"
    course = load_course(course_dir)
    config_path = course_dir / CONFIG_NAME
    config = json.loads(config_path.read_text(encoding="utf-8")) if config_path.is_file() else {}
    exercise_ids = [e for e in config.get("exercises", list(course.exercises)) if e in course.exercises]
    results_dir = root / "results"
    if results_dir.is_symlink():
        raise SystemExit(f"{results_dir} is a symbolic link; refusing to write through it")
    submission = root / "submission"
    header: list[str] = []
    with tempfile.TemporaryDirectory(prefix="torchgrade-gs-") as tmp:
        work = Path(tmp)
        os.chmod(work, 0o700)
        class_dir = work / "class"
        notes = layout_submission(submission, course, exercise_ids, class_dir / "submission") \
            if submission.is_dir() else [f"no submission folder at {submission}"]
        use_grader = engine == "grader"
        if engine == "auto":
            try:
                import grader.grading.scheduler  # noqa: F401
                use_grader = True
            except ImportError:
                use_grader = False
        try:
            row, engine_used = (_grade_with_grader if use_grader else _grade_in_process)(
                course, exercise_ids, class_dir, work)
        except Exception as exc:  # noqa: BLE001 - the student still gets a results.json, with zero
            print(f"grading failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            doc = {"score": 0.0, "execution_time": int(round(time.monotonic() - start)),
                   "output": "The autograder could not grade this submission (an error on our side, not "
                             "in your code). Please tell the course staff.",
                   "stdout_visibility": "hidden", "tests": []}
            write_results(results_dir, doc)
            return doc
    print(f"graded with: {engine_used}")
    if row.problem:
        header.append(f"Your submission could not be used: {plain_text(row.problem)}")
    header += [f"note: {plain_text(n)}" for n in notes]
    doc = results_json(row, course=course, execution_time=time.monotonic() - start, output="\n".join(header))
    doc["extra_data"] = {"engine": engine_used, "course_version": course.version}
    write_results(results_dir, doc)
    print(f"score: {doc['score']:g}; results written to {results_dir / 'results.json'}")
    return doc


@click.group(help="Gradescope autograder entry point (what run_autograder calls).")
def main() -> None:
    pass


@main.command("run", help="Grade ROOT/submission and write ROOT/results/results.json.")
@click.option("--root", type=click.Path(path_type=Path), default=lambda: os.environ.get(ROOT_ENV, "/autograder"),
              help=f"The /autograder folder (default: ${ROOT_ENV} or /autograder).")
@click.option("--course", type=click.Path(path_type=Path), default=None,
              help="The course folder (default: ROOT/source/course).")
@click.option("--engine", type=click.Choice(["auto", "grader", "inprocess"]), default="auto", show_default=True,
              help="auto: the sandboxed `grader grade` machinery when available.")
def run_command(root: Path, course: Path | None, engine: str) -> None:
    run(Path(root), course, engine)


if __name__ == "__main__":
    main()
