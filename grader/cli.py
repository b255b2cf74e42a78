"""The `grader` command: one verb per pipeline stage. Thin: parse, call, print."""

from __future__ import annotations

import sys
from typing import Any
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from rich.markup import escape

from grader.course import context_course
from grader.errors import ExitCode, GraderError
from grader.export.cli_interop import gradescope, nbgrader
from grader.export.cli_release import release
from grader.grading.cli_grade import grade
from grader.grading.cli_decisions import override, review
from grader.reports.cli_report import report
from grader.export.cli_lms import export
from grader.export.cli_feedback import feedback
from grader.mutation.cli import mutate

# Wide tables when piped (CI logs, files): rich would otherwise wrap at 80 columns.
console = Console(width=None if sys.stdout.isatty() else 160)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


class CourseGroup(click.Group):
    """Every expected failure of every verb (a GraderError) becomes one red line on stderr and
    its exit code, never a traceback: the one place errors are printed."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GraderError as exc:
            errors.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            sys.exit(int(exc.exit_code))


@click.group(cls=CourseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--course", "course_root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Course folder holding course.toml (default: found from the current folder upwards).")
@click.version_option(package_name="torchgrade")
@click.pass_context
def main(ctx: click.Context, course_root: Path | None) -> None:
    """torchgrade: author, check, grade and export a PyTorch course.

    \b
    Stages: list -> build -> validate (mutate) -> grade -> override / review -> report / export / feedback -> release / nbgrader / gradescope
    """
    ctx.obj = {"course_root": course_root}


@main.command("list")
@click.pass_context
def list_cmd(ctx: click.Context) -> None:
    """Show chapters, exercises, points and files."""
    course = context_course(ctx)
    table = Table(title=f"{course.title} (version {course.version})")
    for col in ("exercise", "title", "symbols", "points", "student file", "solution"):
        table.add_column(col)
    for ch in course.chapters.values():
        exercises = [e for e in course.exercises.values() if e.chapter == ch.id]
        if not exercises:
            continue
        table.add_section()
        table.add_row(f"[bold]{ch.id}[/]", f"[bold]{escape(ch.title)}[/]", "", "", "", "")
        for e in exercises:
            table.add_row(e.id, escape(e.title), ", ".join(e.symbols), f"{e.points:g}", escape(f"exercises/{e.file}"),
                          "yes" if e.solution_path.is_file() else "[red]missing[/]")
    console.print(table)
    total = sum(e.points for e in course.exercises.values())
    console.print(f"{len(course.exercises)} exercises, {total:g} points")


@main.command()
@click.option("--exercise", "exercise_ids", multiple=True, help="Only this exercise id (repeatable).")
@click.option("--check", "check_only", is_flag=True,
              help="Write nothing; exit 1 if a committed stub or notebook differs from what build generates.")
@click.pass_context
def build(ctx: click.Context, exercise_ids: tuple[str, ...], check_only: bool) -> None:
    """Generate stubs (and notebooks) from the reference solutions."""
    from grader.authoring import build as do_build
    course = context_course(ctx)
    results = do_build(course, list(exercise_ids) or None, write=not check_only)
    stale = [out for out, current in results if not current]
    for out, current in results:
        rel = out.path.relative_to(course.root)
        state = "up to date" if current else ("[red]out of date[/]" if check_only else "[green]written[/]")
        console.print(f"{escape(str(rel))}: {state}")
    if check_only and stale:
        console.print(f"[bold red]{len(stale)} generated file(s) differ from their solution source;[/] "
                      "run `grader build` and commit the result")
        sys.exit(ExitCode.FAILED)


@main.command()
@click.option("--exercise", "exercise_ids", multiple=True, help="Only this exercise id (repeatable).")
@click.option("--jobs", type=int, default=0, help="Parallel processes (0: one per core).")
@click.option("-v", "--verbose", is_flag=True, help="List the checks each target lost.")
@click.option("--clauses", "clauses_only", is_flag=True,
              help="Print each exercise's clause table (contract sentence -> the checks that charge it) and stop.")
@click.pass_context
def validate(ctx: click.Context, exercise_ids: tuple[str, ...], jobs: int, verbose: bool, clauses_only: bool) -> None:
    """Prove the checks: solutions 100 %, stubs 0, wrong variants lose points, correct ones don't,
    every contract clause is charged once, and recorded equivalent mutants still survive."""
    from grader.validate import validate as do_validate
    course = context_course(ctx)
    if clauses_only:
        _print_clause_tables(course, list(exercise_ids) or list(course.exercises))
        return
    outcomes, problems = do_validate(course, list(exercise_ids) or None, jobs)
    table = Table(title="grader validate")
    for col in ("exercise", "target", "expected", "score", "ok", "note"):
        table.add_column(col, overflow="fold")
    for o in outcomes:
        t = o.target
        name = t.name if t.kind in ("solution", "stub") else f"{t.kind}: {t.name}"
        score = f"{o.earned:g}/{o.available:g} ({o.percent:.0f} %)"
        note = o.note or (t.about if t.kind in ("wrong", "correct") else "")
        if verbose and o.lost:
            note += "\n" + "\n".join(f"  - {x}" for x in o.lost)
        table.add_row(t.exercise, escape(name), t.expectation, score, "[green]yes[/]" if o.ok else "[bold red]NO[/]",
                      escape(note))
    console.print(table)
    bad = [o for o in outcomes if not o.ok]
    for p in problems:
        console.print(f"[bold red]problem:[/] {escape(str(p))}", highlight=False)
    if bad or problems:
        console.print(f"[bold red]{len(bad)} target(s) violate their expectation, {len(problems)} problem(s)[/]")
        sys.exit(ExitCode.FAILED)
    console.print(f"[green]all {len(outcomes)} targets behave as expected[/]")


def _print_clause_tables(course: Any, exercise_ids: list[str]) -> None:
    from grader.checks.clauses import clause_table
    failed = False
    for ex_id in exercise_ids:
        table = clause_table(course, ex_id)
        if not table.declared:
            console.print(f"[bold]{ex_id}[/]: no clause table (CLAUSES in its hidden check module)", highlight=False)
            continue
        out = Table(title=f"{ex_id}: contract clauses")
        for col in ("clause", "sentence", "checks"):
            out.add_column(col, overflow="fold")
        for cid, sentence in table.clauses.items():
            checks = ", ".join(c.name + (" (visible)" if c.visible else "") for c in table.charged[cid])
            out.add_row(cid, escape(sentence), checks or "[bold red]none[/]")
        console.print(out)
        for p in table.problems:
            failed = True
            console.print(f"[bold red]problem:[/] {escape(p)}", highlight=False)
    if failed:
        sys.exit(ExitCode.FAILED)


@main.command("pack", context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def pack_cmd(ctx: click.Context, args: tuple[str, ...]) -> None:
    """Zip your exercises for hand-in (grader pack --help); the student release has the same command."""
    from grader.pack import main as pack_main
    root = ctx.obj.get("course_root")
    extra = ["--course", str(root)] if root and "--course" not in args else []
    sys.exit(pack_main([*extra, *args]))


for _command in (grade, override, review, report, export, feedback, release, nbgrader, gradescope, mutate):
    main.add_command(_command)

if __name__ == "__main__":
    main()
