"""The `grader` command: one verb per pipeline stage. Thin: parse, call, print."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from grader.course import CourseError, load_course

# Wide tables when piped (CI logs, files): rich would otherwise wrap at 80 columns.
console = Console(width=None if sys.stdout.isatty() else 160)


class CourseGroup(click.Group):
    """Turns the engine's expected errors into one red line and exit code 2, not a traceback."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        from grader.authoring import AuthoringError
        try:
            return super().invoke(ctx)
        except (CourseError, AuthoringError) as exc:
            console.print(f"[bold red]error:[/] {exc}", highlight=False)
            sys.exit(2)


@click.group(cls=CourseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--course", "course_root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Course folder holding course.toml (default: found from the current folder upwards).")
@click.version_option(package_name="torchgrade")
@click.pass_context
def main(ctx: click.Context, course_root: Path | None) -> None:
    """torchgrade: author, check, grade and export a PyTorch course.

    \b
    Stages: list -> build -> validate -> grade -> release / nbgrader / gradescope
    """
    ctx.obj = {"course_root": course_root}


def _course(ctx: click.Context):
    return load_course(ctx.obj.get("course_root"))


@main.command("list")
@click.pass_context
def list_cmd(ctx: click.Context) -> None:
    """Show chapters, exercises, points and files."""
    course = _course(ctx)
    table = Table(title=f"{course.title} (version {course.version})")
    for col in ("exercise", "title", "symbols", "points", "student file", "solution"):
        table.add_column(col)
    for ch in course.chapters.values():
        exercises = [e for e in course.exercises.values() if e.chapter == ch.id]
        if not exercises:
            continue
        table.add_section()
        table.add_row(f"[bold]{ch.id}[/]", f"[bold]{ch.title}[/]", "", "", "", "")
        for e in exercises:
            table.add_row(e.id, e.title, ", ".join(e.symbols), f"{e.points:g}", f"exercises/{e.file}",
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
    course = _course(ctx)
    results = do_build(course, list(exercise_ids) or None, write=not check_only)
    stale = [out for out, current in results if not current]
    for out, current in results:
        rel = out.path.relative_to(course.root)
        state = "up to date" if current else ("[red]out of date[/]" if check_only else "[green]written[/]")
        console.print(f"{rel}: {state}")
    if check_only and stale:
        console.print(f"[bold red]{len(stale)} generated file(s) differ from their solution source;[/] "
                      "run `grader build` and commit the result")
        sys.exit(1)


@main.command()
@click.option("--exercise", "exercise_ids", multiple=True, help="Only this exercise id (repeatable).")
@click.option("--jobs", type=int, default=0, help="Parallel processes (0: one per core).")
@click.option("-v", "--verbose", is_flag=True, help="List the checks each target lost.")
@click.pass_context
def validate(ctx: click.Context, exercise_ids: tuple[str, ...], jobs: int, verbose: bool) -> None:
    """Prove the checks: solutions 100 %, stubs 0, wrong variants lose points, correct ones don't."""
    from grader.validate import validate as do_validate
    course = _course(ctx)
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
        table.add_row(t.exercise, name, t.expectation, score, "[green]yes[/]" if o.ok else "[bold red]NO[/]", note)
    console.print(table)
    bad = [o for o in outcomes if not o.ok]
    for p in problems:
        console.print(f"[bold red]problem:[/] {p}", highlight=False)
    if bad or problems:
        console.print(f"[bold red]{len(bad)} target(s) violate their expectation, {len(problems)} problem(s)[/]")
        sys.exit(1)
    console.print(f"[green]all {len(outcomes)} targets behave as expected[/]")


def _not_implemented(name: str, issue: str) -> click.Command:
    @click.command(name, context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
                   help=f"({issue}) not implemented yet.")
    def cmd() -> None:
        console.print(f"[bold red]grader {name}: not implemented yet[/] ({issue})")
        sys.exit(3)
    return cmd


def _register_stages() -> None:
    stages = [("grade", "grader.grading.cli_grade", "grade", "the grader issue"),
              ("release", "grader.export.cli_release", "release", "the release issue"),
              ("nbgrader", "grader.export.cli_interop", "nbgrader", "the nbgrader issue"),
              ("gradescope", "grader.export.cli_interop", "gradescope", "the Gradescope issue")]
    for name, module, attr, issue in stages:
        try:
            command = getattr(__import__(module, fromlist=[attr]), attr)
        except (ImportError, AttributeError):
            command = _not_implemented(name, issue)
        main.add_command(command, name)


_register_stages()

if __name__ == "__main__":
    main()
