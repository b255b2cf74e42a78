"""What the instructor sees in the terminal: a progress bar while grading, a table at the end."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)
from rich.table import Table

from grader.reports.escape import rich_text
from grader.reports.grades import fmt_points, totals

STATUS_STYLE = {"passed": "green", "failed": "yellow", "error": "red", "timeout": "magenta",
                "oom": "magenta", "crashed": "red", "missing": "dim", "forbidden": "red", "skipped": "cyan"}


def progress_bar(console: Console) -> Progress:
    return Progress(SpinnerColumn(), TextColumn("[bold]grading[/]"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                    TextColumn("{task.fields[last]}"), console=console, transient=False)


def summary_table(rows: list[dict], exercise_ids: list[str], title: str) -> Table:
    table = Table(title=title, show_lines=False)
    table.add_column("student", no_wrap=True)
    for ex_id in exercise_ids:
        table.add_column(ex_id, justify="right")
    table.add_column("total", justify="right", style="bold")
    table.add_column("notes", overflow="fold")
    for row in rows:
        cells = []
        for ex_id in exercise_ids:
            entry = row.get("exercises", {}).get(ex_id)
            if not entry:
                cells.append("")
                continue
            text = f"{fmt_points(entry['score'])}/{fmt_points(entry['max'])}"
            if entry["status"] != "graded":
                text = f"[dim]{entry['status']}[/]"
            elif entry["max"] and entry["score"] >= entry["max"]:
                text = f"[green]{text}[/]"
            cells.append(text)
        score, maximum = totals(row, exercise_ids)
        table.add_row(rich_text(row["student"]), *cells, f"{fmt_points(score)}/{fmt_points(maximum)}", _notes(row, exercise_ids))
    return table


def _notes(row: dict, exercise_ids: list[str]) -> str:
    if row.get("problem"):
        return f"[red]{rich_text(row['problem'])}[/]"
    counts: dict[str, int] = {}
    problems = []
    for ex_id in exercise_ids:
        entry = row.get("exercises", {}).get(ex_id) or {}
        if entry.get("status") == "error":      # "missing" already shows in its cell
            message = entry.get("message", "")
            problems.append(f"[dim]{ex_id}: {rich_text(message[:70])}{'...' if len(message) > 70 else ''}[/]")
        for c in entry.get("checks", []):
            if c["status"] not in ("passed", "skipped") and entry.get("status") == "graded":
                counts[c["status"]] = counts.get(c["status"], 0) + 1
    parts = [f"[{STATUS_STYLE.get(s, 'white')}]{n} {s}[/]" for s, n in sorted(counts.items())]
    return "; ".join([", ".join(parts)] * bool(parts) + problems)


def sandbox_warning(facts: dict) -> str | None:
    levels = facts.get("sandbox_levels") or []
    if not levels or facts.get("confined"):
        return None
    return ("[bold red]WARNING: student code was NOT fully confined[/] (sandbox level: "
            + "; ".join(levels) + "). Workers could read files this user can read.")
