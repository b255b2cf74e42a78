"""What a student may see of a check result: the one policy every channel calls (feedback.md,
Gradescope's results.json, nbgrader's test cells, `check()` in a notebook).

Visible checks show their whole message: their inputs are in the student's own test file.
Hidden checks show only text the engine or the check's author wrote about the failure (the
*summary*: "wrong shape: got (4, 1), expected (4,)", "used torch.nn.functional.conv2d", "raised
ValueError at line 12"), never the text of a student's exception, never a string or a name the
student's code chose (an exception class, a dict key, a type name), since any of those could
carry a hidden input back out. Numbers runs and tensor text are cut from what is left.
"""

from __future__ import annotations

import builtins
import re
from typing import Iterable

from grader.results import CheckResult

HIDDEN_LINES = 6

# Engine text (safe to show for hidden checks too) for a file that imports the book's package.
# It lives here, not in grader.checks, so that reports can name it without importing torch.
NO_D2L = ("your file imports d2l, and the grader has no d2l package: remove `import d2l` / "
          "`from d2l import torch as d2l` and write (or copy into your file) the few d2l "
          "functions you use")
HIDDEN_CHARS = 600

_TENSOR_TEXT = re.compile(r"tensor\((?:[^()]|\([^()]*\))*\)?", re.S)
_NUMBER_RUN = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?:[,;\s\]\[]+-?\d+(?:\.\d+)?(?:e[-+]?\d+)?){3,}", re.I)
_OWN_LINE = re.compile(r"^line (\d+), in ", re.M)

# What a hidden check says for a status whose message could hold the student's own text.
_GENERIC = {
    "error": "your code raised an exception",
    "failed": "wrong result",
    "timeout": "took too long",
    "oom": "ran out of memory",
    "crashed": "the process running your code died",
    "missing": "a function or class the check needs is missing",
    "forbidden": "used a forbidden built-in",
    "tampering": "your code changed the grader's own code; the exercise scores 0 and the instructor is told",
}


def builtin_exception(names: Iterable[str]) -> str:
    """The first of an exception's class names (its MRO) that Python itself defines: a student's
    own class name is theirs to choose, so it never reaches hidden-check feedback."""
    for name in names:
        value = getattr(builtins, str(name), None)
        if isinstance(value, type) and issubclass(value, BaseException):
            return str(name)
    return "an exception"


def own_line(detail: str) -> int | None:
    """The last line of the student's own file in an exception's short traceback, if any."""
    found = _OWN_LINE.findall(detail or "")
    return int(found[-1]) if found else None


def raised_summary(symbol: str, exc_types: Iterable[str], detail: str) -> str:
    """'softmax raised ValueError at line 12 of your file': what a hidden check may say of an
    exception, without its message."""
    line = own_line(detail)
    return f"{symbol} raised {builtin_exception(exc_types)}" + (f" at line {line} of your file" if line else "")


def scrub(text: str) -> str:
    """Cut tensor text and runs of numbers, keep a few short lines."""
    lines = (text or "").strip().splitlines()[:HIDDEN_LINES]
    text = _NUMBER_RUN.sub("…", _TENSOR_TEXT.sub("tensor(…)", "\n".join(lines)))
    return text[:HIDDEN_CHARS] + (" ..." if len(text) > HIDDEN_CHARS else "")


def student_message(result: CheckResult) -> str:
    """The text a student sees for one check result."""
    if result.status == "passed":
        return ""
    message = (result.message or "").strip()
    if result.visible:
        return message
    summary = (result.summary or "").strip() or _legacy_summary(result.status, message)
    return scrub(summary)


_RAISED = re.compile(r"^(\w[\w.]*) raised (\w+)")


def _legacy_summary(status: str, message: str) -> str:
    """A result written before summaries existed: a failed or forbidden check's message was the
    engine's summary already; an exception keeps its symbol and built-in class, nothing more."""
    if status in ("failed", "forbidden", "missing", "timeout", "skipped"):
        return message
    raised = _RAISED.match(message)
    if status == "error" and raised:
        return f"{raised.group(1)} raised {builtin_exception([raised.group(2)])}"
    return _GENERIC.get(status, status)


__all__ = ["student_message", "raised_summary", "builtin_exception", "scrub"]
