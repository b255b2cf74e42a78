"""Visible checks for ch2.tensors: run them with `pytest exercises/ch2`."""

from __future__ import annotations

import torch

from grader.checks import specs, check, expect

EXERCISE = "ch2.tensors"


@check(points=2)
def test_fields_of_the_worked_example(student, device, rng):
    """float32_fields(0.15625) is (0, 124, 2097152) and float32_value turns it back into 0.15625."""
    expect.equal(student.float32_fields(0.15625), (0, 124, 2097152), what="float32_fields(0.15625)")
    expect.equal(student.float32_value(0, 124, 2097152), 0.15625, what="float32_value(0, 124, 2097152)")


@check(points=1)
def test_signs_and_one(student, device, rng):
    """-0.0 has sign 1; the fields (1, 128, 2**22) are -3.0."""
    expect.equal(student.float32_fields(-0.0), (1, 0, 0), what="float32_fields(-0.0)")
    expect.equal(student.float32_value(1, 128, 2**22), -3.0, what="float32_value(1, 128, 2**22)")


@check(points=1)
def test_exponent_zero_is_not_normal(student, device, rng):
    """float32_value raises ValueError for the exponents 0 and 255."""
    for exponent in (0, 255):
        with expect.raises(ValueError, what=f"float32_value(0, {exponent}, 0)"):
            student.float32_value(0, exponent, 0)


@check(points=2)
def test_add_into_keeps_the_object(student, device, rng):
    """add_into(X, Y) writes X + Y into X and returns X itself."""
    X = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    Y = torch.ones(2, 3)
    value, records = student.call_recorded("add_into", specs.tensor(X, label="X"), Y)
    expect.close(value, X + Y, what="add_into(X, Y)")
    expect.close(records["X"]["value"], X + Y, what="X after add_into(X, Y)")
    expect.true(records["X"]["is_result"], "add_into(X, Y) returned a new tensor, not X itself")


@check(points=2)
def test_numpy_shares_and_torch_tensor_copies(student, device, rng):
    """t.numpy() shares t's memory; torch.tensor(a) and t.clone() make copies."""
    t = specs.tensor(torch.ones(3), label="t")
    expect.equal(student.shares_memory(t, specs.derived("t", "numpy", label="n")), True,
                 what="shares_memory(t, t.numpy())")
    expect.equal(student.shares_memory(t, specs.derived("t", "copy", label="c")), False,
                 what="shares_memory(t, t.clone())")
    a = specs.ndarray(torch.ones(2, dtype=torch.float64), label="a")
    expect.equal(student.shares_memory(a, specs.derived("a", "torch_tensor", label="c")), False,
                 what="shares_memory(a, torch.tensor(a))")
