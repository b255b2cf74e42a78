# %% [markdown]
# # Linear regression from scratch
#
# Linear regression predicts a real number as a weighted sum of the features plus an offset:
# $\hat y = \mathbf{x}^\top \mathbf{w} + b$. For a whole minibatch stored as the rows of a
# matrix $\mathbf{X}$ (one example per row) the predictions are $\hat{\mathbf y} = \mathbf{X}\mathbf{w} + b$.
# Training finds the $\mathbf{w}$ and $b$ that make the predictions close to the targets. Here we
# build every piece by hand: the data, the minibatches, the model, the loss and the optimiser;
# the next exercise does the same with PyTorch's ready-made parts.
#
# ## Data we understand
#
# To see whether training works we make data whose answer we know: draw the features from a
# standard normal distribution, and set
#
# $$ \mathbf{y} = \mathbf{X}\mathbf{w} + b + \boldsymbol\epsilon, \qquad \epsilon_i \sim \mathcal{N}(0, \sigma^2). $$
#
# With $\mathbf{w} = (2, -3.4)$, $b = 4.2$, 1000 examples and $\sigma = 0.01$, a good training run
# must recover values very close to 2, −3.4 and 4.2. We keep the targets as a column, shape
# `(n, 1)`, like the predictions.
#
# ## Minibatches
#
# Each step of minibatch stochastic gradient descent looks at a small random batch. To make one
# pass (an *epoch*) we shuffle the indices $0, \dots, n - 1$ once and cut the shuffled list into
# pieces of `batch_size`; the last piece may be shorter. There are `(n - 1) // batch_size + 1` of
# them, and every example is used exactly once per epoch. Drawing each batch independently at
# random instead would repeat some examples and skip others.
#
# Randomness deserves care. A function that takes a `torch.Generator` should draw all its random
# numbers from it (`torch.randperm(n, generator=generator)`), so that the same seeded generator
# always gives the same batches, whatever else the program does. With `generator=None`, torch's
# global generator is used.
#
# ## Loss and gradient step
#
# The squared loss of one example is $\tfrac12 (\hat y - y)^2$; the factor $\tfrac12$ makes the
# derivative simply $\hat y - y$. The shapes must agree before subtracting: a prediction of
# shape `(10, 1)` minus targets of shape `(10,)` broadcasts to a `(10, 10)` table. Reshaping `y`
# to the shape of `y_hat` avoids that.
#
# For a batch of size $|\mathcal B|$ we sum the losses, backpropagate, and move every parameter
# against its gradient, scaled by the learning rate $\eta$ and divided by the batch size:
#
# $$ \theta \leftarrow \theta - \frac{\eta}{|\mathcal B|} \sum_{i \in \mathcal B} \partial_\theta \ell^{(i)}(\theta). $$
#
# The update must happen in place (`param -= ...`), inside `torch.no_grad()` so that autograd does
# not record it, and the gradients must be reset to zero afterwards: PyTorch *adds* new gradients
# to `.grad`, so forgetting the reset mixes every earlier batch into the next step.
#
# ## What to write
#
# 1. `synthetic_data(w, b, n, noise=0.01, generator=None)`: `X` of shape `(n, len(w))` with
#    standard normal entries and `y = X w + b + noise` of shape `(n, 1)`, the noise normal with
#    standard deviation `noise`. Every random number comes from `generator`; `X` and `y` have
#    `w`'s dtype and device. (A generator lives on one device, usually the CPU: draw there, then
#    move the result with `.to(w.device)`.)
# 2. `data_iter(batch_size, X, y, generator=None)`: yields `(X_batch, y_batch)` pairs: one shuffled
#    pass, every example exactly once, the last batch possibly smaller, the order drawn from
#    `generator`.
# 3. `linreg(X, w, b)`: `X @ w + b`.
# 4. `squared_loss(y_hat, y)`: the per-example loss $(\hat y - y)^2 / 2$ with `y` reshaped to the
#    shape of `y_hat` (no reduction). `torch.nn.functional.mse_loss` is not allowed.
# 5. `sgd(params, lr, batch_size)`: the update above for every tensor in `params`, in place,
#    under `torch.no_grad()`, then zero each gradient.
# 6. `train_linreg(X, y, lr=0.03, num_epochs=3, batch_size=10, generator=None) -> (w, b)`:
#    start from `w` of shape `(d, 1)` drawn from $\mathcal N(0, 0.01^2)$ and `b = 0` of shape
#    `(1,)` (both with `X`'s dtype and device, requiring gradients), then for every epoch and every batch of
#    `data_iter(batch_size, X, y, generator)`: loss `squared_loss(linreg(X_batch, w, b), y_batch)`,
#    `.sum().backward()`, `sgd([w, b], lr, batch_size)`. All randomness (the initial `w` and the
#    shuffling) comes from `generator`. Return the trained `w` and `b`.

# %%
import torch


# %%
def synthetic_data(w: torch.Tensor, b: float, n: int, noise: float = 0.01,
                   generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Features X (n, len(w)) ~ N(0, 1) and targets y = X w + b + N(0, noise**2), shape (n, 1)."""
    ### BEGIN SOLUTION
    # HINT: draw X with torch.randn(..., generator=generator), then the noise the same way
    X = torch.randn((n, len(w)), generator=generator, dtype=w.dtype).to(w.device)
    y = X @ w.reshape(-1, 1) + b
    y = y + noise * torch.randn(y.shape, generator=generator, dtype=w.dtype).to(w.device)
    return X, y
    ### END SOLUTION


# %%
def data_iter(batch_size: int, X: torch.Tensor, y: torch.Tensor,
              generator: torch.Generator | None = None):
    """Yield (X_batch, y_batch) over one shuffled pass through the data."""
    ### BEGIN SOLUTION
    # HINT: shuffle the indices with torch.randperm(..., generator=generator), then slice them
    n = len(X)
    order = torch.randperm(n, generator=generator).to(X.device)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]
    ### END SOLUTION


# %%
def linreg(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The linear model X w + b."""
    ### BEGIN SOLUTION
    # HINT: one matrix product and one addition
    return X @ w + b
    ### END SOLUTION


def squared_loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-example squared loss (y_hat - y)**2 / 2, y reshaped to y_hat's shape."""
    ### BEGIN SOLUTION
    # HINT: reshape y like y_hat before subtracting
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2
    ### END SOLUTION


def sgd(params: list[torch.Tensor], lr: float, batch_size: int) -> None:
    """Minibatch SGD step in place: p -= lr * p.grad / batch_size, then zero the gradients."""
    ### BEGIN SOLUTION
    # HINT: inside torch.no_grad(), update each parameter in place, then zero its .grad
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()
    ### END SOLUTION


# %%
def train_linreg(X: torch.Tensor, y: torch.Tensor, lr: float = 0.03, num_epochs: int = 3,
                 batch_size: int = 10, generator: torch.Generator | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Fit w (d, 1) and b (1,) by minibatch SGD on the squared loss; returns (w, b)."""
    ### BEGIN SOLUTION
    # HINT: initialise w and b with requires_grad=True, then loop over epochs and data_iter batches
    w = 0.01 * torch.randn((X.shape[1], 1), generator=generator, dtype=X.dtype)
    w = w.to(X.device).requires_grad_(True)
    b = torch.zeros(1, dtype=X.dtype, device=X.device, requires_grad=True)
    for _ in range(num_epochs):
        for X_batch, y_batch in data_iter(batch_size, X, y, generator):
            squared_loss(linreg(X_batch, w, b), y_batch).sum().backward()
            sgd([w, b], lr, batch_size)
    return w.detach(), b.detach()
    ### END SOLUTION


# %% [markdown]
# ## Try it
#
# The setting of the text: 1000 examples of $\mathbf{w} = (2, -3.4)$, $b = 4.2$. After three epochs
# the loss on the whole data set is about $10^{-4}$ and the errors in $\mathbf w$ and $b$ are
# tiny.

# %%
if __name__ == "__main__":
    gen = torch.Generator().manual_seed(0)
    true_w, true_b = torch.tensor([2.0, -3.4]), 4.2
    features, labels = synthetic_data(true_w, true_b, 1000, generator=gen)
    X_batch, y_batch = next(iter(data_iter(10, features, labels, gen)))
    print(X_batch.shape, y_batch.shape)
    w, b = train_linreg(features, labels, generator=gen)
    print("w error:", true_w - w.reshape(true_w.shape), "b error:", true_b - b)
    print("loss:", float(squared_loss(linreg(features, w, b), labels).mean()))
