"""Hidden checks for ch4.activations: seven element-wise functions against the reference.

Every function gets its own checks, so one bug costs only that function's points: random inputs
of several shapes in float32 and float64 (here), the inputs that break naive formulas (the visible
table checks), and the contract (a meta input keeps device, dtype and shape; the input is not
modified). leaky_relu and prelu are also checked over their slope (prelu with alpha > 1 is the
visible example's: max(alpha * x, x) is wrong there and only there).
"""

from __future__ import annotations

import torch

from grader.checks import StudentException, check, expect

EXERCISE = "ch4.activations"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    **{f"{name}_extremes": f"{name} is finite and right from -1000 to 1000, past exp's overflow limits (the "
                           "table of the text)" for name in ("sigmoid", "tanh", "swish", "sigmoid_grad", "tanh_grad")},
    **{f"{name}_any": f"{name} is right for random float32 and float64 inputs of any shape"
       for name in ("sigmoid", "tanh", "swish", "sigmoid_grad", "tanh_grad")},
    **{f"{name}_contract": f"{name} returns a new tensor with x's shape, dtype and device, and leaves x unchanged"
       for name in ("sigmoid", "tanh", "swish", "leaky_relu", "prelu", "sigmoid_grad", "tanh_grad")},
    "leaky_example": "leaky_relu(-2.0) is -0.02 with the default slope k = 0.01",
    "leaky_default": "leaky_relu with the default slope is right on random inputs and up to +-1000",
    "leaky_slopes": "leaky_relu uses the slope k it is given, for 0 <= k <= 1",
    "prelu_example": "prelu(-3, 0.2) is -0.6 and prelu(-3, 2) is -6: alpha above 1 too",
    "prelu_any": "prelu with alpha = 0.2 is right on random inputs and up to +-1000",
    "prelu_any_alpha": "prelu is right for alpha 0, 1 and negative alphas",
}

# Past exp's overflow in float32 (88.7) and in float64 (709.8), tiny values, and the +-1000 of the text.
EXTREMES = [-1000.0, -710.0, -500.0, -100.0, -89.0, -88.0, -45.0, -20.0, -3.0, -1e-3, -1e-7, -0.0,
            0.0, 1e-7, 1e-3, 3.0, 20.0, 45.0, 88.0, 89.0, 100.0, 500.0, 710.0, 1000.0]
# Each shape with its dtype: 1-D to 3-D, float32 and float64.
CASES = [((29,), torch.float32), ((6, 9), torch.float64), ((2, 3, 5), torch.float32)]
PRELU_ALPHAS = (0.25, 1.0, -0.5, 0.0, -2.0)
LEAKY_SLOPES = (0.0, 0.2, 0.5, 1.0)


def _random_inputs(rng: torch.Generator, device: torch.device):
    for shape, dtype in CASES:
        # Scaled normals cover the plotted range -8 .. 8 and beyond.
        yield (torch.randn(*shape, generator=rng) * 6.0).to(dtype).to(device)
    yield torch.arange(-8.0, 8.0, 0.1).to(device)   # the grid of the text's plots


def _extreme_inputs(rng: torch.Generator, device: torch.device):
    # float32, the default dtype, where exp overflows first (random checks cover float64).
    base = torch.tensor(EXTREMES)
    yield base[torch.randperm(base.numel(), generator=rng)].to(device)


def _call(student, name: str, x: torch.Tensor, *extra):
    return student.call(name, x, *extra)


def _random_check(student, reference, device, rng, name: str, *extra) -> None:
    for x in _random_inputs(rng, device):
        expect.close(_call(student, name, x, *extra), getattr(reference, name)(x, *extra),
                     what=f"{name} on a random {x.dtype} tensor of shape {tuple(x.shape)}")


def _extreme_check(student, reference, device, rng, name: str, *extra) -> None:
    for x in _extreme_inputs(rng, device):
        expect.close(_call(student, name, x, *extra), getattr(reference, name)(x, *extra),
                     what=f"{name} on inputs from -1000 to 1000, including values "
                     "past the overflow limit of exp")


def _meta_unsupported(exc: StudentException) -> bool:
    """The student's code uses an operation the meta device cannot run (boolean-mask indexing,
    .item()): that is no fault, so the device is then judged by the other checks only. A device
    mismatch ("not on the expected device") is a fault and is not excused."""
    text = exc.message.lower()
    return "NotImplementedError" in exc.exc_types or (
        "meta tensor" in text and "expected device" not in text and "same device" not in text)


def _contract_check(student, reference, device, rng, name: str, *extra) -> None:
    meta = torch.empty(4, 3, dtype=torch.float64, device="meta")
    try:
        got = _call(student, name, meta, *extra)
    except StudentException as exc:
        if not _meta_unsupported(exc):
            raise
    else:
        expect.close(got, getattr(reference, name)(meta, *extra),
                     what=f"{name} on a float64 tensor on the 'meta' device (device, dtype and shape "
                     "of the result)")
    x = (torch.randn(5, 7, generator=rng) * 4.0).to(device)
    _, records = student.call_recorded(name, x, *extra)
    expect.equal(records["args_after"][0], x, what=f"x after {name}(x) (it must not be modified)")


# ------------------------------------------------------------------ sigmoid, tanh, swish and the two gradients

@check(points=2, clause="sigmoid_any")
def test_sigmoid_random(student, reference, device, rng):
    """sigmoid matches the reference on random float32 and float64 tensors of several shapes."""
    _random_check(student, reference, device, rng, "sigmoid")


@check(points=1, clause="sigmoid_contract")
def test_sigmoid_contract(student, reference, device, rng):
    """sigmoid keeps device, dtype and shape, and leaves its input unchanged."""
    _contract_check(student, reference, device, rng, "sigmoid")


@check(points=2, clause="tanh_any")
def test_tanh_random(student, reference, device, rng):
    """tanh matches the reference on random float32 and float64 tensors of several shapes."""
    _random_check(student, reference, device, rng, "tanh")


@check(points=1, clause="tanh_contract")
def test_tanh_contract(student, reference, device, rng):
    """tanh keeps device, dtype and shape, and leaves its input unchanged."""
    _contract_check(student, reference, device, rng, "tanh")


@check(points=2, clause="swish_any")
def test_swish_random(student, reference, device, rng):
    """swish matches x * sigmoid(x) on random float32 and float64 tensors."""
    _random_check(student, reference, device, rng, "swish")


@check(points=1, clause="swish_contract")
def test_swish_contract(student, reference, device, rng):
    """swish keeps device, dtype and shape, and leaves its input unchanged."""
    _contract_check(student, reference, device, rng, "swish")


@check(points=2, clause="sigmoid_grad_any")
def test_sigmoid_grad_random(student, reference, device, rng):
    """sigmoid_grad matches sigma(x)(1 - sigma(x)) at random inputs in float32 and float64."""
    _random_check(student, reference, device, rng, "sigmoid_grad")


@check(points=1, clause="sigmoid_grad_contract")
def test_sigmoid_grad_contract(student, reference, device, rng):
    """sigmoid_grad keeps device, dtype and shape, and leaves its input unchanged."""
    _contract_check(student, reference, device, rng, "sigmoid_grad")


@check(points=2, clause="tanh_grad_any")
def test_tanh_grad_random(student, reference, device, rng):
    """tanh_grad matches 1 - tanh(x)^2 at random inputs in float32 and float64."""
    _random_check(student, reference, device, rng, "tanh_grad")


@check(points=1, clause="tanh_grad_contract")
def test_tanh_grad_contract(student, reference, device, rng):
    """tanh_grad keeps device, dtype and shape, and leaves its input unchanged."""
    _contract_check(student, reference, device, rng, "tanh_grad")


# ------------------------------------------------------------------ leaky_relu

@check(points=2, clause="leaky_default")
def test_leaky_relu_default_slope(student, reference, device, rng):
    """leaky_relu with the default slope 0.01 matches the reference, from random inputs to +-1000."""
    _random_check(student, reference, device, rng, "leaky_relu")
    _extreme_check(student, reference, device, rng, "leaky_relu")


@check(points=2, clause="leaky_slopes")
def test_leaky_relu_slopes(student, reference, device, rng):
    """leaky_relu uses the slope k it is given (k = 0, 0.2, 0.5, 1)."""
    x = (torch.randn(8, 11, generator=rng) * 5.0).to(device)
    for k in LEAKY_SLOPES:
        expect.close(student.leaky_relu(x, k), reference.leaky_relu(x, k), what=f"leaky_relu(x, {k})")
    expect.close(student.leaky_relu(x, k=0.3), reference.leaky_relu(x, 0.3), what="leaky_relu(x, k=0.3)")


@check(points=1, clause="leaky_relu_contract")
def test_leaky_relu_contract(student, reference, device, rng):
    """leaky_relu keeps device, dtype and shape, and leaves its input unchanged."""
    _contract_check(student, reference, device, rng, "leaky_relu", 0.1)


# ------------------------------------------------------------------ prelu

@check(points=2, clause="prelu_any")
def test_prelu_small_alpha(student, reference, device, rng):
    """prelu with alpha = 0.2 (the textbook's value) matches the reference, up to +-1000."""
    _random_check(student, reference, device, rng, "prelu", 0.2)
    _extreme_check(student, reference, device, rng, "prelu", 0.2)


@check(points=2, clause="prelu_any_alpha")
def test_prelu_any_alpha(student, reference, device, rng):
    """prelu is right for alpha 0.25, 1, 0 and negative alphas."""
    x = (torch.randn(9, 10, generator=rng) * 5.0).to(device)
    for alpha in PRELU_ALPHAS:
        expect.close(student.prelu(x, alpha), reference.prelu(x, alpha), what=f"prelu(x, {alpha})")


@check(points=1, clause="prelu_contract")
def test_prelu_contract(student, reference, device, rng):
    """prelu keeps device, dtype and shape, and leaves its input unchanged."""
    _contract_check(student, reference, device, rng, "prelu", 1.5)
