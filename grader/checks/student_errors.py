"""What can go wrong when a check talks to student code.

Every exception a student call can raise in the judge is a StudentError; its `status` is the
status the runner gives the check when the check does not catch it.
"""

from __future__ import annotations

from grader.checks.integrity import ENGINE_BUILTINS as __builtins__  # type: ignore[no-redef]  # noqa: F401 - see integrity

from grader.student_view import NO_D2L  # noqa: F401 - re-exported: the engine raises it, reports name it


class StudentError(Exception):
    status = "error"

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class MissingSymbol(StudentError):
    """The student's module does not define the name a check asked for."""
    status = "missing"


class ForbiddenCall(StudentError):
    """The student's code called a built-in the exercise bans."""
    status = "forbidden"

    def __init__(self, message: str, *, call: str = "", detail: str = "") -> None:
        super().__init__(message, detail=detail)
        self.call = call


class NotPlainData(StudentError):
    """Student code returned something other than plain data (tensor subclass, custom object...)."""
    status = "failed"


class StudentException(StudentError):
    """Student code raised an exception; `exc_types` lists the class names of its MRO."""
    status = "error"

    def __init__(self, message: str, *, exc_type: str = "Exception",
                 exc_types: tuple[str, ...] = (), detail: str = "") -> None:
        super().__init__(message, detail=detail)
        self.exc_type = exc_type
        self.exc_types = tuple(exc_types) or (exc_type,)




class LoadError(StudentError):
    """The student's file could not be imported (syntax error, failing import, exit at import)."""
    status = "error"


class StudentTimeout(StudentError):
    status = "timeout"


class OutOfMemory(StudentError):
    status = "oom"


class WorkerCrashed(StudentError):
    status = "crashed"


class Tampering(StudentError):
    """The student's code changed the grader's own code in its worker (grader.checks.integrity):
    the whole exercise scores 0 and the instructor is told."""
    status = "tampering"


class ProtocolError(WorkerCrashed):
    """The worker sent something that is not a valid reply."""


ERROR_KINDS: dict[str, type[StudentError]] = {
    "missing": MissingSymbol,
    "forbidden": ForbiddenCall,
    "not_plain": NotPlainData,
    "exception": StudentException,
    "load": LoadError,
    "oom": OutOfMemory,
    "timeout": StudentTimeout,
    "crashed": WorkerCrashed,
    "tampering": Tampering,
}


def error_from_reply(error: dict) -> StudentError:
    """Rebuild the judge-side exception from the error part of a worker reply."""
    kind = error.get("kind", "exception")
    cls = ERROR_KINDS.get(kind, StudentException)
    message = str(error.get("message", "student code failed"))
    detail = str(error.get("detail", ""))
    if cls is ForbiddenCall:
        return ForbiddenCall(message, call=str(error.get("call", "")), detail=detail)
    if cls is StudentException:
        types = error.get("exc_types") or [error.get("exc_type", "Exception")]
        return StudentException(message, exc_type=str(error.get("exc_type", "Exception")),
                                exc_types=tuple(str(t) for t in types), detail=detail)
    return cls(message, detail=detail)
