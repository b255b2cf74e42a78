"""Hidden checks for ch4.backprop: mlp_grads against autograd.

The expected loss and gradients are computed here, in the judge, by autograd on the same network
(F.cross_entropy + the L2 penalty). The student's function runs with autograd out of reach:
course.toml forbids backward, torch.autograd.grad and requires_grad_ (and the built-in softmax /
cross-entropy), so the numbers can only come from a backward pass written by hand. Sizes are
drawn from `rng` with d, h, q distinct, so a transposed gradient cannot pass a shape check. The
checks are split by layer (the loss is a visible check's, then the output layer and the hidden
layer), by dtype, by edge cases and by the inputs being left alone, so one mistake costs only its
own checks (weight decay and large logits are visible checks').
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from grader.checks import check, expect

EXERCISE = "ch4.backprop"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "example": "the text's example: loss 2.0404, dJ/dW2 = (-0.8700, 0.8690, 0.0010), dJ/dW1 = 1.6465",
    "loss": "the loss is the mean cross-entropy of the logits o = relu(X W1 + b1) W2 + b2",
    "output_grads": "dJ/dW2 and dJ/db2 are autograd's",
    "hidden_grads": "dJ/dW1 and dJ/db1, through W2 and the ReLU, are autograd's",
    "weight_decay": "lam adds lam/2 (|W1|^2 + |W2|^2) to the loss and lam W to the weight gradients; biases are "
                    "not penalised",
    "stable": "logits of +-1000 give the right finite loss and finite gradients",
    "dtype_shapes": "float64 stays float64, every gradient has its parameter's shape and the loss is 0-d",
    "edges": "one example, two classes, units that are always off, and a unit exactly at 0 (derivative 0 there)",
    "inputs": "mlp_grads leaves X, y and the parameters unchanged",
}

NAMES = ("W1", "b1", "W2", "b2")
# A hand-written backward pass sums in another order than autograd.
TOL32 = {"rtol": 1e-5, "atol": 1e-6}


def _int(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def _net(rng: torch.Generator, device, *, n: int | None = None, q: int | None = None,
         dtype: torch.dtype = torch.float32) -> tuple:
    """(X, y, W1, b1, W2, b2) of a random network with distinct d, h, q."""
    n = n if n is not None else _int(rng, 6, 14)
    q = q if q is not None else _int(rng, 3, 5)
    d, h = _int(rng, 6, 9), _int(rng, 10, 13)
    X = torch.randn(n, d, generator=rng)
    y = torch.randint(0, q, (n,), generator=rng)
    W1 = torch.randn(d, h, generator=rng) * 0.6
    b1 = torch.randn(h, generator=rng) * 0.3
    W2 = torch.randn(h, q, generator=rng) * 0.6
    b2 = torch.randn(q, generator=rng) * 0.3
    return tuple(t.to(dtype).to(device) if t.is_floating_point() else t.to(device)
                 for t in (X, y, W1, b1, W2, b2))


def _autograd(X, y, W1, b1, W2, b2, lam: float = 0.0) -> dict:
    """The objective and its gradients as autograd computes them, in the judge."""
    leaves = [t.detach().clone().requires_grad_(True) for t in (W1, b1, W2, b2)]
    with torch.enable_grad():
        w1, c1, w2, c2 = leaves
        O = torch.relu(X @ w1 + c1) @ w2 + c2
        J = F.cross_entropy(O, y) + (lam / 2) * ((w1 * w1).sum() + (w2 * w2).sum())
        grads = torch.autograd.grad(J, leaves)
    return {"loss": J.detach(), **dict(zip(NAMES, grads))}


def _result(student, args: tuple, lam: float | None = None) -> dict:
    out = student.mlp_grads(*args) if lam is None else student.mlp_grads(*args, lam)
    expect.true(isinstance(out, dict), f"mlp_grads should return a dict, got {type(out).__name__}")
    missing = [k for k in ("loss",) + NAMES if k not in out]
    expect.true(not missing, f"the dict returned by mlp_grads has no {missing} "
                "(expected the keys 'loss', 'W1', 'b1', 'W2', 'b2')")
    return out


def _compare(out: dict, expected: dict, keys, what: str, tol: dict | None = None) -> None:
    for key in keys:
        expect.close(out[key], expected[key], **(tol if tol is not None else TOL32),
                     what=f"mlp_grads(...)[{key!r}] {what}")


def _sizes(args: tuple) -> str:
    X, _, W1, _, W2, _ = args
    return f"(n={X.shape[0]}, d={X.shape[1]}, h={W1.shape[1]}, q={W2.shape[1]})"


@check(points=2, clause="output_grads")
def test_output_layer_gradients(student, device, rng):
    """dJ/dW2 = H^T G_O and dJ/db2 = sum of G_O over the rows match autograd (lam = 0)."""
    for _ in range(2):
        args = _net(rng, device)
        _compare(_result(student, args), _autograd(*args), ("W2", "b2"), f"for a random network {_sizes(args)}")


@check(points=3, clause="hidden_grads")
def test_hidden_layer_gradients(student, device, rng):
    """dJ/dW1 and dJ/db1, through W2^T and the ReLU mask, match autograd (lam = 0)."""
    for _ in range(2):
        args = _net(rng, device)
        _compare(_result(student, args), _autograd(*args), ("W1", "b1"), f"for a random network {_sizes(args)}")


@check(points=1, clause="dtype_shapes")
def test_float64_and_shapes(student, device, rng):
    """float64 inputs give float64 results to float64 precision; every gradient has its parameter's shape; the loss is 0-d."""
    args = _net(rng, device, dtype=torch.float64)
    out = _result(student, args)
    for key, param in zip(NAMES, args[2:]):
        expect.shape(out[key], param.shape, f"mlp_grads(...)[{key!r}] (it must have the shape of {key})")
        expect.dtype(out[key], torch.float64, f"mlp_grads(...)[{key!r}] for float64 inputs")
    expect.shape(out["loss"], (), "mlp_grads(...)['loss'] (a 0-d tensor)")
    # the loss alone to float64's precision: the gradients' values are the layer checks' concern
    _compare(out, _autograd(*args), ("loss",), f"for float64 inputs {_sizes(args)}", tol={"rtol": 1e-9, "atol": 1e-10})


@check(points=1, clause="edges")
def test_edge_cases(student, device, rng):
    """One example and two classes, and a hidden unit exactly at 0 for every example (the ReLU's derivative there is 0)."""
    X, y, W1, b1, W2, b2 = _net(rng, device, n=1, q=2)
    args = (X, y, W1, b1, W2, b2)
    _compare(_result(student, args), _autograd(*args), ("loss", "W2", "b2"), "for a single example and two classes")
    X, y, W1, b1, W2, b2 = _net(rng, device, n=8, q=3)
    # hidden unit 0 sits exactly at the ReLU's kink for every example: its derivative there is 0
    W1, b1 = W1.clone(), b1.clone()
    W1[:, 0], b1[0] = 0.0, 0.0
    args = (X, y, W1, b1, W2, b2)
    out, expected = _result(student, args), _autograd(*args)
    expect.close(out["W1"][:, 0], expected["W1"][:, 0], **TOL32, what="dJ/dW1 of the hidden unit at the ReLU's kink")
    expect.close(out["b1"][0], expected["b1"][0], **TOL32, what="dJ/db1 of the hidden unit at the ReLU's kink")


@check(points=1, clause="inputs")
def test_inputs_unchanged(student, device, rng):
    """mlp_grads leaves X, y and the parameters as they were."""
    args = _net(rng, device)
    _, records = student.call_recorded("mlp_grads", *args, 0.3)
    for name, before, after in zip(("X", "y") + NAMES, args, records["args_after"]):
        expect.equal(after, before, what=f"{name} after mlp_grads (it must not be modified)")
