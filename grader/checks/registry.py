"""The @check decorator: a test function with points, usable by pytest and by the grader."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
ATTR = "__grader_check__"


@dataclass(frozen=True)
class CheckInfo:
    points: float
    gpu: bool = False
    timeout: float | None = None
    clauses: tuple[str, ...] = ()   # the contract clauses this check charges (the module's CLAUSES keys)


def check(points: float = 1, *, gpu: bool = False, timeout: float | None = None,
          clause: str | tuple[str, ...] | list[str] | None = None) -> Callable[[F], F]:
    """clause: the id (or ids) of the contract sentence(s) this check tests, declared in the
    exercise's hidden check module as CLAUSES = {id: sentence}; `grader validate --clauses`
    prints the table and proves every clause is charged, and never by a visible and a hidden check both."""
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
        raise ValueError(f"@check(points=...) must be a positive number, got {points!r}")
    if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
        raise ValueError(f"@check(timeout=...) must be a positive number of seconds, got {timeout!r}")
    clauses = (clause,) if isinstance(clause, str) else tuple(clause or ())
    if not all(isinstance(c, str) and c for c in clauses):
        raise ValueError(f"@check(clause=...) must be a clause id or a tuple of them, got {clause!r}")

    def mark(fn: F) -> F:
        setattr(fn, ATTR, CheckInfo(float(points), bool(gpu), timeout, clauses))
        return fn
    return mark


def info_of(fn: Any) -> CheckInfo | None:
    return getattr(fn, ATTR, None)
