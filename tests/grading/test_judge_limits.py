"""The judge's own limits: check budgets derived from the reference's time (a sleeping
submission costs seconds, not the course's timeout per call) and a memory cap that turns a reply
the judge cannot hold into that student's failure."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path


def _kit():
    import importlib.util
    spec = importlib.util.spec_from_file_location("grading_test_kit", Path(__file__).with_name("kit.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


K = _kit()
ROOT = Path(__file__).resolve().parents[2]
# correct answers, each after a nap just under the course's 10 s check timeout
SLEEPER = K.SOLUTION.replace("def add(a, b):\n", "def add(a, b):\n    import time\n    time.sleep(9)\n") \
    .replace("def scale(x, factor):\n", "def scale(x, factor):\n    import time\n    time.sleep(9)\n")


# correct answers after computing (not waiting) well past the 1 s budget: slow code is not wrong
BUSY = K.SOLUTION.replace("def add(a, b):\n", "def add(a, b):\n    import time\n    t = time.monotonic()\n"
                          "    while time.monotonic() - t < 2.5:\n        pass\n")


def test_a_submission_sleeping_in_every_call_costs_seconds(tmp_path):
    course = K.make_course(tmp_path / "course")
    toml = course / "course.toml"
    toml.write_text(toml.read_text().replace("check_timeout = 3", "check_timeout = 10")
                    .replace("submission_timeout = 30", "submission_timeout = 120"))
    subs = tmp_path / "subs"
    # graded first, so that waiting for the sandbox to start is charged to nobody we compare
    K.write(subs / "a_first" / "ch1" / "basics.py", K.SOLUTION)
    K.write(subs / "sleeper" / "ch1" / "basics.py", SLEEPER)
    K.write(subs / "wrong" / "ch1" / "basics.py", K.WRONG)
    K.write(subs / "right" / "ch1" / "basics.py", K.SOLUTION)
    K.write(subs / "busy" / "ch1" / "basics.py", BUSY)
    proc = K.run_grader(course, subs, "--out", tmp_path / "out", "--only", "ch1.basics", "--jobs", "1")
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = {r["student"]: r for r in json.loads((tmp_path / "out" / "grades.json").read_text())["students"]}
    sleeper, wrong = rows["sleeper"]["exercises"]["ch1.basics"], rows["wrong"]["exercises"]["ch1.basics"]
    assert rows["right"]["total"] == 4.0
    assert rows["busy"]["total"] == 4.0, rows["busy"]["exercises"]["ch1.basics"]["checks"]
    assert sleeper["score"] == 0.0
    assert all(c["status"] == "timeout" for c in sleeper["checks"])
    # three checks at 9 s each used to hold the judge 27 s; now each gets about 1 s
    assert sleeper["seconds"] < wrong["seconds"] + 6, (sleeper["seconds"], wrong["seconds"])


def test_the_judge_runs_under_its_own_memory_cap():
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from grader.grading.judge import JudgeSettings, limit_judge_memory
        s = JudgeSettings(course_root=Path("."), exercises=(), device="cpu", submission_timeout=1,
                          check_timeout=1, gpu_policy="skip", memory_mb=256, max_processes=8,
                          output_limit_kb=1)
        assert limit_judge_memory(s)
        try:
            hog = bytearray(8 << 30)
        except MemoryError:
            print("MemoryError")
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "MemoryError", proc.stderr[-2000:]
