"""The student proxy in local mode: statuses, forbidden calls by any name, handles, builds."""

import textwrap

import pytest
import torch

from grader.checks import specs, expect, reference_call
from grader.checks.student_errors import (ForbiddenCall, LoadError, MissingSymbol, NotPlainData,
                                  StudentException)
from grader.checks.executor import Executor
from grader.checks.student import LocalTransport, Student

SOURCE = '''
import torch
import torch.nn.functional as F
from torch import nn
from torch._C import DisableTorchFunction as DTF

def good(X):
    e = (X - X.max(1, keepdim=True).values).exp()
    return e / e.sum(1, keepdim=True)

def direct(X): return F.softmax(X, dim=1)
def renamed(X): return getattr(F, "soft" + "max")(X, 1)
def method(X): return X.softmax(1)
def via_ops(X): return torch.ops.aten._softmax(X, 1, False)
def via_module(X): return nn.Softmax(dim=1)(X)
def swallowed(X):
    try:
        return F.softmax(X, 1)
    except BaseException:
        return good(X)
def no_torch_function(X):
    with torch._C.DisableTorchFunction():
        return torch.softmax(X, 1)
def dropout_no_torch_function(X):
    with DTF():  # bound at import time, before any guard was active
        return F.dropout(X, 0.5, True)
def dropout_popped_modes(X):
    with torch.overrides._pop_mode_temporarily():
        with torch.utils._python_dispatch._disable_current_modes():
            return F.dropout(X, 0.5, True)
def dropout_raw_pop(X):
    mode = torch._C._pop_torch_function_stack()
    try:
        return F.dropout(X, 0.5, True)
    finally:
        torch._C._push_on_torch_function_stack(mode)
def switch_off_when_nothing_is_forbidden(X):
    with torch._C.DisableTorchFunction():
        return torch.softmax(X, 1)
def pooled(X): return F.max_pool2d(X, 2)
def stub(X): raise NotImplementedError("use exp and sum")
def raises_value(X): raise ValueError("bad p")
def exits(X): raise SystemExit(0)
def change_global_state(X):
    torch.set_default_dtype(torch.float64)
    torch.set_grad_enabled(False)
    return 1
def default_dtype(X): return str(torch.get_default_dtype()) + str(torch.is_grad_enabled())
def random_draw(X): return torch.rand(3)

class Net(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.lin1 = nn.Linear(n, 2)
    def forward(self, x):
        return torch.relu(self.lin1(x))

def fit(net, loader, loss, updater):
    net.train()
    for X, y in loader:
        updater.zero_grad()
        loss(net(X), y).mean().backward()
        updater.step()
    return len(loader)
'''

FORBID = {name: ("softmax", "_softmax", "log_softmax") for name in
          ("direct", "renamed", "method", "via_ops", "via_module", "swallowed", "no_torch_function", "good")}
FORBID["pooled"] = ("max_pool2d", "max_pool2d_with_indices")
FORBID.update({name: ("dropout", "native_dropout", "Dropout") for name in
               ("dropout_no_torch_function", "dropout_popped_modes", "dropout_raw_pop")})


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    path = tmp_path_factory.mktemp("sub") / "mod.py"
    path.write_text(SOURCE)
    return Student(LocalTransport(Executor.from_file(path, "test_executor_mod", forbid=FORBID)))


def test_good_function_passes_with_guard_on(student):
    X = torch.randn(3, 4)
    expect.close(student.good(X), torch.softmax(X, 1))


@pytest.mark.parametrize("name", ["direct", "renamed", "method", "via_ops", "via_module", "swallowed"])
def test_forbidden_builtin_caught_under_any_name(student, name):
    with pytest.raises(ForbiddenCall) as err:
        student.call(name, torch.randn(2, 3))
    assert "softmax" in err.value.call and err.value.status == "forbidden"


def test_a_wrapped_builtin_is_named_as_the_student_wrote_it(student):
    # F.max_pool2d is torch's boolean_dispatch.<locals>.fn: the student wrote max_pool2d
    with pytest.raises(ForbiddenCall) as err:
        student.pooled(torch.randn(1, 1, 4, 4))
    assert err.value.call == "torch.nn.functional.max_pool2d"
    assert "<locals>" not in err.value.message


@pytest.mark.parametrize("name", ["no_torch_function", "dropout_no_torch_function", "dropout_popped_modes",
                                  "dropout_raw_pop"])
def test_switching_the_guard_off_is_itself_forbidden(student, name):
    # A CPU dropout decomposes into bernoulli_ and mul before the dispatch backstop sees it, so
    # without the switch wrappers these would pass as hand-written dropout.
    with pytest.raises(ForbiddenCall, match="hides torch calls from the checks") as err:
        student.call(name, torch.randn(2, 3))
    assert err.value.status == "forbidden"


def test_switching_modes_off_is_fine_where_nothing_is_forbidden(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text(SOURCE)
    unbanned = Student(LocalTransport(Executor.from_file(path, "test_executor_unbanned", forbid={})))
    X = torch.randn(2, 3)
    expect.close(unbanned.switch_off_when_nothing_is_forbidden(X), torch.softmax(X, 1))


def test_in_an_exercise_with_bans_switching_modes_off_is_refused_everywhere(student):
    # a switch made outside the banned call (at import, in a thread, in another function) would
    # carry over into it
    with pytest.raises(ForbiddenCall, match="hides torch calls from the checks"):
        student.switch_off_when_nothing_is_forbidden(torch.randn(2, 3))


def test_exceptions_become_statuses(student):
    with pytest.raises(StudentException, match="not implemented yet: use exp and sum"):
        student.stub(torch.ones(1))
    with pytest.raises(MissingSymbol, match="not defined"):
        student.nothing_here(1)
    with pytest.raises(StudentException, match="exit"):
        student.exits(1)
    with expect.raises(ValueError):
        student.raises_value(1)
    with pytest.raises(AssertionError, match="expected KeyError"):
        with expect.raises(KeyError):
            student.raises_value(1)


def test_global_state_is_reset_between_calls(student):
    student.change_global_state(1)
    assert student.default_dtype(1) == "torch.float32True"


def test_seed_reproduces_the_same_stream(student):
    assert torch.equal(student.random_draw(0, _seed=3), student.random_draw(0, _seed=3))
    torch.manual_seed(3)
    expected = torch.rand(3)
    assert torch.equal(student.random_draw(0, _seed=3), expected)


def test_handles(student):
    h = student.Net(3)
    assert h.num_params() == 8 and h.training
    assert [m["name"] for m in h.modules()] == ["", "lin1"]
    assert h.modules()[1]["in_features"] == 3
    sd = h.state_dict()
    X = torch.randn(5, 3)
    expect.close(h(X), torch.relu(X @ sd["lin1.weight"].T + sd["lin1.bias"]))
    out = h.backward(X)
    assert set(out["grads"]) == {"lin1.weight", "lin1.bias"} and out["input_grads"][0].shape == (5, 3)
    h.eval()
    assert not h.training
    assert h.child("lin1").type_name == "Linear"


def test_builds_record_and_match_reference(student, tmp_path):
    args = (specs.mlp([4, 6, 3], seed=1), specs.loader(n=20, shape=(4,), batch_size=8, seed=2),
            specs.loss(reduction="none"), specs.sgd("net", lr=0.1))
    value, records = student.call_recorded("fit", *args)
    assert value == 3
    assert records["updater"]["zero_grad_calls"] == 3 and len(records["updater"]["steps"]) == 3
    assert records["loader"] == {"iterations": 1, "batches": 3}
    assert records["net"]["modes"] == [True, True, True]
    ns: dict = {}
    exec(SOURCE, ns)
    ref_value, ref_records = reference_call(ns["fit"], *args)
    expect.close(records, ref_records)


def test_load_error_reported_on_every_call(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("def f(:\n")
    s = Student(LocalTransport(Executor.from_file(path, "broken_mod")))
    with pytest.raises(LoadError, match="syntax error in broken.py line 1"):
        s.f()


def test_exit_at_import_is_a_load_error(tmp_path):
    path = tmp_path / "exits.py"
    path.write_text("import sys\nsys.exit(0)\n")
    s = Student(LocalTransport(Executor.from_file(path, "exits_mod")))
    with pytest.raises(LoadError, match="exit"):
        s.f()


def test_missing_file(tmp_path):
    s = Student(LocalTransport(Executor.from_file(tmp_path / "nope.py", "nope_mod")))
    with pytest.raises(LoadError, match="not found"):
        s.f()


def test_args_after_shows_in_place_changes(tmp_path):
    path = tmp_path / "inplace.py"
    path.write_text("def f(x):\n    x.mul_(2)\n    return x\n\ndef g(x):\n    return x * 2\n")
    s = Student(LocalTransport(Executor.from_file(path, "inplace_mod")))
    _, rec = s.call_recorded("f", torch.ones(2))
    assert torch.equal(rec["args_after"][0], torch.full((2,), 2.0))
    _, rec = s.call_recorded("g", torch.ones(2))
    assert torch.equal(rec["args_after"][0], torch.ones(2))


def test_forbid_reaches_handle_calls(student):
    h = student.Net(3)
    with pytest.raises(ForbiddenCall, match="relu"):
        h(torch.randn(2, 3), _forbid=["relu"])
    with pytest.raises(ForbiddenCall):
        h.backward(torch.randn(2, 3), _forbid=["relu"])


def test_builds_inside_sets_and_dict_keys(tmp_path):
    path = tmp_path / "ident.py"
    path.write_text("def ident(x):\n    return x\n")
    s = Student(LocalTransport(Executor.from_file(path, "ident_mod")))
    back = s.ident({specs.movable(device="meta"): {specs.opaque("o")}})
    (key, value), = back.items()
    assert key.device == "meta" and {v.tag for v in value} == {"o"}


def test_failed_allocation_is_out_of_memory(tmp_path):
    from grader.checks.student_errors import OutOfMemory
    path = tmp_path / "alloc.py"
    path.write_text("def f():\n    raise RuntimeError(\"[enforce fail] DefaultCPUAllocator: can't allocate memory\")\n")
    s = Student(LocalTransport(Executor.from_file(path, "alloc_mod")))
    with pytest.raises(OutOfMemory):
        s.f()


def test_device_info_probe_is_plain(student):
    info = student.probe("device_info")
    assert type(info["torch"]) is str and isinstance(info["cuda_available"], bool)
