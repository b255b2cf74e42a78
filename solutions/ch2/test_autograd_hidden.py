"""Hidden checks for ch2.autograd.

A Python function cannot cross the sandbox boundary, so `f` is a `specs.function` spec: the
worker builds one of the engine's fixed functions (square, cube, sin, exp, two_dot, control_flow,
quadratic, log_cosh) right before the call, and the judge builds the same one for the reference.
Whether the caller's tensor is left alone is observed on a `specs.leaf`: a tensor made next to the
student code with requires_grad and a .grad already set, whose state after the call comes back
in the records. hand_graph runs with `_no_grad=True` (inside torch.no_grad() in the worker).
minimize_1d's failure cases use small max_steps and a short timeout, so a loop without a step
limit fails by timeout instead of hanging the grader.
"""

from __future__ import annotations

import torch

from grader.checks import specs, check, expect, reference_call, StudentException

EXERCISE = "ch2.autograd"

META = torch.device("meta")


def _uniform(rng: torch.Generator, *shape: int, low: float = -2.0, high: float = 2.0,
             dtype=torch.float32) -> torch.Tensor:
    return (torch.rand(shape, generator=rng, dtype=torch.float64) * (high - low) + low).to(dtype)


def _away_from_zero(rng: torch.Generator, *shape: int, dtype=torch.float32) -> torch.Tensor:
    magnitude = 0.2 + torch.rand(shape, generator=rng, dtype=torch.float64)
    sign = torch.where(torch.rand(shape, generator=rng) < 0.5, -1.0, 1.0).to(torch.float64)
    return (magnitude * sign).to(dtype)


# ---------------------------------------------------------------- gradient

@check(points=3)
def test_gradient_elementwise_functions(student, reference, device, rng):
    """gradient matches autograd for square, cube, sin, exp and two_dot on random 0-d to 3-D inputs."""
    cases = [("square", (5,), torch.float32), ("cube", (3, 4), torch.float64), ("sin", (2, 3, 2), torch.float32),
             ("exp", (), torch.float64), ("two_dot", (2, 3), torch.float64)]
    for name, shape, dtype in cases:
        x = _uniform(rng, *shape, dtype=dtype).to(device)
        f = specs.function(name)
        expected, _ = reference_call(reference.gradient, f, x)
        expect.close(student.gradient(f, x), expected, what=f"gradient of {name} at a {dtype} tensor of shape {shape}")


@check(points=2)
def test_gradient_control_flow(student, reference, device, rng):
    """gradient works through Python control flow (a loop and a branch that depend on the values)."""
    for shape, dtype in (((4,), torch.float32), ((3, 2), torch.float64)):
        x = _away_from_zero(rng, *shape, dtype=dtype).to(device) * 0.01
        f = specs.function("control_flow")
        expected, _ = reference_call(reference.gradient, f, x)
        expect.close(student.gradient(f, x), expected,
                     what=f"gradient of the control-flow function at a {dtype} tensor of shape {shape}")
    x = -_away_from_zero(rng, 5).abs().to(device)   # negative sum: the other branch
    expected, _ = reference_call(reference.gradient, specs.function("control_flow"), x)
    expect.close(student.gradient(specs.function("control_flow"), x), expected,
                 what="gradient of the control-flow function at a tensor with a negative sum")


@check(points=3)
def test_gradient_leaves_caller_alone(student, rng):
    """gradient works on a copy: a caller's leaf keeps its values, requires_grad flag and existing .grad."""
    x = torch.arange(4.0)
    old_grad = _uniform(rng, 4)
    value, records = student.call_recorded("gradient", specs.function("two_dot"),
                                           specs.leaf(x, requires_grad=True, grad=old_grad, label="x"))
    expect.close(value, torch.tensor([0.0, 4.0, 8.0, 12.0]),
                 what="gradient of two_dot at arange(4) when x.grad already holds values (no accumulation)")
    after = records["x"]
    expect.equal(after["value"], x, what="the caller's x after gradient")
    expect.true(after["requires_grad"] is True, "gradient switched off requires_grad on the caller's x")
    expect.close(after["grad"], old_grad, what="the caller's x.grad after gradient (must not change)")
    y = _uniform(rng, 3, 2, dtype=torch.float64)
    value, records = student.call_recorded("gradient", specs.function("square"),
                                           specs.leaf(y, requires_grad=False, label="y"))
    expect.close(value, 2 * y, what="gradient of square at a tensor that does not require grad")
    expect.true(records["y"]["requires_grad"] is False,
                "gradient switched on requires_grad on the caller's tensor: work on a detached copy")
    expect.true(records["y"]["grad"] is None, "gradient left a .grad on the caller's tensor")
    expect.equal(records["y"]["value"], y, what="the caller's tensor after gradient")


@check(points=1)
def test_gradient_rejects_non_float(student, rng):
    """gradient raises ValueError for integer and boolean tensors."""
    for x in (torch.randint(-3, 4, (4,), generator=rng), torch.randint(0, 5, (2, 2), generator=rng).to(torch.int32),
              torch.rand(3, generator=rng) > 0.5):
        with expect.raises(ValueError, what=f"gradient(square, a {x.dtype} tensor)"):
            student.gradient(specs.function("square"), x)


@check(points=1)
def test_gradient_keeps_device_meta(student):
    """gradient returns a tensor on x's device with x's dtype (checked on the meta device)."""
    for dtype in (torch.float32, torch.float64):
        x = torch.empty(3, 2, dtype=dtype, device=META)
        expect.close(student.gradient(specs.function("cube"), x), torch.empty(3, 2, dtype=dtype, device=META),
                     what=f"gradient of cube at a {dtype} tensor on the meta device")


# ---------------------------------------------------------------- detached_product_grad

@check(points=2)
def test_detached_product_grad_random(student, device, rng):
    """detached_product_grad equals u = x * x (not 3 x^2) on random inputs, float32 and float64."""
    for shape, dtype in (((6,), torch.float32), ((2, 3), torch.float64), ((), torch.float32), ((2, 2, 2), torch.float64)):
        x = _away_from_zero(rng, *shape, dtype=dtype).to(device) * 2
        expect.close(student.detached_product_grad(x), x * x,
                     what=f"detached_product_grad of a {dtype} tensor of shape {shape}")
    expect.close(student.detached_product_grad(torch.empty(4, device=META)), torch.empty(4, device=META),
                 what="detached_product_grad on the meta device")


@check(points=1)
def test_detached_product_grad_leaves_caller_alone(student, rng):
    """detached_product_grad leaves the caller's leaf, its flag and its .grad as they were."""
    x = _away_from_zero(rng, 5)
    old_grad = _uniform(rng, 5)
    value, records = student.call_recorded("detached_product_grad",
                                           specs.leaf(x, requires_grad=True, grad=old_grad, label="x"))
    expect.close(value, x * x, what="detached_product_grad when x.grad already holds values")
    expect.close(records["x"]["grad"], old_grad, what="the caller's x.grad after detached_product_grad")
    expect.true(records["x"]["requires_grad"] is True, "detached_product_grad changed the caller's requires_grad")
    value, records = student.call_recorded("detached_product_grad", specs.leaf(x, requires_grad=False, label="y"))
    expect.true(records["y"]["requires_grad"] is False and records["y"]["grad"] is None,
                "detached_product_grad changed a caller's tensor that does not require grad")


# ---------------------------------------------------------------- hand_graph

def _expect_graph(got, expected: dict, what: str) -> None:
    expect.true(type(got) is dict, f"{what}: expected a dict, got {type(got).__name__}")
    expect.true(set(got) == {"f", "dx", "dy", "dz"},
                f"{what}: expected the keys 'f', 'dx', 'dy', 'dz', got {sorted(map(str, got))}")
    for key in ("f", "dx", "dy", "dz"):
        expect.close(got[key], expected[key], what=f"{what}[{key!r}]")


@check(points=3)
def test_hand_graph_random(student, reference, device, rng):
    """hand_graph gives f = (x + y) z and its partial derivatives under no_grad, for random tensors."""
    for shape, dtype in (((), torch.float32), ((3, 4), torch.float64), ((2, 1, 3), torch.float32)):
        x, y, z = (_uniform(rng, *shape, low=-5, high=5, dtype=dtype).to(device) for _ in range(3))
        expected, _ = reference_call(reference.hand_graph, x, y, z, _no_grad=True)
        _expect_graph(student.hand_graph(x, y, z, _no_grad=True), expected,
                      f"hand_graph on {dtype} tensors of shape {shape}")


@check(points=1)
def test_hand_graph_integer_points_and_meta(student, device):
    """hand_graph is exact on integer-valued points and keeps dtype and device (meta too)."""
    x = torch.tensor([1.0, -2.0, 0.0, 4.0], device=device)
    y = torch.tensor([3.0, 2.0, -1.0, -4.0], device=device)
    z = torch.tensor([2.0, 5.0, -3.0, 7.0], device=device)
    expected = {"f": (x + y) * z, "dx": z, "dy": z, "dz": x + y}
    _expect_graph(student.hand_graph(x, y, z, _no_grad=True), expected, "hand_graph on integer-valued points")
    m = torch.empty(3, dtype=torch.float64, device=META)
    _expect_graph(student.hand_graph(m, m, m, _no_grad=True), {k: m for k in ("f", "dx", "dy", "dz")},
                  "hand_graph on float64 tensors on the meta device")


# ---------------------------------------------------------------- minimize_1d

def _expect_minimum(got, expected, what: str, eps: float, exact_steps: bool = False) -> None:
    expect.true(type(got) is tuple and len(got) == 2, f"{what}: expected a tuple (x, steps), got {type(got).__name__}")
    x, steps = got
    expect.true(type(x) is float, f"{what}: x should be a Python float, got {type(x).__name__}")
    expect.true(type(steps) is int, f"{what}: steps should be a Python int, got {type(steps).__name__}")
    expect.close(x, expected[0], rtol=0.0, atol=2 * eps, what=f"{what}: x")
    expect.true(abs(steps - expected[1]) <= (0 if exact_steps else 1),
                f"{what}: took {steps} steps, expected {expected[1]}", f"got {got}\nexpected {expected}")


def _expect_runtime_error(student, *args, what: str, **kwargs) -> None:
    """minimize_1d raises RuntimeError, and not the stub's NotImplementedError (a RuntimeError too)."""
    try:
        student.minimize_1d(*args, **kwargs)
    except StudentException as exc:
        expect.true("RuntimeError" in exc.exc_types and "NotImplementedError" not in exc.exc_types,
                    f"{what}: expected RuntimeError, but it raised {exc.exc_type}", exc.message)
        return
    expect.fail(f"{what}: expected RuntimeError to be raised, but it returned a result")


@check(points=3, timeout=5)
def test_minimize_1d_quadratics(student, reference, rng):
    """minimize_1d reaches the reference's point in the reference's number of steps on random quadratics."""
    for _ in range(3):
        a = float(_uniform(rng, 1, low=0.5, high=2.0))
        c = float(_uniform(rng, 1, low=-3.0, high=3.0))
        x0 = float(_uniform(rng, 1, low=-5.0, high=5.0))
        lr = float(_uniform(rng, 1, low=0.15, high=0.6)) / a
        f = specs.function("quadratic", a=a, c=c)
        expected, _ = reference_call(reference.minimize_1d, f, x0, lr)
        _expect_minimum(student.minimize_1d(f, x0, lr), expected,
                        f"minimize_1d({a:.3f} * (x - {c:.3f})^2, x0={x0:.3f}, lr={lr:.3f})", 1e-5)


@check(points=2, timeout=5)
def test_minimize_1d_other_function_and_eps(student, reference, rng):
    """minimize_1d honours eps and works on a non-quadratic function (log cosh)."""
    c = float(_uniform(rng, 1, low=-2.0, high=2.0))
    f = specs.function("log_cosh", c=c)
    for x0, lr, eps in ((c + 4.0, 0.5, 1e-5), (c - 2.0, 0.4, 1e-3)):
        expected, _ = reference_call(reference.minimize_1d, f, x0, lr=lr, eps=eps)
        _expect_minimum(student.minimize_1d(f, x0, lr=lr, eps=eps), expected,
                        f"minimize_1d(log cosh(x - {c:.3f}), x0={x0:.3f}, lr={lr}, eps={eps:g})", eps)


@check(points=1, timeout=5)
def test_minimize_1d_float64_and_exact_steps(student, reference, rng):
    """The point is a float64 tensor (a minimum at 1e8 + 0.25 is found), the steps are counted exactly, and a step exactly eps long is not smaller than eps."""
    # float32 cannot tell 1e8 from 1e8 + 0.25: the gradient there would be 0 at the first step
    f = specs.function("quadratic", a=1.0, c=1e8 + 0.25)
    expected, _ = reference_call(reference.minimize_1d, f, 1e8, 0.25)
    _expect_minimum(student.minimize_1d(f, 1e8, 0.25), expected, "minimize_1d((x - (1e8 + 0.25))^2, x0=1e8, lr=0.25)",
                    1e-5, exact_steps=True)
    # steps of 1/2, 1/4, ... exactly (powers of two): the 10th is exactly eps = 2^-10, not smaller
    f = specs.function("quadratic", a=0.5, c=0.0)
    expected, _ = reference_call(reference.minimize_1d, f, 1.0, 0.5, 2.0 ** -10)
    _expect_minimum(student.minimize_1d(f, 1.0, 0.5, 2.0 ** -10), expected,
                    "minimize_1d(0.5 * x^2, x0=1, lr=0.5, eps=2^-10)", 2.0 ** -10, exact_steps=True)


@check(points=2, timeout=3)
def test_minimize_1d_divergence_raises(student, rng):
    """minimize_1d raises RuntimeError when the learning rate is too large (lr = 1.1 on (x - 2)^2)."""
    for x0, max_steps in ((-3.5, 40), (float(_uniform(rng, 1, low=3.0, high=6.0)), 50)):
        _expect_runtime_error(student, specs.function("quadratic", c=2.0), x0, lr=1.1, max_steps=max_steps,
                              what=f"minimize_1d((x - 2)^2, {x0:.3f}, lr=1.1, max_steps={max_steps})")


@check(points=2, timeout=3)
def test_minimize_1d_stops_at_max_steps(student, rng):
    """minimize_1d raises RuntimeError after max_steps steps when the descent is too slow to converge."""
    for lr, max_steps in ((0.001, 20), (0.01, 30)):
        _expect_runtime_error(student, specs.function("quadratic", c=2.0), -3.5, lr=lr, max_steps=max_steps,
                              what=f"minimize_1d((x - 2)^2, -3.5, lr={lr}, max_steps={max_steps})")
    f = specs.function("quadratic", c=2.0)
    got = student.minimize_1d(f, -3.5, 0.1, 1e-5, 54)   # exactly enough steps: converges on the last one
    expect.true(type(got) is tuple and len(got) == 2 and abs(got[0] - 2.0) < 1e-4,
                "minimize_1d((x - 2)^2, -3.5, max_steps=54) should converge on its last allowed step",
                f"got {got!r}")
    # one step fewer is not enough: the 54th step is not taken
    _expect_runtime_error(student, f, -3.5, 0.1, 1e-5, 53, what="minimize_1d((x - 2)^2, -3.5, max_steps=53)")
