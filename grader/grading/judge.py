"""The judge: grades one student, exercise by exercise.

Checks, reference solutions and every assertion run here. The student's code runs only in a
worker forked from this judge's zygote (a clean, exec'd process); the `student` fixture is a
proxy that talks to that worker. A broken file never reaches a worker: its checks get the
problem as their message.

It stays one module although it is long: the judge, its per-exercise transport (time budgets,
respawns) and the judge process's start-up share one life cycle, each step of which the next
relies on.
"""

from __future__ import annotations

import os
import platform
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from grader.course import Course, Exercise, load_course
from grader.grading.submissions import ExerciseFiles, Submission
from grader.results import CheckResult, ExerciseResult, StudentResult

OUTPUT_KEEP = 4000        # characters of a worker's stdout/stderr kept in the gradebook
DETAIL_KEEP = 4000        # characters of a check's instructor-only detail kept
MAX_RESPAWNS = 4          # fresh workers after crashes/timeouts, per exercise
RETRY_TIMEOUT = 5.0       # seconds a function that already timed out once gets on its next call
# A check's student calls may wait (sleep, block: the worker not computing, by the kernel's count
# of its CPU time) for REFERENCE_FACTOR x what the whole check took against the reference here,
# at least MIN_CHECK_SECONDS, at most the check's (or course's) timeout: a submission that
# sleeps in every call costs seconds, not the course's timeout per call. Code that computes,
# however slowly (a correct loop over every pixel), keeps the check's timeout.
# The judge's address space: what it had mapped after loading checks and references, plus the
# worker's memory limit (a reply is at most what a worker can hold), plus room for comparisons.
JUDGE_HEADROOM_MB = 2048
REFERENCE_FACTOR = 20.0
MIN_CHECK_SECONDS = 1.0
IDLE_GRACE = 0.25         # what a call starting after its check's budget may still wait (IPC)
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
    protect: tuple[str, ...] = ()    # instructor paths no worker may read (solutions, output, class)
    threads: int = 0                 # torch threads in the judge and each worker; 0: torch's default

    def new_zygote(self) -> Any:
        """A zygote for these settings (the run's shared one, or a judge's own)."""
        from grader.sandbox import Limits, Zygote
        limits = Limits(memory_mb=self.memory_mb, max_processes=self.max_processes,
                        output_limit_kb=self.output_limit_kb, threads=self.threads)
        return Zygote(device=self.device, limits=limits, protect=list(self.protect))

    def key(self) -> dict:
        """The settings a stored result depends on: a change of any of them grades again."""
        return {"device": self.device, "submission_timeout": self.submission_timeout,
                "check_timeout": self.check_timeout, "gpu_policy": self.gpu_policy,
                "memory_mb": self.memory_mb, "max_processes": self.max_processes,
                "backend": "sandbox"}   # the only backend; kept so stored keys still match


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
        self.check_deadline: float | None = None
        self.check_budget: float | None = None
        self.tampered = ""                   # what the worker said the student's code changed
        self.clean: Any = None               # the probe worker: never imports the submission

    def begin_check(self, budget: float | None) -> None:
        """The next requests belong to a new check, whose calls share `budget` seconds."""
        self.check_budget = budget
        self.check_deadline = None if budget is None else time.monotonic() + budget

    def _measure(self, request: dict, limit: float) -> dict:
        """Timing and device facts come from a worker forked from the same clean zygote that
        never imports the submission, so no student code can fake them."""
        from grader.checks.student_errors import WorkerCrashed
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
        from grader.checks.student_errors import OutOfMemory, StudentTimeout, WorkerCrashed
        from grader.checks.probes import MEASUREMENTS
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
        # importing the module is not the check's work: it gets the course's check timeout
        import_limit = min(self.judge.settings.check_timeout, left)
        if strikes:
            limit = min(limit, RETRY_TIMEOUT)
        if request.get("op") == "info" or request.get("op") == "probe" and request.get("name") in MEASUREMENTS:
            return self._measure(request, limit)
        if self.dead is not None:
            raise self.dead[0](self.dead[1])
        if self.worker is None:
            if self.spawned > MAX_RESPAWNS:
                raise WorkerCrashed(f"not run: your code crashed or timed out {self.spawned} times "
                                    "in this exercise")
            try:
                self.worker = self.judge.spawn_student(self.ex, self.files)
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
            # the import had its own limit; the check's budget starts after it
            if self.check_budget is not None:
                self.check_deadline = time.monotonic() + self.check_budget
            limit = max(0.001, min(limit, self.deadline - time.monotonic()))
        idle_after = None
        if self.check_deadline is not None:
            # past the check's budget a call may still compute, never wait
            idle_after = max(IDLE_GRACE, self.check_deadline - time.monotonic())
        try:
            if idle_after is None:
                return self._note(self.worker.request(request, timeout=limit))
            return self._note(self.worker.request(request, timeout=limit, idle_after=idle_after))
        except (StudentTimeout, WorkerCrashed, OutOfMemory) as exc:
            self.close()
            if isinstance(exc, StudentTimeout):
                self.timeouts[fn] = strikes + 1
            if isinstance(exc, StudentTimeout) and strikes:
                raise StudentTimeout(f"{fn} timed out again (it already timed out in an earlier check, "
                                     f"so this call had at most {limit:.3g} s)") from None
            if isinstance(exc, StudentTimeout) and "not computing" in exc.message:
                raise StudentTimeout(self._over_budget()) from None
            if isinstance(exc, StudentTimeout) and timeout is not None and limit < timeout:
                raise StudentTimeout(f"the exercise used up its time budget of {self.budget:g} s "
                                     "during this check") from None
            raise

    def _over_budget(self) -> str:
        return (f"waited (sleeping or blocked, not computing) longer than the {self.check_budget:.3g} s "
                f"this check allows ({REFERENCE_FACTOR:g}x the reference solution's time, at least "
                f"{MIN_CHECK_SECONDS:g} s)")

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

    def __init__(self, settings: JudgeSettings, shared_zygote: Any = None) -> None:
        self.settings = settings
        self.course: Course = load_course(settings.course_root)
        self._zygote: Any = None
        self._checks: dict[str, list] = {}
        self._refs: dict[str, Any] = {}
        self.engine_failure: Exception | None = None
        self._starting: threading.Thread | None = None
        self._start_error: BaseException | None = None
        self._budgets: dict[str, dict[str, float]] = {}
        # the run's one zygote, when the scheduler shares it: a queue that hands this judge a
        # connection of its own (see Zygote.attach); used for the first zygote only, a
        # replacement after an engine failure is this judge's own
        self.shared_zygote = shared_zygote

    # -- resources
    def prestart(self) -> None:
        """Start the zygote in the background: it imports torch in its own process while this
        one imports torch, the checks and the references (two cores instead of one, ~3 s)."""
        if self._zygote is None and self._starting is None:
            # Import here, in this thread: two threads importing the same package at once can
            # see each other's half-initialised modules.
            import grader.checks.runner
            import grader.checks.student
            import grader.sandbox  # noqa: F401
            self._starting = threading.Thread(target=self._start_zygote, name="zygote-start", daemon=True)
            self._starting.start()

    def _start_zygote(self) -> None:
        try:
            self._zygote = self._make_zygote()
        except BaseException as exc:  # noqa: BLE001 - re-raised where the zygote is needed
            self._start_error = exc

    def _make_zygote(self) -> Any:
        handed, self.shared_zygote = self.shared_zygote, None
        if handed is not None:
            from grader.sandbox.shared import receive
            zygote = receive(handed)
            if zygote is not None:
                return zygote
        return self.settings.new_zygote()   # none shared, or it could not start: our own

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

    def spawn_student(self, ex: Exercise, files: ExerciseFiles) -> Any:
        """A worker that imports the student's module for `ex`."""
        return self.zygote.spawn(files.files, files.module_file, f"submission_{ex.chapter}_{ex.name}",
                                 {k: list(v) for k, v in ex.forbid.items()})

    def import_notes(self, ex: Exercise, files: ExerciseFiles) -> list[str]:
        """The notebook cells that failed when the module was imported, read from a worker that
        did nothing but import it. Not from the graded workers: what a module writes once checks
        call it could carry their hidden inputs, and notes reach the student."""
        from grader.grading.sources import CELLS_END
        if CELLS_END.encode() not in files.files.get(files.module_file, b""):
            return []                      # not a notebook: no cells to report
        try:
            worker = self.spawn_student(ex, files)
        except Exception:  # noqa: BLE001 - the graded workers will meet (and report) the same failure
            return []
        try:
            worker.request({"op": "has", "name": ex.symbols[0]}, timeout=self.settings.check_timeout)
        except Exception:  # noqa: BLE001 - an import that fails or hangs is the checks' to report
            pass
        try:
            return _cell_notes(_report_dict(worker.close()))
        except Exception:  # noqa: BLE001 - notes are nice to have, never fatal
            return []

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

    def budgets(self, ex: Exercise) -> dict[str, float]:
        """Check id -> seconds the student's calls in that check may take: each check is run
        once against the reference solution in this process (in-process, as plain pytest does)
        and timed. A check the reference does not pass keeps the plain timeout."""
        if ex.id not in self._budgets:
            self._budgets[ex.id] = self._calibrate(ex)
        return self._budgets[ex.id]

    def _calibrate(self, ex: Exercise) -> dict[str, float]:
        import torch

        from grader.checks.runner import run_check
        from grader.checks.student import local_student
        reference = self.reference(ex)
        if reference is None:
            return {}
        device = torch.device(self.settings.device)
        gpu = self.settings.device == "cuda"
        out = {}
        checks = [c for c in self.checks(ex.id) if gpu or not c.info.gpu]
        # the first check run in a process pays lazy imports and first-call set-up: run one
        # unmeasured, so no check's budget is set by that
        for check in checks[:1] + checks:
            cap = check.info.timeout or self.settings.check_timeout
            student = local_student(reference, ex)
            start = time.perf_counter()
            try:
                result = run_check(check, student=student, reference_module=reference, device=device,
                                   gpu_available=gpu, gpu_policy=self.settings.gpu_policy)
            except Exception:  # noqa: BLE001 - no budget then: the plain timeout applies
                continue
            took = time.perf_counter() - start
            if result.status == "passed":
                out[check.id] = round(min(cap, max(MIN_CHECK_SECONDS, REFERENCE_FACTOR * took)), 3)
        return out

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
    def grade(self, sub: Submission, exercises: tuple[str, ...] | None = None) -> StudentResult:
        """Grade `exercises` of `sub` (default: every exercise the judge was started for)."""
        start = time.monotonic()
        result = StudentResult(sub.student, kind=sub.kind, source=sub.path.name, problem=sub.problem)
        for ex_id in self.settings.exercises if exercises is None else exercises:
            files = sub.exercises.get(ex_id) or ExerciseFiles(ex_id, "missing", "not handed in")
            result.exercises[ex_id] = self.grade_exercise(self.course.exercise(ex_id), files)
        result.facts = self.facts()
        result.seconds = round(time.monotonic() - start, 4)
        return result

    def grade_exercise(self, ex: Exercise, files: ExerciseFiles) -> ExerciseResult:
        from grader.grading.review import review_submission
        from grader.checks.runner import exercise_score, run_checks, skipped_result
        import torch

        start = time.monotonic()
        gpu_available = self.settings.device == "cuda"
        checks = self.checks(ex.id)
        entry = ExerciseResult(files.status, message=files.message, source=files.source, notes=list(files.notes))
        if files.status != "ok":
            results = [skipped_result(c, self.settings.gpu_policy, self.settings.device)
                       if c.info.gpu and not gpu_available else
                       CheckResult(c.id, c.name, c.visible, "missing" if files.status == "missing" else "error",
                                   0.0, c.info.points, files.message, device=self.settings.device,
                                   summary=files.message, title=c.doc)
                       for c in checks]
        else:
            from grader.checks.student import Student
            # the review reads the source before any of it runs; the checks still run, so that an
            # instructor's "accept" gives back the points they earned
            entry.findings = review_submission(files, ex)
            budgets = self.budgets(ex)
            transport = _ExerciseTransport(self, ex, files, self.settings.submission_timeout)
            try:
                student = Student(transport, ex)
                results = run_checks(checks, student, reference_module=self.reference(ex),
                                     device=torch.device(self.settings.device),
                                     gpu_policy=self.settings.gpu_policy, gpu_available=gpu_available,
                                     check_timeout=self.settings.check_timeout, budgets=budgets)
            finally:
                transport.close()
            if self.engine_failure is not None:
                failure, self.engine_failure = self.engine_failure, None
                self.close()      # a fresh zygote for the next student
                raise RuntimeError(f"sandbox failure while grading {ex.id}: {failure}")
            entry.worker = transport.report()
            entry.notes += self.import_notes(ex, files)
            entry.status = "graded"
        entry.score, entry.max = exercise_score(results, ex)
        if files.status == "ok" and transport.tampered:
            # scored 0 even when the change was seen only after the last check
            entry.tampering = _truncate(transport.tampered, DETAIL_KEEP)
            entry.score = 0.0
        entry.checks = [_kept(r) for r in results]
        entry.sandbox = self.zygote.sandbox_level if files.status == "ok" else None
        entry.seconds = round(time.monotonic() - start, 4)
        return entry


def _cell_notes(report: dict | None) -> list[str]:
    """The notebook cells that failed or were skipped (the module's own stderr lines), once each."""
    from grader.grading.sources import CELL_MARKER
    notes: list[str] = []
    for line in ((report or {}).get("stderr") or "").splitlines():
        if line.startswith(CELL_MARKER) and line[len(CELL_MARKER):] not in notes and len(notes) < 20:
            notes.append(line[len(CELL_MARKER):])
    return notes


def _kept(r: CheckResult) -> CheckResult:
    """What the gradebook keeps of a check's result: its message and detail cut to DETAIL_KEEP."""
    return replace(r, message=_truncate(r.message or "", DETAIL_KEEP), detail=_truncate(r.detail or "", DETAIL_KEEP))


# ---------------------------------------------------------------------------- judge processes

_JUDGE: Judge | None = None
_INIT_ERROR: str = ""


def start_judge(settings: JudgeSettings, shared_zygote: Any = None) -> Judge:
    """A judge ready to grade: its zygote starting, the checks and references imported. The
    same for a judge process on this machine and for one hosted by a Dask worker.
    shared_zygote: a queue holding (connection, facts) of the run's one zygote, if it has one."""
    if settings.threads > 0:
        import torch
        torch.set_num_threads(settings.threads)
    judge = Judge(settings, shared_zygote)
    judge.prestart()
    try:
        for ex_id in settings.exercises:     # import checks and references while the zygote starts
            judge.checks(ex_id)
            judge.budgets(judge.course.exercise(ex_id))   # times the reference: loads it too
    except Exception:  # noqa: BLE001 - raised again for each student, with the real message
        pass
    try:
        # Wait for the zygote here: the first student's time budget must not pay its start-up
        # (seconds when several judges import torch at once on a busy machine).
        judge.zygote
    except Exception:  # noqa: BLE001 - a fresh zygote is tried when the first student needs it
        pass
    return judge


def init_process(settings: JudgeSettings, shared_zygote: Any = None) -> None:
    """Initializer of a judge process (spawned, so nothing of the parent is inherited but what
    is passed: the settings, and the queue that hands out connections to the run's zygote)."""
    import signal
    global _JUDGE, _INIT_ERROR
    # Ctrl-C reaches the whole process group; the parent decides what to do about it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _JUDGE = start_judge(settings, shared_zygote)
    except Exception as exc:  # noqa: BLE001 - an initializer that raises breaks the whole pool
        _INIT_ERROR = f"the judge could not start: {type(exc).__name__}: {exc}"
        return

    limit_judge_memory(settings)

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


def limit_judge_memory(settings: JudgeSettings) -> int | None:
    """Cap this judge's address space (soft limit; CPU only: the CUDA driver maps terabytes), so
    that a student's reply the judge cannot hold ends as a MemoryError in that student's check,
    not as the kernel killing the judge and every student queued behind it. Returns the limit."""
    import resource
    if settings.device != "cpu":
        return None
    with open("/proc/self/statm") as fh:
        vm = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = vm + (settings.memory_mb + JUDGE_HEADROOM_MB) * (1 << 20)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    return limit


def grade_in_process(sub: Submission, exercises: tuple[str, ...] | None = None) -> StudentResult:
    """Grade `exercises` of `sub` in this judge process (its task in the scheduler's pool)."""
    if _JUDGE is None:
        raise RuntimeError(_INIT_ERROR or "judge process not initialised")
    return _JUDGE.grade(sub, exercises)
