# %% [markdown]
# # Padding and stride
#
# A valid cross-correlation shrinks its input. An $n_h \times n_w$ image and a
# $k_h \times k_w$ kernel give an output of $(n_h - k_h + 1) \times (n_w - k_w + 1)$: the kernel
# has to fit entirely inside the image, and along each axis there are exactly $n - k + 1$ places
# to put it. A $32 \times 32$ image filtered with a $5 \times 5$ kernel therefore comes out
# $28 \times 28$: the last four positions of every row and column have no room for the kernel.
# Stack a few such layers and the picture melts away. Two knobs control the output size:
# **padding** adds a border around the input, and **stride** skips positions.
#
# ## Padding
#
# Padding by $p$ surrounds the input with $p$ rows of zeros at the top and at the bottom and $p$
# columns of zeros on the left and on the right, so each axis grows by $2p$ and the output has
# $n - k + 2p + 1$ entries along it. With an odd kernel size $k$ the choice $p = (k - 1) / 2$,
# which is `k // 2` in Python, keeps the size unchanged: a batch of shape `(10, 1, 28, 28)`
# passed through six $3 \times 3$ filters with padding 1 comes out as `(10, 6, 28, 28)`.
# Beware of "padding $\lceil k / 2 \rceil$": for $k = 3$ it pads by 2 and every layer *grows* the
# image by two pixels. Some books count the padding as the total number of added rows
# ($p_h$ split over top and bottom). In this exercise `padding` is always the amount added on
# **each** side.
#
# ## Stride
#
# The stride $s$ is the step between two consecutive kernel positions. With stride 1 the kernel
# visits every position; with stride 2 it visits every other one, which roughly halves the output
# along that axis. The first position is always the top-left corner of the padded input, and a
# position counts only if the kernel fits entirely inside the padded input.
#
# ## The formula
#
# Along one axis, the kernel can start at $0, s, 2s, \dots$ as long as the start is at most
# $n + 2p - k$. Counting those starts gives
#
# $$
# \text{out} = \left\lfloor \frac{n - k + 2p}{s} \right\rfloor + 1 .
# $$
#
# The rounding is **down**: a last, incomplete window is dropped, never padded on the fly.
# AlexNet is a good exercise in applying it. A $224 \times 224$ input, an $11 \times 11$ kernel
# with stride 4 and padding 1 gives $\lfloor 215 / 4 \rfloor + 1 = 54$; a $3 \times 3$ max-pool
# with stride 2 gives $\lfloor 51 / 2 \rfloor + 1 = 26$; a $5 \times 5$ convolution with padding 2
# keeps 26; the next pool gives 12; three $3 \times 3$ convolutions with padding 1 keep 12; the
# last pool gives 5, and $256 \cdot 5 \cdot 5 = 6400$ features enter the first fully connected
# layer. In the same way a small MNIST network goes $28 \to 26 \to 24$ with two unpadded
# $3 \times 3$ convolutions and $24 \to 12$ with a $2 \times 2$ pool: $32$ channels of
# $12 \times 12$ are $4608$ features.
#
# A kernel larger than the padded input fits nowhere. The formula would then give 0 or a
# negative number; treat that case as an error rather than as an empty answer.
#
# ## One dimension first
#
# In one dimension, a signal `x` of length $n$ and a kernel `k` of length $m$ give
# $y_i = \sum_j x_{i + j} k_j$ for $i = 0, \dots, n - m$, that is $n - m + 1$ values. With
# `x = [1, 0, 2, -1, 1, 2]` and `k = [1, 0, -1]` the four windows give
# $1 - 2 = -1$, $0 + 1 = 1$, $2 - 1 = 1$ and $-1 - 2 = -3$, so `y = [-1, 1, 1, -3]`. A loop
# written as `for i in range(len(x) - len(k))` stops one window early and returns only three
# values: the number of positions is $n - m + 1$, not $n - m$.
#
# ## What to write
#
# 1. `conv_output_size(n, k, padding=0, stride=1)`: the formula above for one axis, as a Python
#    `int`. Raise `ValueError` when the kernel does not fit (`k > n + 2 * padding`), when
#    `stride < 1` or when `padding < 0`.
# 2. `corr1d(x, k)`: the 1-D cross-correlation of two 1-D tensors at valid positions only
#    (length `len(x) - len(k) + 1`, no flipping of the kernel). Raise `ValueError` when the
#    kernel is longer than the signal.
# 3. `corr2d_pad_stride(X, K, padding=0, stride=1)`: the 2-D cross-correlation of `X` (h, w)
#    with `K` (kh, kw), with zero padding and a stride. Each of `padding` and `stride` is either
#    an int (the same for both axes) or a pair `(for rows, for columns)`. The output has shape
#    `(conv_output_size(h, kh, ph, sh), conv_output_size(w, kw, pw, sw))` and the dtype and
#    device of `X`; `X` itself is left unchanged. Raise `ValueError` in the same cases as
#    `conv_output_size`.
#
# All three are built by hand from slicing, products and sums (or `unfold` and a matrix
# product): `F.conv1d`, `F.conv2d`, `nn.Conv2d` and the other built-in convolutions are not
# allowed here.

# %%
import torch


# %%
def conv_output_size(n: int, k: int, padding: int = 0, stride: int = 1) -> int:
    """Number of kernel positions along one axis: floor((n - k + 2 * padding) / stride) + 1.

    Raises ValueError when k > n + 2 * padding, stride < 1 or padding < 0.
    """
    raise NotImplementedError("validate the arguments first; floor division (//) rounds down for positive numbers")


# %%
def corr1d(x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Valid 1-D cross-correlation: y[i] = sum_j x[i + j] * k[j], of length len(x) - len(k) + 1."""
    raise NotImplementedError("there are len(x) - len(k) + 1 windows; add up k[j] times a shifted slice of x for each j")


# %%
def corr2d_pad_stride(X: torch.Tensor, K: torch.Tensor, padding=0, stride=1) -> torch.Tensor:
    """2-D cross-correlation of X (h, w) with K (kh, kw), zero padding and a stride.

    `padding` and `stride` are ints or pairs (rows, columns). Returns a new tensor of shape
    (conv_output_size(h, kh, ph, sh), conv_output_size(w, kw, pw, sw)) with X's dtype and device.
    """
    raise NotImplementedError("turn padding and stride into pairs, copy X into a zero tensor with the border, then sum K[a, b] * strided slices")


# %% [markdown]
# ## Try it
#
# The worked numbers of the text: the 1-D example, the AlexNet chain of sizes, and a padded,
# strided 2-D example whose shape the formula predicts.

# %%
if __name__ == "__main__":
    print(corr1d(torch.tensor([1.0, 0.0, 2.0, -1.0, 1.0, 2.0]), torch.tensor([1.0, 0.0, -1.0])))
    n = conv_output_size(224, 11, padding=1, stride=4)
    sizes = [n]
    for k, p, s in ((3, 0, 2), (5, 2, 1), (3, 0, 2), (3, 1, 1), (3, 1, 1), (3, 1, 1), (3, 0, 2)):
        n = conv_output_size(n, k, p, s)
        sizes.append(n)
    print("AlexNet sizes:", sizes, "features:", 256 * n * n)
    X = torch.arange(64.0).reshape(8, 8)
    print(corr2d_pad_stride(X, torch.ones(3, 3), padding=1, stride=2).shape)   # (4, 4)
    print(corr2d_pad_stride(X, torch.ones(3, 5), padding=(0, 1), stride=(3, 4)).shape)
