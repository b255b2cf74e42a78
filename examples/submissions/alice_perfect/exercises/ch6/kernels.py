# %% [markdown]
# # Hand-made kernels, convolution and cross-correlation as a matrix
#
# Before networks learned their kernels, image processing designed them by hand. Looking at a
# few classic ones tells us what a learned kernel may end up doing, and two small exercises from
# the theory (the kernel of a derivative, and a cross-correlation written as a matrix product)
# show what the operation really is: a linear map.
#
# Everywhere below `corr2d(X, K)` is the valid cross-correlation of the previous exercises,
# $Y[i, j] = \sum_{a, b} X[i + a, j + b]\, K[a, b]$, of shape $(h - k_h + 1) \times (w - k_w + 1)$.
#
# ## Blur
#
# Replacing every pixel by the average of its $k \times k$ neighbourhood washes out small noisy
# details and softens sharp edges. The kernel is a $k \times k$ array filled with $1 / k^2$, for
# $k = 3$ nine entries of $1/9$. Its entries add up to 1, so a flat region keeps its brightness.
# A classic slip is to write `kernel / 9.0` on a line of its own: the division makes a new array
# and throws it away, the kernel stays all ones and the "blurred" image is nine times too bright.
#
# ## Edges
#
# An edge is where the brightness changes. The centre-surround kernel
#
# $$
# \begin{bmatrix} -1 & -1 & -1 \\ -1 & 8 & -1 \\ -1 & -1 & -1 \end{bmatrix}
# $$
#
# weighs the centre pixel as much as all eight neighbours together, with the opposite sign. Its
# entries add up to 0: on a flat patch the response is exactly zero, inside an object as well as
# outside it, and only where the neighbourhood changes does something come out. To find edges of
# one orientation only, let the kernel change sign across that direction:
#
# $$
# \begin{bmatrix} -1 & -1 & -1 \\ 0 & 0 & 0 \\ 1 & 1 & 1 \end{bmatrix}
# $$
#
# answers where the row below is brighter than the row above, that is at *horizontal* edges (the
# horizontal stroke of a handwritten 4, say), and stays silent at vertical ones. The two-entry kernel
# `[[1, -1]]` from the learning-a-kernel exercise is the same idea in its smallest form: it finds
# vertical edges, and applied to the transposed image (`corr2d(X.t(), K)`) it finds the
# horizontal ones.
#
# ## Derivatives
#
# `[[1, -1]]` computes $x_i - x_{i+1}$, a (negated) discrete first derivative. Applying it twice
# gives $x_i - 2x_{i+1} + x_{i+2}$: the kernel of the second derivative is `[[1, -2, 1]]`. In
# general the difference of order $d$ has the $d + 1$ binomial coefficients with alternating
# signs, $(-1)^j \binom{d}{j}$ for $j = 0, \dots, d$: `[[1, -3, 3, -1]]` for $d = 3$. It turns a
# polynomial of degree $d$ with leading coefficient $c$ into the constant $(-1)^d\, d!\, c$ and a
# polynomial of lower degree into zeros. This also answers the question "how small can a kernel
# for a derivative of degree $d$ be": $d + 1$ entries, because $d + 1$ samples are the fewest that
# determine a polynomial of degree $d$.
#
# ## Cross-correlation is a matrix product
#
# Every output pixel is a fixed linear combination of input pixels, so the whole operation is a
# matrix. Flatten the $h \times w$ input row by row into a vector of length $h w$ (pixel
# $(r, c)$ goes to position $r w + c$) and the output likewise. Row $i \cdot w' + j$ of the matrix
# $W$, of shape $(h' w', h w)$, holds `K[a, b]` at column $(i + a) w + (j + b)$ and zeros
# elsewhere, so that `W @ X.flatten()` equals `corr2d(X, K).flatten()`. For a $3 \times 3$ input
# and `K = [[0, 1], [2, 3]]` the first row is `[0, 1, 0, 2, 3, 0, 0, 0, 0]`. The matrix is mostly
# zeros, and each row is the row above shifted to the right: the structure of weight sharing.
#
# ## Convolution proper
#
# What deep learning calls a convolution is a cross-correlation. The mathematical convolution
# flips the kernel on both axes first,
# $Y[i, j] = \sum_{a, b} X[i + a, j + b]\, K[k_h - 1 - a, k_w - 1 - b]$. For the $3 \times 3$
# input holding $0, \dots, 8$ and `K = [[0, 1], [2, 3]]` the cross-correlation is
# `[[19, 25], [37, 43]]` while the convolution is `[[5, 11], [23, 29]]`. For symmetric kernels
# such as the blur and the centre-surround edge kernel the two coincide; for `[[1, -1]]` they
# differ by a sign.
#
# ## What to write
#
# 1. `blur_kernel(k=3)`: the `(k, k)` float32 tensor of `1 / k**2` (`ValueError` for `k < 1`).
# 2. `edge_kernel()`: the 3 x 3 centre-surround kernel above (8 in the centre, -1 around).
# 3. `horizontal_edge_kernel()`: the 3 x 3 kernel above (-1 on top, 0 in the middle, 1 below).
# 4. `difference_kernel(order)`: the `(1, order + 1)` float32 tensor $(-1)^j \binom{order}{j}$
#    (`[[1.]]` for order 0; `ValueError` for a negative order).
# 5. `corr2d_as_matmul(in_shape, K)`: the `(h' * w', h * w)` matrix $W$ for an input of shape
#    `in_shape = (h, w)`, with the dtype and device of `K` (`ValueError` when `K` does not fit).
# 6. `convolve2d(X, K)`: the valid convolution of `X` (h, w) with `K` (kh, kw), the kernel flipped
#    on both axes, with the dtype and device of `X` (`ValueError` when `K` does not fit).
#
# All kernels are new float32 tensors on the CPU. Build 5 and 6 from indexing, slicing, products
# and sums: `F.conv2d`, `nn.Conv2d` and the other built-in convolutions are not allowed here.

# %%
import math

import torch


# %%
def blur_kernel(k: int = 3) -> torch.Tensor:
    """The (k, k) box blur: every entry 1 / k**2."""
    ### BEGIN SOLUTION
    # HINT: a k x k tensor of ones, divided by k * k (and keep the result)
    if k < 1:
        raise ValueError(f"the kernel size must be at least 1, got {k}")
    return torch.full((k, k), 1.0 / (k * k), dtype=torch.float32)
    ### END SOLUTION


# %%
def edge_kernel() -> torch.Tensor:
    """The 3 x 3 centre-surround edge detector: 8 in the centre, -1 around it."""
    ### BEGIN SOLUTION
    # HINT: start from -ones(3, 3) and set the centre
    K = -torch.ones((3, 3), dtype=torch.float32)
    K[1, 1] = 8.0
    return K
    ### END SOLUTION


# %%
def horizontal_edge_kernel() -> torch.Tensor:
    """The 3 x 3 horizontal-edge detector: a row of -1, a row of 0, a row of 1."""
    ### BEGIN SOLUTION
    # HINT: three rows: -1s, 0s, 1s
    return torch.tensor([[-1.0, -1.0, -1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    ### END SOLUTION


# %%
def difference_kernel(order: int) -> torch.Tensor:
    """The (1, order + 1) kernel of the discrete derivative of that order: (-1)**j * C(order, j)."""
    ### BEGIN SOLUTION
    # HINT: math.comb(order, j) gives the binomial coefficients; alternate the signs
    if order < 0:
        raise ValueError(f"the order must not be negative, got {order}")
    coeffs = [(-1) ** j * math.comb(order, j) for j in range(order + 1)]
    return torch.tensor([coeffs], dtype=torch.float32)
    ### END SOLUTION


# %%
def corr2d_as_matmul(in_shape: tuple[int, int], K: torch.Tensor) -> torch.Tensor:
    """The (h' * w', h * w) matrix W with W @ X.flatten() == corr2d(X, K).flatten() for X of shape in_shape."""
    ### BEGIN SOLUTION
    # HINT: row i * w' + j gets K[a, b] in column (i + a) * w + (j + b), for every kernel offset (a, b)
    h, w = in_shape
    kh, kw = K.shape
    if kh > h or kw > w:
        raise ValueError(f"a {kh}x{kw} kernel does not fit in a {h}x{w} input")
    out_h, out_w = h - kh + 1, w - kw + 1
    W = torch.zeros((out_h * out_w, h * w), dtype=K.dtype, device=K.device)
    rows = torch.arange(out_h * out_w, device=K.device)
    i, j = rows // out_w, rows % out_w
    for a in range(kh):
        for b in range(kw):
            W[rows, (i + a) * w + (j + b)] = K[a, b]
    return W
    ### END SOLUTION


# %%
def convolve2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Valid 2-D convolution: the cross-correlation of X with K flipped on both axes."""
    ### BEGIN SOLUTION
    # HINT: flip K on both axes, then cross-correlate as before
    h, w = X.shape
    kh, kw = K.shape
    if kh > h or kw > w:
        raise ValueError(f"a {kh}x{kw} kernel does not fit in a {h}x{w} input")
    flipped = K.flip(0, 1)
    out_h, out_w = h - kh + 1, w - kw + 1
    Y = torch.zeros((out_h, out_w), dtype=X.dtype, device=X.device)
    for a in range(kh):
        for b in range(kw):
            Y = Y + flipped[a, b] * X[a:a + out_h, b:b + out_w]
    return Y
    ### END SOLUTION


# %% [markdown]
# ## Try it
#
# The kernels at work on a small synthetic image (a bright square on a dark background), the
# derivative kernels on a cubic, and the matrix form of a cross-correlation.

# %%
if __name__ == "__main__":
    def corr2d(X, K):
        """Cross-correlation through the matrix of corr2d_as_matmul."""
        out_shape = (X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1)
        return (corr2d_as_matmul(tuple(X.shape), K) @ X.flatten()).reshape(out_shape)

    image = torch.zeros(8, 8)
    image[2:6, 2:6] = 1.0
    print(corr2d(image, blur_kernel()))
    print(corr2d(image, edge_kernel()))
    print(corr2d(image, horizontal_edge_kernel()))      # top edge +, bottom edge -
    t = torch.arange(8.0).reshape(1, 8)
    for d in range(1, 5):
        print(d, difference_kernel(d).tolist(), corr2d(t ** 3, difference_kernel(d)).tolist())
    X = torch.arange(9.0).reshape(3, 3)
    K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    print(corr2d_as_matmul((3, 3), K))
    print(corr2d(X, K), convolve2d(X, K))               # [[19, 25], [37, 43]] and [[5, 11], [23, 29]]
