"""The one error path of the `grader` command: every expected failure is a GraderError, caught
once by the command group and printed as one red line on stderr with its exit code."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1        # the command ran and found a problem: a check, a leak, a student not graded
    USAGE = 2         # bad input: course.toml, arguments, files; nothing was done
    INTERRUPTED = 130  # Ctrl-C; what was finished is kept


class GraderError(Exception):
    """An expected failure, said in one line."""
    exit_code: ExitCode = ExitCode.USAGE


class UsageError(GraderError):
    """Arguments that cannot work together, or a path that is not what the command needs."""
