"""Visible checks for ch2.autograd: the worked examples of the text.

`f` arguments are `specs.function(...)` specs: the grader builds the named function next to your
code (here "two_dot" is x -> 2 * sum(x * x) and "quadratic" with c=2.0 is x -> (x - 2) ** 2), so
your functions receive an ordinary Python callable.
"""

from __future__ import annotations

import torch

from grader.checks import specs, check, expect

EXERCISE = "ch2.autograd"


@check(points=2, clause="grad_example")
def test_gradient_of_two_dot(student, device):
    """The gradient of 2 x.x at arange(4) is [0, 4, 8, 12]."""
    x = torch.arange(4.0, device=device)
    expect.close(student.gradient(specs.function("two_dot"), x),
                 torch.tensor([0.0, 4.0, 8.0, 12.0], device=device), what="gradient(two_dot, arange(4.))")


@check(points=3, clause="grad_copy")
def test_gradient_leaves_caller_alone(student, rng):
    """gradient works on a copy: a caller's x keeps its values, its requires_grad flag and its .grad
    (which holds values already: no accumulation into the result either)."""
    x = torch.arange(4.0)
    old_grad = torch.rand(4, generator=rng) * 4 - 2
    value, records = student.call_recorded("gradient", specs.function("two_dot"),
                                           specs.leaf(x, requires_grad=True, grad=old_grad, label="x"))
    expect.close(value, torch.tensor([0.0, 4.0, 8.0, 12.0]),
                 what="gradient of two_dot at arange(4) when x.grad already holds values (no accumulation)")
    after = records["x"]
    expect.equal(after["value"], x, what="the caller's x after gradient")
    expect.true(after["requires_grad"] is True, "gradient switched off requires_grad on the caller's x")
    expect.close(after["grad"], old_grad, what="the caller's x.grad after gradient (must not change)")
    y = torch.rand(3, 2, generator=rng, dtype=torch.float64) * 4 - 2
    value, records = student.call_recorded("gradient", specs.function("square"),
                                           specs.leaf(y, requires_grad=False, label="y"))
    expect.close(value, 2 * y, what="gradient of square at a tensor that does not require grad")
    expect.true(records["y"]["requires_grad"] is False,
                "gradient switched on requires_grad on the caller's tensor: work on a detached copy")
    expect.true(records["y"]["grad"] is None, "gradient left a .grad on the caller's tensor")
    expect.equal(records["y"]["value"], y, what="the caller's tensor after gradient")


@check(points=1, clause="grad_value_error")
def test_gradient_rejects_non_float(student, rng):
    """gradient raises ValueError for integer and boolean tensors."""
    for x in (torch.arange(4), torch.randint(0, 5, (2, 2), generator=rng).to(torch.int32),
              torch.rand(3, generator=rng) > 0.5):
        with expect.raises(ValueError, what=f"gradient(square, a {x.dtype} tensor)"):
            student.gradient(specs.function("square"), x)


@check(points=1, clause="detached_example")
def test_detached_product(student, device):
    """With u = x * x detached, the gradient of (u * x).sum() is u, not 3 x^2."""
    x = torch.tensor([1.0, -2.0, 3.0], device=device)
    expect.close(student.detached_product_grad(x), torch.tensor([1.0, 4.0, 9.0], device=device),
                 what="detached_product_grad([1, -2, 3])")


@check(points=2, clause="graph_example")
def test_hand_graph_example(student):
    """At (x, y, z) = (-3, 5, -2): f = -4, df/dx = -2, df/dy = -2, df/dz = 2 (called under no_grad)."""
    x, y, z = torch.tensor(-3.0), torch.tensor(5.0), torch.tensor(-2.0)
    got = student.hand_graph(x, y, z, _no_grad=True)
    expect.true(type(got) is dict and set(got) == {"f", "dx", "dy", "dz"},
                "hand_graph should return a dict with the keys 'f', 'dx', 'dy' and 'dz'")
    for key, value in (("f", -4.0), ("dx", -2.0), ("dy", -2.0), ("dz", 2.0)):
        expect.close(got[key], torch.tensor(value), what=f"hand_graph(-3, 5, -2)[{key!r}]")


@check(points=2, timeout=5, clause="min_example")
def test_minimize_from_minus_3_5(student):
    """(x - 2)^2 from -3.5 with lr = 0.1 reaches 2.0 in about 54 steps, returned as (float, int)."""
    got = student.minimize_1d(specs.function("quadratic", c=2.0), -3.5)
    expect.true(type(got) is tuple and len(got) == 2, "minimize_1d should return a tuple (x, steps)",
                f"got {got!r}")
    x, steps = got
    expect.true(type(x) is float and abs(x - 2.0) < 1e-4, f"minimize_1d ended at {x!r}, expected about 2.0")
    expect.true(type(steps) is int and 53 <= steps <= 55, f"minimize_1d took {steps!r} steps, expected 54")
