"""What check authors import. See API.md in this folder for the whole contract."""

from grader.checks import build, expect
from grader.checks.errors import (ForbiddenCall, LoadError, MissingSymbol, NotPlainData, OutOfMemory,
                                  StudentError, StudentException, StudentTimeout, WorkerCrashed)
from grader.checks.expect import CheckFailure
from grader.checks.registry import check
from grader.checks.student import Handle, Student, reference_call

__all__ = ["check", "expect", "build", "reference_call", "Student", "Handle", "CheckFailure",
           "StudentError", "MissingSymbol", "ForbiddenCall", "NotPlainData", "StudentException",
           "StudentTimeout", "OutOfMemory", "WorkerCrashed", "LoadError"]
