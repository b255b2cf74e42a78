"""Hidden checks for ch4.backprop: mlp_grads against autograd.

The expected loss and gradients are computed here, in the judge, by autograd on the same network
(F.cross_entropy + the L2 penalty). The student's function runs with autograd out of reach:
course.toml forbids backward, torch.autograd.grad and requires_grad_ (and the built-in softmax /
cross-entropy), so the numbers can only come from a backward pass written by hand. Sizes are
drawn from `rng` with d, h, q distinct, so a transposed gradient cannot pass a shape check. The
checks are split by layer (loss, output layer, hidden layer), by weight decay, by large logits,
by dtype and by the inputs being left alone, so one mistake costs only its own checks.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from grader.checks import check, expect

EXERCISE = "ch4.backprop"

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


@check(points=2)
def test_loss(student, device, rng):
    """The loss is the mean cross-entropy of the logits (lam = 0)."""
    for _ in range(2):
        args = _net(rng, device)
        _compare(_result(student, args), _autograd(*args), ("loss",), f"for a random network {_sizes(args)}")


@check(points=2)
def test_output_layer_gradients(student, device, rng):
    """dJ/dW2 = H^T G_O and dJ/db2 = sum of G_O over the rows match autograd (lam = 0)."""
    for _ in range(2):
        args = _net(rng, device)
        _compare(_result(student, args), _autograd(*args), ("W2", "b2"), f"for a random network {_sizes(args)}")


@check(points=3)
def test_hidden_layer_gradients(student, device, rng):
    """dJ/dW1 and dJ/db1, through W2^T and the ReLU mask, match autograd (lam = 0)."""
    for _ in range(2):
        args = _net(rng, device)
        _compare(_result(student, args), _autograd(*args), ("W1", "b1"), f"for a random network {_sizes(args)}")


@check(points=2)
def test_weight_decay(student, device, rng):
    """With lam > 0 the loss gains lam/2 (|W1|^2 + |W2|^2) and the weight gradients lam W; biases are not penalised."""
    for lam in (0.1, 0.75):
        args = _net(rng, device)
        _compare(_result(student, args, lam), _autograd(*args, lam=lam), ("loss",) + NAMES,
                 f"with lam = {lam} {_sizes(args)}")


@check(points=2)
def test_large_logits(student, device, rng):
    """Logits of +-1000 give a finite loss and finite gradients equal to autograd's."""
    X, y, W1, b1, W2, b2 = _net(rng, device, n=10, q=4)
    # a bias that pushes the logits to about 1000, -1000, 0 and 500
    big_b2 = b2 + torch.tensor([1000.0, -1000.0, 0.0, 500.0], device=device)
    args = (X, y, W1, b1, W2, big_b2)
    _compare(_result(student, args), _autograd(*args), ("loss",) + NAMES, "with logits near +-1000",
             tol={"rtol": 1e-5, "atol": 1e-5})
    # weights so large that the logits differ by hundreds from row to row
    args = (X * 4.0, y, W1, b1, W2 * 60.0, b2)
    _compare(_result(student, args), _autograd(*args), ("loss",) + NAMES,
             "with logits that differ by hundreds between rows", tol={"rtol": 1e-4, "atol": 1e-3})
    # (gradients of size ~100 here: float32 sums in another order differ by ~1e-5 of that, whatever the seed)


@check(points=1)
def test_float64_and_shapes(student, device, rng):
    """float64 inputs give float64 results; every gradient has its parameter's shape; the loss is 0-d."""
    args = _net(rng, device, dtype=torch.float64)
    out = _result(student, args, 0.2)
    for key, param in zip(NAMES, args[2:]):
        expect.shape(out[key], param.shape, f"mlp_grads(...)[{key!r}] (it must have the shape of {key})")
    expect.shape(out["loss"], (), "mlp_grads(...)['loss'] (a 0-d tensor)")
    _compare(out, _autograd(*args, lam=0.2), ("loss",) + NAMES, f"for float64 inputs {_sizes(args)}",
             tol={"rtol": 1e-9, "atol": 1e-10})


@check(points=1)
def test_edge_cases(student, device, rng):
    """One example, two classes, hidden units off for every example, and one exactly at 0 (ReLU's derivative there is 0)."""
    X, y, W1, b1, W2, b2 = _net(rng, device, n=1, q=2)
    args = (X, y, W1, b1, W2, b2)
    _compare(_result(student, args), _autograd(*args), ("loss",) + NAMES, "for a single example and two classes")
    X, y, W1, b1, W2, b2 = _net(rng, device, n=8, q=3)
    dead = b1.clone()
    dead[::2] = -100.0     # every other hidden unit never switches on
    args = (X, y, W1, dead, W2, b2)
    _compare(_result(student, args), _autograd(*args), ("loss",) + NAMES, "with hidden units that are always off")
    # hidden unit 0 sits exactly at the ReLU's kink for every example: its derivative there is 0
    W1, b1 = W1.clone(), b1.clone()
    W1[:, 0], b1[0] = 0.0, 0.0
    args = (X, y, W1, b1, W2, b2)
    _compare(_result(student, args), _autograd(*args), NAMES, "with a hidden unit exactly at 0 (the ReLU's kink)")


@check(points=1)
def test_inputs_unchanged(student, device, rng):
    """mlp_grads leaves X, y and the parameters as they were."""
    args = _net(rng, device)
    _, records = student.call_recorded("mlp_grads", *args, 0.3)
    for name, before, after in zip(("X", "y") + NAMES, args, records["args_after"]):
        expect.equal(after, before, what=f"{name} after mlp_grads (it must not be modified)")
