"""Grading on a Dask cluster: `grader grade ... --cluster tcp://host:8786` or `--cluster local:N`.

The judges are the same as on one machine (grader.grading.judge): each Dask worker hosts one,
with its own clean zygote, started once per worker by `JudgePlugin` (a Dask WorkerPlugin).
Only plain data travels: the plugin carries the settings, the course's files and a digest of
the engine; a task carries one student's files as bytes and comes back as the judge's result
in JSON text. The coordinator (the `grader grade` process) alone writes the gradebook, as each
result arrives, exactly as `scheduler._run_judges` does for local judge processes.

Two ways to die, told apart:

* a submission that crashes, kills or starves its sandbox worker: the judge sees it (the same
  code as locally) and the task returns that student's zero; the Dask worker is unharmed.
* a Dask worker that dies (kill -9, a machine going away): Dask reruns its task on another
  worker; the coordinator commits each student once. A task whose workers died
  `distributed.scheduler.allowed-failures` times (Dask's KilledWorker) is not graded and is
  reported, so one poisonous task cannot take down every worker in turn.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Callable

from distributed import WorkerPlugin

from grader.errors import GraderError
from grader.results import StudentResult

PLUGIN_NAME = "torchgrade-judge"
CONNECT_TIMEOUT = 10.0          # seconds to reach a scheduler
WORKER_WAIT = 60.0              # seconds to wait for a scheduler's first worker
COURSE_PARTS = ("solutions", "exercises")   # with course.toml: everything a judge reads
_LOCAL = re.compile(r"local:(\d+)$")
_ADDRESS = re.compile(r"((tcp|tls|ucx|ws|wss)://)?[A-Za-z0-9.\-\[\]:]+:\d+$")


class ClusterError(GraderError):
    """A --cluster that cannot be used, said in one line."""


# ---------------------------------------------------------------------------- plain data

def settings_data(settings: Any) -> dict:
    """JudgeSettings as plain data (paths as strings) for the trip to the workers."""
    data = dataclasses.asdict(settings)
    data["course_root"] = str(data["course_root"])
    return data


def settings_from_data(data: dict) -> Any:
    from grader.grading.judge import JudgeSettings
    return JudgeSettings(**{**data, "course_root": Path(data["course_root"]),
                            "exercises": tuple(data["exercises"]), "protect": tuple(data["protect"])})


def submission_data(sub: Any, exercises: tuple[str, ...]) -> dict:
    """One student's files for the exercises to grade, as bytes and strings."""
    return {"student": sub.student, "kind": sub.kind, "path": str(sub.path), "problem": sub.problem,
            "exercises": {e: dataclasses.asdict(sub.exercises[e]) for e in exercises if e in sub.exercises}}


def submission_from_data(data: dict) -> Any:
    from grader.grading.submissions import ExerciseFiles, Submission
    return Submission(data["student"], data["kind"], Path(data["path"]), data["problem"],
                      {e: ExerciseFiles(**files) for e, files in data["exercises"].items()})


def course_files(root: Path) -> dict[str, bytes]:
    """The files a judge reads: course.toml, the solutions and checks, the visible tests."""
    from grader.course import COURSE_FILE
    root = Path(root)
    files = {COURSE_FILE: (root / COURSE_FILE).read_bytes()}
    for part in COURSE_PARTS:
        for path in sorted((root / part).rglob("*")) if (root / part).is_dir() else []:
            rel = path.relative_to(root)
            if path.is_file() and "__pycache__" not in rel.parts and not path.name.startswith("."):
                files[rel.as_posix()] = path.read_bytes()
    return files


def engine_digest() -> str:
    """What the grader's own code is: the coordinator and every worker must run the same."""
    import grader
    base = Path(grader.__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(base.rglob("*.py")):
        if "__pycache__" not in path.parts:
            h.update(path.relative_to(base).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


# ---------------------------------------------------------------------------- worker side

class JudgePlugin(WorkerPlugin):
    """One judge per Dask worker, started once when the plugin reaches the worker (and again
    on each worker that joins or is restarted). It starts in a thread so the worker's event
    loop keeps answering the scheduler while torch and the checks are imported."""

    def __init__(self, settings: dict, course: dict[str, bytes], engine: str,
                 workers_per_host: dict[str, int], ignore_sigint: bool = False) -> None:
        self.settings, self.course, self.engine = settings, course, engine
        self.workers_per_host, self.ignore_sigint = workers_per_host, ignore_sigint

    def setup(self, worker: Any) -> None:
        import signal
        from distributed.comm import get_address_host
        self._ready, self._lock = threading.Event(), threading.Lock()
        self._judge: Any = None
        self._error = ""
        self._tmp: Path | None = None
        if self.ignore_sigint and threading.current_thread() is threading.main_thread():
            # local:N workers share the terminal's process group: Ctrl-C is the coordinator's
            # to handle (it cancels the tasks and closes the cluster), as for local judges.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        host = get_address_host(worker.address)
        has_gpu = float(worker.state.total_resources.get("GPU", 0)) >= 1
        threading.Thread(target=self._start, args=(host, has_gpu), name="torchgrade-judge",
                         daemon=True).start()

    def _start(self, host: str, has_gpu: bool) -> None:
        from grader.grading.judge import start_judge
        try:
            if engine_digest() != self.engine:
                raise RuntimeError("this worker runs another version of the torchgrade engine than "
                                   "`grader grade`; install the same one on every worker")
            settings = settings_from_data(self.settings)
            if settings.device == "cuda" and not has_gpu:
                self._error = "this worker was not started with --resources GPU=1"
                return        # it is sent no task: every task of a CUDA run asks for a GPU
            root = self._course_root(settings.course_root)
            cores = len(os.sched_getaffinity(0))
            threads = max(1, cores // max(1, self.workers_per_host.get(host, 1)))
            protect = settings.protect + ((str(root),) if root != settings.course_root else ())
            self._settings = dataclasses.replace(settings, course_root=root, threads=threads, protect=protect)
            self._judge = start_judge(self._settings)
        except Exception as exc:  # noqa: BLE001 - reported with every task this worker is sent
            self._error = f"the judge could not start on {host}: {type(exc).__name__}: {exc}"
        finally:
            self._ready.set()

    def _course_root(self, root: Path) -> Path:
        """The coordinator's course folder when this machine sees the same files there (a
        LocalCluster, a shared filesystem), else a private copy of the shipped files."""
        try:
            if root.is_dir() and course_files(root) == self.course:
                return root
        except OSError:
            pass
        tmp = Path(tempfile.mkdtemp(prefix="torchgrade-course-"))
        self._tmp = tmp
        for rel, data in self.course.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return tmp

    def grade(self, submission: dict, exercises: list[str]) -> str:
        self._ready.wait()
        if self._judge is None:
            return json.dumps({"error": self._error or "the judge did not start"})
        with self._lock:      # one student at a time, even on a worker started with --nthreads > 1
            self._judge.settings = dataclasses.replace(self._settings, exercises=tuple(exercises))
            try:
                result = self._judge.grade(submission_from_data(submission))
            except Exception as exc:  # noqa: BLE001 - the same words as a local judge's failure
                return json.dumps({"error": f"grading failed in the judge: {type(exc).__name__}: {exc}"})
        # The gradebook stores JSON: the same conversion, done here, so only text travels.
        return json.dumps(result.to_json(), default=str)

    def teardown(self, worker: Any) -> None:
        self._ready.wait(timeout=120)
        try:
            if self._judge is not None:
                self._judge.close()
        finally:
            if self._tmp is not None:
                shutil.rmtree(self._tmp, ignore_errors=True)


def grade_on_worker(submission: dict, exercises: list[str]) -> str:
    """The task: grade one student with this worker's judge. Never raises; errors are text."""
    from distributed import get_worker
    plugin = get_worker().plugins.get(PLUGIN_NAME)
    if plugin is None:
        return json.dumps({"error": "this Dask worker has no torchgrade judge"})
    return plugin.grade(submission, exercises)  # type: ignore[attr-defined]  # a JudgePlugin


# ---------------------------------------------------------------------------- coordinator side

class Cluster:
    """The --cluster of one run: a LocalCluster started on demand, or a scheduler's address."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        local = _LOCAL.match(spec)
        if local is None and not _ADDRESS.match(spec):
            raise ClusterError(f"--cluster {spec!r}: expected a Dask scheduler address "
                               "(tcp://host:8786, tls://host:8786) or local:N")
        self.local_workers = int(local.group(1)) if local else 0
        if local and self.local_workers < 1:
            raise ClusterError("--cluster local:N needs N >= 1 workers")
        self.address = None if local else (spec if "://" in spec else f"tcp://{spec}")
        self._client: Any = None
        self._cluster: Any = None
        self._device: str | None = None
        self._plugin: tuple | None = None       # what the workers' judges were started with

    # -- where the checks run
    def device(self, requested: str) -> str:
        """cuda when the workers have GPUs: this machine's for local:N, else workers started
        with --resources GPU=1. Asked of the scheduler, never of this process's CUDA."""
        try:
            return self._resolve(requested)
        except BaseException:
            self.close()
            raise

    def _resolve(self, requested: str) -> str:
        from grader.grading.scheduler import detect_device
        if self.local_workers:
            self._device = detect_device(requested)
            if requested == "cuda" and detect_device("auto") != "cuda":
                raise ClusterError("--device cuda: no usable CUDA GPU on this machine (try --device auto)")
            return self._device
        if requested == "cpu":
            self._device = "cpu"
            return "cpu"
        gpus = [w for w in self._workers().values() if float(w.get("resources", {}).get("GPU", 0)) >= 1]
        if not gpus and requested == "cuda":
            raise ClusterError(f"--device cuda: no worker of {self.address} was started with "
                               "--resources GPU=1")
        self._device = "cuda" if gpus else "cpu"
        return self._device

    def _workers(self) -> dict[str, dict]:
        try:
            return self.client().scheduler_info(n_workers=-1)["workers"]
        except TypeError:      # distributed before 2025 listed every worker without being asked
            return self.client().scheduler_info()["workers"]

    def client(self) -> Any:
        if self._client is not None:
            return self._client
        import dask
        from distributed import Client, LocalCluster
        logging.getLogger("distributed").setLevel(logging.ERROR)
        if self.local_workers:
            gpu = {"GPU": 1} if self._device == "cuda" else None
            # No memory limit: the sandbox limits each student, and a nanny that restarts a
            # worker for the size torch gives its judge would only lose that student.
            # Dask's profiler samples every worker thread each 10 ms: time taken from the checks.
            # A saturation of 2 keeps one student queued on each worker, so a judge starts the
            # next one at once instead of waiting a round trip to the scheduler for it.
            with dask.config.set({"distributed.worker.daemon": False,
                                  "distributed.worker.profile.enabled": False,
                                  "distributed.scheduler.worker-saturation": 2.0}):
                self._cluster = LocalCluster(n_workers=self.local_workers, threads_per_worker=1,
                                             processes=True, dashboard_address=None, memory_limit=0,
                                             resources=gpu, silence_logs=logging.ERROR)
            self._client = Client(self._cluster)
            return self._client
        try:
            self._client = Client(self.address, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(f"--cluster {self.address}: no Dask scheduler answers there ({exc})") from None
        try:
            self._client.wait_for_workers(1, timeout=WORKER_WAIT)
        except TimeoutError:
            raise ClusterError(f"--cluster {self.address}: the scheduler has no worker after "
                               f"{WORKER_WAIT:g} s; start some with `dask worker {self.address} "
                               "--nthreads 1`") from None
        return self._client

    # -- a run
    def run(self, settings: Any, todo: list, commit: Callable[[Any, dict, StudentResult], None]) -> tuple[bool, list[str]]:
        """Grade `todo` on the cluster; commit each student as their result arrives."""
        from distributed import as_completed
        from distributed.scheduler import KilledWorker
        resources = {"GPU": 1} if settings.device == "cuda" else None
        run = uuid.uuid4().hex[:8]
        failures: list[str] = []
        pending: dict[Any, tuple[Any, dict]] = {}
        client = None
        try:
            client = self.client()
            plugin = (settings_data(settings), course_files(settings.course_root), engine_digest())
            if plugin != self._plugin:      # the same judges serve a second run of the same settings
                per_host = Counter(str(w.get("host")) for w in self._workers().values())
                client.register_plugin(JudgePlugin(*plugin, dict(per_host), ignore_sigint=bool(self.local_workers)),
                                       name=PLUGIN_NAME)
                self._plugin = plugin
            for sub, stale, keys in todo:
                fut = client.submit(grade_on_worker, submission_data(sub, stale), list(stale),
                                    key=f"grade-{sub.student}-{run}", pure=False, resources=resources)
                pending[fut] = (sub, keys)
            for fut in as_completed(list(pending)):
                sub, keys = pending.pop(fut)
                try:
                    text = fut.result()
                except KilledWorker:
                    failures.append(f"{sub.student}: not graded: every Dask worker that took it died "
                                    "(killed, out of memory, or a machine gone); run the command again "
                                    "to retry it")
                    continue
                except Exception as exc:  # noqa: BLE001 - one student's task failure, reported
                    failures.append(f"{sub.student}: grading failed on the cluster: {type(exc).__name__}: {exc}")
                    continue
                data = json.loads(text)
                if "error" in data:       # a StudentResult has no such key
                    failures.append(f"{sub.student}: {data['error']}")
                    continue
                commit(sub, keys, StudentResult.from_json(data))
            return False, failures
        except KeyboardInterrupt:
            if client is not None and pending:
                client.cancel(list(pending), force=True)
            return True, failures

    def close(self) -> None:
        client, cluster, self._client, self._cluster = self._client, self._cluster, None, None
        self._plugin = None
        try:
            if client is not None and cluster is None:
                client.unregister_worker_plugin(PLUGIN_NAME)   # a shared cluster's workers drop their judges
        except Exception:  # noqa: BLE001 - closing is best effort; the workers close judges on exit
            pass
        finally:
            if client is not None:
                client.close()
            if cluster is not None:
                cluster.close()


__all__ = ["Cluster", "ClusterError", "JudgePlugin", "grade_on_worker", "PLUGIN_NAME"]
