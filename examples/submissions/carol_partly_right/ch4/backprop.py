# %% [markdown]
# # Backpropagation by hand
#
# Autograd computes gradients so reliably that it is easy to forget what it does. This exercise
# takes it away: you compute the gradients of a one-hidden-layer network yourself, with nothing
# but matrix products and the chain rule, and the checks compare your numbers with autograd's.
#
# ## The chain rule on a graph
#
# Any computation can be drawn as a *graph*: nodes hold values, edges are the operations that
# produce them. The forward pass walks the graph from the inputs to the result; the backward pass
# walks it back and, at every node, multiplies the derivative that arrives from above by the
# local derivative of the operation. A scalar example: with $x = -3$, $y = 5$, $z = -2$, the
# graph $q = x + y = 2$, $f = z q = -4$ gives, walking back from $\partial f / \partial f = 1$,
# $\partial f / \partial q = z = -2$, $\partial f / \partial z = q = 2$, and, since addition
# passes the derivative on unchanged, $\partial f / \partial x = \partial f / \partial y = -2$.
# A network is the same thing with matrices.
#
# ## The network and its objective
#
# A minibatch $X$ of shape $(n, d)$ with integer labels $y_1, \dots, y_n$ goes through
#
# $$
# Z = X W_1 + b_1, \qquad H = \operatorname{ReLU}(Z), \qquad O = H W_2 + b_2,
# $$
#
# with $W_1$ of shape $(d, h)$, $b_1$ of shape $(h,)$, $W_2$ of shape $(h, q)$, $b_2$ of shape
# $(q,)$. The objective is the mean cross-entropy of the logits plus an $L_2$ penalty on the two
# weight matrices (biases are not penalised):
#
# $$
# J = \frac{1}{n}\sum_{i=1}^{n} \Big(\log \sum_{j} e^{O_{ij}} - O_{i y_i}\Big)
#     + \frac{\lambda}{2}\big(\lVert W_1 \rVert^2 + \lVert W_2 \rVert^2\big).
# $$
#
# ## Walking back
#
# * **Logits.** The derivative of one example's cross-entropy with respect to its logits is
#   $\operatorname{softmax}(O_i) - \operatorname{onehot}(y_i)$; the mean divides by $n$:
#   $\;G_O = \partial J / \partial O = (P - Y)/n$, with $P$ the row-wise softmax and $Y$ the
#   one-hot labels, both $(n, q)$.
# * **Output layer.** $O = H W_2 + b_2$, so
#   $\;\partial J / \partial W_2 = H^\top G_O + \lambda W_2\;$ of shape $(h, q)$ and
#   $\;\partial J / \partial b_2 = \sum_i G_{O,i}\;$ (the bias was broadcast to every row, so its
#   gradient sums over the rows) of shape $(q,)$.
# * **Hidden layer.** $\;G_H = G_O W_2^\top$, $(n, h)$. ReLU lets the derivative through where
#   $Z > 0$ and stops it elsewhere: $\;G_Z = G_H \odot [Z > 0]$ (at exactly 0 we take the
#   derivative to be 0, as PyTorch does).
# * **First layer.** $\;\partial J / \partial W_1 = X^\top G_Z + \lambda W_1\;$ of shape
#   $(d, h)$ and $\;\partial J / \partial b_1 = \sum_i G_{Z,i}\;$ of shape $(h,)$.
#
# Textbooks often write these formulas for a single column vector $\mathbf{x}$, with
# $\mathbf{o} = W^{(2)}\mathbf{h}$ and $\partial J / \partial W^{(2)} = (\partial J / \partial
# \mathbf{o})\,\mathbf{h}^\top + \lambda W^{(2)}$. Our rows-are-examples layout is that formula
# transposed and summed over the batch. A good habit that catches most mistakes: every gradient
# has exactly the shape of the tensor it belongs to.
#
# ## A worked example
#
# One example, $d = h = 1$, $q = 3$: $X = (1)$, $W_1 = (1)$, $b_1 = (0)$, $W_2 = (3.2, 5.1, -1.7)$,
# $b_2 = 0$, label 0. Then $H = (1)$ and the logits are $O = (3.2, 5.1, -1.7)$. The softmax is
# $(0.1300, 0.8690, 0.0010)$ and the loss $-\ln 0.12998 = 2.0404$ (rounding the probability
# to 0.13 first would give 2.0402). Walking back:
# $G_O = (-0.8700, 0.8690, 0.0010)$, which is also $\partial J / \partial W_2$ and
# $\partial J / \partial b_2$ here; $G_H = G_O W_2^\top = 1.6465$, and since $Z = 1 > 0$ that is
# also $\partial J / \partial W_1$ and $\partial J / \partial b_1$.
#
# ## The pitfall: large logits
#
# Computed literally, the softmax overflows: with a logit of 1000, $e^{1000}$ is `inf` and the
# softmax becomes $\infty / \infty$ = NaN. Subtracting each row's maximum first changes nothing
# mathematically (the factor $e^{-m}$ cancels) and keeps every exponent $\le 0$. For the loss, use
# the same shift inside the logarithm: $\log \sum_j e^{O_{ij}} = m_i + \log \sum_j e^{O_{ij} - m_i}$.
#
# ## What to write
#
# `mlp_grads(X, y, W1, b1, W2, b2, lam=0.0)` for `X` $(n, d)$, integer labels `y` $(n,)$ and the
# parameters above. It returns a dict with the objective $J$ under `"loss"` (a 0-d tensor) and
# $\partial J / \partial W_1$, $\partial J / \partial b_1$, $\partial J / \partial W_2$,
# $\partial J / \partial b_2$ under `"W1"`, `"b1"`, `"W2"`, `"b2"`, each with the shape of its
# parameter. Everything keeps the inputs' dtype and device, stays finite for logits of $\pm 1000$,
# and the inputs are left unchanged. Where a hidden pre-activation is exactly 0 the ReLU has a
# kink; take its derivative there as 0, as PyTorch does.
#
# Compute it by hand. The checks call your function with autograd out of reach
# (`backward`, `torch.autograd.grad` and `requires_grad_` are forbidden) and compare with the
# gradients autograd finds for the same network; `softmax`, `log_softmax`, `cross_entropy` and
# `nll_loss` are forbidden too. `torch.logsumexp` is allowed.

# %%
import torch


# %%
def mlp_grads(X: torch.Tensor, y: torch.Tensor, W1: torch.Tensor, b1: torch.Tensor,
              W2: torch.Tensor, b2: torch.Tensor, lam: float = 0.0) -> dict[str, torch.Tensor]:
    """Loss and gradients of mean cross-entropy + lam / 2 (|W1|^2 + |W2|^2) for
    o = relu(X W1 + b1) W2 + b2, computed by hand; gradients have the parameters' shapes."""
    ### BEGIN SOLUTION
    # HINT: forward (keep Z and H), a max-shifted softmax for the loss and for dJ/dO = (P - Y) / n, then walk back layer by layer
    n = X.shape[0]
    rows = torch.arange(n, device=X.device)
    # forward pass, keeping what the backward pass needs
    Z = X @ W1 + b1
    H = torch.where(Z > 0, Z, torch.zeros_like(Z))
    O = H @ W2 + b2
    # stable softmax and cross-entropy: every exponent is <= 0 after the shift
    shifted = O - O.max(dim=1, keepdim=True).values
    E = torch.exp(shifted)
    S = E.sum(dim=1, keepdim=True)
    log_probs = shifted - torch.log(S)
    penalty = (lam / 2) * ((W1 * W1).sum() + (W2 * W2).sum())
    loss = -log_probs[rows, y].mean() + penalty
    # backward pass
    G_O = E / S
    G_O[rows, y] -= 1.0
    G_O = G_O / n
    grad_W2 = H.T @ G_O + lam * W2
    grad_b2 = G_O.sum(dim=0)
    G_H = G_O @ W2.T
    G_Z = G_H * (Z > 0).to(G_H.dtype)
    grad_W1 = X.T @ G_Z + lam * W1
    grad_b1 = G_Z.sum(dim=0)
    return {"loss": loss, "W1": grad_W1, "b1": grad_b1, "W2": grad_W2, "b2": grad_b2}
    ### END SOLUTION


# %% [markdown]
# ## Try it
#
# The cell below runs the worked example and compares your gradients with autograd's on a random
# network.

# %%
if __name__ == "__main__":
    out = mlp_grads(torch.tensor([[1.0]]), torch.tensor([0]), torch.tensor([[1.0]]), torch.tensor([0.0]),
                    torch.tensor([[3.2, 5.1, -1.7]]), torch.zeros(3))
    print({k: v.tolist() for k, v in out.items()})

    torch.manual_seed(0)
    X, y = torch.randn(16, 5), torch.randint(0, 4, (16,))
    params = {"W1": torch.randn(5, 8), "b1": torch.randn(8), "W2": torch.randn(8, 4), "b2": torch.randn(4)}
    mine = mlp_grads(X, y, *params.values(), lam=0.1)
    leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    O = torch.relu(X @ leaves["W1"] + leaves["b1"]) @ leaves["W2"] + leaves["b2"]
    J = torch.nn.functional.cross_entropy(O, y) + 0.05 * (leaves["W1"].pow(2).sum() + leaves["W2"].pow(2).sum())
    J.backward()
    print("loss:", float(mine["loss"]), "autograd:", float(J))
    for k, leaf in leaves.items():
        print(k, "largest difference from autograd:", float((mine[k] - leaf.grad).abs().max()))
