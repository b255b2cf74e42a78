"""Issue 8, class 1 beyond ch3.softmax: faked measurements and hidden modules, graded in one real
`grader grade` run. Each attack has an honest twin that gives the same answers without the
trick; the attack must score exactly what its twin scores (the trick gains nothing), and less
than the reference solution.

- fake_matmul_time: patches `statistics.median` in its worker, so the engine's matmul probe
  there would agree with the constant its time_matmul reports; the probe runs in a worker that
  never imports the submission.
- fake_gpu: makes `torch.cuda.is_available()` true in its worker and claims cuda:0; the device
  facts come from the probe worker.
- hidden_dropout: DropoutMLP uses nn.Dropout and hides it from `named_modules` (a class-level
  override, and a subclass renamed to look like something else).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GPU = (ROOT / "solutions/ch5/gpu.py").read_text()
DROPOUT = (ROOT / "solutions/ch4/dropout.py").read_text()

CONSTANT_TIME = '''
def time_matmul(n, device, repeats=10):
    return 2.0
'''
FAKE_MEDIAN = '''
import statistics
statistics.median = lambda values: 2.0
'''
CLAIM_GPU = '''
import torch as _torch
def try_gpu(i=0):
    return _torch.device("cuda", i) if i == 0 else _torch.device("cpu")
def gpu_speedup(n=4096, repeats=10):
    raise RuntimeError("no GPU")
'''
FAKE_CUDA = '''
import torch as _t
_t.cuda.is_available = lambda: True
_t.cuda.device_count = lambda: 1
_t.cuda.get_device_name = lambda *a: "NVIDIA H100"
'''
OPEN_DROPOUT = '''
class DropoutMLP(nn.Module):
    def __init__(self, num_inputs, num_outputs, num_hiddens1, num_hiddens2, dropout1, dropout2):
        super().__init__()
        self.num_inputs = num_inputs
        self.lin1 = nn.Linear(num_inputs, num_hiddens1)
        self.lin2 = nn.Linear(num_hiddens1, num_hiddens2)
        self.lin3 = nn.Linear(num_hiddens2, num_outputs)
        self.relu = nn.ReLU()
        self.drop1 = Quiet(dropout1)
        self.drop2 = Quiet(dropout2)
    def forward(self, X):
        H1 = self.drop1(self.relu(self.lin1(X.reshape(-1, self.num_inputs))))
        H2 = self.drop2(self.relu(self.lin2(H1)))
        return self.lin3(H2)
'''
HIDE = '''
class Quiet(nn.Dropout):
    pass
Quiet.__name__ = Quiet.__qualname__ = "Identity"
_all = nn.Module.named_modules
def _named_modules(self, *a, **k):
    return ((n, m) for n, m in _all(self, *a, **k) if not isinstance(m, nn.Dropout))
'''

STUDENTS = {
    "reference_gpu": {"ch5/gpu.py": GPU},
    "fake_matmul_time": {"ch5/gpu.py": GPU + FAKE_MEDIAN + CONSTANT_TIME},
    "twin_matmul_time": {"ch5/gpu.py": GPU + CONSTANT_TIME},
    "fake_gpu": {"ch5/gpu.py": GPU + FAKE_CUDA + CLAIM_GPU},
    "twin_gpu": {"ch5/gpu.py": GPU + CLAIM_GPU},
    "reference_dropout": {"ch4/dropout.py": DROPOUT},
    "hidden_dropout": {"ch4/dropout.py": DROPOUT + HIDE + OPEN_DROPOUT
                       + "DropoutMLP.named_modules = _named_modules\n"},
    "twin_dropout": {"ch4/dropout.py": DROPOUT + "Quiet = nn.Dropout\n" + OPEN_DROPOUT},
}
TWINS = [("fake_matmul_time", "twin_matmul_time", "reference_gpu", "ch5.gpu"),
         ("fake_gpu", "twin_gpu", "reference_gpu", "ch5.gpu"),
         ("hidden_dropout", "twin_dropout", "reference_dropout", "ch4.dropout")]


@pytest.fixture(scope="module")
def rows(grade_class):
    out = grade_class(STUDENTS, ("ch5.gpu", "ch4.dropout"), timeout=120)
    with open(out / "grades.csv", newline="") as f:
        counted = {row["student"]: row for row in csv.DictReader(f)}
    # the checks' points, before a hold of the judge's review (grades.csv counts a held exercise 0)
    raw = {s["student"]: {e: v["score"] for e, v in s["exercises"].items()}
           for s in json.loads((out / "grades.json").read_text())["students"]}
    return counted, raw


@pytest.mark.parametrize("attack, twin, reference, exercise", TWINS)
def test_a_faked_measurement_scores_like_its_honest_twin(rows, attack, twin, reference, exercise):
    counted, raw = rows
    got, honest, full = (float(raw[n][exercise]) for n in (attack, twin, reference))
    assert got == honest, (attack, got, twin, honest)
    assert got < full, (attack, got, full)
    # what counts is never more than the twin's (a fake that uses tools outside the course is held)
    assert float(counted[attack][exercise] or 0) <= float(counted[twin][exercise]), (attack, counted[attack])
