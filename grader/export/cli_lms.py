"""`grader export canvas|moodle OUT --to FILE`: thin, parse, call, print."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console


@click.group("export")
def export() -> None:
    """Scores for a learning management system's gradebook import (from OUT's gradebook)."""


def _lms_command(system: str, help_text: str) -> click.Command:
    @click.command(system, help=help_text)
    @click.argument("out", type=click.Path(file_okay=False, path_type=Path))
    @click.option("--to", "to", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="The CSV file to write.")
    @click.option("--roster", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="A CSV of the class (e.g. the LMS's own export) to take names, ids and sections from.")
    @click.option("--roster-key", default=None, metavar="COLUMN",
                  help="The roster column holding the grader's student ids (default: the first of 'SIS Login "
                       "ID', 'Username', 'id', 'ID number' it has).")
    @click.option("--by", type=click.Choice(["final", "exercise", "chapter"]), default="final", show_default=True,
                  help="final: one column, the final grade (what to import); exercise/chapter: also the points "
                       "per exercise or chapter, before the late penalty.")
    @click.pass_context
    def command(ctx: click.Context, out: Path, to: Path, roster: Path | None, roster_key: str | None,
                by: str) -> None:
        from grader.course import context_course
        from grader.export.lms import export_lms

        console = Console(width=None if sys.stdout.isatty() else 160)
        result = export_lms(system, out, context_course(ctx), to, roster=roster,
                            roster_key=roster_key, by=by)
        console.print(f"{result.path}: {result.students} student(s), {len(result.columns)} column(s) "
                      f"for {system}", highlight=False)
        if result.not_in_roster:
            console.print(f"[bold yellow]not in the roster ({len(result.not_in_roster)}), written with their "
                          f"grader id:[/] {', '.join(result.not_in_roster)}", highlight=False)
        for note in result.notes:
            console.print(f"[bold yellow]note:[/] {note}", highlight=False)
        if result.not_graded:
            console.print(f"[yellow]in the roster but not graded ({len(result.not_graded)}):[/] "
                          f"{', '.join(result.not_graded)}", highlight=False)
    return command


export.add_command(_lms_command("canvas", "Write Canvas's gradebook import CSV (Student, ID, SIS User ID, "
                                          "SIS Login ID, Section, a Points Possible row, one column per assignment)."))
export.add_command(_lms_command("moodle", "Write Moodle's grade import CSV (identity columns, one column per "
                                          "grade item)."))
