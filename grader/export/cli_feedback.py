"""`grader feedback export OUT --to DIR|FILE.zip [--lms ...]`: thin, parse, call, print."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

_UPLOAD = {
    "canvas": "upload it with \"Re-Upload Submissions\" on the assignment's page in Canvas",
    "moodle": "upload it with \"Upload multiple feedback files in a zip\" in the assignment's grading actions in Moodle",
    "files": "one page per student, to post or mail",
}


@click.group("feedback")
def feedback() -> None:
    """Each student's feedback, in the shape an LMS takes it back."""


@feedback.command("export")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--to", "to", required=True, type=click.Path(path_type=Path),
              help="A new folder, or a .zip file (what Canvas and Moodle take).")
@click.option("--lms", type=click.Choice(["auto", "canvas", "moodle", "files"]), default="auto", show_default=True,
              help="Name the files for Canvas's \"Re-Upload Submissions\", Moodle's \"Upload multiple feedback "
                   "files in a zip\", or plain <student>.html; auto: the LMS the hand-ins came from, else files.")
@click.pass_context
def export_feedback_cmd(ctx: click.Context, out: Path, to: Path, lms: str) -> None:
    """Write every student's feedback page from OUT's gradebook, named so the LMS attaches each to
    its student (the ids come from the LMS's own download, as `grader grade` read it)."""
    from grader.course import context_course
    from grader.export.feedback import export_feedback
    from grader.reports.escape import rich_text

    console = Console(width=None if sys.stdout.isatty() else 160)
    result = export_feedback(out, context_course(ctx), to, lms)
    console.print(f"{rich_text(str(result.path))}: {len(result.files)} student(s) for {result.lms}; "
                  f"{_UPLOAD[result.lms]}", highlight=False)
    for student, why in result.left_out:
        console.print(f"[bold yellow]no file for {rich_text(student)}:[/] {rich_text(why)}", highlight=False)
