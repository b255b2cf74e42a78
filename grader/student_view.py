"""What a student may see of a check result: the one policy every channel calls (feedback.md,
Gradescope's results.json, nbgrader's test cells, `check()` in a notebook).

Visible checks show their whole message: their inputs are in the student's own test file.
A hidden check shows its title (the check author's words, fixed before any student ran) and its
status, nothing else. Anything more that depends on the run is something the student's code chose:
an exception's message, its class (a custom one, or which built-in it raised), the line it was
raised on, the shape or type of what it returned, how many entries differ and by how much. Each
of those can carry a hidden input back out (a line number is as good as a digit), so none of it
is shown. What remains is the status itself, a handful of outcomes per check: the grade.
"""

from __future__ import annotations

import builtins
from typing import Iterable

from grader.results import CheckResult

# Engine text for a file that imports the book's package. It lives here, not in grader.checks,
# so that reports can name it without importing torch.
NO_D2L = ("your file imports d2l, and the grader has no d2l package: remove `import d2l` / "
          "`from d2l import torch as d2l` and write (or copy into your file) the few d2l "
          "functions you use")


def builtin_exception(names: Iterable[str]) -> str:
    """The first of an exception's class names (its MRO) that Python itself defines: a student's
    own class name is theirs to choose (for a visible check's summary and the instructor)."""
    for name in names:
        value = getattr(builtins, str(name), None)
        if isinstance(value, type) and issubclass(value, BaseException):
            return str(name)
    return "an exception"


def raised_summary(symbol: str) -> str:
    """'softmax raised an exception': the engine's summary of a student's exception, without its
    class, message or line (the student chose all three)."""
    return f"{symbol} raised an exception"


def student_message(result: CheckResult) -> str:
    """The text a student sees for one check result, besides its title and status word."""
    if result.status == "passed" or not result.visible:
        return ""
    return (result.message or "").strip()


def failure_summary(result: CheckResult) -> str:
    """What the class report groups a failure by (the instructor's view, not a student's): a
    visible check's message, a hidden check's summary (the engine's or the check author's words,
    never the student's exception text or hidden inputs)."""
    if result.status == "passed":
        return ""
    return ((result.message if result.visible else result.summary) or "").strip()


__all__ = ["student_message", "failure_summary", "raised_summary", "builtin_exception", "NO_D2L"]
