"""Hidden checks for ch3.softmax: randomised comparisons with the reference and the edge cases."""

import torch

from grader.checks import check, expect

EXERCISE = "ch3.softmax"

# The contract (the exercise's "What to write"), one sentence a clause; each check names the one it charges.
CLAUSES = {
    "softmax_example": "softmax of the scores 3.2, 5.1, -1.7 is about 0.130, 0.869, 0.001 (the worked example)",
    "distributions": "every row of softmax(X) is positive and sums to 1, with X's shape and dtype",
    "softmax_stable": "softmax stays finite and correct for logits of +-1000 (each row shifted by its own maximum)",
    "softmax_any_batch": "softmax works row by row on any non-square batch",
    "softmax_square_single": "softmax works on a square batch and on a batch of one row",
    "softmax_float64": "softmax keeps float64",
    "ce_example": "cross_entropy is the mean of -log of the true class's probability (worked examples)",
    "ce_any": "cross_entropy is right on random batches of probabilities",
    "ce_single_float64": "cross_entropy works for a batch of one and keeps float64",
    "ce_logits_example": "cross_entropy_logits gives 2.0404 for the cat example and stays finite at +-1000 (log-sum-exp)",
    "ce_logits_any": "cross_entropy_logits is right on random scores and labels",
    "ce_logits_single_float64": "cross_entropy_logits works for a batch of one and keeps float64",
}


def _size(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def _labels(rng: torch.Generator, n: int, q: int, device: torch.device) -> torch.Tensor:
    return torch.randint(0, q, (n,), generator=rng).to(device)


@check(points=2, clause="softmax_any_batch")
def test_softmax_random(student, reference, device, rng):
    """softmax matches the reference on random non-square batches."""
    for _ in range(3):
        n, q = _size(rng, 2, 9), _size(rng, 2, 9)
        if n == q:
            q += 1  # rows and columns must differ so softmax over the wrong dim shows
        X = (torch.randn(n, q, generator=rng) * 3).to(device)
        expect.close(student.softmax(X), reference.softmax(X), what=f"softmax of a {n}x{q} tensor")


@check(points=1, clause="softmax_square_single")
def test_softmax_square_and_single_row(student, reference, device, rng):
    """softmax matches the reference for a square batch and a batch of one row."""
    for n, q in ((5, 5), (1, 6)):
        X = (torch.randn(n, q, generator=rng) * 2).to(device)
        expect.close(student.softmax(X), reference.softmax(X), what=f"softmax of a {n}x{q} tensor")


@check(points=1, clause="softmax_float64")
def test_softmax_keeps_float64(student, reference, device, rng):
    """softmax of a float64 tensor is float64 and matches the reference."""
    X = (torch.randn(4, 7, generator=rng, dtype=torch.float64) * 3).to(device)
    expect.close(student.softmax(X), reference.softmax(X), what="softmax of a float64 tensor")


@check(points=2, clause="ce_any")
def test_cross_entropy_random(student, reference, device, rng):
    """cross_entropy matches the reference on random probabilities and labels."""
    for _ in range(3):
        n, q = _size(rng, 2, 12), _size(rng, 2, 8)
        y_hat = reference.softmax(torch.randn(n, q, generator=rng) * 2).to(device)
        y = _labels(rng, n, q, device)
        expect.close(student.cross_entropy(y_hat, y), reference.cross_entropy(y_hat, y),
                     what=f"cross_entropy on a batch of {n} with {q} classes")


@check(points=1, clause="ce_single_float64")
def test_cross_entropy_single_example_float64(student, reference, device, rng):
    """cross_entropy works for a batch of one and keeps float64."""
    y_hat = reference.softmax(torch.randn(1, 5, generator=rng, dtype=torch.float64)).to(device)
    y = _labels(rng, 1, 5, device)
    expect.close(student.cross_entropy(y_hat, y), reference.cross_entropy(y_hat, y),
                 what="cross_entropy on a float64 batch of one")


@check(points=2, clause="ce_logits_any")
def test_cross_entropy_logits_random(student, reference, device, rng):
    """cross_entropy_logits matches the reference on random scores and labels."""
    for _ in range(3):
        n, q = _size(rng, 2, 12), _size(rng, 2, 8)
        logits = (torch.randn(n, q, generator=rng) * 4).to(device)
        y = _labels(rng, n, q, device)
        expect.close(student.cross_entropy_logits(logits, y), reference.cross_entropy_logits(logits, y),
                     what=f"cross_entropy_logits on a batch of {n} with {q} classes")


@check(points=1, clause="ce_logits_single_float64")
def test_cross_entropy_logits_single_example_float64(student, reference, device, rng):
    """cross_entropy_logits works for a batch of one and keeps float64."""
    logits = (torch.randn(1, 7, generator=rng, dtype=torch.float64) * 3).to(device)
    y = _labels(rng, 1, 7, device)
    expect.close(student.cross_entropy_logits(logits, y), reference.cross_entropy_logits(logits, y),
                 what="cross_entropy_logits on a float64 batch of one")
