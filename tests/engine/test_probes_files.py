"""File probes (scratch_dir, list_dir, read_checkpoint, write_checkpoint) and specs.sgd(record_state=True)."""

import pytest
import torch

from grader.checks import specs
from grader.checks.specs import Opaque
from grader.checks.executor import Executor
from grader.checks.student import LocalTransport, Student

SOURCE = '''
import numpy as np
import torch

def save(path, obj):
    torch.save(obj, path)

def save_state_dict(path):
    torch.save({"epoch": 3, "model_state_dict": torch.nn.Linear(2, 2).state_dict()}, path)

def save_numpy(path):
    torch.save({"acc": [np.float64(0.5)]}, path)

def step_and_return(net, opt):
    net(torch.ones(2, 3)).sum().backward()
    opt.step()
'''


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    path = tmp_path_factory.mktemp("sub") / "mod.py"
    path.write_text(SOURCE)
    return Student(LocalTransport(Executor.from_file(path, "test_probes_files_mod")))


def test_scratch_dir_is_new_and_writable(student):
    a, b = student.probe("scratch_dir"), student.probe("scratch_dir")
    assert a != b and student.probe("list_dir", path=a) == []
    student.save(f"{a}/x.pt", {"w": torch.arange(3)})
    assert student.probe("list_dir", path=a) == ["x.pt"]
    assert student.probe("list_dir", path=f"{a}/missing") == []


def test_read_checkpoint_plain_and_refused(student):
    folder = student.probe("scratch_dir")
    student.save_state_dict(f"{folder}/ok.pt")  # an OrderedDict inside: comes back as a dict
    got = student.probe("read_checkpoint", path=f"{folder}/ok.pt")
    assert got["ok"] and got["value"]["epoch"] == 3 and type(got["value"]["model_state_dict"]) is dict
    student.save_numpy(f"{folder}/np.pt")
    bad = student.probe("read_checkpoint", path=f"{folder}/np.pt")
    assert not bad["ok"] and "UnpicklingError" in bad["error"]
    assert not student.probe("read_checkpoint", path=f"{folder}/none.pt")["ok"]


def test_write_checkpoint_plain_and_unsafe(student, tmp_path):
    folder = student.probe("scratch_dir")
    student.probe("write_checkpoint", path=f"{folder}/w.pt", content={"epoch": 1, "t": torch.ones(2)})
    assert student.probe("read_checkpoint", path=f"{folder}/w.pt")["value"]["epoch"] == 1
    student.probe("write_checkpoint", path=f"{folder}/u.pt", content={"epoch": 1}, unsafe=True)
    assert not student.probe("read_checkpoint", path=f"{folder}/u.pt")["ok"]
    assert torch.load(f"{folder}/u.pt", weights_only=False)["unsafe"] == Opaque("pickled object")


def test_sgd_record_state(student):
    _, rec = student.call_recorded("step_and_return", specs.mlp([3, 2], seed=1),
                                   specs.sgd("net", lr=0.1, momentum=0.9, record_state=True))
    state = rec["updater"]["state_dict"]
    assert set(state["state"]) == {0, 1} and state["param_groups"][0]["momentum"] == 0.9
    _, rec = student.call_recorded("step_and_return", specs.mlp([3, 2], seed=1), specs.sgd("net", lr=0.1))
    assert "state_dict" not in rec["updater"]


def test_sgd_without_step_snapshots(student):
    _, rec = student.call_recorded("step_and_return", specs.mlp([3, 2], seed=1),
                                   specs.sgd("net", lr=0.1, record_steps=False))
    assert rec["updater"]["step_count"] == 1 and "steps" not in rec["updater"]
