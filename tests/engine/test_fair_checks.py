"""Engine pieces that keep checks fair to real code: lazy modules materialised once
(`_input_shape`), matrix products counted (`_count_ops`), device-keeping on the meta device, and
validate's LOSES_ONLY for a slip one check is about."""

import textwrap

import pytest
import torch

from grader.checks import expect
from grader.checks.executor import Executor
from grader.checks.expect import CheckFailure
from grader.checks.student import LocalTransport, Student
from grader.validate import _literal_assignments

SOURCE = '''
import time
import torch
from torch import nn

def lazy_mlp():
    return nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.Dropout(0.5), nn.LazyLinear(3))

def lazy_bn():
    return nn.Sequential(nn.LazyLinear(4), nn.BatchNorm1d(4))

def eager():
    return nn.Linear(5, 3)

def cpu_zeros(X):
    return torch.zeros(X.shape) + X

def keeps(X):
    return torch.zeros_like(X) + X

def products(n, repeats, dtype=torch.float32):
    x = torch.rand(n, n, dtype=dtype)
    x @ x
    for _ in range(repeats):
        torch.mm(x, x)
    return 0.5

def accuracy(net, batches, device, move=True):
    correct = 0
    for X, y in batches:
        if move:
            X, y = X.to(device), y.to(device)
        correct += int((net(X).argmax(1) == y).sum())
    return correct / sum(len(y) for _, y in batches)

def meta_net():
    return nn.Linear(4, 3, device="meta")
'''


@pytest.fixture
def student(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text(textwrap.dedent(SOURCE))
    return Student(LocalTransport(Executor.from_file(path, "tg_fair_checks_mod")))


def test_lazy_module_has_shapes_before_any_forward(student):
    h = student.lazy_mlp(_input_shape=(2, 6))
    assert h.num_params() == 6 * 8 + 8 + 8 * 3 + 3
    assert {k: tuple(v.shape) for k, v in h.state_dict().items()}["0.weight"] == (8, 6)
    assert [m["type"] for m in h.modules()][1] == "Linear"
    assert h.training is True  # materialised in eval mode, handed back in its own mode


def test_materialising_moves_no_random_stream_and_no_statistics(student):
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    h = student.lazy_bn(_input_shape=(3, 2))
    assert torch.equal(torch.rand(3), expected)
    sd = h.state_dict()
    assert torch.equal(sd["1.running_mean"], torch.zeros(4)) and int(sd["1.num_batches_tracked"]) == 0


def test_lazy_module_on_meta_and_eager_module_untouched(student):
    h = student.lazy_mlp(_device="meta", _input_shape=(1, 4))
    assert h.num_params() == 4 * 8 + 8 + 8 * 3 + 3
    assert all(v.device.type == "meta" for v in h.state_dict().values())
    assert student.eager(_input_shape=(1, 99)).num_params() == 18


def test_without_input_shape_a_lazy_module_stays_lazy(student):
    with pytest.raises(Exception):
        student.lazy_mlp().num_params()


def test_products_are_counted_by_dtype_whatever_the_spelling(student):
    _, rec = student.call_recorded("products", 8, 4, _count_ops=["mm"])
    assert rec["ops"] == {"mm": {"float32": 5}}
    _, rec = student.call_recorded("products", 8, 0, torch.float64, _count_ops=["mm"])
    assert rec["ops"] == {"mm": {"float64": 1}}
    _, rec = student.call_recorded("products", 8, 1)
    assert "ops" not in rec


def test_meta_device_catches_a_tensor_made_on_the_cpu(student):
    X = torch.empty(3, 4, device="meta")
    out = expect.keeps_meta_device(lambda: student.keeps(X), "keeps(X)")
    assert out.device.type == "meta"
    with pytest.raises(CheckFailure, match="create every tensor on the input's device"):
        expect.keeps_meta_device(lambda: student.cpu_zeros(X), "cpu_zeros(X)")


def test_meta_device_catches_batches_that_are_never_moved(student):
    batches = [(torch.randn(2, 4), torch.tensor([0, 1]))]
    net = student.meta_net()
    # moved: it computed on meta and stopped only where it read the count out (.item())
    expect.runs_on_meta_device(lambda: student.accuracy(net, batches, "meta"), "accuracy")
    with pytest.raises(CheckFailure, match="move every batch and every layer to the device"):
        expect.runs_on_meta_device(lambda: student.accuracy(net, batches, "meta", move=False), "accuracy")


def test_loses_only_is_read_from_a_variant(tmp_path):
    path = tmp_path / "v.py"
    path.write_text('"""Wrong in naming only."""\nVERDICT = "wrong"\nLOSES_ONLY = ["test_names"]\n')
    values, doc = _literal_assignments(path)
    assert values["LOSES_ONLY"] == ["test_names"] and doc == "Wrong in naming only."


def test_passes_over_a_built_loader_leave_the_global_generator_alone():
    from grader.checks import specs
    from grader.checks.specs import BuildContext

    ctx = BuildContext()
    loader = ctx.materialize([specs.loader(n=20, batch_size=4, seed=3, label="test")])[0]
    torch.manual_seed(1)
    expected = torch.rand(2)
    torch.manual_seed(1)
    for _ in range(3):
        list(loader)
    assert torch.equal(torch.rand(2), expected)
    assert ctx.records()["test"] == {"iterations": 3, "batches": 15}


def test_a_file_importing_d2l_is_one_line_of_feedback(tmp_path):
    from dataclasses import replace
    from pathlib import Path

    from grader.checks.student_errors import NO_D2L
    from grader.checks.runner import collect_checks, load_reference, run_checks
    from grader.course import load_course
    from grader.grading.final import exercise_grade
    from grader.reports.grades import _exercise_feedback
    from grader.results import ExerciseResult

    course = load_course(Path(__file__).resolve().parents[2])
    ex = course.exercise("ch3.softmax")
    path = tmp_path / "softmax.py"
    path.write_text("from d2l import torch as d2l\n\ndef softmax(X):\n    return d2l.softmax(X)\n")
    student = Student(LocalTransport(Executor.from_file(path, "tg_fair_d2l")), ex)
    results = run_checks(collect_checks(course, ex.id, hidden=True), student,
                         reference_module=load_reference(ex), device=torch.device("cpu"),
                         gpu_policy="skip", gpu_available=False)
    assert results and all(r.summary == NO_D2L for r in results)
    entry = ExerciseResult("graded", score=0, max=10, checks=[replace(r, title=r.name) for r in results])
    part = exercise_grade(entry, 10, None, None, "withhold")
    text = "\n".join(_exercise_feedback(ex.id, entry, part, course))
    assert text.count("d2l package") == 1 and "❌" not in text


def test_a_wrong_mode_names_the_call_and_the_expected_mode():
    with pytest.raises(CheckFailure, match=r"at call 3 of 4 expected True, got False"):
        expect.equal([True, True, False, False], [True, True, True, False], what="net.training")
    with pytest.raises(CheckFailure, match=r"expected 4 calls, got 2 \(the first 2 agree\)"):
        expect.equal([True, True], [True, True, True, False], what="net.training")
    with pytest.raises(CheckFailure, match=r"final mode: is True, expected False"):
        expect.equal(True, False, what="final mode")


def _results(exercise_id: str, variant: str, names: set[str]) -> dict[str, str]:
    from pathlib import Path

    from grader.checks.runner import collect_checks, load_reference, run_checks
    from grader.course import load_course

    course = load_course(Path(__file__).resolve().parents[2])
    ex = course.exercise(exercise_id)
    checks = [c for c in collect_checks(course, ex.id, hidden=True) if c.name in names]
    path = ex.variants_dir / f"{variant}.py"
    student = Student(LocalTransport(Executor.from_file(path, f"tg_fair_{variant}", forbid=ex.forbid)), ex)
    results = run_checks(checks, student, reference_module=load_reference(ex), device=torch.device("cpu"),
                         gpu_policy="skip", gpu_available=False)
    return {r.name: r.status for r in results}


def test_a_train_epoch_bug_is_not_charged_by_every_train_check():
    got = _results("ch3.training", "mean_reduction_only",
                   {"test_train_epoch_none_loss", "test_train_history_values"})
    assert got == {"test_train_epoch_none_loss": "error", "test_train_history_values": "passed"}


def _all_checks(exercise_id: str) -> set[str]:
    from pathlib import Path

    from grader.checks.runner import collect_checks
    from grader.course import load_course

    return {c.name for c in collect_checks(load_course(Path(__file__).resolve().parents[2]), exercise_id, hidden=True)}


def test_an_accuracy_that_returns_a_tensor_costs_only_the_accuracy_check():
    # every metric built from it is a tensor too: the metric checks compare numbers, and the
    # check of the metrics' type stands down when the student's own accuracy is the cause
    got = _results("ch3.training", "accuracy_tensor", _all_checks("ch3.training"))
    assert {k for k, v in got.items() if v != "passed"} == {"test_accuracy_known_values"}


def test_a_renamed_inception_loses_only_the_naming_check():
    got = _results("ch7.googlenet", "renamed_paths", {"test_inception_submodules", "test_inception_matches_reference",
                                                      "test_inception_gradients", "test_googlenet_matches_reference"})
    assert got == {"test_inception_submodules": "failed", "test_inception_matches_reference": "passed",
                   "test_inception_gradients": "passed", "test_googlenet_matches_reference": "passed"}


def test_renamed_dropout_layers_lose_only_the_naming_check():
    got = _results("ch4.dropout", "renamed_layers", _all_checks("ch4.dropout"))
    # the names are one check's clause (mlp_names): the hidden layer check finds the layers by position
    assert {k for k, v in got.items() if v != "passed"} == {"test_mlp_layer_names"}
