# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Cross-correlation and a convolution layer
#
# A fully connected layer looks at every pixel of an image with its own weight. That ignores two
# things we know about pictures: what matters is usually *local* (an edge, a corner, a patch of
# texture), and the same pattern means the same thing wherever it appears. A convolutional layer
# builds both facts in. It slides one small array of weights, the **kernel**, over the image and
# computes, at every position, a weighted sum of the pixels under the kernel. The kernel is
# small, and it is shared by all positions.
#
# ## Two-dimensional cross-correlation
#
# Take an input `X` of shape $h \times w$ and a kernel `K` of shape $k_h \times k_w$. Place the
# top-left corner of the kernel on pixel $(i, j)$, multiply the overlapping entries and add them
# up:
#
# $$
# Y[i, j] = \sum_{a=0}^{k_h - 1} \sum_{b=0}^{k_w - 1} X[i + a,\ j + b]\; K[a, b].
# $$
#
# The kernel must fit entirely inside the image ("valid" positions only), so $i$ runs over
# $0, \dots, h - k_h$ and $j$ over $0, \dots, w - k_w$: the output has shape
# $(h - k_h + 1) \times (w - k_w + 1)$. Mind the $+1$. A kernel as large as the image fits
# exactly once and gives a $1 \times 1$ output; a loop written as `range(h - k_h)` misses the
# last row and the last column of positions. A kernel taller or wider than the image fits
# nowhere, and that is an error, not an empty answer.
#
# Deep-learning libraries call this operation a *convolution*, but strictly speaking it is a
# cross-correlation: the mathematical convolution would flip the kernel first
# (`K[k_h - 1 - a, k_w - 1 - b]`). Since the kernel is learned, the difference does not matter
# for a network, but it does matter for your function: do **not** flip the kernel.
#
# A worked example with a $3 \times 3$ input and a $2 \times 2$ kernel:
#
# ```
# X = [[0, 1, 2],      K = [[0, 1],      Y = [[19, 25],
#      [3, 4, 5],           [2, 3]]           [37, 43]]
#      [6, 7, 8]]
# ```
#
# for instance $Y[0, 0] = 0 \cdot 0 + 1 \cdot 1 + 3 \cdot 2 + 4 \cdot 3 = 19$.
#
# ## Two ways to compute it
#
# The definition suggests a double loop over the output positions, each computing
# `(X[i:i + kh, j:j + kw] * K).sum()`. That is correct but slow for big images, because Python
# runs once per output pixel. The same sum can be reorganised as a loop over the
# $k_h \cdot k_w$ *kernel offsets*: for each offset $(a, b)$, the slice of `X` that starts at
# $(a, b)$ and has the output's shape, multiplied by the single number `K[a, b]`, is that
# offset's contribution to every output pixel at once. Kernels are small, so this loop is short.
# Both versions use only ordinary tensor operations (slicing, multiplication, sums), so autograd
# differentiates them with respect to `X` and to `K` for free. Do not write the result into a
# preallocated tensor with `.item()` or through `.data`: that cuts the graph and the kernel
# could no longer be learned.
#
# ## A layer
#
# A convolution layer owns a kernel and a scalar bias as parameters and computes
# `corr2d(x, weight) + bias`. Registering them as `nn.Parameter`s in an `nn.Module` makes
# `parameters()`, `zero_grad()` and `state_dict()` find them.
#
# ## Learning an edge detector
#
# Build a $6 \times 8$ image of ones whose middle columns 2 to 5 are zero (a dark band on a light
# background). The kernel `K = [[1, -1]]` subtracts each pixel's right-hand neighbour from it,
# so `corr2d(X, K)` is 1 where light turns into dark (between columns 1 and 2), -1 where dark
# turns into light (between columns 5 and 6), and 0 everywhere else: a vertical-edge detector.
# The same kernel finds nothing in the transposed image, where the edges run horizontally.
#
# Now forget `K` and keep only the pair `(X, Y)`. Can gradient descent recover the kernel? Start
# a `Conv2D` layer from its random kernel and repeat: predict `Y_hat = layer(X)`, measure the
# error, backpropagate, move the kernel a small step against its gradient. With the sum of
# squared errors and a step size of 0.03, each step shrinks the loss by a roughly constant
# factor; after ten steps it has fallen about a hundredfold and the learned kernel is within
# about 0.1 of `[[1, -1]]`.
#
# ## What to write
#
# * `corr2d(X, K)` — `X` is `(h, w)` and `K` is `(kh, kw)`, any shapes (the kernel need not be
#   square). Return the valid cross-correlation, of shape `(h - kh + 1, w - kw + 1)`, with the
#   dtype and device of `X`. Raise `ValueError` when `kh > h` or `kw > w`. The result must be
#   differentiable with respect to both `X` and `K`. Do not call `F.conv2d`, `nn.Conv2d` or any
#   other built-in convolution: build it from slicing, products and sums.
# * `Conv2D(kernel_size)` — an `nn.Module`; `kernel_size` is a pair `(kh, kw)`. Its parameters
#   are `weight`, of shape `kernel_size`, initialised with `torch.rand(kernel_size)` (uniform on
#   $[0, 1)$), and `bias`, of shape `(1,)`, initialised to zero.
#   `forward(x)` returns `corr2d(x, self.weight) + self.bias`.
# * `learn_kernel(X, Y, kernel_size, num_iters=10, lr=3e-2)` — `X` and `Y` are 2-D tensors.
#   Create the layer with `Conv2D(kernel_size)` before drawing any other random number (checks
#   seed the generator and expect the same starting kernel as ours), then move it to `X`'s
#   device. Then, `num_iters` times, in this order:
#   1. `Y_hat = layer(X)`; the loss is the **sum** (not the mean) of the squared errors,
#      `((Y_hat - Y) ** 2).sum()`;
#   2. clear the old gradients (`layer.zero_grad()`), then backpropagate the loss;
#   3. update only the kernel, `weight <- weight - lr * weight.grad`, without recording the
#      update in the graph (inside `torch.no_grad()`). The bias stays at zero: with this step
#      size, letting it move as well makes the iteration diverge.
#
#   Return the pair `(kernel, losses)`: `kernel` is the learned weight as a plain tensor
#   (detached, shape `kernel_size`), `losses` a list of `num_iters` Python floats, the loss
#   computed in each iteration (before that iteration's update).

# %%
import torch
from torch import nn


# %%
def corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Valid 2-D cross-correlation of X (h, w) with kernel K (kh, kw)."""
    ### BEGIN SOLUTION
    # HINT: check the shapes, then add up K[a, b] * X[a:a + out_h, b:b + out_w] over every kernel offset (a, b)
    h, w = X.shape
    kh, kw = K.shape
    if kh > h or kw > w:
        raise ValueError(f"kernel of shape {(kh, kw)} does not fit in an input of shape {(h, w)}")
    out_h, out_w = h - kh + 1, w - kw + 1
    # Loop over the few kernel offsets, not the many output pixels: each offset shifts the whole
    # image once, and autograd follows the slices and products back to X and K.
    Y = torch.zeros((out_h, out_w), dtype=X.dtype, device=X.device)
    for a in range(kh):
        for b in range(kw):
            Y = Y + K[a, b] * X[a:a + out_h, b:b + out_w]
    return Y
    ### END SOLUTION


# %%
class Conv2D(nn.Module):
    """A single-channel convolution layer: corr2d with a learned kernel, plus a bias."""

    def __init__(self, kernel_size: tuple[int, int]) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        # HINT: self.weight = nn.Parameter(torch.rand(kernel_size)); self.bias = nn.Parameter of zeros, shape (1,)
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        # HINT: cross-correlate x with the kernel and add the bias
        return corr2d(x, self.weight) + self.bias
        ### END SOLUTION


# %%
def learn_kernel(X: torch.Tensor, Y: torch.Tensor, kernel_size: tuple[int, int],
                 num_iters: int = 10, lr: float = 3e-2) -> tuple[torch.Tensor, list[float]]:
    """Learn a kernel mapping X to Y by gradient descent on the summed squared error."""
    ### BEGIN SOLUTION
    # HINT: layer = Conv2D(kernel_size).to(X.device); per iteration: loss, zero_grad, backward, update weight only
    layer = Conv2D(kernel_size).to(X.device)
    losses = []
    for _ in range(num_iters):
        loss = ((layer(X) - Y) ** 2).sum()
        layer.zero_grad()
        loss.backward()
        with torch.no_grad():
            layer.weight -= lr * layer.weight.grad
        losses.append(float(loss.detach()))
    return layer.weight.detach().clone(), losses
    ### END SOLUTION


# %% [markdown]
# ## Try it
#
# The edge-detection example from the text: the loss printed every two iterations keeps falling
# by about the same factor, and the learned kernel is close to `[[1, -1]]`.

# %%
if __name__ == "__main__":
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    K = torch.tensor([[1.0, -1.0]])
    Y = corr2d(X, K)
    print(Y)
    print(corr2d(X.t(), K))   # horizontal edges: nothing found
    torch.manual_seed(0)
    kernel, losses = learn_kernel(X, Y, (1, 2))
    for i in range(1, len(losses), 2):
        print(f"iteration {i + 1}, loss {losses[i]:.3f}")
    print("learned kernel:", kernel)
