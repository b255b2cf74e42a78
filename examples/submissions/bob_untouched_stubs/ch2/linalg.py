# %% [markdown]
# # Norms, products, statistics and rank
#
# Most of deep learning is linear algebra done in bulk, so a few of its tools are worth writing
# once by hand: how big is a vector, how does a matrix act on a vector, how do we summarise the
# columns of a data table, and how many independent directions does a matrix really have.
#
# ## Norms
#
# A *norm* measures the size of a vector. The two we meet everywhere are
#
# $$ \|x\|_1 = \sum_i |x_i|, \qquad \|x\|_2 = \sqrt{\sum_i x_i^2}. $$
#
# For $u = (3, -4)$ the $\ell_2$ norm is $\sqrt{9 + 16} = 5$ and the $\ell_1$ norm is
# $3 + 4 = 7$. The absolute value matters: without it the $\ell_1$ "norm" of $u$ would be $-1$.
# For a matrix the *Frobenius norm* treats every entry as part of one long vector,
# $\|X\|_F = \sqrt{\sum_{i,j} x_{ij}^2}$; the $4 \times 9$ matrix of ones has
# $\|X\|_F = \sqrt{36} = 6$. A norm is a single number, and in PyTorch we keep it a tensor: a
# 0-d tensor with the input's dtype and device, so it can take part in further computation.
#
# ## Matrix times vector
#
# For $A$ of shape $(m, n)$ and $x$ of shape $(n,)$, $Ax$ is the vector of the $m$ dot products
# of the rows of $A$ with $x$: $(Ax)_i = \sum_j a_{ij} x_j$. With
# $A = \begin{pmatrix} 0 & 1 & 2 \\ 3 & 4 & 5 \end{pmatrix}$ and $x = (0, 1, 2)$ we get
# $(0 + 1 + 4,\; 0 + 4 + 10) = (5, 14)$. The lengths must agree: a $(2, 3)$ matrix cannot
# multiply a vector of length 2. Broadcasting makes this short to write: `A * x` multiplies every
# row of `A` by `x` entry by entry, and summing each row finishes the job.
#
# ## Column statistics
#
# A data table stores one example per row and one feature per column, so statistics are taken
# down the columns (`dim=0`). The *mean* is the sum over the number of rows $m$. The *median*
# is the middle value after sorting; when $m$ is even there are two middle values and we use
# their mean, as NumPy does (PyTorch's `torch.median` returns the lower one instead). For the
# column $(4, 1, 3, 2)$ the sorted values are $1, 2, 3, 4$ and the median is $2.5$. The
# *standard deviation* here is the unbiased one,
#
# $$ s = \sqrt{\frac{1}{m - 1} \sum_{i=1}^{m} (x_i - \bar x)^2 }, $$
#
# which for $(4, 1, 3, 2)$ is $\sqrt{5 / 3} \approx 1.291$. Dividing by $m$ instead gives the
# smaller, biased value $\approx 1.118$, a common slip.
#
# ## Rank from the singular values
#
# Every matrix $A$ of shape $(m, n)$ factors as $A = U \Sigma V^\top$ (the singular value
# decomposition) with orthogonal $U, V$ and a diagonal $\Sigma$ of singular values
# $\sigma_1 \ge \sigma_2 \ge \dots \ge 0$. The rank is the number of non-zero singular values.
# In floating point "non-zero" needs a threshold: rounding leaves tiny singular values of size
# about $\sigma_1 \cdot \varepsilon$ where exact arithmetic would give 0. The usual rule, also
# NumPy's, counts the singular values strictly greater than
#
# $$ \text{tol} = \sigma_1 \cdot \max(m, n) \cdot \varepsilon, $$
#
# where $\varepsilon$ is the machine epsilon of $A$'s dtype (`torch.finfo(A.dtype).eps`:
# about $1.19 \cdot 10^{-7}$ for float32 and $2.2 \cdot 10^{-16}$ for float64). The threshold
# scales with $A$: multiplying a matrix by a million does not change its rank. The all-zero
# matrix has $\sigma_1 = 0$, so nothing is strictly above the threshold and its rank is 0.
#
# ## What to write
#
# All inputs are floating-point tensors; results keep their dtype and device, and no function
# changes its input.
#
# 1. `l1_norm(x)`, `l2_norm(x)`: the norms of all entries of `x` taken as one vector (any shape;
#    an empty tensor has norm 0), returned as 0-d tensors. `frobenius_norm(X)`: the same for a
#    matrix, `ValueError` when `X` is not 2-D. `torch.norm`, `torch.linalg.norm`,
#    `torch.linalg.vector_norm`, `torch.linalg.matrix_norm` and `torch.dist` are not allowed.
# 2. `matvec(A, x)`: $Ax$ of shape $(m,)$. `ValueError` when `A` is not 2-D, `x` is not 1-D or
#    the lengths do not match. No `torch.mv`, `@`, `matmul`, `mm`, `dot`, `einsum` or relatives.
# 3. `column_stats(X)` for `X` of shape $(m, n)$ with $m \ge 2$: a dict with keys `"mean"`,
#    `"median"` and `"std"`, each a tensor of shape $(n,)$ (median and std as described above).
#    `ValueError` when `X` is not 2-D or has fewer than 2 rows. Sort yourself: `median`,
#    `nanmedian`, `quantile`, `std`, `var` (and their `_mean` variants) are not allowed.
# 4. `matrix_rank(A, tol=None)`: the rank of a 2-D `A` as a Python `int`, counting singular values
#    strictly greater than `tol`, with the default above when `tol` is `None`. `ValueError` when
#    `A` is not 2-D. Use `torch.linalg.svdvals` (or `svd`); `torch.linalg.matrix_rank` is not
#    allowed. An empty matrix has rank 0.

# %%
import torch


# %%
def l1_norm(x: torch.Tensor) -> torch.Tensor:
    """Sum of the absolute values of all entries, as a 0-d tensor."""
    raise NotImplementedError("absolute values first, then one sum over everything")


def l2_norm(x: torch.Tensor) -> torch.Tensor:
    """Square root of the sum of squares of all entries, as a 0-d tensor."""
    raise NotImplementedError("square, sum everything, take the square root")


def frobenius_norm(X: torch.Tensor) -> torch.Tensor:
    """The l2 norm of all entries of a matrix, as a 0-d tensor; ValueError if X is not 2-D."""
    raise NotImplementedError("check the number of dimensions, then it is the l2 norm of every entry")


# %%
def matvec(A: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A @ x for A of shape (m, n) and x of shape (n,), without matrix-product built-ins."""
    raise NotImplementedError("check the shapes; then broadcasting A * x multiplies each row by x, and a sum per row is left")


# %%
def column_stats(X: torch.Tensor) -> dict:
    """{"mean", "median", "std"} of each column of X (m >= 2 rows): median averages the two middle
    values when m is even, std is the unbiased standard deviation."""
    raise NotImplementedError("mean = sum / m; sort each column for the median (two middle values when m is even); divide by m - 1 for std")


# %%
def matrix_rank(A: torch.Tensor, tol: float | None = None) -> int:
    """Number of singular values of A strictly above tol (default: S.max() * max(m, n) * eps of A's dtype)."""
    raise NotImplementedError("torch.linalg.svdvals gives S; the default tol uses torch.finfo(A.dtype).eps; count with int(...)")


# %% [markdown]
# ## Try it
#
# The cell runs the worked examples; compare with `torch.linalg` and NumPy if you like.

# %%
if __name__ == "__main__":
    u = torch.tensor([3.0, -4.0])
    print(l2_norm(u), l1_norm(u), frobenius_norm(torch.ones(4, 9)))
    A = torch.arange(6.0).reshape(2, 3)
    print(matvec(A, torch.arange(3.0)))
    X = torch.tensor([[4.0, 10.0], [1.0, 20.0], [3.0, 30.0], [2.0, 40.0]])
    print(column_stats(X))
    low_rank = torch.randn(6, 2) @ torch.randn(2, 5)
    print(matrix_rank(low_rank), matrix_rank(torch.zeros(3, 3)), matrix_rank(torch.eye(4)))
