"""`grader report OUT`: the class report from OUT's gradebook. Thin: parse, call, print."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console


@click.command("report")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def report(ctx: click.Context, out: Path) -> None:
    """Write OUT/report.html (and figures/, feedback/, grades.csv, grades.json) from OUT's gradebook.

    \b
    OUT is the --out folder of `grader grade`; everything is made from its gradebook alone.
    """
    from grader.course import context_course
    from grader.reports.outputs import refresh

    console = Console(width=None if sys.stdout.isatty() else 160)
    course = context_course(ctx)
    _, result = refresh(out, course)
    assert result is not None
    for warning in result.warnings:
        console.print(f"[yellow]note:[/] {warning}", highlight=False)
    if not result.students:
        console.print(f"the gradebook in {out} holds no graded student yet; {result.path} says so", highlight=False)
        return
    console.print(f"{result.path}: {result.students} student(s), {result.people} needing a person, "
                  f"{result.flagged_checks} flagged check(s), {result.clusters} group(s) of alike files; "
                  f"figures in {out / 'figures'}/", highlight=False)
