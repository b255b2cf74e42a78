"""`grader grade`: grade a class of submissions. Thin: parse, call grading.scheduler, print."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from grader.course import context_course
from grader.errors import ExitCode, UsageError
from grader.grading.downloads import LAYOUT_NAMES
from grader.results import StudentResult


@click.command("grade")
@click.argument("submissions", required=False, type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for grades.csv, grades.json, feedback/ and the gradebook.")
@click.option("--jobs", type=click.IntRange(min=0), default=None,
              help="Judges in parallel (default: course.toml grading.jobs, 0 = one per core).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
              help="Where checks run: auto uses CUDA when a GPU is present.")
@click.option("--only", "only", multiple=True, metavar="EXERCISE",
              help="Grade only this exercise id, e.g. ch4.dropout (repeatable).")
@click.option("--student", "students", multiple=True, metavar="ID",
              help="Re-grade only this student (repeatable); the other rows stay as they are.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds all checks of one exercise of one student may take (default: course.toml).")
@click.option("--nbgrader", "nbgrader_dir", type=click.Path(path_type=Path), default=None,
              help="An nbgrader course folder: grade its submitted/<student>/<assignment>/ notebooks.")
@click.option("--assignment", default=None, metavar="ID",
              help="Grade only this [assignments.ID] of course.toml (reports in OUT/ID/, late penalty "
                   "applied); a chapter id (ch4) where no assignment has that id grades that chapter "
                   "(and names the assignment of --nbgrader).")
@click.option("--roster", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="The class: Canvas's or Moodle's gradebook export as it is, or a CSV of id, name, email, "
                   "section, login; each hand-in becomes its roster student (ids, then emails, then names).")
@click.option("--roster-column", "roster_columns", multiple=True, metavar="FIELD=HEADER",
              help="The roster's header for id/name/email/section/login, e.g. id='SIS User ID' (repeatable).")
@click.option("--from", "layout", type=click.Choice(["auto", *LAYOUT_NAMES]), default="auto", show_default=True,
              help="How SUBMISSIONS is laid out: an LMS's download as it comes (canvas, moodle, gradescope, "
                   "classroom), folders (one folder or .zip per student) or nbgrader; auto detects it.")
@click.option("--times", default=None, metavar="TIMES.csv|mtime",
              help="When each student handed in, from the LMS or you: a CSV with a student column (id, user_id, "
                   "SID, email, Identifier) and a time column (submitted_at, Submission Time); or 'mtime': "
                   "each .zip's own mtime, where SUBMISSIONS is the drop box that received them.")
@click.option("--replace", "replace_class", is_flag=True,
              help="OUT holds another class: grade this one in its place (rows of students not in "
                   "SUBMISSIONS are dropped; overrides and review decisions are kept by student id).")
@click.option("--cluster", default=None, metavar="ADDRESS",
              help="Grade on a Dask cluster: a scheduler (tcp://host:8786) or local:N for N workers "
                   "on this machine; each worker hosts one judge (see README, 'Past one machine').")
@click.pass_context
def grade(ctx: click.Context, submissions: Path | None, out: Path, jobs: int | None, device: str,
          only: tuple[str, ...], students: tuple[str, ...], timeout: float | None,
          nbgrader_dir: Path | None, assignment: str | None, roster: Path | None,
          roster_columns: tuple[str, ...], layout: str, times: str | None, cluster: str | None,
          replace_class: bool) -> None:
    """Grade every student in SUBMISSIONS with the visible and hidden checks.

    \b
    SUBMISSIONS is the LMS's bulk download as it comes (Canvas, Moodle, Gradescope: the .zip or
    its extracted folder; GitHub Classroom clones), or a folder (or .zip) holding one folder or
    .zip per student (ch4/dropout.py or .ipynb inside).
    Running the same command again after an interruption grades only the students not yet done.
    """
    from grader.grading.scheduler import grade_class
    from grader.reports.attention import needs_a_person
    from grader.reports.terminal import needs_a_person_lines, progress_bar, sandbox_warning, summary_table
    from grader.sandbox.proctitle import hide_command_line

    # the class and output folders are on our command line, which any process may read
    hide_command_line("grader grade")

    console = Console(width=None if sys.stdout.isatty() else 160)
    if nbgrader_dir is not None:
        if assignment is None:
            raise UsageError("--nbgrader needs --assignment ID (the assignment to grade)")
        if not (nbgrader_dir / "submitted").is_dir():
            raise UsageError(f"--nbgrader {nbgrader_dir}: no submitted/ folder in it")
        submissions = nbgrader_dir / "submitted"
    elif submissions is None:
        raise UsageError("give the SUBMISSIONS folder (or --nbgrader COURSE_DIR --assignment chN)")
    if times is not None and times != "mtime" and not Path(times).is_file():
        raise UsageError(f"--times {times}: no such file (give a CSV of id and submitted_at, or 'mtime')")
    columns = {}
    for item in roster_columns:
        field_name, sep, header = item.partition("=")
        if not sep or not header:
            raise UsageError(f"--roster-column {item!r}: write FIELD=HEADER, e.g. id='SIS User ID'")
        columns[field_name.strip()] = header
    course = context_course(ctx)
    if device == "cuda" and cluster is None:      # a cluster's GPUs are its workers'
        from grader.grading.scheduler import detect_device
        if detect_device("auto") != "cuda":
            raise UsageError("--device cuda: no usable CUDA GPU on this machine (try --device auto)")

    progress = progress_bar(console)
    task = None

    def on_start(n: int) -> None:
        nonlocal task
        if n:
            progress.start()
            task = progress.add_task("grading", total=n, last="")

    def on_result(student: str, row: StudentResult) -> None:
        if task is not None:
            total, maximum = row.totals()
            progress.update(task, advance=1, last=f"{student}: {total:g}/{maximum:g}")

    try:
        result = grade_class(course, submissions, out, jobs=jobs or 0, device=device, only=only,
                             students=students, timeout=timeout, assignment=assignment,
                             roster=roster, roster_columns=columns, cluster=cluster,
                             layout=layout, times=times,
                             on_start=on_start, on_result=on_result, command=sys.argv[1:],
                             replace_class=replace_class)
    finally:
        progress.stop()

    title = f"{course.title} {course.version}: {len(result.rows)} student(s)"
    console.print(summary_table(result.rows, result.exercise_ids, title))
    facts = result.metadata
    console.print(f"device: {facts.get('device')}" + (f" ({facts.get('gpu')})" if facts.get("gpu") not in (None, "None") else "")
                  + f", torch {facts.get('torch')}; sandbox: {'; '.join(facts.get('sandbox_levels') or []) or 'n/a'}",
                  highlight=False)
    warning = sandbox_warning(facts)
    if warning:
        console.print(warning)
    console.print(f"graded now: {len(result.graded_now)}, already in the gradebook: {len(result.reused)}; "
                  f"reports in {facts.get('out', out)}/ (report.html, grades.csv, grades.json, feedback/)", highlight=False)
    for failure in result.failures[:5]:
        console.print(f"[bold red]not graded:[/] {failure}", highlight=False)
    if len(result.failures) > 5:
        console.print(f"[bold red]... and {len(result.failures) - 5} more not graded[/]")
    for warning_text in result.warnings:
        console.print(f"[bold yellow]warning:[/] {warning_text}", highlight=False)
    for line in needs_a_person_lines(needs_a_person(result.rows, result.roster, result.exercise_ids)):
        console.print(line, highlight=False)
    if result.interrupted:
        console.print(f"[bold yellow]interrupted:[/] {len(result.not_graded)} student(s) not graded yet; "
                      "run the same command again to continue", highlight=False)
        sys.exit(ExitCode.INTERRUPTED)
    if result.failures:
        sys.exit(ExitCode.FAILED)
