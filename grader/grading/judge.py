"""The judge: grades one student, exercise by exercise.

Checks, reference solutions and every assertion run here. The student's code runs only in a
worker forked from this judge's zygote (a clean, exec'd process); the `student` fixture is a
proxy that talks to that worker. A broken file never reaches a worker: its checks get the
problem as their message.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.course import Course, Exercise, load_course
from grader.grading.submissions import ExerciseFiles, Submission

OUTPUT_KEEP = 4000        # characters of a worker's stdout/stderr kept in the gradebook
DETAIL_KEEP = 4000        # characters of a check's instructor-only detail kept
MAX_RESPAWNS = 4          # fresh workers after crashes/timeouts, per exercise
RETRY_TIMEOUT = 5.0       # seconds a function that already timed out once gets on its next call
VERIFY_TIMEOUT = 2.0      # seconds for the worker's last look at the engine's seal
PROBE_FILE = "_tg_probe.py"  # the probe worker's module: empty, so no student code is imported


@dataclass(frozen=True)
class JudgeSettings:
    course_root: Path
    exercises: tuple[str, ...]
    device: str                      # resolved: "cpu" | "cuda"
    submission_timeout: float        # seconds for all checks of one exercise of one student
    check_timeout: float
    gpu_policy: str
    memory_mb: int
    max_processes: int
    output_limit_kb: int
    backend: str = "sandbox"         # "local": in-process stand-in, for developing without a sandbox
    protect: tuple[str, ...] = ()    # instructor paths no worker may read (solutions, output, class)
    threads: int = 0                 # torch threads in the judge and each worker; 0: torch's default
    extra: dict = field(default_factory=dict)


class _LocalWorker:
    """Development stand-in for a sandbox worker: runs the student's code IN the judge. Not
    confined, no timeouts. Only used with TORCHGRADE_GRADE_BACKEND=local."""

    def __init__(self, files: dict[str, bytes], module_file: str, module_name: str,
                 forbid: dict[str, list[str]]) -> None:
        from grader.checks.executor import Executor
        from grader.checks.student import LocalTransport
        self._dir = tempfile.TemporaryDirectory(prefix="tg-local-")
        for rel, data in files.items():
            path = Path(self._dir.name) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        self._start = time.monotonic()
        self._transport = LocalTransport(Executor.from_file(Path(self._dir.name) / module_file,
                                                            module_name, forbid))

    def request(self, request: dict, timeout: float | None = None) -> dict:
        return self._transport.request(request, timeout)

    def close(self) -> dict:
        self._dir.cleanup()
        return {"stdout": "", "stderr": "", "exit_status": 0, "signal": None, "killed": False,
                "seconds": round(time.monotonic() - self._start, 4)}


class _LocalZygote:
    sandbox_level = "none: in-process stand-in (TORCHGRADE_GRADE_BACKEND=local), student code NOT confined"

    def spawn(self, files: dict[str, bytes], module_file: str, module_name: str,
              forbid: dict[str, list[str]]) -> _LocalWorker:
        return _LocalWorker(files, module_file, module_name, forbid)

    def close(self) -> None:
        pass


def _report_dict(report: Any) -> dict:
    if isinstance(report, dict):
        return report
    return {k: getattr(report, k, None) for k in ("stdout", "stderr", "exit_status", "signal", "killed", "seconds")}


class _ExerciseTransport:
    """The student's worker for one exercise, under the exercise's time budget.

    Every request gets the smaller of the check's timeout and what is left of the budget. A
    worker that times out, crashes or runs out of memory is gone; the next check gets a fresh
    one (forking costs milliseconds), so one runaway function does not zero the others.
    """

    def __init__(self, judge: "Judge", ex: Exercise, files: ExerciseFiles, budget: float) -> None:
        self.judge, self.ex, self.files, self.budget = judge, ex, files, budget
        self.deadline = time.monotonic() + budget
        self.worker: Any = None
        self.spawned = 0
        self.dead: tuple[type, str] | None = None   # respawning would only repeat this failure
        self.reports: list[dict] = []
        self.timeouts: dict[str, int] = {}   # function -> how many of its calls timed out
        self.tampered = ""                   # what the worker said the student's code changed
        self.clean: Any = None               # the probe worker: never imports the submission

    def _measure(self, request: dict, limit: float) -> dict:
        """Timing and device facts come from a worker forked from the same clean zygote that
        never imports the submission, so no student code can fake them."""
        from grader.checks.errors import WorkerCrashed
        try:
            if self.clean is None:
                self.clean = self.judge.zygote.spawn({PROBE_FILE: b""}, PROBE_FILE, "tg_probe", {})
            return self.clean.request(request, timeout=limit)
        except WorkerCrashed:
            self._close_clean()
            raise

    def _close_clean(self) -> None:
        if self.clean is not None:
            clean, self.clean = self.clean, None
            try:
                clean.close()
            except Exception:  # noqa: BLE001 - it ran no student code; nothing to report
                pass

    def _note(self, reply: Any) -> Any:
        if type(reply) is dict and reply.get("ok") is False and type(reply.get("error")) is dict \
                and reply["error"].get("kind") == "tampering" and not self.tampered:
            self.tampered = str(reply["error"].get("detail") or reply["error"].get("message") or "tampering")
        return reply

    def request(self, request: dict, timeout: float | None = None) -> dict:
        # imported here so that the parent process, which only needs JudgeSettings, stays free of torch
        from grader.checks.errors import OutOfMemory, StudentTimeout, WorkerCrashed
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise StudentTimeout(f"the exercise used up its time budget of {self.budget:g} s; "
                                 "this check was not run")
        limit = left if timeout is None else min(timeout, left)
        # A function that loops forever would cost the full check timeout in every check that
        # calls it. Its second chance is short, and after two timeouts it is not called again.
        fn = str(request.get("name") if request.get("op") == "call" else
                 f"{request.get('op')}:{request.get('method', request.get('name', ''))}")
        strikes = self.timeouts.get(fn, 0)
        if strikes >= 2:
            raise StudentTimeout(f"not run: {fn} timed out in {strikes} earlier checks")
        import_limit = limit
        if strikes:
            limit = min(limit, RETRY_TIMEOUT)
        if request.get("op") in ("probe", "info"):
            return self._measure(request, limit)
        if self.dead is not None:
            raise self.dead[0](self.dead[1])
        if self.worker is None:
            if self.spawned > MAX_RESPAWNS:
                raise WorkerCrashed(f"not run: your code crashed or timed out {self.spawned} times "
                                    "in this exercise")
            try:
                self.worker = self.judge.zygote.spawn(
                    self.files.files, self.files.module_file,
                    f"submission_{self.ex.chapter}_{self.ex.name}",
                    {k: list(v) for k, v in self.ex.forbid.items()})
            except Exception as exc:  # noqa: BLE001 - the sandbox failed, not the student
                self.judge.engine_failure = exc
                raise WorkerCrashed("the grader could not start a worker (not your fault)") from None
            self.spawned += 1
            try:
                # A cheap first request: it returns once the module is imported, so a module
                # that hangs or dies at import is told apart from a function that does.
                self._note(self.worker.request({"op": "has", "name": self.ex.symbols[0]}, timeout=import_limit))
            except (StudentTimeout, WorkerCrashed, OutOfMemory) as exc:
                self.close()
                # A fresh worker would only import it again and fail the same way.
                self.dead = (type(exc), f"importing your module failed: {exc.message}")
                raise self.dead[0](self.dead[1]) from None
            limit = max(0.001, min(limit, self.deadline - time.monotonic()))
        try:
            return self._note(self.worker.request(request, timeout=limit))
        except (StudentTimeout, WorkerCrashed, OutOfMemory) as exc:
            self.close()
            if isinstance(exc, StudentTimeout):
                self.timeouts[fn] = strikes + 1
            if isinstance(exc, StudentTimeout) and strikes:
                raise StudentTimeout(f"{fn} timed out again (it already timed out in an earlier check, "
                                     f"so this call had {RETRY_TIMEOUT:g} s)") from None
            if isinstance(exc, StudentTimeout) and timeout is not None and limit < timeout:
                raise StudentTimeout(f"the exercise used up its time budget of {self.budget:g} s "
                                     "during this check") from None
            raise

    def close(self) -> None:
        self._close_clean()
        if self.worker is not None and not self.tampered:
            # a last look at the seal: a change made after the last call (a thread, a __del__)
            try:
                self._note(self.worker.request({"op": "verify"}, timeout=VERIFY_TIMEOUT))
            except Exception:  # noqa: BLE001 - a dead or hung worker has nothing more to say
                pass
        if self.worker is not None:
            worker, self.worker = self.worker, None
            try:
                self.reports.append(_report_dict(worker.close()))
            except Exception as exc:  # noqa: BLE001 - a report is nice to have, never fatal
                self.reports.append({"stderr": f"(worker report unavailable: {exc})"})

    def report(self) -> dict | None:
        if not self.reports:
            return None
        out = {"workers": len(self.reports),
               "stdout": _truncate("".join(r.get("stdout") or "" for r in self.reports), OUTPUT_KEEP),
               "stderr": _truncate("".join(r.get("stderr") or "" for r in self.reports), OUTPUT_KEEP),
               "killed": any(bool(r.get("killed")) for r in self.reports),
               "exit_status": [r.get("exit_status") for r in self.reports],
               "signal": [r.get("signal") for r in self.reports],
               "seconds": round(sum(float(r.get("seconds") or 0) for r in self.reports), 4)}
        return out


def _truncate(text: str, keep: int) -> str:
    if len(text) <= keep:
        return text
    return text[:keep] + f"\n... ({len(text) - keep} more characters cut)"


class Judge:
    """One per judge process: loads the course, checks and references once, owns one zygote."""

    def __init__(self, settings: JudgeSettings) -> None:
        self.settings = settings
        self.course: Course = load_course(settings.course_root)
        self._zygote: Any = None
        self._checks: dict[str, list] = {}
        self._refs: dict[str, Any] = {}
        self.engine_failure: Exception | None = None
        self._starting: threading.Thread | None = None
        self._start_error: BaseException | None = None

    # -- resources
    def prestart(self) -> None:
        """Start the zygote in the background: it imports torch in its own process while this
        one imports torch, the checks and the references (two cores instead of one, ~3 s)."""
        if self._zygote is None and self._starting is None:
            # Import here, in this thread: two threads importing the same package at once can
            # see each other's half-initialised modules.
            import grader.checks.runner  # noqa: F401
            import grader.checks.student  # noqa: F401
            if self.settings.backend != "local":
                import grader.sandbox  # noqa: F401
            self._starting = threading.Thread(target=self._start_zygote, name="zygote-start", daemon=True)
            self._starting.start()

    def _start_zygote(self) -> None:
        try:
            self._zygote = self._make_zygote()
        except BaseException as exc:  # noqa: BLE001 - re-raised where the zygote is needed
            self._start_error = exc

    def _make_zygote(self) -> Any:
        if self.settings.backend == "local":
            return _LocalZygote()
        from grader.sandbox import Limits, Zygote
        limits = Limits(memory_mb=self.settings.memory_mb, max_processes=self.settings.max_processes,
                        output_limit_kb=self.settings.output_limit_kb, threads=self.settings.threads)
        return Zygote(device=self.settings.device, limits=limits, protect=list(self.settings.protect))

    @property
    def zygote(self) -> Any:
        if self._starting is not None:
            self._starting.join()
            self._starting = None
            if self._start_error is not None:
                error, self._start_error = self._start_error, None
                raise error
        if self._zygote is None:
            self._zygote = self._make_zygote()
        return self._zygote

    def close(self) -> None:
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self._zygote is not None:
            zyg, self._zygote = self._zygote, None
            zyg.close()

    def checks(self, exercise_id: str) -> list:
        from grader.checks.runner import collect_checks
        if exercise_id not in self._checks:
            self._checks[exercise_id] = collect_checks(self.course, exercise_id, hidden=True)
        return self._checks[exercise_id]

    def reference(self, ex: Exercise) -> Any:
        from grader.checks.runner import load_reference
        if ex.id not in self._refs:
            self._refs[ex.id] = load_reference(ex)
        return self._refs[ex.id]

    def facts(self) -> dict:
        import torch
        # Plain str, not torch's TorchVersion: unpickling that in the scheduler would import
        # torch there (a 1 s stall of the whole run while the first result waits).
        facts = {"python": platform.python_version(), "torch": str(torch.__version__),
                 "cuda": None if torch.version.cuda is None else str(torch.version.cuda),
                 "device": self.settings.device, "gpu": None,
                 "sandbox": self.zygote.sandbox_level}
        if self.settings.device == "cuda":
            facts["gpu"] = torch.cuda.get_device_name(0)
        return facts

    # -- grading
    def grade(self, sub: Submission) -> dict:
        start = time.monotonic()
        result: dict[str, Any] = {"student": sub.student, "kind": sub.kind, "source": sub.path.name,
                                  "problem": sub.problem, "exercises": {}}
        for ex_id in self.settings.exercises:
            files = sub.exercises.get(ex_id) or ExerciseFiles(ex_id, "missing", "not handed in")
            result["exercises"][ex_id] = self.grade_exercise(self.course.exercise(ex_id), files)
        result["facts"] = self.facts()
        result["seconds"] = round(time.monotonic() - start, 4)
        return result

    def grade_exercise(self, ex: Exercise, files: ExerciseFiles) -> dict:
        from grader.checks.review import review_submission
        from grader.checks.runner import CheckResult, exercise_score, run_checks, skipped_result
        import torch

        start = time.monotonic()
        gpu_available = self.settings.device == "cuda"
        checks = self.checks(ex.id)
        entry: dict[str, Any] = {"status": files.status, "message": files.message, "source": files.source,
                                 "notes": list(files.notes), "worker": None}
        if files.status != "ok":
            results = [skipped_result(c, self.settings.gpu_policy, self.settings.device)
                       if c.info.gpu and not gpu_available else
                       CheckResult(c.id, c.name, c.visible, "missing" if files.status == "missing" else "error",
                                   0.0, c.info.points, files.message, device=self.settings.device,
                                   summary=files.message)
                       for c in checks]
        else:
            from grader.checks.student import Student
            transport = _ExerciseTransport(self, ex, files, self.settings.submission_timeout)
            try:
                student = Student(transport, ex)
                results = run_checks(checks, student, reference_module=self.reference(ex),
                                     device=torch.device(self.settings.device),
                                     gpu_policy=self.settings.gpu_policy, gpu_available=gpu_available,
                                     check_timeout=self.settings.check_timeout)
            finally:
                transport.close()
            if self.engine_failure is not None:
                failure, self.engine_failure = self.engine_failure, None
                self.close()      # a fresh zygote for the next student
                raise RuntimeError(f"sandbox failure while grading {ex.id}: {failure}")
            entry["worker"] = transport.report()
            entry["status"] = "graded"
            entry["review"] = review_submission(files, ex)
        score, maximum = exercise_score(results, ex)
        if files.status == "ok" and transport.tampered:
            # scored 0 even when the change was seen only after the last check
            entry["tampering"] = _truncate(transport.tampered, DETAIL_KEEP)
            score = 0.0
        titles = {c.id: c.doc for c in checks}
        entry["checks"] = [_check_dict(r, titles.get(r.check_id, r.name)) for r in results]
        entry["score"], entry["max"] = score, maximum
        entry["sandbox"] = self.zygote.sandbox_level if files.status == "ok" else None
        entry["seconds"] = round(time.monotonic() - start, 4)
        return entry


def _check_dict(r: Any, title: str) -> dict:
    d = r.to_dict()
    d["title"] = title
    d["detail"] = _truncate(d.get("detail") or "", DETAIL_KEEP)
    d["message"] = _truncate(d.get("message") or "", DETAIL_KEEP)
    return d


# ---------------------------------------------------------------------------- judge processes

_JUDGE: Judge | None = None
_INIT_ERROR: str = ""


def init_process(settings: JudgeSettings) -> None:
    """Initializer of a judge process (spawned, so nothing of the parent is inherited)."""
    import signal
    global _JUDGE, _INIT_ERROR
    # Ctrl-C reaches the whole process group; the parent decides what to do about it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if settings.threads > 0:
        import torch
        torch.set_num_threads(settings.threads)
    try:
        _JUDGE = Judge(settings)
    except Exception as exc:  # noqa: BLE001 - an initializer that raises breaks the whole pool
        _INIT_ERROR = f"the judge could not start: {type(exc).__name__}: {exc}"
        return
    _JUDGE.prestart()
    try:
        for ex_id in settings.exercises:     # import checks and references while the zygote starts
            _JUDGE.checks(ex_id)
            _JUDGE.reference(_JUDGE.course.exercise(ex_id))
    except Exception:  # noqa: BLE001 - raised again for each student, with the real message
        pass

    def _stop(*_: Any) -> None:
        try:
            if _JUDGE is not None:
                _JUDGE.close()
        finally:
            os._exit(143)
    signal.signal(signal.SIGTERM, _stop)

    def _close_and_exit() -> None:
        # Runs when the pool shuts this judge down, after its last result was sent. Tearing
        # down an interpreter that holds torch takes ~0.4 s that the whole run would wait for;
        # nothing is left to save (results went to the scheduler), so leave without it.
        try:
            if _JUDGE is not None:
                _JUDGE.close()
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:  # noqa: BLE001 - a closed stream must not keep us alive
                    pass
            os._exit(0)
    from multiprocessing import util
    util.Finalize(None, _close_and_exit, exitpriority=100)


def grade_in_process(sub: Submission) -> dict:
    if _JUDGE is None:
        raise RuntimeError(_INIT_ERROR or "judge process not initialised")
    return _JUDGE.grade(sub)
