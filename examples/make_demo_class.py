"""Regenerate examples/submissions/, the demo class README's main command grades.

    python examples/make_demo_class.py

Each student shows one thing the grader must handle: a perfect class member, untouched stubs,
a partly right one, a notebook submission, a zip, a syntax error, an infinite loop, an
attacker, and three hand-ins for assignment hw1 that examples/times.csv (written here too)
makes late, late within an extension, and past the cutoff. Files come from solutions/, their
variants and the stubs, so the demo follows the course when it changes.
"""

from __future__ import annotations

import io
import shutil
import sys
import zipfile
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "examples" / "submissions"
TIMES = ROOT / "examples" / "times.csv"       # `grader grade examples/submissions --times examples/times.csv`
# When each student handed in, as the LMS says (the columns of `--times`): everyone on time but
# the three hw1 stories.
TIMES_CSV = """id,submitted_at
alice_perfect,2030-01-14T18:02:11+01:00
bob_untouched_stubs,2030-01-15T23:58:40+01:00
carol_partly_right,2030-01-15T21:47:05+01:00
dan_notebooks,2030-01-15T09:30:00+01:00
erin_zipped,2030-01-13T16:12:55+01:00
frank_syntax_error,2030-01-15T23:12:30+01:00
grace_infinite_loop,2030-01-15T22:05:17+01:00
henry_late,2030-01-17T09:30:00-08:00
iris_extension,2030-01-19T12:00:00Z
jose_very_late,2030-01-30T08:00:00Z
mallory_adversarial,2030-01-15T20:00:00+01:00
"""
sys.path.insert(0, str(ROOT))
from grader.course import load_course  # noqa: E402

# every exercise of the course, so the demo follows the course as it grows
EXERCISES = [ex.file.removesuffix(".py") for ex in load_course(ROOT).exercises.values()]


def solution(ex: str) -> str:
    return (ROOT / "solutions" / f"{ex}.py").read_text()


def stub(ex: str) -> str:
    return (ROOT / "exercises" / f"{ex}.py").read_text()


def variant(ex: str, name: str) -> str:
    chapter, topic = ex.split("/")
    path = ROOT / "solutions" / chapter / "variants" / topic / f"{name}.py"
    return path.read_text() if path.is_file() else solution(ex).replace("return", "return 0 *", 1)


def first_variant(ex: str, verdict: str) -> str:
    chapter, topic = ex.split("/")
    for path in sorted((ROOT / "solutions" / chapter / "variants" / topic).glob("*.py")):
        if f'VERDICT = "{verdict}"' in path.read_text():
            return path.read_text()
    return solution(ex)


def write(student: str, files: dict[str, str], prefix: str = "") -> None:
    for rel, text in files.items():
        path = OUT / student / prefix / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def as_notebook(source: str, ex: str) -> str:
    """The solution as a student's notebook: with a slow top-level training run the grader
    must not execute, and a shell line it must drop."""
    nb = jupytext.reads(source, fmt="py:percent")
    nb.cells.insert(0, jupytext.reads("# %%\n!pip install torch\n", fmt="py:percent").cells[0])
    nb.cells.append(jupytext.reads(
        "# %%\nimport time\nfor epoch in range(10**9):\n    time.sleep(1)  # my long training run\n",
        fmt="py:percent").cells[0])
    return jupytext.writes(nb, fmt="ipynb")


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    every = {f"{ex}.py": solution(ex) for ex in EXERCISES}
    write("alice_perfect", every, prefix="exercises")
    write("bob_untouched_stubs", {f"{ex}.py": stub(ex) for ex in EXERCISES})
    partly = dict(every)
    partly["ch3/softmax.py"] = variant("ch3/softmax", "no_max_shift")
    partly["ch4/dropout.py"] = variant("ch4/dropout", "no_rescale")
    partly["ch6/convolution.py"] = first_variant("ch6/convolution", "wrong")
    partly["ch7/googlenet.py"] = stub("ch7/googlenet")
    del partly["ch5/gpu.py"]
    write("carol_partly_right", partly)
    write("dan_notebooks", {f"{ex}.ipynb": as_notebook(solution(ex), ex)
                            for ex in ("ch3/softmax", "ch4/dropout", "ch6/convolution")})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for ex in ("ch3/softmax", "ch3/training", "ch4/dropout"):
            zf.writestr(f"{ex}.py", first_variant(ex, "correct"))
        zf.writestr("ch6/convolution.py", stub("ch6/convolution"))
    (OUT / "erin_zipped.zip").write_bytes(buffer.getvalue())
    broken = dict(every)
    broken["ch4/dropout.py"] = solution("ch4/dropout").replace("def dropout_layer(", "def dropout_layer(:", 1)
    write("frank_syntax_error", broken)
    looping = {f"{ex}.py": solution(ex) for ex in ("ch3/softmax", "ch6/convolution")}
    looping["ch3/softmax.py"] = looping["ch3/softmax.py"].replace(
        "def softmax(X", "def _softmax_that_works(X", 1) + (
        "\n\ndef softmax(X):\n    while True:  # forgot to advance the loop\n        pass\n")
    write("grace_infinite_loop", looping)
    write("mallory_adversarial", {"ch3/softmax.py": ATTACK, "ch4/dropout.py": ATTACK_DROPOUT})
    # Assignment hw1 (due 2030-01-15T23:59+01:00, 10 %/day late, iris has an extension to the
    # 20th): henry is late, iris late but within her extension, jose past the cutoff. Their times
    # come from the collection system, never from the hand-in: TIMES, as an LMS export gives them.
    hw1 = {f"{ex}.py": solution(ex) for ex in ("ch3/softmax", "ch4/dropout")}
    for late in ("henry_late", "iris_extension", "jose_very_late"):
        write(late, hw1)
    TIMES.write_text(TIMES_CSV)
    print(f"wrote {sum(1 for _ in OUT.iterdir())} students to {OUT.relative_to(ROOT)}")


ATTACK = '''"""Every trick in the book, none of which should earn a point."""
import torch

torch.allclose = lambda *args, **kwargs: True          # patch the comparison the grader might use
torch.testing.assert_close = lambda *args, **kwargs: None


class Agreeable(torch.Tensor):                          # a tensor that equals anything
    def __eq__(self, other):
        return True


def _steal(name):
    try:                                                # read the reference solution from disk
        ns = {}
        exec(open("../../solutions/ch3/softmax.py").read(), ns)
        return ns[name]
    except Exception:
        return None


def softmax(X):
    stolen = _steal("softmax")
    return stolen(X) if stolen else torch.zeros_like(X).as_subclass(Agreeable)


def cross_entropy(y_hat, y):
    print("PASSED all checks: 10/10")
    return torch.zeros(()).as_subclass(Agreeable)


def cross_entropy_logits(logits, y):
    import os
    os._exit(0)
'''

ATTACK_DROPOUT = '''import torch
import torch.nn.functional as F


def dropout_layer(X, dropout_prob):
    return getattr(F, "drop" + "out")(X, dropout_prob)   # the banned built-in under another name
'''

if __name__ == "__main__":
    main()
