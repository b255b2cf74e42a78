"""What the instructor sees in the terminal: a progress bar while grading, a table at the end."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)
from rich.table import Table

from grader.reports.attention import PersonToSee, Reason
from grader.reports.escape import rich_text
from grader.reports.grades import exercise_columns, fmt_points, grade_of
from grader.results import ExerciseGrade, StudentResult, status_style


def progress_bar(console: Console) -> Progress:
    return Progress(SpinnerColumn(), TextColumn("[bold]grading[/]"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                    TextColumn("{task.fields[last]}"), console=console, transient=False)


def sandbox_warning(facts: dict) -> str | None:
    """A red line when some judge could not confine student code fully (None when all could)."""
    levels = facts.get("sandbox_levels") or []
    if not levels or facts.get("confined"):
        return None
    return ("[bold red]WARNING: student code was NOT fully confined[/] (sandbox level: "
            + rich_text("; ".join(levels)) + "). Workers could read files this user can read.")


def _cell(parts: list[ExerciseGrade]) -> str:
    if not parts:
        return ""
    if len(parts) == 1 and parts[0].state not in ("graded", "override", "accepted", "rejected", "held", "tampering"):
        return f"[dim]{rich_text(parts[0].state)}[/]"
    score = sum(p.points for p in parts)
    maximum = sum(p.max for p in parts)
    text = f"{fmt_points(score)}/{fmt_points(maximum)}"
    marks = "".join(sorted({_MARKS[p.state] for p in parts if p.state in _MARKS}))
    if marks:
        return f"[bold yellow]{text}{marks}[/]"
    return f"[green]{text}[/]" if maximum and score >= maximum else text


# marks beside a cell whose points are not simply the checks' (the legend is under the table)
_MARKS = {"held": "?", "override": "*", "accepted": "*", "rejected": "*", "tampering": "!"}
LEGEND = "? held for review (counts 0 until `grader review`), * set by a person, ! tampering (scored 0)"


def summary_table(rows: list[StudentResult], exercise_ids: list[str], title: str) -> Table:
    """One line per student: the points that count per exercise (or chapter), the final grade
    (with the late penalty beside it), and what went wrong."""
    table = Table(title=rich_text(title), show_lines=False, caption=LEGEND)
    table.add_column("student", no_wrap=True)
    columns = exercise_columns(exercise_ids)
    for name in columns:
        table.add_column(name, justify="right")
    table.add_column("final", justify="right", style="bold")
    table.add_column("notes", overflow="fold")
    for row in rows:
        grade = grade_of(row)
        cells = [_cell([grade.exercises[e] for e in ids if e in grade.exercises and e in row.exercises])
                 for ids in columns.values()]
        final = f"{fmt_points(grade.final)}/{fmt_points(grade.max)}"
        if grade.penalty:
            final += f" (late -{fmt_points(grade.penalty)})"
        table.add_row(rich_text(row.student), *cells, final, _notes(row, exercise_ids))
    return table


def _notes(row: StudentResult, exercise_ids: list[str]) -> str:
    if row.problem:
        return f"[red]{rich_text(row.problem)}[/]"
    counts: dict[str, int] = {}
    problems = []
    untouched = 0
    for ex_id in exercise_ids:
        entry = row.exercises.get(ex_id)
        if entry is None:
            continue
        if entry.tampering:
            problems.append(f"[bold red]{ex_id}: tampering (scored 0, see review.md)[/]")
        elif entry.findings:
            problems.append(f"[yellow]{ex_id}: {len(entry.findings)} finding(s) of the review, see review.md[/]")
        if entry.status == "error":      # "missing" already shows in its cell
            message = entry.message
            problems.append(f"[dim]{ex_id}: {rich_text(message[:70])}{'...' if len(message) > 70 else ''}[/]")
        checks = entry.check_results()
        lost = [c for c in checks if c.status not in ("passed", "skipped")]
        if not entry.graded or not lost:
            continue
        if all(c.not_attempted for c in lost) and not any(c.status == "passed" for c in checks):
            untouched += 1
            continue
        for c in lost:
            counts[c.status] = counts.get(c.status, 0) + 1
    parts = [f"[{status_style(s)}]{n} {s}[/]" for s, n in sorted(counts.items())]
    if untouched:
        parts.append(f"[dim]{untouched} not attempted[/]")
    return "; ".join([", ".join(parts)] * bool(parts) + problems)


def needs_a_person_lines(people: list[PersonToSee]) -> list[str]:
    """The end of `grader grade`'s output: who needs a person and why, as rich markup lines."""
    if not people:
        return []
    lines = [f"[bold]Needs a person ({len(people)}):[/]"]
    for person in people:
        why = "; ".join(_reason_markup(r) for r in person.reasons)
        lines.append(f"  [bold]{rich_text(person.student)}[/]: {why}")
    return lines


def _reason_markup(reason: Reason) -> str:
    # the line as the grade says it, in its kind's colour (the report adds the kind as a word)
    return f"[{_KIND_STYLE.get(reason.kind, 'yellow')}]{rich_text(reason.text)}[/]"


_KIND_STYLE = {"tampering": "bold red", "held": "bold yellow", "error": "red", "crashed": "red", "timeout": "magenta",
               "late": "yellow", "roster": "yellow", "nothing": "yellow", "override": "cyan"}
