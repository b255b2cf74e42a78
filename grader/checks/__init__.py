"""What check authors import. See API.md in this folder for the whole contract.

The names below are loaded when first used (PEP 562), so that a process which only needs a
submodule without torch (the grading run that starts the one zygote of a run imports
`grader.sandbox`, which reaches `grader.checks.student_errors`) does not pay for importing torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "specs": ("grader.checks.specs", None), "expect": ("grader.checks.expect", None),
    "check": ("grader.checks.registry", "check"), "CheckFailure": ("grader.checks.expect", "CheckFailure"),
    "Student": ("grader.checks.student", "Student"), "Handle": ("grader.checks.student", "Handle"),
    "reference_call": ("grader.checks.student", "reference_call"),
    **{name: ("grader.checks.student_errors", name) for name in (
        "ForbiddenCall", "LoadError", "MissingSymbol", "NotPlainData", "OutOfMemory", "StudentError",
        "StudentException", "StudentTimeout", "WorkerCrashed")},
}

__all__ = ["check", "expect", "build", "reference_call", "Student", "Handle", "CheckFailure",
           "StudentError", "MissingSymbol", "ForbiddenCall", "NotPlainData", "StudentException",
           "StudentTimeout", "OutOfMemory", "WorkerCrashed", "LoadError"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'grader.checks' has no attribute {name!r}")
    module_name, attr = _WHERE[name]
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
