"""The judge/worker boundary: round trips, containment, confinement, cleanup.

One zygote serves the whole module (starting one costs a torch import); each test forks fresh
workers from it, which is what the grader does per submission.
"""

from __future__ import annotations

import os
import signal
import socket
import textwrap
import time
from pathlib import Path

import pytest
import torch

from grader.checks.student_errors import (LoadError, OutOfMemory, ProtocolError, StudentException,
                                  StudentTimeout, WorkerCrashed)
from grader.checks.student import Student
from grader.sandbox import Limits, Zygote

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the sandbox needs Linux")


@pytest.fixture(scope="module")
def zyg():
    z = Zygote(device="cpu", limits=Limits(memory_mb=1024, max_processes=64, output_limit_kb=16),
               protect=[ROOT / "solutions", ROOT / "tests", ROOT / "course.toml"])
    yield z
    z.close()


def spawn(zyg: Zygote, source: str, *, limits: Limits | None = None, extra: dict | None = None):
    files = {"sub/mod.py": textwrap.dedent(source).encode()}
    files.update(extra or {})
    worker = zyg.spawn(files, "sub/mod.py", "mod", {}, limits=limits)
    return worker, Student(worker, timeout=10)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


# ---------------------------------------------------------------------------- round trips

def test_round_trip_and_captured_output(zyg):
    worker, student = spawn(zyg, """
        import torch
        def add(a, b):
            print("hello from the student")
            return a + b
        def boom():
            raise ValueError("nope")
    """)
    x = torch.arange(6.0).reshape(2, 3)
    assert torch.equal(student.add(x, x), 2 * x)
    assert student.add(2, 3) == 5
    with pytest.raises(StudentException, match="nope"):
        student.boom()
    assert student.add(1, 1) == 2  # still serving after a student exception
    report = worker.close()
    assert report.stdout.count("hello from the student") == 3
    assert report.exit_status == 0 and report.signal is None and not report.killed


def test_spawn_and_first_call_are_fast(zyg):
    times = []
    for _ in range(5):
        start = time.perf_counter()
        worker, student = spawn(zyg, "def f(x):\n    return x + 1\n")
        assert student.f(1) == 2
        times.append(time.perf_counter() - start)
        worker.close()
    # forking a process with torch loaded costs ~10 ms here; a cold python would cost seconds
    assert sorted(times)[2] < 0.25, times


def test_printing_cannot_corrupt_the_protocol(zyg):
    worker, student = spawn(zyg, """
        import sys, os
        def f():
            print('{"ok": true, "value": 100}')
            sys.stdout.flush()
            os.write(1, b"\\x00" * 64 + b"PASSED")
            return 1
    """)
    assert student.f() == 1
    worker.close()


def test_forged_bytes_on_the_socket_are_a_protocol_error(zyg):
    worker, student = spawn(zyg, """
        import os, stat
        def forge():
            for fd in range(3, 64):
                try:
                    if stat.S_ISSOCK(os.fstat(fd).st_mode):
                        os.write(fd, b"\\x7f" * 8 + b"garbage")
                except OSError:
                    pass
            return 1
    """)
    with pytest.raises(ProtocolError):
        student.forge()
    report = worker.close()
    assert report.killed


# ---------------------------------------------------------------------------- containment

def test_infinite_loop_times_out_and_is_killed(zyg):
    worker, student = spawn(zyg, """
        def spin():
            while True:
                pass
    """)
    student.timeout = 0.5
    start = time.monotonic()
    with pytest.raises(StudentTimeout):
        student.spin()
    assert time.monotonic() - start < 3
    assert not alive(worker.pid)
    with pytest.raises(StudentTimeout):  # later calls fail fast, with the same cause
        student.spin()
    assert worker.close().killed


def test_infinite_loop_at_import_times_out(zyg):
    worker, student = spawn(zyg, "while True:\n    pass\n")
    student.timeout = 0.5
    with pytest.raises(StudentTimeout, match="importing"):
        student.anything()
    worker.close()


def test_memory_bomb_is_out_of_memory(zyg):
    worker, student = spawn(zyg, """
        import torch
        def bomb_list():
            hog = []
            while True:
                hog.append(bytearray(64 << 20))
        def bomb_tensor():
            return torch.ones(1 << 40, dtype=torch.uint8)
        def fine():
            return 7
    """, limits=Limits(memory_mb=256, max_processes=64, output_limit_kb=16))
    with pytest.raises(OutOfMemory):
        student.bomb_list()
    with pytest.raises(OutOfMemory):
        student.bomb_tensor()
    assert student.fine() == 7  # the limit protects the worker too: it keeps serving
    worker.close()


def test_memory_bomb_at_import(zyg):
    worker, student = spawn(zyg, "hog = bytearray(8 << 30)\n",
                            limits=Limits(memory_mb=256, max_processes=64, output_limit_kb=16))
    with pytest.raises(OutOfMemory):
        student.anything()
    worker.close()


def test_fork_bomb_is_contained_and_cleaned_up(zyg):
    worker, student = spawn(zyg, """
        import os, time
        def bomb():
            pids = []
            for _ in range(1000):
                try:
                    pid = os.fork()
                except OSError:
                    return ["limited", pids]
                if pid == 0:
                    time.sleep(120)
                    os._exit(0)
                pids.append(pid)
            return ["unlimited", pids]
    """, limits=Limits(memory_mb=1024, max_processes=24, output_limit_kb=16))
    verdict, pids = student.bomb()
    assert verdict == "limited" and len(pids) <= 24
    assert all(alive(p) for p in pids)
    worker.close()
    assert not any(alive(p) for p in pids)


def test_gigabyte_of_output_is_truncated(zyg):
    worker, student = spawn(zyg, """
        import os, sys
        def flood():
            chunk = b"y" * (1 << 20)
            for _ in range(1024):
                os.write(1, chunk)
            sys.stderr.write("E" * 100000)
            return "done"
    """)
    student.timeout = 30
    assert student.flood() == "done"
    report = worker.close()
    assert len(report.stdout) < 20 * 1024 and report.stdout.startswith("yyyy")
    assert "dropped" in report.stdout and "dropped" in report.stderr


def test_background_thread_and_detached_process_are_killed(zyg):
    worker, student = spawn(zyg, """
        import os, threading, time
        def leave_behind():
            threading.Thread(target=lambda: time.sleep(120)).start()
            r, w = os.pipe()
            if os.fork() == 0:          # double fork + setsid: leaves the process group
                os.setsid()
                pid = os.fork()
                if pid:
                    os.write(w, str(pid).encode())
                    os._exit(0)
                time.sleep(120)
                os._exit(0)
            return int(os.read(r, 32))
    """)
    escaped = student.leave_behind()
    time.sleep(0.05)
    assert alive(escaped)
    report = worker.close()
    assert report.killed
    assert not alive(escaped) and not alive(worker.pid)
    assert zyg.info()["children"] == []


@pytest.mark.parametrize("where", ["import", "call"])
def test_os_exit_is_a_crash(zyg, where):
    source = "import os\nos._exit(0)\n" if where == "import" else "import os\ndef f():\n    os._exit(0)\n"
    worker, student = spawn(zyg, source)
    with pytest.raises(WorkerCrashed, match="exited with status 0") as info:
        student.f()
    assert ("importing" in str(info.value)) == (where == "import")
    report = worker.close()
    assert report.exit_status == 0


def test_sys_exit_is_reported_not_obeyed(zyg):
    worker, student = spawn(zyg, "import sys\nsys.exit(0)\n")
    with pytest.raises(LoadError, match="exit"):
        student.f()
    worker.close()
    worker, student = spawn(zyg, "import sys\ndef f():\n    sys.exit(0)\ndef g():\n    return 2\n")
    with pytest.raises(StudentException, match="exit"):
        student.f()
    assert student.g() == 2
    worker.close()


def test_signal_kills_are_crashes(zyg):
    worker, student = spawn(zyg, "import os, signal\ndef f():\n    os.kill(os.getpid(), signal.SIGSEGV)\n")
    with pytest.raises(WorkerCrashed, match="SIGSEGV"):
        student.f()
    assert worker.close().signal == signal.SIGSEGV


# ---------------------------------------------------------------------------- confinement

PROBE = """
    import os, socket
    def read(path):
        try:
            with open(path, "rb") as fh:
                return ["read", fh.read(100)]
        except OSError as exc:
            return ["denied", type(exc).__name__]
    def listdir(path):
        try:
            return ["listed", sorted(os.listdir(path))]
        except OSError as exc:
            return ["denied", type(exc).__name__]
    def write(path):
        try:
            with open(path, "wb") as fh:
                fh.write(b"pwned")
            return "written"
        except OSError as exc:
            return type(exc).__name__
    def connect(port):
        try:
            s = socket.socket()      # seccomp may refuse this already; Landlock the connect
            s.settimeout(2)
            s.connect(("127.0.0.1", port))
            s.close()
            return "connected"
        except OSError as exc:
            return type(exc).__name__
    def kill(pid):
        try:
            os.kill(pid, 0)
            return "can signal"
        except OSError as exc:
            return type(exc).__name__
    def cwd():
        return os.getcwd()
    def env():
        return dict(os.environ)
    def modules():
        return sorted(sys.modules)
    import sys
"""


@pytest.fixture(scope="module")
def probe(zyg):
    if not zyg.landlock_abi:
        pytest.skip(f"no landlock on this kernel: {zyg.sandbox_level}")
    worker, student = spawn(zyg, PROBE, extra={"notes.txt": b"my own file"})
    yield student
    worker.close()


def test_can_read_own_files_and_torch(probe):
    assert probe.read("notes.txt") == ["read", b"my own file"]
    assert probe.listdir(".")[0] == "listed"
    assert probe.read(torch.__file__)[0] == "read"
    assert probe.write("scratch.bin") == "written"


def test_cannot_read_solutions_or_course_files(probe):
    solutions = ROOT / "solutions"
    assert probe.listdir(str(solutions))[0] == "denied"
    secrets = [p for p in solutions.rglob("*.py")][:3] + [ROOT / "course.toml"]
    for path in secrets:
        assert probe.read(str(path))[0] == "denied", path
    assert probe.read(str(Path(__file__)))[0] == "denied"  # the tests (checks) folder
    assert probe.listdir("/root")[0] == "denied"


def test_cannot_write_outside_its_directory(probe, tmp_path):
    for target in (tmp_path / "evil.txt", Path("/tmp/tg-evil.txt"), ROOT / "grades.csv"):
        assert probe.write(str(target)) != "written"
        assert not target.exists()


def test_cannot_see_another_students_files(zyg, probe):
    other, other_student = spawn(zyg, "def f():\n    return 1\n", extra={"answer.txt": b"42"})
    try:
        theirs = Path(other.tempdir)
        assert probe.listdir(str(theirs))[0] == "denied"
        assert probe.read(str(theirs / "answer.txt"))[0] == "denied"
        assert probe.read(str(theirs / "sub" / "mod.py"))[0] == "denied"
    finally:
        other.close()


def test_cannot_connect_over_tcp(zyg, probe):
    if zyg.landlock_abi < 4:
        pytest.skip(f"landlock ABI {zyg.landlock_abi} cannot restrict TCP")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        assert probe.connect(server.getsockname()[1]) == "PermissionError"
    finally:
        server.close()


def test_cannot_signal_or_inspect_the_zygote(zyg, probe):
    if zyg.landlock_abi < 6 and os.getuid() != 0:
        pytest.skip("same uid as the judge and landlock < 6: signals are not scoped")
    assert probe.kill(zyg.pid) != "can signal"
    assert probe.kill(os.getpid()) != "can signal"
    assert probe.read(f"/proc/{zyg.pid}/environ")[0] == "denied"
    assert probe.read(f"/proc/{os.getpid()}/environ")[0] == "denied"
    assert zyg.info()["pid"] == zyg.pid  # still alive and answering


def test_environment_is_scrubbed(probe):
    env = probe.env()
    assert set(env) <= {"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "PYTHONDONTWRITEBYTECODE",
                        "CUDA_VISIBLE_DEVICES", "USER", "LOGNAME"}
    assert env["HOME"] == probe.cwd()
    assert not any("grad" in f"{k}={v}".lower() or "pytest" in f"{k}={v}".lower() for k, v in env.items())


SECRET_PREFIXES = ("solutions", "tests", "conftest", "pytest", "_pytest", "grader.checks.runner",
                   "grader.course", "grader.grading")


def test_worker_and_zygote_hold_no_checks_or_solutions(zyg, probe):
    info = zyg.info()
    assert not info["cuda_initialized"]
    for modules in (info["modules"], probe.modules()):
        leaked = [m for m in modules if m.startswith(SECRET_PREFIXES)]
        assert leaked == []
        assert "torch" in modules and "grader.checks.executor" in modules
    # the first optimizer step in a worker would otherwise import dynamo: 0.8 s per student
    assert "torch._dynamo" in info["modules"]


def test_sandbox_level_is_reported(zyg):
    assert zyg.sandbox_level
    if zyg.landlock_abi:
        assert zyg.exposed == [] and "WARNING" not in zyg.sandbox_level
    if zyg.landlock_abi:
        assert zyg.sandbox_level.startswith(f"landlock-abi{zyg.landlock_abi}")
    else:
        assert "NOT confined" in zyg.sandbox_level


def test_bad_file_names_are_refused(zyg):
    before = zyg.info()["workers"]
    for name in ("../escape.py", "/etc/evil.py", "a/../../b.py"):
        with pytest.raises(ValueError, match="refusing"):
            zyg.spawn({name: b"x = 1\n"}, name, "escape", {})
    assert zyg.info()["workers"] == before


def test_files_it_writes_are_capped(zyg):
    worker, student = spawn(zyg, """
        import errno
        def fill(n, mb):
            written = 0
            try:
                for i in range(n):
                    with open(f"junk{i}.bin", "wb") as fh:
                        for _ in range(mb):
                            fh.write(b"z" * (1 << 20))
                            fh.flush()
                            written += 1
            except OSError as exc:
                return [errno.errorcode.get(exc.errno, str(exc.errno)), written]
            return ["ok", written]
    """, limits=Limits(memory_mb=1024, max_processes=64, output_limit_kb=16, file_size_mb=8, scratch_mb=20))
    assert student.fill(1, 9) == ["EFBIG", 8]          # RLIMIT_FSIZE: one file
    if "tmpfs" in zyg.sandbox_level:
        code, written = student.fill(10, 8)              # the private scratch: all files together
        assert code == "ENOSPC" and written < 20
    worker.close()


def test_closing_its_connection_is_a_crash(zyg):
    worker, student = spawn(zyg, """
        import os, stat, time
        def hang_up():
            for fd in range(3, 64):
                try:
                    if stat.S_ISSOCK(os.fstat(fd).st_mode):
                        os.close(fd)
                except OSError:
                    pass
            time.sleep(30)
    """)
    start = time.monotonic()
    with pytest.raises(WorkerCrashed, match="closed the connection"):
        student.hang_up()
    assert time.monotonic() - start < 5
    assert worker.close().killed


def test_ordinary_torch_work_still_runs(zyg):
    """Confinement must not break what course code legitimately does."""
    worker, student = spawn(zyg, """
        import tempfile, torch
        from torch.utils.data import DataLoader, TensorDataset
        def load(workers):
            ds = TensorDataset(torch.arange(20.0))
            return [b[0].sum().item() for b in DataLoader(ds, batch_size=5, num_workers=workers)]
        def save_and_load():
            path = tempfile.mkdtemp() + "/w.pt"
            torch.save({"w": torch.ones(3)}, path)
            return torch.load(path)["w"]
        def whoami():
            import getpass
            return getpass.getuser()
        def train():
            torch.manual_seed(0)
            net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
            opt = torch.optim.SGD(net.parameters(), lr=0.1)
            x, y = torch.randn(32, 4), torch.randn(32, 1)
            for _ in range(5):
                opt.zero_grad()
                loss = torch.nn.functional.mse_loss(net(x), y)
                loss.backward()
                opt.step()
            return loss.item()
    """)
    student.timeout = 60
    assert student.load(0) == [10.0, 35.0, 60.0, 85.0]
    # DataLoader worker processes need a private /dev/shm and unix sockets (which the sandbox
    # only allows where /tmp and /run are hidden from the worker)
    if "tmpfs" in zyg.sandbox_level and ", unix)" not in zyg.sandbox_level:
        assert student.load(2) == [10.0, 35.0, 60.0, 85.0]
    assert torch.equal(student.save_and_load(), torch.ones(3))
    assert student.train() > 0
    assert student.whoami()
    worker.close()


def test_a_sandbox_failure_is_not_blamed_on_the_student(zyg):
    from grader.sandbox import ZygoteError
    # one open file is not enough to build the Landlock ruleset: setup fails before student code
    worker, student = spawn(zyg, "def f():\n    return 1\n",
                            limits=Limits(memory_mb=1024, max_processes=64, output_limit_kb=16, open_files=1))
    with pytest.raises(ZygoteError, match="could not set up"):
        student.f()
    worker.close()
    worker, student = spawn(zyg, "def f():\n    return 1\n")  # the zygote is fine afterwards
    assert student.f() == 1
    worker.close()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU on this machine")
def test_cuda_worker_initialises_its_own_context():
    with Zygote(device="cuda", limits=Limits(memory_mb=8192, max_processes=256, output_limit_kb=16)) as z:
        assert not z.info()["cuda_initialized"]
        worker, student = spawn(z, """
            import torch
            def on_gpu(x):
                y = x.to("cuda") * 2
                return [y.sum().item(), str(y.device), torch.cuda.get_device_name(0)]
            def hog():
                keep = []
                while True:
                    keep.append(bytearray(256 << 20))
                    for i in range(0, len(keep[-1]), 4096):
                        keep[-1][i] = 1
        """)
        student.timeout = 120
        total, device, _name = student.on_gpu(torch.ones(4))
        assert total == 8.0 and device.startswith("cuda")
        assert not z.info()["cuda_initialized"]  # only the worker touched CUDA
        with pytest.raises(OutOfMemory):         # no RLIMIT_AS on CUDA: the judge's RSS watchdog
            student.hog()
        worker.close()


def test_rss_watchdog_of_cuda_mode():
    """On CUDA there is no RLIMIT_AS (the driver maps huge address ranges); the judge watches the
    worker's resident memory instead. The path runs without a GPU too."""
    with Zygote(device="cuda", limits=Limits(memory_mb=300, max_processes=256, output_limit_kb=16)) as z:
        assert "RSS watchdog" in z.sandbox_level
        worker, student = spawn(z, """
            def hog():
                keep = []
                while True:
                    keep.append(bytearray(64 << 20))
            def small():
                return len(bytearray(50 << 20))
        """)
        assert student.small() == 50 << 20
        with pytest.raises(OutOfMemory, match="300 MB"):
            student.hog()
        assert worker.close().signal == signal.SIGKILL


def test_one_zygote_serves_several_threads(zyg):
    import threading
    errors, results = [], []

    def judge(k: int) -> None:
        try:
            for i in range(3):
                worker, student = spawn(zyg, f"def f(x):\n    return x + {k}\n")
                results.append(student.f(i) - i == k)
                worker.close()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
    threads = [threading.Thread(target=judge, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and results == [True] * 12


def test_no_udp_and_no_unix_sockets_of_other_programs(zyg, tmp_path):
    if "seccomp" not in zyg.sandbox_level or "NOT restricted" in zyg.sandbox_level:
        pytest.skip(zyg.sandbox_level)
    path = f"/tmp/tg-test-{os.getpid()}.sock"   # like an ssh-agent or tmux socket
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    os.chmod(path, 0o777)
    server.listen(1)
    worker, student = spawn(zyg, f"""
        import socket
        def unix():
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect({path!r})
                return "connected"
            except OSError as exc:
                return type(exc).__name__
        def udp():
            try:
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"leak", ("127.0.0.1", 9))
                return "sent"
            except OSError as exc:
                return type(exc).__name__
    """)
    try:
        assert student.unix() in ("PermissionError", "FileNotFoundError")
        assert student.udp() == "PermissionError"
    finally:
        worker.close()
        server.close()
        os.unlink(path)


def test_killing_itself_is_a_crash_not_oom(zyg):
    worker, student = spawn(zyg, "import os, signal\ndef f():\n    os.kill(0, signal.SIGKILL)\n")
    with pytest.raises(WorkerCrashed, match="SIGKILL") as info:
        student.f()
    assert not isinstance(info.value, OutOfMemory)
    worker.close()
