"""`grader release OUT`: write the student release and refuse it when the leak scan finds anything."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from grader.errors import ExitCode

console = Console(width=None if sys.stdout.isatty() else 160, highlight=False)


@click.command("release")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace an earlier release in OUT (only a folder this command wrote).")
@click.option("--scan-only", is_flag=True, help="Write nothing; leak-scan an existing folder OUT.")
@click.pass_context
def release(ctx: click.Context, out: Path, force: bool, scan_only: bool) -> None:
    """Write what students get into OUT: stubs, notebooks, visible tests, the student side of the
    engine, course.toml, a README and a pyproject. Nothing from solutions/. Exits 1 when the leak
    scan finds a solution line, a hidden-check line or a solution marker anywhere in OUT."""
    from grader.course import context_course
    from grader.export.release import ReleaseError, build_release, scan_release

    course = context_course(ctx)
    if scan_only:
        if not out.is_dir():
            raise ReleaseError(f"{out} is not a folder")
        found = scan_release(course, out)
        leaks = [lk for lk in found if lk.kind != "quoted"]
        warnings = [lk for lk in found if lk.kind == "quoted"]
        files = sum(1 for p in out.rglob("*") if p.is_file())
    else:
        report = build_release(course, out, force=force)
        leaks, warnings, files = report.leaks, report.warnings, len(report.files)
    if warnings:
        # Not fatal: the instructor wrote these hints, but each one hands an answer line over.
        console.print(f"[yellow]warning: {len(warnings)} stub line(s) quote an answer verbatim:[/]")
        for w in warnings[:50]:
            console.print(f"  {escape(str(w))}")
    if leaks:
        console.print(f"[bold red]LEAK: {len(leaks)} finding(s) in {out}; do not publish it.[/]")
        for leak in leaks[:50]:
            console.print(f"  {escape(str(leak))}")
        if len(leaks) > 50:
            console.print(f"  ... and {len(leaks) - 50} more")
        sys.exit(ExitCode.FAILED)
    verb = "scanned" if scan_only else "wrote"
    console.print(f"[green]{verb} {files} files in {out}; leak scan clean[/] (no solution marker, "
                  "no reference answer line, no line of a hidden check)")
    if not scan_only:
        console.print(f"students: cd {out} && pip install -e . && pytest exercises/ch3")
