"""What the instructor sees in the terminal: a progress bar while grading, a table at the end."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)
from rich.table import Table

from grader.reports.escape import rich_text
from grader.reports.grades import fmt_points
from grader.results import ExerciseResult, StudentResult, status_style


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


# Past this many exercises the table shows one column per chapter: 33 columns do not fit a terminal.
MAX_EXERCISE_COLUMNS = 10


def _columns(exercise_ids: list[str]) -> dict[str, list[str]]:
    """Column title -> the exercises it adds up."""
    if len(exercise_ids) <= MAX_EXERCISE_COLUMNS:
        return {ex_id: [ex_id] for ex_id in exercise_ids}
    chapters: dict[str, list[str]] = {}
    for ex_id in exercise_ids:
        chapters.setdefault(ex_id.split(".", 1)[0], []).append(ex_id)
    return chapters


def _cell(entries: list[ExerciseResult]) -> str:
    if not entries:
        return ""
    if len(entries) == 1 and not entries[0].graded:
        return f"[dim]{rich_text(entries[0].status)}[/]"
    score = sum(float(e.score) for e in entries)
    maximum = sum(float(e.max) for e in entries)
    text = f"{fmt_points(score)}/{fmt_points(maximum)}"
    return f"[green]{text}[/]" if maximum and score >= maximum else text


def summary_table(rows: list[StudentResult], exercise_ids: list[str], title: str) -> Table:
    table = Table(title=rich_text(title), show_lines=False)
    table.add_column("student", no_wrap=True)
    columns = _columns(exercise_ids)
    for name in columns:
        table.add_column(name, justify="right")
    table.add_column("total", justify="right", style="bold")
    table.add_column("notes", overflow="fold")
    for row in rows:
        exercises = row.exercises
        cells = [_cell([exercises[e] for e in ids if e in exercises]) for ids in columns.values()]
        score, maximum = row.totals(exercise_ids)
        table.add_row(rich_text(row.student), *cells, f"{fmt_points(score)}/{fmt_points(maximum)}",
                      _notes(row, exercise_ids))
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

