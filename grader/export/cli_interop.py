"""`grader nbgrader export` and `grader gradescope package`: thin, parse, call, print."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

import click
from rich.console import Console

console = Console(width=None if sys.stdout.isatty() else 160)


def selection_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--exercise and --assignment, as Course.select reads them (one spelling for every export)."""
    fn = click.option("--assignment", default=None, metavar="ID",
                      help="Only the exercises of this [assignments.ID] of course.toml, or of this chapter (ch3).")(fn)
    return click.option("--exercise", "exercise_ids", multiple=True, metavar="EXERCISE",
                        help="Only this exercise id, e.g. ch3.softmax (repeatable); default: every exercise.")(fn)


@click.group("nbgrader")
def nbgrader() -> None:
    """nbgrader interoperability (export the course as an nbgrader course folder)."""


@nbgrader.command("export")
@click.argument("course_dir", type=click.Path(file_okay=False, path_type=Path))
@selection_options
@click.option("--course-path", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the course repository lives on the machine that runs nbgrader "
                   "(default: this one's absolute path); written into nbgrader_config.py.")
@click.pass_context
def nbgrader_export(ctx: click.Context, course_dir: Path, exercise_ids: tuple[str, ...],
                    assignment: str | None, course_path: Path | None) -> None:
    """Write an nbgrader course into COURSE_DIR: source/<chN>/<name>.ipynb and nbgrader_config.py.

    \b
    Then, from COURSE_DIR:  nbgrader generate_assignment ch3   ...   nbgrader autograde ch3
    Scores to trust come from: grader grade --nbgrader COURSE_DIR --assignment ch3 --out DIR
    """
    from grader.course import context_course
    from grader.export.nbgrader import export_course
    course = context_course(ctx)
    written = export_course(course, course_dir, exercise_ids=exercise_ids or None, assignment=assignment,
                            course_path=course_path.resolve() if course_path else None)
    for path in written:
        console.print(f"written: {path}", highlight=False)
    chapters = sorted({p.parent.name for p in written if p.suffix == ".ipynb"})
    console.print(f"next, from {course_dir}: " + "; ".join(f"nbgrader generate_assignment {ch}" for ch in chapters),
                  highlight=False)


@click.group("gradescope")
def gradescope() -> None:
    """Gradescope interoperability (build an autograder zip)."""


@gradescope.command("package")
@click.argument("out_zip", type=click.Path(dir_okay=False, path_type=Path))
@selection_options
@click.pass_context
def gradescope_package(ctx: click.Context, out_zip: Path, exercise_ids: tuple[str, ...],
                       assignment: str | None) -> None:
    """Build OUT_ZIP, a Gradescope autograder (setup.sh, run_autograder, the judge side)."""
    from grader.course import context_course
    from grader.export.gradescope import build_package
    course = context_course(ctx)
    info = build_package(course, out_zip, exercise_ids=exercise_ids or None, assignment=assignment)
    console.print(f"written: {out_zip} ({info['files']} files, {info['bytes'] // 1024} KiB) for "
                  f"{', '.join(info['exercises'])}", highlight=False)
    console.print("upload it as the assignment's autograder (Configure Autograder > Zip file upload)")


__all__ = ["nbgrader", "gradescope"]
