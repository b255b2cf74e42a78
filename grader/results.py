"""What a check's status means, in one place: the word students read, the terminal's colour, the
advice feedback gives, the mark `check()` prints.

`CheckStatus` is a `str` enum, so a status read back from the gradebook or results.json
("failed") compares equal to `CheckStatus.FAILED` and every stored format keeps its strings.
Shipped in the student release: `check()` and the pytest plugin render statuses with it.
"""

from __future__ import annotations

from enum import Enum


class CheckStatus(str, Enum):
    # value, word shown to students, rich style in the terminal, advice ("" for none), mark in check()
    PASSED = ("passed", "passed", "green", "", "PASS")
    FAILED = ("failed", "wrong result", "yellow",
              "Your code ran but returned the wrong thing. Compare shape, dtype and values with "
              "what the exercise asks for; run the visible tests (`pytest exercises/{chapter}`) to see a "
              "worked comparison.", "FAIL")
    ERROR = ("error", "your code raised an error", "red",
             "Your code raised an exception. The message shows where; run the visible tests locally "
             "to reproduce it.", "FAIL")
    TIMEOUT = ("timeout", "took too long", "magenta",
               "Your code did not finish in time. Look for an infinite loop, or Python loops over "
               "elements where a tensor operation would do.", "FAIL")
    OOM = ("oom", "ran out of memory", "magenta",
           "Your code used more memory than allowed. Avoid building huge intermediate tensors.", "FAIL")
    CRASHED = ("crashed", "the process running your code died", "red",
               "The process running your code stopped (exit(), os._exit(), a crash or a killed "
               "process). Remove calls that exit and top-level code that does work at import.", "FAIL")
    MISSING = ("missing", "missing", "dim",
               "A file, function or class the exercise asks for was not found. Keep the names and "
               "the file layout of the stub.", "FAIL")
    FORBIDDEN = ("forbidden", "used a forbidden built-in", "red",
                 "You called a built-in this exercise asks you to write yourself. Build it from "
                 "basic tensor operations instead.", "FAIL")
    SKIPPED = ("skipped", "skipped", "cyan", "", "SKIP")
    TAMPERING = ("tampering", "changed the grader's own code", "bold red",
                 "Your code changed the grader's own code (its checks, recorders or torch itself), so "
                 "the exercise scores 0 and your instructor was told. Only write the functions asked for.",
                 "FAIL")

    word: str
    style: str
    advice: str
    mark: str

    def __new__(cls, value: str, word: str, style: str, advice: str, mark: str) -> CheckStatus:
        member = str.__new__(cls, value)
        member._value_ = value
        member.word, member.style, member.advice, member.mark = word, style, advice, mark
        return member

    def __str__(self) -> str:
        return self.value

    @classmethod
    def of(cls, status: str) -> CheckStatus | None:
        """The status a stored string names, None for a string no engine version wrote."""
        return _BY_VALUE.get(status)


_BY_VALUE: dict[str, CheckStatus] = {s.value: s for s in CheckStatus}


def status_word(status: str) -> str:
    """The word students read for `status` (the string itself when it is unknown)."""
    known = CheckStatus.of(status)
    return known.word if known else status


def status_style(status: str) -> str:
    known = CheckStatus.of(status)
    return known.style if known else "white"


def status_mark(status: str) -> str:
    known = CheckStatus.of(status)
    return known.mark if known else "FAIL"


STATUSES: tuple[str, ...] = tuple(s.value for s in CheckStatus)

__all__ = ["CheckStatus", "STATUSES", "status_mark", "status_style", "status_word"]
