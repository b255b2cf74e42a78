# %% [markdown]
# # Loss functions for regression
#
# A loss function turns "how wrong is the prediction" into one number that training can push
# down. For regression the prediction $\hat y$ and the target $y$ are real numbers, and every loss
# we meet here is built from the *residual* $r = \hat y - y$ of each example.
#
# ## Why the residual alone is not a loss
#
# Take a prediction $\hat y = 100$ for a target $y = 1$. The plain difference $y - \hat y = -99$
# would be a *negative* loss: the larger the prediction, the "better" it would look, and
# minimising it would drive the predictions to infinity. A loss must be zero for a perfect
# prediction and positive otherwise, which is why we take an absolute value or a square.
#
# ## Three losses
#
# * **L1 (absolute) loss**: $\ell_1(r) = |r|$. Being off by 200 costs exactly twice as much as
#   being off by 100.
# * **Squared loss (MSE)**: $\ell_2(r) = r^2$. Large errors grow much faster: a residual of 100
#   costs $100^2 = 10\,000$, a residual of 0.1 only 0.01. One outlier can dominate the whole
#   batch.
# * **Huber loss** with a threshold $\delta > 0$ is quadratic near zero and linear far away:
#
# $$
# h_\delta(r) = \begin{cases} \tfrac12 r^2 & \text{if } |r| \le \delta, \\
#                             \delta \left(|r| - \tfrac12 \delta\right) & \text{otherwise.} \end{cases}
# $$
#
# The two pieces meet at $|r| = \delta$ with the same value $\tfrac12\delta^2$ and the same slope
# $\delta$, so the loss is smooth where MSE is, and robust to outliers where L1 is. Beware of the
# similar-looking "smooth L1" formula $\tfrac{1}{2\beta} r^2$ / $|r| - \tfrac12\beta$: it is the
# Huber loss *divided by* $\delta$, so the two agree only for $\delta = 1$.
#
# ## Reductions
#
# A loss function gives one value per entry; the *reduction* says what to hand back:
# `"none"` the tensor of per-entry losses (same shape as the inputs), `"sum"` their sum, and
# `"mean"` their average **over every entry** (for a `(4, 3)` input that is a division by 12,
# not by 4). A classic slip is to sum first and then call `.mean()` on the result: the mean of a
# single number is that number, so the "mean" silently becomes the sum.
#
# ## A worked example
#
# With $\hat y = (2.5, 0, 3, -1)$ and $y = (2, 2, 0, -1)$ the residuals are $r = (0.5, -2, 3, 0)$.
#
# | reduction | L1 | MSE | Huber, $\delta = 1$ |
# | --- | --- | --- | --- |
# | none | (0.5, 2, 3, 0) | (0.25, 4, 9, 0) | (0.125, 1.5, 2.5, 0) |
# | sum | 5.5 | 13.25 | 4.125 |
# | mean | 1.375 | 3.3125 | 1.03125 |
#
# ## Shapes
#
# We insist that `y_hat` and `y` have *exactly* the same shape. A prediction of shape `(n, 1)`
# against targets of shape `(n,)` would broadcast to an `(n, n)` table of every prediction minus
# every target: no error, just a wrong number. Our functions raise `ValueError` instead.
#
# ## What to write
#
# `l1_loss(y_hat, y, reduction="mean")`, `mse_loss(y_hat, y, reduction="mean")` and
# `huber_loss(y_hat, y, delta=1.0, reduction="mean")`:
#
# * the formulas above, entry by entry, then the reduction `"mean"`, `"sum"` or `"none"`;
# * `ValueError` when the shapes differ, when the reduction is another string, and (Huber) when
#   `delta` is not positive;
# * the result keeps the inputs' dtype and device; a reduced result is a 0-d tensor;
# * the inputs are left unchanged;
# * build them from tensor operations: `torch.nn.functional.l1_loss`, `mse_loss`, `huber_loss`,
#   `smooth_l1_loss` (and the `nn` modules that call them) are not allowed.
#
# The two helpers `_reduce` and `_check_inputs` are there so the three losses can share code;
# write them and use them, or do without: only the three losses are graded.

# %%
import torch

REDUCTIONS = ("mean", "sum", "none")


# %%
def _reduce(losses: torch.Tensor, reduction: str) -> torch.Tensor:
    """Apply a reduction to a tensor of per-entry losses."""
    ### BEGIN SOLUTION
    # HINT: "none" gives the tensor back, "sum" and "mean" run over every entry
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.mean()
    ### END SOLUTION


def _check_inputs(y_hat: torch.Tensor, y: torch.Tensor, reduction: str) -> None:
    """Raise ValueError for a shape mismatch or an unknown reduction."""
    ### BEGIN SOLUTION
    # HINT: compare the two shapes exactly, and the reduction with REDUCTIONS
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if y_hat.shape != y.shape:
        raise ValueError(f"y_hat has shape {tuple(y_hat.shape)} but y has shape {tuple(y.shape)}")
    ### END SOLUTION


# %%
def l1_loss(y_hat: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Absolute error |y_hat - y| per entry, reduced by `reduction` ("mean", "sum" or "none")."""
    ### BEGIN SOLUTION
    # HINT: check the inputs, take the absolute residual, reduce
    _check_inputs(y_hat, y, reduction)
    return _reduce((y_hat - y).abs(), reduction)
    ### END SOLUTION


def mse_loss(y_hat: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Squared error (y_hat - y)**2 per entry (no factor 1/2), reduced by `reduction`."""
    ### BEGIN SOLUTION
    # HINT: check the inputs, square the residual, reduce
    _check_inputs(y_hat, y, reduction)
    return _reduce((y_hat - y) ** 2, reduction)
    ### END SOLUTION


def huber_loss(y_hat: torch.Tensor, y: torch.Tensor, delta: float = 1.0,
               reduction: str = "mean") -> torch.Tensor:
    """Huber loss: r**2 / 2 where |r| <= delta, else delta * (|r| - delta / 2); then reduced.

    Raises ValueError when delta is not positive.
    """
    ### BEGIN SOLUTION
    # HINT: check the inputs and delta; compute both branches from |r| and pick with torch.where
    _check_inputs(y_hat, y, reduction)
    if not delta > 0:
        raise ValueError(f"delta must be positive, got {delta}")
    r = (y_hat - y).abs()
    losses = torch.where(r <= delta, 0.5 * r * r, delta * (r - 0.5 * delta))
    return _reduce(losses, reduction)
    ### END SOLUTION


# %% [markdown]
# ## Try it
#
# The worked example, and what one outlier does to each loss.

# %%
if __name__ == "__main__":
    y_hat = torch.tensor([2.5, 0.0, 3.0, -1.0])
    y = torch.tensor([2.0, 2.0, 0.0, -1.0])
    for fn in (l1_loss, mse_loss, huber_loss):
        print(fn.__name__, fn(y_hat, y, reduction="none"), fn(y_hat, y, reduction="sum"), fn(y_hat, y))
    outlier = torch.tensor([2.5, 0.0, 3.0, 99.0])
    for fn in (l1_loss, mse_loss, huber_loss):
        print(fn.__name__, "with one outlier:", float(fn(outlier, y)))
