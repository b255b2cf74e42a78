"""Visible checks for ch2.tensors: run them with `pytest exercises/ch2`."""

from __future__ import annotations

import torch

from grader.checks import specs, check, expect

EXERCISE = "ch2.tensors"


@check(points=2, clause="example")
def test_fields_of_the_worked_example(student, device, rng):
    """float32_fields(0.15625) is (0, 124, 2097152) and float32_value turns it back into 0.15625."""
    expect.equal(student.float32_fields(0.15625), (0, 124, 2097152), what="float32_fields(0.15625)")
    expect.equal(student.float32_value(0, 124, 2097152), 0.15625, what="float32_value(0, 124, 2097152)")


@check(points=1, clause="signs")
def test_signs(student, device, rng):
    """-0.0 and -1.5 have sign 1; the fields (1, 128, 2**22) are -3.0."""
    expect.equal(student.float32_fields(-0.0), (1, 0, 0), what="float32_fields(-0.0)")
    expect.equal(student.float32_fields(-1.5), (1, 127, 2**22), what="float32_fields(-1.5)")
    expect.equal(student.float32_value(1, 128, 2**22), -3.0, what="float32_value(1, 128, 2**22)")


@check(points=1, clause="value_not_normal")
def test_value_rejects_exponents_0_and_255(student, device, rng):
    """float32_value raises ValueError for the exponents 0 and 255, whatever the sign and fraction."""
    for fields in ((0, 0, 0), (0, 255, 0), (0, 0, 5), (1, 255, 0)):
        with expect.raises(ValueError, what=f"float32_value{fields}"):
            student.float32_value(*fields)


@check(points=2, clause="add_in_place")
def test_add_into_keeps_the_object(student, device, rng):
    """add_into(X, Y) writes X + Y into X and returns X itself."""
    cases = [(torch.arange(6, dtype=torch.float32).reshape(2, 3), torch.ones(2, 3)),
             (torch.randn(4, 5, generator=rng), torch.randn(4, 5, generator=rng))]
    for X, Y in cases:
        what = f"add_into(X, Y) for X and Y of shape {tuple(X.shape)}"
        value, records = student.call_recorded("add_into", specs.tensor(X, label="X"), Y)
        expect.close(value, X + Y, what=what)
        expect.close(records["X"]["value"], X + Y, what=f"X after {what}")
        expect.true(records["X"]["is_result"], f"{what} returned a new tensor, not X itself")


def _expect_shares(student, a, b, expected: bool, what: str) -> None:
    expect.equal(student.shares_memory(a, b), expected, what=f"shares_memory({what})")


@check(points=2, clause="shares_numpy")
def test_numpy_shares_and_torch_tensor_copies(student, device, rng):
    """t.numpy() and torch.from_numpy(a) share memory, either way round; t.clone(), np.array(t)
    and torch.tensor(a) make copies."""
    t = specs.tensor(torch.randn(3, 4, generator=rng), label="t")
    _expect_shares(student, t, specs.derived("t", "numpy", label="n"), True, "t, t.numpy()")
    _expect_shares(student, specs.derived(t, "numpy", label="n"), t, True, "t.numpy(), t")
    _expect_shares(student, t, specs.derived("t", "copy", label="c"), False, "t, t.clone()")
    _expect_shares(student, t, specs.derived("t", "np_array", label="c"), False, "t, np.array(t)")
    a = specs.ndarray(torch.randn(5, generator=rng, dtype=torch.float64), label="a")
    _expect_shares(student, a, specs.derived("a", "from_numpy", label="f"), True, "a, torch.from_numpy(a)")
    _expect_shares(student, a, specs.derived("a", "torch_tensor", label="c"), False, "a, torch.tensor(a)")
