"""CheckStatus: one table of what each status means, read by every renderer."""

from __future__ import annotations

import json

from grader.checks.runner import STATUSES
from grader.results import CheckStatus, status_mark, status_style, status_word

# The words students have always read (feedback.md and Gradescope had a copy each).
WORDS = {"passed": "passed", "failed": "wrong result", "error": "your code raised an error",
         "timeout": "took too long", "oom": "ran out of memory",
         "crashed": "the process running your code died", "missing": "missing",
         "forbidden": "used a forbidden built-in", "skipped": "skipped",
         "tampering": "changed the grader's own code"}
STYLES = {"passed": "green", "failed": "yellow", "error": "red", "timeout": "magenta",
          "oom": "magenta", "crashed": "red", "missing": "dim", "forbidden": "red", "skipped": "cyan",
          "tampering": "bold red"}


def test_every_status_has_one_word_style_and_mark() -> None:
    assert STATUSES == tuple(WORDS)
    for s in CheckStatus:
        assert s == s.value and str(s) == s.value and json.dumps(s) == f'"{s.value}"'
        assert s.word == WORDS[s.value] and s.style == STYLES[s.value]
        assert s.mark == {"passed": "PASS", "skipped": "SKIP"}.get(s.value, "FAIL")
        assert bool(s.advice) == (s.value not in ("passed", "skipped"))
    assert "{chapter}" in CheckStatus.FAILED.advice


def test_unknown_status_strings_render_as_themselves() -> None:
    assert CheckStatus.of("weird") is None and CheckStatus.of("oom") is CheckStatus.OOM
    assert (status_word("weird"), status_style("weird"), status_mark("weird")) == ("weird", "white", "FAIL")


def test_renderers_read_the_enum() -> None:
    import grader.export.gradescope as gradescope
    import grader.notebook as notebook
    import grader.reports.grades as grades
    import grader.reports.terminal as terminal
    for module in (grades, terminal, gradescope, notebook):
        assert not hasattr(module, "STATUS_WORDS") and not hasattr(module, "STATUS_STYLE")
    assert not hasattr(grades, "ADVICE") and not hasattr(notebook, "_MARK")
