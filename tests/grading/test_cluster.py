"""`grader grade --cluster`: the same judges on Dask workers (a LocalCluster here). The demo
class gets the same reports as with local judges; a Dask worker killed mid-run loses nothing
and grades nobody twice; attacks on the sandbox hold on the cluster as locally, and a
submission that kills its own sandbox costs no Dask worker."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HERE = Path(__file__).resolve().parent
K = _load("grading_test_kit", HERE / "kit.py")
ROOT = K.ROOT
ATTACKS = _load("adversarial_attacks", ROOT / "tests" / "adversarial" / "attacks.py")


def read_csv(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def rows(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT count(*) FROM students").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0


def dask_workers(pid: int) -> list:
    """The Dask worker processes of a LocalCluster run by `pid` (its nannies live in `pid`)."""
    import psutil
    try:
        children = psutil.Process(pid).children()
    except psutil.Error:
        return []
    found = []
    for child in children:
        try:
            if any("spawn_main" in part for part in child.cmdline()):
                found.append(child)
        except psutil.Error:
            pass
    return found


class WorkerWatch:
    """Records every Dask worker pid a run had, to tell whether any of them died and restarted."""

    def __init__(self, pid: int) -> None:
        self.pid, self.seen, self.stop = pid, set(), False
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()

    def _poll(self) -> None:
        while not self.stop:
            self.seen.update(p.pid for p in dask_workers(self.pid))
            time.sleep(0.1)

    def close(self) -> set[int]:
        self.stop = True
        self.thread.join(5)
        return self.seen


# ---------------------------------------------------------------------------- no cluster needed

def test_bad_cluster_is_one_line(tiny_course: Path, tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    K.write(subs / "good" / "ch1" / "basics.py", K.SOLUTION)
    for spec, words in (("nowhere", "expected a Dask scheduler address"), ("local:0", "N >= 1")):
        proc = K.run_grader(tiny_course, subs, "--out", tmp_path / "o", "--cluster", spec, timeout=60)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        err = proc.stderr.strip()
        assert words in err and len(err.splitlines()) == 1 and "Traceback" not in err, err


def test_no_scheduler_there_is_one_error(monkeypatch) -> None:
    from grader.grading import cluster
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1.0)
    with pytest.raises(cluster.ClusterError, match="no Dask scheduler answers there"):
        cluster.Cluster("tcp://127.0.0.1:9").device("auto")


def test_only_plain_data_travels(tiny_course: Path, tmp_path: Path) -> None:
    from grader.course import load_course
    from grader.grading import cluster
    from grader.grading.judge import JudgeSettings
    from grader.grading.intake import collect
    course = load_course(tiny_course)
    K.write(tmp_path / "subs" / "good" / "ch1" / "basics.py", K.SOLUTION)
    sub = collect(course, tmp_path / "subs", list(course.exercises.values())).submissions[0]
    data = cluster.submission_data(sub, ("ch1.basics",))
    plain = (str, bytes, int, float, bool, type(None))

    def walk(x) -> None:
        if isinstance(x, dict):
            for k, v in x.items():
                assert isinstance(k, str)
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        else:
            assert isinstance(x, plain), type(x)
    walk(data)
    back = cluster.submission_from_data(data)
    assert back.exercises["ch1.basics"] == sub.exercises["ch1.basics"] and back.student == "good"
    assert set(back.exercises) == {"ch1.basics"}          # only what this task grades travels
    settings = JudgeSettings(course_root=tiny_course, exercises=("ch1.basics",), device="cpu",
                             submission_timeout=5, check_timeout=3, gpu_policy="skip", memory_mb=512,
                             max_processes=8, output_limit_kb=64, protect=("/x",))
    walk(json.loads(json.dumps(cluster.settings_data(settings))))
    assert cluster.settings_from_data(cluster.settings_data(settings)) == settings
    files = cluster.course_files(tiny_course)
    assert "course.toml" in files and "solutions/ch1/test_basics_hidden.py" in files
    assert all(isinstance(v, bytes) for v in files.values())


def test_gpu_workers_decide_the_device() -> None:
    from distributed import LocalCluster
    from grader.grading.cluster import Cluster, ClusterError
    # threads, not processes: only the scheduler's view of the workers' resources is used here
    with LocalCluster(n_workers=1, processes=False, protocol="tcp://", dashboard_address=None,
                      resources={"GPU": 1}) as gpu:
        pool = Cluster(gpu.scheduler_address)
        assert pool.device("auto") == "cuda" and pool.device("cpu") == "cpu"
        pool.close()
    with LocalCluster(n_workers=1, processes=False, protocol="tcp://", dashboard_address=None) as cpu:
        pool = Cluster(cpu.scheduler_address)
        assert pool.device("auto") == "cpu"
        with pytest.raises(ClusterError, match="--resources GPU=1"):
            pool.device("cuda")
        pool.close()


def test_a_worker_without_gpu_starts_no_judge_in_a_cuda_run(tiny_course: Path) -> None:
    from types import SimpleNamespace

    from grader.grading import cluster
    from grader.grading.judge import JudgeSettings
    settings = JudgeSettings(course_root=tiny_course, exercises=("ch1.basics",), device="cuda",
                             submission_timeout=5, check_timeout=3, gpu_policy="skip", memory_mb=512,
                             max_processes=8, output_limit_kb=64)
    plugin = cluster.JudgePlugin(cluster.settings_data(settings), cluster.course_files(tiny_course),
                                 cluster.engine_digest(), {})
    plugin.setup(SimpleNamespace(address="tcp://10.0.0.9:4000", state=SimpleNamespace(total_resources={})))
    answer = json.loads(plugin.grade({}, ["ch1.basics"]))
    assert "not started with --resources GPU=1" in answer["error"]
    plugin.teardown(None)


# ---------------------------------------------------------------------------- on a LocalCluster

def test_demo_class_grades_the_same_on_two_workers(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "grader.cli", "grade", "examples/submissions"]
    env = dict(os.environ, COLUMNS="200")
    local = subprocess.run(cmd + ["--out", str(tmp_path / "local"), "--jobs", "2"], cwd=ROOT,
                           capture_output=True, text=True, timeout=900, env=env)
    on_cluster = subprocess.run(cmd + ["--out", str(tmp_path / "cluster"), "--cluster", "local:2"], cwd=ROOT,
                                capture_output=True, text=True, timeout=900, env=env)
    for proc in (local, on_cluster):
        assert proc.returncode in (0, 1), proc.stdout[-3000:] + proc.stderr[-3000:]
    students = len(list((ROOT / "examples" / "submissions").iterdir()))
    assert "grading" in on_cluster.stdout and f"graded now: {students}" in on_cluster.stdout
    assert (tmp_path / "cluster" / "grades.csv").read_bytes() == (tmp_path / "local" / "grades.csv").read_bytes()
    for md in (tmp_path / "local" / "feedback").glob("*.md"):
        assert (tmp_path / "cluster" / "feedback" / md.name).read_bytes() == md.read_bytes(), md.name
    meta = json.loads((tmp_path / "cluster" / "grades.json").read_text())["metadata"]
    assert meta["options"]["cluster"] == "local:2" and meta["sandbox_levels"]


KILL_RUN = """
import sys
from pathlib import Path
from grader.course import load_course
from grader.grading.scheduler import grade_class
result = grade_class(load_course(Path(sys.argv[1])), Path(sys.argv[2]), Path(sys.argv[3]), cluster="local:2",
                     only=("ch1.basics",))
loaded = sorted(m for m in sys.modules if m in ("torch", "grader.checks") or m.startswith("grader.checks."))
print(len(result.graded_now), len(set(result.graded_now)), len(result.failures), loaded)
"""


def test_a_worker_killed_mid_run_loses_nothing(tiny_course: Path, tmp_path: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    expected = {}
    for i in range(8):
        K.write(subs / f"slow{i}" / "ch1" / "basics.py", K.SLOW if i % 2 else K.SLOW.replace("a + b", "a - b"))
        expected[f"slow{i}"] = 4.0 if i % 2 else 1.0
    run = subprocess.Popen([sys.executable, "-c", KILL_RUN, str(tiny_course), str(subs), str(out)], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    watch = WorkerWatch(run.pid)
    try:
        deadline = time.monotonic() + 300
        while rows(out / "gradebook.sqlite") < 2 and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.05)
        # a worker in the middle of a student: its zygote has a sandbox worker
        busy = [w for w in dask_workers(run.pid) if any(z.children() for z in w.children())]
        assert busy, "no Dask worker was grading"
        os.kill(busy[0].pid, signal.SIGKILL)
        stdout, stderr = run.communicate(timeout=600)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
        seen = watch.close()
    assert run.returncode == 0, stderr[-3000:]
    assert stdout.split() == ["8", "8", "0", "[]"], stdout + stderr[-2000:]   # each once, no torch here
    assert len(seen) >= 3                                     # the killed worker was replaced
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        assert db.execute("SELECT count(*), count(DISTINCT student) FROM students").fetchone() == (8, 8)
    assert {s: float(r["total"]) for s, r in read_csv(out / "grades.csv").items()} == expected


SAMPLE = ["kill_parent", "segfault", "os_exit_in_call", "os_exit_at_import", "read_hidden_checks",
          "read_other_student", "write_output_folder", "network", "fork_bomb", "eq_always_true",
          "patch_allclose", "infinite_loop", "global_torch_state", "forbidden_alias"]
KILL_OWN_SANDBOX = ATTACKS.returning("_die()", "import os, signal\ndef _die():\n    os.kill(os.getpid(), signal.SIGKILL)\n")


def test_adversarial_sample_holds_on_the_cluster(tmp_path: Path) -> None:
    adversarial = _load("adversarial_suite", ROOT / "tests" / "adversarial" / "test_adversarial.py")
    subs, out, marker = tmp_path / "submissions", tmp_path / "results", tmp_path / "marker"
    listener = adversarial.Listener()
    perfect = (ROOT / "solutions/ch3/softmax.py").read_text()
    values = {"{OUT}": str(out), "{ROOT}": str(ROOT), "{SUBMISSIONS}": str(subs),
              "{MARKER}": str(marker), "{PORT}": str(listener.port), "{PERFECT}": perfect}
    students = {name: ATTACKS.ATTACKS[name] for name in SAMPLE}
    students["kill_own_sandbox"] = {"files": {"ch3/softmax.py": KILL_OWN_SANDBOX}, "score": 0.0}
    students["control_perfect"] = {"files": {"ch3/softmax.py": perfect}, "score": adversarial.FULL}
    students["control_wrong"] = {"files": {"ch3/softmax.py": ATTACKS.WRONG}, "score": 0.0}
    for name, spec in students.items():
        for rel, content in spec["files"].items():
            for key, value in values.items():
                content = content.replace(key, value) if isinstance(content, str) else content
            K.write(subs / name / rel, content)
    run = subprocess.Popen([sys.executable, "-m", "grader.cli", "grade", str(subs), "--out", str(out),
                            "--only", "ch3.softmax", "--cluster", "local:2", "--timeout", "5"], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    watch = WorkerWatch(run.pid)
    try:
        stdout, stderr = run.communicate(timeout=900)
    finally:
        seen = watch.close()
        listener.close()
    assert run.returncode == 0, stdout[-3000:] + stderr[-3000:]
    # No Dask worker died: the sandboxes that were crashed, killed or starved were the judges'
    # business (each that student's zero), never a task Dask had to retry.
    assert len(seen) == 2, seen
    # the checks' points (a finding of the review holds an exercise in grades.csv: that is the
    # judge's business and tested with the attacks; here the cluster must compute the same checks)
    doc = json.loads((out / "grades.json").read_text())
    scores = {s["student"]: float(s["exercises"]["ch3.softmax"]["score"]) for s in doc["students"]}
    assert scores.pop("forbidden_alias") not in (0.0, adversarial.FULL)   # its own cross_entropy counts
    assert scores == {name: float(spec["score"]) for name, spec in students.items() if spec["score"] is not None}
    assert "graded now: %d" % len(students) in stdout
    assert not Path(f"{marker}.bg").exists() and listener.connections == 0


def test_ctrl_c_cancels_and_the_run_resumes(tiny_course: Path, tmp_path: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    for i in range(8):
        K.write(subs / f"slow{i}" / "ch1" / "basics.py", K.SLOW)
    cmd = K.grader_cmd(tiny_course, subs, "--out", out, "--cluster", "local:2", "--only", "ch1.basics")
    run = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           start_new_session=True)
    deadline = time.monotonic() + 300
    while rows(out / "gradebook.sqlite") < 2 and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGINT)                 # Ctrl-C reaches the whole process group
    output, _ = run.communicate(timeout=120)
    assert run.returncode == 130, output
    assert "run the same command again" in output and "Traceback" not in output
    done = rows(out / "gradebook.sqlite")
    assert 2 <= done < 8 and len(read_csv(out / "grades.csv")) == done
    resumed = K.run_grader(tiny_course, subs, "--out", out, "--cluster", "local:2", "--only", "ch1.basics")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"graded now: {8 - done}, already in the gradebook: {done}" in resumed.stdout
    assert [float(r["total"]) for r in read_csv(out / "grades.csv").values()] == [4.0] * 8
