"""Visible checks for ch3.losses: run them with `pytest exercises/ch3/test_losses.py`."""

from __future__ import annotations

import torch

from grader.checks import check, expect

EXERCISE = "ch3.losses"


def _example(device):
    y_hat = torch.tensor([2.5, 0.0, 3.0, -1.0], device=device)
    y = torch.tensor([2.0, 2.0, 0.0, -1.0], device=device)
    return y_hat, y


@check(points=2, clause="l1_example")
def test_l1_worked_example(student, device, rng):
    """l1_loss gives the table of the text: (0.5, 2, 3, 0), sum 5.5, mean 1.375."""
    y_hat, y = _example(device)
    expect.close(student.l1_loss(y_hat, y, reduction="none"), torch.tensor([0.5, 2.0, 3.0, 0.0], device=device),
                 what="l1_loss(..., reduction='none')")
    expect.close(student.l1_loss(y_hat, y, reduction="sum"), torch.tensor(5.5, device=device),
                 what="l1_loss(..., reduction='sum')")
    expect.close(student.l1_loss(y_hat, y), torch.tensor(1.375, device=device), what="l1_loss(...) (mean)")


@check(points=2, clause="mse_example")
def test_mse_worked_example(student, device, rng):
    """mse_loss gives (0.25, 4, 9, 0), sum 13.25, mean 3.3125; a residual of 100 costs 10 000."""
    y_hat, y = _example(device)
    expect.close(student.mse_loss(y_hat, y, reduction="none"), torch.tensor([0.25, 4.0, 9.0, 0.0], device=device),
                 what="mse_loss(..., reduction='none')")
    expect.close(student.mse_loss(y_hat, y, reduction="sum"), torch.tensor(13.25, device=device),
                 what="mse_loss(..., reduction='sum')")
    expect.close(student.mse_loss(y_hat, y), torch.tensor(3.3125, device=device), what="mse_loss(...) (mean)")
    big = torch.tensor([101.0], device=device)
    expect.close(student.mse_loss(big, torch.tensor([1.0], device=device)), torch.tensor(10000.0, device=device),
                 what="mse_loss for a residual of 100")


@check(points=2, clause="huber_example")
def test_huber_worked_example(student, device, rng):
    """huber_loss (delta = 1) gives (0.125, 1.5, 2.5, 0), sum 4.125, mean 1.03125."""
    y_hat, y = _example(device)
    expect.close(student.huber_loss(y_hat, y, reduction="none"),
                 torch.tensor([0.125, 1.5, 2.5, 0.0], device=device), what="huber_loss(..., reduction='none')")
    expect.close(student.huber_loss(y_hat, y, reduction="sum"), torch.tensor(4.125, device=device),
                 what="huber_loss(..., reduction='sum')")
    expect.close(student.huber_loss(y_hat, y), torch.tensor(1.03125, device=device), what="huber_loss(...) (mean)")


@check(points=1, clause="huber_delta_two")
def test_huber_delta_two(student, device, rng):
    """With delta = 2 a residual of 3 costs 2 * (3 - 1) = 4 and a residual of 1 costs 0.5."""
    y = torch.zeros(2, device=device)
    expect.close(student.huber_loss(torch.tensor([3.0, 1.0], device=device), y, delta=2.0, reduction="none"),
                 torch.tensor([4.0, 0.5], device=device), what="huber_loss(delta=2.0, reduction='none')")


@check(points=1, clause="mean_every_entry")
def test_mean_over_every_entry(student, device, rng):
    """The mean of a (2, 3) input divides by 6, not by the 2 rows."""
    y_hat = torch.ones(2, 3, device=device)
    y = torch.zeros(2, 3, device=device)
    expect.close(student.l1_loss(y_hat, y), torch.tensor(1.0, device=device), what="l1_loss of a (2, 3) input")
    expect.close(student.mse_loss(2 * y_hat, y), torch.tensor(4.0, device=device), what="mse_loss of a (2, 3) input")


@check(points=2, clause="value_errors")
def test_errors(student, device, rng):
    """Shapes (3, 1) and (3,), (2, 3) and (3, 2), and the reductions 'avg' and 'Mean' raise ValueError, in all three losses."""
    y_hat = torch.ones(3, 1, device=device)
    for name in ("l1_loss", "mse_loss", "huber_loss"):
        for other in (torch.ones(3, device=device), torch.ones(1, 3, device=device)):
            with expect.raises(ValueError, what=f"{name}(shape (3, 1), shape {tuple(other.shape)})"):
                student.call(name, y_hat, other)
        for reduction in ("avg", "Mean"):
            with expect.raises(ValueError, what=f"{name}(..., reduction={reduction!r})"):
                student.call(name, y_hat, y_hat, reduction=reduction)
