# %% [markdown]
# # Weight decay
#
# A model with many weights and few examples fits its training set too well: it learns the
# noise as if it were signal. One of the oldest cures does not touch the model at all, only
# what we ask of it. Besides fitting the data, the weights should stay *small*. We measure
# their size by the squared Euclidean norm and add it, scaled, to the loss. For linear
# regression with weights $\mathbf{w}$ and bias $b$ the objective becomes
#
# $$
# L(\mathbf{w}, b) + \lambda \cdot \frac{1}{2} \|\mathbf{w}\|^2 ,
# \qquad \frac{1}{2}\|\mathbf{w}\|^2 = \frac{1}{2}\sum_i w_i^2 .
# $$
#
# The factor $\lambda \ge 0$ trades the two goals: $\lambda = 0$ is plain regression, a large
# $\lambda$ pushes every weight towards zero. The half is there for convenience: the gradient
# of $\frac{\lambda}{2}\|\mathbf{w}\|^2$ is simply $\lambda \mathbf{w}$. This is the
# "second term in the loss function" of $\ell_2$ regularisation, and the $\lambda W$ term that
# appears in every weight's gradient when one backpropagates through it.
#
# ## Why "decay"
#
# Write out one step of minibatch SGD with learning rate $\eta$ on the penalised loss:
#
# $$
# \mathbf{w} \leftarrow \mathbf{w} - \eta\,(\nabla_{\mathbf{w}} L + \lambda \mathbf{w})
#            = (1 - \eta\lambda)\,\mathbf{w} - \eta\,\nabla_{\mathbf{w}} L .
# $$
#
# Before the usual step, every weight is shrunk by the factor $1 - \eta\lambda$: it *decays*.
# Because the penalty only ever shows up as this extra $\lambda \mathbf{w}$ in the gradient,
# an optimizer can apply it without the loss ever seeing it. That is what the `weight_decay`
# argument of PyTorch's optimizers does: `torch.optim.SGD(params, lr, weight_decay=lam)` adds
# `lam * p` to the gradient of each parameter `p` before the step. So there are two ways to
# write the same training run, and they must agree:
#
# 1. **penalty**: add `lam * l2_penalty(w)` to the loss, and use a plain optimizer;
# 2. **optimizer**: leave the loss alone and give the optimizer `weight_decay=lam`.
#
# ## The bias is not decayed
#
# The penalty is on $\mathbf{w}$ only. The bias shifts the prediction; it does not make the
# model more complicated, and shrinking it towards 0 would only bias every prediction towards
# 0. In the penalty version that is automatic (the penalty does not mention $b$). In the
# optimizer version it needs care: `SGD(model.parameters(), weight_decay=lam)` decays *every*
# parameter, the bias included. Give the optimizer two *parameter groups* instead, each a dict
# with its own settings:
#
# ```python
# torch.optim.SGD([{"params": [w], "weight_decay": lam}, {"params": [b]}], lr=lr)
# ```
#
# ## A worked example
#
# One example $\mathbf{x} = (1, 2)$ with target $y = 3$, start from $\mathbf{w} = 0$, $b = 0$,
# with $\eta = 0.1$ and $\lambda = 0.5$; the loss is the squared loss
# $\frac{1}{2}(\hat y - y)^2$.
#
# * Step 1: $\hat y = 0$, the residual $\hat y - y = -3$, so $\nabla_{\mathbf{w}} L = (-3, -6)$
#   and $\partial L / \partial b = -3$. The penalty's gradient $\lambda \mathbf{w}$ is 0, since
#   $\mathbf{w} = 0$. After the step $\mathbf{w} = (0.3, 0.6)$ and $b = 0.3$.
# * Step 2: $\hat y = 0.3 + 1.2 + 0.3 = 1.8$, the residual is $-1.2$, so
#   $\nabla_{\mathbf{w}} L = (-1.2, -2.4)$, and now the penalty adds
#   $\lambda \mathbf{w} = (0.15, 0.3)$. The step gives $\mathbf{w} = (0.405, 0.81)$ and
#   $b = 0.3 + 0.12 = 0.42$.
#
# Without weight decay the second step would have given $\mathbf{w} = (0.42, 0.84)$; decaying
# the bias as well would have given $b = 0.405$, which is the mistake to avoid.
#
# ## What to write
#
# 1. `l2_penalty(w)`: $\frac{1}{2}\sum w^2$ over all entries of a tensor of any shape, as a
#    0-dimensional tensor with `w`'s dtype and device.
# 2. `train_weight_decay(X, y, lam, mode="penalty", lr=0.003, num_epochs=10, batch_size=5)`:
#    linear regression $\hat y = X\mathbf{w} + b$ trained by minibatch SGD, returning the pair
#    `(w, b)` of tensors with shapes `(d, 1)` and `(1,)` (no gradient attached).
#    * `X` has shape `(n, d)`; `y` holds `n` targets, of shape `(n,)` or `(n, 1)`. Reshape it to
#      `(n, 1)` yourself: comparing an `(n, 1)` prediction with an `(n,)` target broadcasts to
#      an `(n, n)` matrix and silently trains on nonsense.
#    * Start from `w = 0` and `b = 0`, with `X`'s dtype and device.
#    * Each epoch visits the examples in order, **without shuffling**, in minibatches of
#      `batch_size` (`X[0:5]`, `X[5:10]`, ...); the last one may be smaller and is used too.
#    * The loss of a minibatch is the **mean** over its examples of $\frac{1}{2}(\hat y - y)^2$
#      (note the half: `nn.MSELoss` has none); in `"penalty"` mode add `lam * l2_penalty(w)`.
#    * Use `torch.optim.SGD` with learning rate `lr`: in `"penalty"` mode without weight decay,
#      in `"optimizer"` mode with `weight_decay=lam` on `w` only. Any other `mode` raises
#      `ValueError`.
#    * The two modes give the same `(w, b)` up to rounding (1e-5).
#    * `X` and `y` are left unchanged.

# %%
import torch


# %%
def l2_penalty(w: torch.Tensor) -> torch.Tensor:
    """Half the sum of the squares of all entries of w, as a 0-dim tensor (w's dtype and device)."""
    ### BEGIN SOLUTION
    # HINT: square, sum over every entry, halve
    return (w * w).sum() / 2
    ### END SOLUTION


# %%
def train_weight_decay(X: torch.Tensor, y: torch.Tensor, lam: float, mode: str = "penalty",
                       lr: float = 0.003, num_epochs: int = 10, batch_size: int = 5
                       ) -> tuple[torch.Tensor, torch.Tensor]:
    """Linear regression with weight decay lam on w (never on b), trained by minibatch SGD.

    mode "penalty" adds lam * l2_penalty(w) to the loss; mode "optimizer" passes
    weight_decay=lam to SGD for w only. Minibatches in order, no shuffling, the last one may be
    smaller. Returns (w, b) with shapes (d, 1) and (1,), detached. Raises ValueError for any
    other mode.
    """
    ### BEGIN SOLUTION
    # HINT: check mode; w = zeros (d, 1) and b = zeros (1,) that require grad; build the SGD optimizer (parameter groups in "optimizer" mode); loop over epochs and in-order slices
    if mode not in ("penalty", "optimizer"):
        raise ValueError(f"mode must be 'penalty' or 'optimizer', got {mode!r}")
    n, d = X.shape
    targets = y.reshape(-1, 1)
    w = torch.zeros(d, 1, dtype=X.dtype, device=X.device, requires_grad=True)
    b = torch.zeros(1, dtype=X.dtype, device=X.device, requires_grad=True)
    if mode == "penalty":
        optimizer = torch.optim.SGD([w, b], lr=lr)
    else:
        # Two parameter groups: the weights decay, the bias does not.
        optimizer = torch.optim.SGD([{"params": [w], "weight_decay": lam}, {"params": [b]}], lr=lr)
    for _ in range(num_epochs):
        for start in range(0, n, batch_size):
            Xb, yb = X[start:start + batch_size], targets[start:start + batch_size]
            loss = ((Xb @ w + b - yb) ** 2 / 2).mean()
            if mode == "penalty":
                loss = loss + lam * l2_penalty(w)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return w.detach(), b.detach()
    ### END SOLUTION


# %% [markdown]
# ## Try it
#
# The cell below replays the worked example, then repeats the classic high-dimensional
# experiment: 20 training examples, 200 inputs, true weights all 0.01 and bias 0.05. With
# $\lambda = 3$ the learned weights come out with a smaller norm than without weight decay.

# %%
if __name__ == "__main__":
    X = torch.tensor([[1.0, 2.0]])
    y = torch.tensor([3.0])
    for mode in ("penalty", "optimizer"):
        print(mode, train_weight_decay(X, y, 0.5, mode=mode, lr=0.1, num_epochs=2))

    gen = torch.Generator().manual_seed(0)
    true_w, true_b = torch.full((200, 1), 0.01), 0.05
    def synthetic(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        X = torch.randn(n, 200, generator=gen)
        return X, X @ true_w + true_b + 0.01 * torch.randn(n, 1, generator=gen)
    X_train, y_train = synthetic(20)
    X_test, y_test = synthetic(100)
    for lam in (0.0, 3.0):
        w, b = train_weight_decay(X_train, y_train, lam, mode="optimizer", num_epochs=100)
        test_loss = float(((X_test @ w + b - y_test) ** 2 / 2).mean())
        print(f"lambda = {lam}: |w| = {float(w.norm()):.4f}, test loss {test_loss:.5f}")
