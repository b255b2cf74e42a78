"""Hidden checks for ch3.softmax: randomised comparisons with the reference and the edge cases."""

import torch

from grader.checks import check, expect

EXERCISE = "ch3.softmax"


def _size(rng: torch.Generator, low: int, high: int) -> int:
    return int(torch.randint(low, high + 1, (1,), generator=rng))


def _labels(rng: torch.Generator, n: int, q: int, device: torch.device) -> torch.Tensor:
    return torch.randint(0, q, (n,), generator=rng).to(device)


def _rows_far_apart(rng: torch.Generator, n: int, q: int, dtype: torch.dtype,
                    device: torch.device) -> torch.Tensor:
    """Logits around +1000 in some rows and around -1000 in others (both signs always present).

    A max over the whole batch instead of per row underflows the -1000 rows to 0/0; no max
    shift at all overflows the +1000 rows to inf/inf.
    """
    signs = torch.where(torch.arange(n) % 2 == 0, 1.0, -1.0)
    signs = signs[torch.randperm(n, generator=rng)]
    X = torch.randn(n, q, generator=rng, dtype=torch.float64) * 4 + 1000.0 * signs[:, None]
    return X.to(dtype).to(device)


@check(points=2)
def test_softmax_random(student, reference, device, rng):
    """softmax matches the reference on random non-square batches."""
    for _ in range(3):
        n, q = _size(rng, 2, 9), _size(rng, 2, 9)
        if n == q:
            q += 1  # rows and columns must differ so softmax over the wrong dim shows
        X = (torch.randn(n, q, generator=rng) * 3).to(device)
        expect.close(student.softmax(X), reference.softmax(X), what=f"softmax of a {n}x{q} tensor")


@check(points=1)
def test_softmax_square_and_single_row(student, reference, device, rng):
    """softmax matches the reference for a square batch and a batch of one row."""
    for n, q in ((5, 5), (1, 6)):
        X = (torch.randn(n, q, generator=rng) * 2).to(device)
        expect.close(student.softmax(X), reference.softmax(X), what=f"softmax of a {n}x{q} tensor")


@check(points=1)
def test_softmax_keeps_float64(student, reference, device, rng):
    """softmax of a float64 tensor is float64 and matches the reference."""
    X = (torch.randn(4, 7, generator=rng, dtype=torch.float64) * 3).to(device)
    expect.close(student.softmax(X), reference.softmax(X), what="softmax of a float64 tensor")


@check(points=3)
def test_softmax_extreme_logits(student, reference, device, rng):
    """softmax is finite and correct when rows sit near +1000 and near -1000."""
    for dtype in (torch.float32, torch.float64):
        X = _rows_far_apart(rng, 6, 5, dtype, device)
        # In float32 the spacing of numbers near 1000 is 6e-5, so a correct exp(X - logsumexp)
        # arrangement is off by a few 1e-5 relative; wrong implementations give NaN, 0 or 1.
        tol = {"rtol": 2e-4, "atol": 1e-6} if dtype == torch.float32 else {}
        expect.close(student.softmax(X), reference.softmax(X), **tol,
                     what=f"softmax with entries near ±1000 ({dtype})")


@check(points=2)
def test_cross_entropy_random(student, reference, device, rng):
    """cross_entropy matches the reference on random probabilities and labels."""
    for _ in range(3):
        n, q = _size(rng, 2, 12), _size(rng, 2, 8)
        y_hat = reference.softmax(torch.randn(n, q, generator=rng) * 2).to(device)
        y = _labels(rng, n, q, device)
        expect.close(student.cross_entropy(y_hat, y), reference.cross_entropy(y_hat, y),
                     what=f"cross_entropy on a batch of {n} with {q} classes")


@check(points=1)
def test_cross_entropy_single_example_float64(student, reference, device, rng):
    """cross_entropy works for a batch of one and keeps float64."""
    y_hat = reference.softmax(torch.randn(1, 5, generator=rng, dtype=torch.float64)).to(device)
    y = _labels(rng, 1, 5, device)
    expect.close(student.cross_entropy(y_hat, y), reference.cross_entropy(y_hat, y),
                 what="cross_entropy on a float64 batch of one")


@check(points=2)
def test_cross_entropy_logits_random(student, reference, device, rng):
    """cross_entropy_logits matches the reference on random scores and labels."""
    for _ in range(3):
        n, q = _size(rng, 2, 12), _size(rng, 2, 8)
        logits = (torch.randn(n, q, generator=rng) * 4).to(device)
        y = _labels(rng, n, q, device)
        expect.close(student.cross_entropy_logits(logits, y), reference.cross_entropy_logits(logits, y),
                     what=f"cross_entropy_logits on a batch of {n} with {q} classes")


@check(points=3)
def test_cross_entropy_logits_extreme(student, reference, device, rng):
    """cross_entropy_logits stays finite when the true class is 1000 below the others."""
    for dtype in (torch.float32, torch.float64):
        n, q = 6, 4
        logits = _rows_far_apart(rng, n, q, dtype, device)
        y = _labels(rng, n, q, device)
        # Push each true class far below the rest of its row: its probability underflows to 0,
        # so log(softmax(...)) would give -inf, while the exact loss is about 1000.
        rows = torch.arange(n, device=device)
        logits[rows, y] = logits[rows, y] - 1000.0
        expect.close(student.cross_entropy_logits(logits, y), reference.cross_entropy_logits(logits, y),
                     what=f"cross_entropy_logits with a true class 1000 below the others ({dtype})")


@check(points=1)
def test_cross_entropy_logits_single_example_float64(student, reference, device, rng):
    """cross_entropy_logits works for a batch of one and keeps float64."""
    logits = (torch.randn(1, 7, generator=rng, dtype=torch.float64) * 3).to(device)
    y = _labels(rng, 1, 7, device)
    expect.close(student.cross_entropy_logits(logits, y), reference.cross_entropy_logits(logits, y),
                 what="cross_entropy_logits on a float64 batch of one")
