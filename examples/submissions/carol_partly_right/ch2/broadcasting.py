# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Broadcasting
#
# Elementwise operations such as `+`, `*` or `/` want two tensors of the same shape. Very often
# we have less than that: a column of row sums to divide a matrix by, one bias vector to add to
# every example of a batch. Rather than making us copy the small tensor until it is as large as
# the other, PyTorch (like NumPy) *broadcasts*: it behaves as if the small tensor had been
# repeated along the missing or length-1 dimensions, without ever writing those copies into
# memory.
#
# ## The rule
#
# Write the two shapes one above the other, **aligned on the right**; a shape with fewer
# dimensions is padded on the left with 1s. Then compare them dimension by dimension:
#
# - equal sizes stay as they are;
# - a size of 1 takes the other size, whatever it is (0 included: 1 against 0 gives 0);
# - any other pair, such as 3 against 4, is a conflict: the shapes cannot be broadcast.
#
# The result has, in every dimension, the common size, or else the size that is not 1. That is
# the larger of the two sizes except in one case: a 1 against a 0 gives 0.
# For example
#
# ```
#      (8, 1, 6, 1)
#         (7, 1, 5)
#   →  (8, 7, 6, 5)
# ```
#
# while `(2, 3)` and `(3, 2)` conflict in their last dimension. A tensor of shape `()`, a
# single number, broadcasts with anything.
#
# A small case to do by hand: `a = torch.arange(3).reshape(3, 1)` and
# `b = torch.arange(2).reshape(1, 2)`. The column is repeated over 2 columns and the row over 3
# rows, so `a + b` has shape `(3, 2)` and holds `[[0, 1], [1, 2], [2, 3]]`.
#
# ## Two uses
#
# **Normalising rows.** For `A = [[0, 1, 2], [3, 4, 5]]`, `A.sum(dim=1, keepdim=True)` is the
# column `[[3], [12]]` of shape `(2, 1)`; dividing `A` by it broadcasts the column over the
# three columns and gives `[[0, 0.3333, 0.6667], [0.25, 0.3333, 0.4167]]`, whose rows each sum
# to 1. `keepdim=True` matters: without it the sums have shape `(2,)`, which lines up with the
# *last* dimension of `A` (size 3) and either fails or, for a square matrix, silently divides
# column $j$ by the sum of row $j$. A row that sums to 0 cannot be normalised; dividing by it
# would give `inf` or `nan`, so we raise an error instead.
#
# **Distances between two sets of points.** Take $n$ points $P$ of shape `(n, d)` (say `n = 100`
# points in the plane, `d = 2`) and $m$ points $Q$ of shape `(m, d)`. The distance between
# point $i$ of $P$ and point $j$ of $Q$ is
#
# $$
# D_{ij} = \sqrt{\sum_{k=1}^{d} (P_{ik} - Q_{jk})^2}.
# $$
#
# Broadcasting computes all $n \cdot m$ differences at once: `P[:, None, :]` has shape
# `(n, 1, d)`, `Q[None, :, :]` has shape `(1, m, d)`, and their difference has shape
# `(n, m, d)`. Square, sum over the last dimension, take the square root, and no Python loop is
# needed.
#
# A popular shortcut expands the square instead:
# $\lVert p - q \rVert^2 = \lVert p \rVert^2 + \lVert q \rVert^2 - 2\, p \cdot q$, which only
# needs a matrix product. It is fast, but for points that are close to each other it subtracts
# two large, almost equal numbers, and the rounding errors that remain are no longer small
# compared with the answer. The "squared distance" of a point to itself comes out as something
# like $10^{-6}$ or even $-10^{-6}$: the square root turns the first into a distance of
# $10^{-3}$ and the second into `nan`. Clamping at 0 before the square root removes the `nan`
# but not the error. Here the distance of a point to itself must be exactly 0, so compute the
# differences.
#
# ## What to write
#
# 1. `broadcast_shape(a, b)`: the broadcast shape of two shapes (tuples of ints) as a tuple,
#    by the rule above; raise `ValueError` when they conflict. Work with the numbers only:
#    `torch.broadcast_shapes`, `torch.broadcast_tensors`, `broadcast_to` and `expand` are not
#    allowed.
# 2. `pairwise_distances(P, Q)`: the `(n, m)` tensor of Euclidean distances between the rows of
#    `P` `(n, d)` and of `Q` `(m, d)`, in their dtype and on their device; identical points give
#    exactly 0 (never `nan`). Raise `ValueError` when `P` or `Q` is not 2-D or when their `d`
#    differ. `torch.cdist`, `torch.pdist` and `pairwise_distance` are not allowed.
# 3. `row_normalize(A)`: a new tensor, each row of the 2-D tensor `A` divided by its sum, so that
#    every row sums to 1. Floating-point `A` keeps its dtype; an integer `A` gives `float32` (true
#    division, as `/` does). Leave `A` unchanged, and raise `ValueError` when a row sums to 0
#    (a row of zeros, for instance).

# %%
import torch


# %%
def broadcast_shape(a: tuple, b: tuple) -> tuple:
    """The shape that broadcasting shapes a and b together gives; ValueError when they conflict."""
    ### BEGIN SOLUTION
    # HINT: pad the shorter shape with 1s on the left, then decide dimension by dimension
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    result = []
    for x, y in zip(a, b):
        if x == y or y == 1:
            result.append(int(x))
        elif x == 1:
            result.append(int(y))
        else:
            raise ValueError(f"shapes {a} and {b} cannot be broadcast: {x} against {y}")
    return tuple(result)
    ### END SOLUTION


# %%
def pairwise_distances(P: torch.Tensor, Q: torch.Tensor) -> torch.Tensor:
    """(n, m) Euclidean distances between the rows of P (n, d) and the rows of Q (m, d)."""
    ### BEGIN SOLUTION
    # HINT: check the shapes, give P and Q new axes so that their difference has shape (n, m, d), then square, sum, sqrt
    if P.dim() != 2 or Q.dim() != 2:
        raise ValueError(f"P and Q must be 2-D, got shapes {tuple(P.shape)} and {tuple(Q.shape)}")
    if P.shape[1] != Q.shape[1]:
        raise ValueError(f"points of dimension {P.shape[1]} and {Q.shape[1]} cannot be compared")
    diff = P[:, None, :] - Q[None, :, :]
    return (diff * diff).sum(dim=2).sqrt()
    ### END SOLUTION


# %%
def row_normalize(A: torch.Tensor) -> torch.Tensor:
    """A new tensor with every row of A divided by its sum; ValueError when a row sums to 0."""
    ### BEGIN SOLUTION
    # HINT: sum each row keeping the dimension (shape (n, 1)), refuse zero sums, then divide
    sums = A.sum(dim=1, keepdim=True)
    if bool((sums == 0).any()):
        raise ValueError("a row sums to 0 and cannot be normalised")
    return A / sums
    ### END SOLUTION


# %% [markdown]
# ## Try it

# %%
if __name__ == "__main__":
    print(broadcast_shape((3, 1), (1, 2)), broadcast_shape((8, 1, 6, 1), (7, 1, 5)))
    print(torch.arange(3).reshape(3, 1) + torch.arange(2).reshape(1, 2))
    print(row_normalize(torch.arange(6, dtype=torch.float32).reshape(2, 3)))
    points = torch.rand(100, 2)
    D = pairwise_distances(points, points)
    print(D.shape, D.diagonal().abs().max())
