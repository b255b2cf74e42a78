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


def check(points: float = 1, *, gpu: bool = False, timeout: float | None = None) -> Callable[[F], F]:
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
        raise ValueError(f"@check(points=...) must be a positive number, got {points!r}")
    if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
        raise ValueError(f"@check(timeout=...) must be a positive number of seconds, got {timeout!r}")

    def mark(fn: F) -> F:
        setattr(fn, ATTR, CheckInfo(float(points), bool(gpu), timeout))
        return fn
    return mark


def info_of(fn: Any) -> CheckInfo | None:
    return getattr(fn, ATTR, None)
