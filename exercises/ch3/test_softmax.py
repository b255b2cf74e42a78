"""Visible checks for ch3.softmax: known values and properties you can reason about."""

import torch

from grader.checks import check, expect

EXERCISE = "ch3.softmax"


@check(points=2, clause="softmax_example")
def test_softmax_worked_example(student, device):
    """softmax of the scores 3.2, 5.1, -1.7 is about 0.130, 0.869, 0.001."""
    X = torch.tensor([[3.2, 5.1, -1.7]], device=device)
    expected = torch.tensor([[0.13000, 0.86904, 0.00096]], device=device)
    expect.close(student.softmax(X), expected, atol=1e-4, what="softmax([[3.2, 5.1, -1.7]])")


@check(points=2, clause="distributions")
def test_softmax_rows_are_distributions(student, device, rng):
    """Every row of softmax(X) is positive, sums to 1 and has X's shape and dtype."""
    X = torch.randn(5, 4, generator=rng).to(device) * 3
    P = expect.tensor(student.softmax(X), what="softmax(X)")
    expect.shape(P, (5, 4))
    expect.dtype(P, torch.float32)
    expect.true(bool((P > 0).all()), "softmax(X) has entries that are not positive")
    expect.close(P.sum(dim=1), torch.ones(5, device=device), what="row sums of softmax(X)")
    # A larger logit must get a larger probability in the same row.
    expect.equal(P.argmax(dim=1), X.argmax(dim=1), what="argmax of each row of softmax(X)")


@check(points=2, clause="softmax_stable")
def test_softmax_large_logits(student, device):
    """softmax stays finite and correct for logits of +1000 and -1000."""
    X = torch.tensor([[1000.0, 0.0, -1000.0], [-1000.0, -999.0, -1000.0]], device=device)
    e = torch.e
    expected = torch.tensor([[1.0, 0.0, 0.0],
                             [1 / (2 + e), e / (2 + e), 1 / (2 + e)]], device=device)
    # Float32 numbers near 1000 are 6e-5 apart: allow that much relative rounding.
    expect.close(student.softmax(X), expected, rtol=2e-4, atol=1e-6, what="softmax(X) with entries of ±1000")


@check(points=2, clause="ce_example")
def test_cross_entropy_known_values(student, device):
    """cross_entropy averages -log of the true class's probability (worked example: 2.0404)."""
    y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]], device=device)
    y = torch.tensor([0, 2], device=device)
    expected = -(torch.log(torch.tensor(0.1)) + torch.log(torch.tensor(0.5))) / 2
    expect.close(student.cross_entropy(y_hat, y), expected.to(device), atol=1e-5,
                 what="cross_entropy(y_hat, [0, 2])")
    p = torch.tensor([[0.13000, 0.86904, 0.00096]], device=device)
    expect.close(student.cross_entropy(p, torch.tensor([0], device=device)),
                 torch.tensor(2.0402, device=device), atol=1e-3, what="cross_entropy for the cat example")


@check(points=2, clause="ce_logits_example")
def test_cross_entropy_logits_known_values(student, device):
    """cross_entropy_logits gives 2.0404 for the cat example and stays finite at ±1000."""
    scores = torch.tensor([[3.2, 5.1, -1.7]], device=device)
    expect.close(student.cross_entropy_logits(scores, torch.tensor([0], device=device)),
                 torch.tensor(2.0404, device=device), atol=1e-4,
                 what="cross_entropy_logits([[3.2, 5.1, -1.7]], [0])")
    logits = torch.tensor([[0.0, -1000.0], [1000.0, 0.0]], device=device)
    # Row 0: true class has logit -1000 against 0 -> loss 1000; row 1: loss 0. Mean 500.
    expect.close(student.cross_entropy_logits(logits, torch.tensor([1, 0], device=device)),
                 torch.tensor(500.0, device=device), atol=1e-3,
                 what="cross_entropy_logits with logits of ±1000")
