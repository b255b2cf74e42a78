"""`grader mutate`: mutation-test the checks. Thin: parse, call grader.mutation, print."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from grader.course import context_course
from grader.errors import ExitCode

console = Console(width=None if sys.stdout.isatty() else 160)


@click.command("mutate")
@click.option("--exercise", "exercise_ids", multiple=True, help="Only this exercise id (repeatable).")
@click.option("--operator", "operators", multiple=True, help="Only mutants of this operator (repeatable).")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Mutants run at once (each in its own forked process).")
@click.option("--limit", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds one mutant may take (default: 20x the reference's time, at least 10).")
@click.option("--toml", "as_toml", is_flag=True,
              help="Print each survivor as an [[equivalent]] entry to paste into equivalent.toml.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the results (per exercise: counts and every mutant) to this file.")
@click.option("--readme", "readme", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Write the table into this file between <!-- mutation:start --> and <!-- mutation:end -->, "
                   "keeping the rows of exercises not run this time.")
@click.option("-v", "--verbose", is_flag=True, help="List every mutant and the checks that failed it.")
@click.pass_context
def mutate(ctx: click.Context, exercise_ids: tuple[str, ...], operators: tuple[str, ...], jobs: int,
           limit: float | None, as_toml: bool, json_out: Path | None, readme: Path | None, verbose: bool) -> None:
    """Mutate each reference solution one plausible mistake at a time and run the checks on
    every mutant: prints each exercise's mutation score and the mutants no check fails.

    \b
    A survivor is a missing check, or equivalent to the reference: record it with a one-line
    reason in solutions/chN/variants/<name>/equivalent.toml (--toml prints the entries).
    """
    from grader.mutation import OPERATORS, mutate_exercise
    from grader.mutation.equivalent import toml_entry
    from grader.errors import UsageError
    unknown = sorted(set(operators) - set(OPERATORS))
    if unknown:
        raise UsageError(f"unknown operator(s) {', '.join(unknown)}; known: {', '.join(OPERATORS)}")
    course = context_course(ctx)
    ids = list(exercise_ids) or list(course.exercises)
    reports = []
    for ex_id in ids:
        report = mutate_exercise(course, ex_id, jobs=jobs, operators=tuple(operators) or None, limit=limit)
        reports.append(report)
        console.print(f"[bold]{report.exercise}[/]: {len(report.results)} mutants, {report.killed} killed, "
                      f"{report.equivalent} equivalent, {len(report.survivors)} survived "
                      f"({report.score:.1f} %, {report.seconds:.0f} s)", highlight=False)
        for result in report.results if verbose else report.survivors:
            line = escape(result.mutant.diff_line())
            if result.status == "survived":
                console.print(f"  [red]survived[/] {line}", highlight=False)
            else:
                console.print(f"  {result.status} {line}" + (f"  <- {escape(', '.join(result.failed[:3]))}"
                              if result.failed else f"  ({escape(result.reason)})"), highlight=False)
            if as_toml and result.status == "survived":
                console.print(escape(toml_entry(result.mutant.key)), highlight=False)
        for problem in report.problems():
            console.print(f"  [bold red]problem:[/] {escape(problem)}", highlight=False)
    table = Table(title="grader mutate")
    for col in ("exercise", "mutants", "killed", "equivalent", "survived", "score", "checks per kill"):
        table.add_column(col)
    for r in reports:
        table.add_row(r.exercise, str(len(r.results)), str(r.killed), str(r.equivalent), str(len(r.survivors)),
                      f"{r.score:.1f} %", f"{r.checks_per_kill:g}")
    console.print(table)
    if json_out is not None:
        json_out.write_text(json.dumps([{
            "exercise": r.exercise, "mutants": len(r.results), "killed": r.killed, "equivalent": r.equivalent,
            "survived": len(r.survivors), "score": round(r.score, 2), "checks_per_kill": r.checks_per_kill,
            "problems": r.problems(),
            "results": [{"key": m.mutant.key, "line": m.mutant.lineno, "status": m.status, "failed": m.failed,
                         "reason": m.reason} for m in r.results]} for r in reports], indent=1) + "\n")
    if readme is not None:
        from grader.mutation.table import write_table
        write_table(readme, reports, order=list(course.exercises))
        console.print(f"table written to {readme}")
    if any(not r.ok for r in reports):
        sys.exit(ExitCode.FAILED)
