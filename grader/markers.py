"""The solution markers of a reference solution, and reading the answer lines between them.

`grader build` (stubs), the nbgrader export and the release's leak scan all read the same
markers; they are spelled here once.
"""

from __future__ import annotations

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
HINT = "# HINT:"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
ALL = (BEGIN, END, BEGIN_HIDDEN, END_HIDDEN)


def answer_lines(source: str) -> list[str]:
    """The lines between BEGIN and END markers, hint lines left out (what students must write)."""
    lines, inside = [], False
    for line in source.splitlines():
        text = line.strip()
        if text.startswith(BEGIN):
            inside = True
        elif text.startswith(END):
            inside = False
        elif inside and not text.startswith(HINT):
            lines.append(line)
    return lines


__all__ = ["ALL", "BEGIN", "BEGIN_HIDDEN", "END", "END_HIDDEN", "HINT", "answer_lines"]
