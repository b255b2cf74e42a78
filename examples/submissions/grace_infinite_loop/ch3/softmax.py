# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Softmax and cross-entropy from scratch
#
# A classifier with $q$ classes ends in a linear layer that produces $q$ real numbers per
# example, the *logits* $o_1, \dots, o_q$. They can be any size and any sign, so they are not
# probabilities yet. The **softmax** turns one row of logits into a probability distribution:
#
# $$\operatorname{softmax}(\mathbf{o})_j = \frac{\exp(o_j)}{\sum_{k=1}^{q} \exp(o_k)}.$$
#
# Every output is positive, the outputs of a row add up to 1, and the order of the logits is
# kept: the largest logit gets the largest probability.
#
# **A worked example.** A network looks at a picture and scores it 3.2 for *cat*, 5.1 for
# *car* and -1.7 for *frog*. Exponentiating gives about 24.5, 164.0 and 0.18, which add up to
# about 188.7. Dividing each by the total gives the probabilities 0.13, 0.87 and 0.001: the
# network is 87 % sure it sees a car.
#
# ## Keeping the exponentials finite
#
# In 32-bit floating point, $\exp(89)$ is already infinite, and $\exp(-104)$ rounds to zero.
# A logit of 1000 therefore makes the formula above compute $\infty / \infty$, which is NaN.
# The cure is that softmax does not change when the same number $c$ is subtracted from every
# logit of a row (the factor $\exp(-c)$ cancels between numerator and denominator). Choosing
# $c = \max_k o_k$, *the maximum of that row*, makes the largest exponent exactly $\exp(0)=1$:
# nothing overflows, and the denominator is at least 1, so it can never be zero either.
# The maximum must be taken per row: one global maximum over the whole batch would push a row
# of small logits so far down that all its exponentials underflow to zero, and that row would
# become $0/0$.
#
# ## Cross-entropy
#
# To train, we compare the predicted distribution $\hat{\mathbf{y}}$ with the true class $y$.
# The cross-entropy loss of one example is the negative log of the probability the model gave
# to the right class, $-\log \hat{y}_{y}$; over a minibatch of $n$ examples we average:
#
# $$\ell = -\frac{1}{n} \sum_{i=1}^{n} \log \hat{y}_{i, y_i}.$$
#
# In the example the true class is *cat*, so the loss is $-\ln 0.13 \approx 2.0404$. A perfect
# prediction (probability 1) costs 0; a probability close to 0 costs a lot. Picking
# $\hat{y}_{i, y_i}$ for every row at once is a job for indexing with two index tensors:
# `y_hat[torch.arange(n), y]` takes entry `y[i]` from row `i`.
#
# ## Cross-entropy straight from the logits
#
# Computing `log(softmax(o))` still fails when a probability underflows: with logits
# $(0, -1000)$ the second probability is exactly 0 in floating point and its log is $-\infty$,
# although the true value is simply $-1000$. Taking the log of the softmax by hand removes the
# exponential of the numerator altogether:
#
# $$\log \hat{y}_j = o_j - \log \sum_k \exp(o_k)
#   = o_j - \Big(m + \log \sum_k \exp(o_k - m)\Big), \qquad m = \max_k o_k .$$
#
# The bracket is the **log-sum-exp** of the row, computed with the same max shift as before, so
# it is always finite. The loss of one example is then `logsumexp(row) - row[y]`.
#
# ## What to write
#
# * `softmax(X)` — `X` is a 2-D tensor `(n, q)`; return the row-wise softmax, same shape and
#   dtype, finite even for entries of ±1000.
# * `cross_entropy(y_hat, y)` — `y_hat` holds probabilities `(n, q)`, `y` the class indices
#   `(n,)` (int64); return the mean negative log-likelihood as a 0-d tensor of `y_hat`'s dtype.
# * `cross_entropy_logits(logits, y)` — the same loss from raw scores, with the log-sum-exp
#   trick; finite for logits of ±1000.
#
# The built-ins `torch.softmax`, `F.log_softmax`, `torch.logsumexp`, `F.cross_entropy` and
# `F.nll_loss` are not allowed here: the point is to build them. Neither is
# `torch.logcumsumexp`, whose last column is the log-sum-exp, nor any other operator that computes
# one of these (the aten overloads behind them, attention's softmax). `max`, `exp`, `log`, `sum`,
# `mean`, indexing and `gather` are all fine.

# %%
import torch


# %%
def _softmax_that_works(X: torch.Tensor) -> torch.Tensor:
    """Row-wise softmax of a 2-D tensor, numerically stable for large logits."""
    ### BEGIN SOLUTION
    # HINT: subtract each row's maximum (keepdim=True), exponentiate, divide by the row sums
    shifted = X - X.max(dim=1, keepdim=True).values
    exps = torch.exp(shifted)
    return exps / exps.sum(dim=1, keepdim=True)
    ### END SOLUTION


# %%
def cross_entropy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean negative log-probability of the true classes; y_hat holds probabilities."""
    ### BEGIN SOLUTION
    # HINT: pick y_hat[i, y[i]] for every row i, take -log, average over the batch
    picked = y_hat[torch.arange(y_hat.shape[0], device=y_hat.device), y]
    return -torch.log(picked).mean()
    ### END SOLUTION


# %%
def cross_entropy_logits(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy computed from raw scores with the log-sum-exp trick."""
    ### BEGIN SOLUTION
    # HINT: per row, loss = m + log(sum(exp(o - m))) - o[y] with m the row maximum
    m = logits.max(dim=1, keepdim=True).values
    log_sum_exp = m.squeeze(1) + torch.log(torch.exp(logits - m).sum(dim=1))
    true_scores = logits[torch.arange(logits.shape[0], device=logits.device), y]
    return (log_sum_exp - true_scores).mean()
    ### END SOLUTION


# %% [markdown]
# ## Try it
#
# The worked example: scores 3.2, 5.1, -1.7 with *cat* (class 0) as the true class.

# %%
if __name__ == "__main__":
    scores = torch.tensor([[3.2, 5.1, -1.7]])
    label = torch.tensor([0])
    print(softmax(scores))                          # about [[0.13, 0.87, 0.001]]
    print(cross_entropy(softmax(scores), label))    # about 2.0404
    print(cross_entropy_logits(scores, label))      # the same, without forming probabilities
    print(softmax(torch.tensor([[1000.0, 0.0], [-1000.0, -999.0]])))  # finite


def softmax(X):
    while True:  # forgot to advance the loop
        pass
