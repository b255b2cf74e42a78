"""The shared plumbing: one atomic write, one reading of the solution markers, one settings object."""

from __future__ import annotations

import os
from pathlib import Path

from grader.atomic import atomic_write
from grader.markers import BEGIN, END, HINT, answer_lines


def test_atomic_write_replaces_a_planted_link_without_following_it(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    target = tmp_path / "results" / "results.json"
    target.parent.mkdir()
    target.symlink_to(victim)
    atomic_write(target, "{}\n")
    assert not target.is_symlink() and target.read_text() == "{}\n"
    assert victim.read_text() == "keep me"
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)
    assert sorted(os.listdir(target.parent)) == ["results.json"]      # no temporary file left


def test_answer_lines_leave_hints_and_code_outside_the_markers_out() -> None:
    source = f"def f(x):\n    {BEGIN}\n    {HINT} add one\n    return x + 1\n    {END}\n\nprint(f(1))\n"
    assert answer_lines(source) == ["    return x + 1"]


def test_the_exporters_share_the_markers() -> None:
    import grader.authoring as authoring
    import grader.export.nbgrader as nbgrader
    import grader.export.release as release
    assert (authoring.BEGIN, authoring.END, authoring.HINT) == (BEGIN, END, HINT)
    assert (nbgrader.BEGIN_SOLUTION, nbgrader.END_SOLUTION, nbgrader.HINT) == (BEGIN, END, HINT)
    assert release._solution_blocks is answer_lines


def test_judge_settings_are_one_object_and_no_module_writes_the_judges_global() -> None:
    import inspect

    import grader.grading.scheduler as scheduler
    from grader.grading.judge import JudgeSettings
    settings = JudgeSettings(course_root=Path("."), exercises=("a",), device="cpu", submission_timeout=60,
                             check_timeout=10, gpu_policy="skip", memory_mb=4096, max_processes=64,
                             output_limit_kb=64)
    assert settings.key() == {"device": "cpu", "submission_timeout": 60, "check_timeout": 10,
                              "gpu_policy": "skip", "memory_mb": 4096, "max_processes": 64,
                              "backend": "sandbox"}
    assert not hasattr(settings, "extra") and not hasattr(settings, "backend")
    assert "_JUDGE" not in inspect.getsource(scheduler)
