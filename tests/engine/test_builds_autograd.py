"""specs.function, specs.leaf and the `_no_grad` call option (for exercises on autograd)."""

import textwrap

import pytest
import torch

from grader.checks import specs, expect, reference_call
from grader.checks.specs import FUNCTIONS
from grader.checks.executor import Executor
from grader.checks.student import LocalTransport, Student

SOURCE = '''
import torch

def grad_on_copy(f, x):
    leaf = x.detach().clone().requires_grad_(True)
    f(leaf).sum().backward()
    return leaf.grad

def grad_in_place(f, x):
    x.requires_grad_(True)
    f(x).sum().backward()
    return x.grad

def call_twice(f, x):
    return f(f(x))

def grad_mode(x):
    return torch.is_grad_enabled()
'''


@pytest.fixture
def student(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text(textwrap.dedent(SOURCE))
    return Student(LocalTransport(Executor.from_file(path, "test_builds_autograd_mod")))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_is_differentiable_on_any_shape(name):
    fn = specs.BuildContext().make(specs.function(name))
    x = (torch.rand(2, 3, dtype=torch.float64) + 0.5).requires_grad_(True)
    fn(x).sum().backward()
    assert x.grad is not None and x.grad.shape == (2, 3) and torch.isfinite(x.grad).all()


def test_function_build_is_called_and_recorded(student):
    x = torch.arange(4.0)
    value, records = student.call_recorded("grad_on_copy", specs.function("two_dot"), x)
    expect.close(value, torch.tensor([0.0, 4.0, 8.0, 12.0]))
    assert records["function:two_dot"] == {"calls": 1, "name": "two_dot"}
    ref_value, ref_records = reference_call(lambda f, t: f(t) * 1, specs.function("quadratic", a=2.0, c=1.0), x)
    expect.close(ref_value, 2.0 * (x - 1.0) ** 2)
    value = student.call_twice(specs.function("quadratic", c=2.0), torch.tensor([3.0]))
    expect.close(value, torch.tensor([1.0]))  # (3 - 2)^2 = 1, then (1 - 2)^2 = 1


def test_unknown_function_is_refused():
    with pytest.raises(ValueError):
        specs.function("no_such_function")


def test_leaf_shows_what_the_call_did_to_it(student):
    spec = specs.leaf(torch.arange(4.0), requires_grad=True, grad=torch.ones(4), label="x")
    value, records = student.call_recorded("grad_on_copy", specs.function("two_dot"), spec)
    expect.close(value, torch.tensor([0.0, 4.0, 8.0, 12.0]))
    expect.close(records["x"], {"value": torch.arange(4.0), "requires_grad": True, "grad": torch.ones(4)})
    value, records = student.call_recorded("grad_in_place", specs.function("two_dot"), spec)
    expect.close(value, torch.tensor([1.0, 5.0, 9.0, 13.0]))   # accumulated into the existing grad
    expect.close(records["x"]["grad"], torch.tensor([1.0, 5.0, 9.0, 13.0]))
    plain = specs.leaf(torch.tensor(2.5, dtype=torch.float64), requires_grad=False, label="y")
    _, records = student.call_recorded("grad_in_place", specs.function("square"), plain)
    assert records["y"]["requires_grad"] is True and records["y"]["value"].dtype == torch.float64


def test_no_grad_option(student):
    assert student.grad_mode(0) is True
    assert student.grad_mode(0, _no_grad=True) is False
    assert student.grad_mode(0) is True   # the next call is back to normal
    value, _ = reference_call(lambda x: torch.is_grad_enabled(), 0, _no_grad=True)
    assert value is False
