"""Local checks (plain pytest, check()) do not depend on a quiet machine: torch's lazy imports
are not charged to the first check, an alarm never interrupts an import, waiting for a CPU is
not charged, and a timeout leaves the process usable for the next check."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from grader.checks.executor import Executor
from grader.checks.student import LocalTransport, Student

STUDENT = textwrap.dedent('''
    import time
    import torch

    def imports_slowly():
        import torchgrade_slow_module
        return torchgrade_slow_module.VALUE

    def computes_for(cpu_seconds):
        start = time.thread_time()
        while time.thread_time() - start < cpu_seconds:
            pass
        return 1

    def changes_torch_then_hangs():
        torch.set_default_dtype(torch.float64)
        while True:
            pass

    def ones():
        return torch.ones(2)
''')


@pytest.fixture
def student(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Student:
    (tmp_path / "torchgrade_slow_module.py").write_text("import time\ntime.sleep(1.5)\nVALUE = 7\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "torchgrade_slow_module", raising=False)
    path = tmp_path / "answer.py"
    path.write_text(STUDENT)
    return Student(LocalTransport(Executor.from_file(path, "torchgrade_local_limits_answer")), timeout=0.5)


def test_an_alarm_waits_for_the_import_it_lands_in(student):
    assert student.imports_slowly() == 7


def test_waiting_for_a_cpu_is_not_charged(student):
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2 * cores)]
    try:
        time.sleep(0.2)
        student.timeout = 1.0
        start = time.monotonic()
        assert student.computes_for(0.6) == 1   # 0.6 s of work in a 1 s limit, whatever the wall clock says
        took = time.monotonic() - start
    finally:
        for b in burners:
            b.kill()
            b.wait()
    assert took > 1.0, f"the machine was not loaded enough to test anything ({took:.2f} s)"


def test_a_timeout_leaves_the_process_usable(student):
    from grader.checks.student_errors import StudentTimeout
    with pytest.raises(StudentTimeout):
        student.changes_torch_then_hangs()
    assert torch.get_default_dtype() == torch.float32
    assert torch.equal(student.ones(), torch.ones(2))


SLOW_SYMPY = textwrap.dedent('''
    # torch's lazy imports on a busy laptop: sympy (imported the first time an op runs under the
    # ban guard's dispatch modes) takes longer than a whole check may
    import importlib.abc
    import sys
    import time

    class SlowSympy(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name == "sympy":
                time.sleep(2.5)
            return None

    sys.meta_path.insert(0, SlowSympy())
''')


def test_a_correct_answer_keeps_full_points_when_lazy_imports_are_slow(one_exercise_course):
    tmp_path = one_exercise_course("ch4.dropout", check_timeout=1)
    (tmp_path / "conftest.py").write_text(SLOW_SYMPY)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--solution",
                          "exercises/ch4/test_dropout.py"], cwd=tmp_path, capture_output=True, text=True,
                         env=env, timeout=300)
    assert "ch4.dropout: 8/8 visible points" in run.stdout, run.stdout[-3000:] + run.stderr[-2000:]


def test_the_warm_up_leaves_grad_mode_and_random_state_alone(monkeypatch):
    from grader.checks import student as student_module
    monkeypatch.setattr(student_module, "_warmed", False)
    torch.manual_seed(3)
    expected = torch.rand(3)
    torch.manual_seed(3)
    with torch.no_grad():   # a check may call the student with gradients off
        student_module.warm_torch()
        assert not torch.is_grad_enabled()
    assert torch.equal(torch.rand(3), expected)
