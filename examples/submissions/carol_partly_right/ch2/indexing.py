# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Indexing, slicing and masks
#
# A tensor of shape `(4, 2, 3)` holds 24 numbers, and every one of them has an *index*: a tuple
# of three integers `(i, j, k)` with `0 <= i < 4`, `0 <= j < 2`, `0 <= k < 3`. Indexing reads or
# writes single entries (`X[1, 2]`), slicing takes whole ranges (`X[1:3]`, `X[:, 0]`), and a
# boolean *mask* of the same shape as the tensor picks the entries where it is `True`. This
# exercise practises all three, first by hand with Python loops and then with the tensor
# operations that make those loops unnecessary.
#
# ## Row-major order
#
# When we list the entries of a tensor one by one, the *last* index changes fastest, as the
# digits of a counter do: `(0, 0, 0), (0, 0, 1), (0, 0, 2), (0, 1, 0), ...`. This is called
# row-major (or C) order, and it is the order in which `torch.arange(1, 25).reshape(4, 2, 3)`
# places the numbers 1 to 24. In that tensor the number 13 sits at index `(2, 0, 0)`: twelve
# numbers fill the blocks `i = 0` and `i = 1` (each block holds 2 x 3 = 6), so 13 is the first
# entry of block 2. With 24 entries summing to 300, the mean is 300 / 24 = 12.5.
#
# A loop over a tensor of *any* rank cannot be written as a fixed number of nested `for`s. Two
# ways out: recursion (a tensor's first index gives a tensor of one rank less, until a 0-d
# tensor is left), or one flat counter $f = 0, 1, \dots, N - 1$ turned into an index by
# repeated `divmod` with the sizes, starting from the last dimension. Either way, read single
# numbers with `.item()`, which gives a Python `int` or `float`. For an integer tensor keep
# Python integers while adding: the mean of `[1, 2]` is 1.5, not 1, and converting large
# integers to `float32` first loses digits (`float32` holds integers exactly only up to
# $2^{24} \approx 1.7 \times 10^7$).
#
# ## Writing without changing the original
#
# `X[1, 2] = 17` writes into `X` itself, and so does `X[:, j] = value`, which sets a whole
# column. A function that should give back a *modified copy* must therefore `clone()` first and
# write into the clone; otherwise the caller's tensor changes behind their back. Negative indices
# count from the end (`-1` is the last column), and an index beyond the size is an `IndexError`,
# which tensor indexing raises by itself: no need to wrap indices around.
#
# ## Masks
#
# `X > 0.5` is a boolean tensor of `X`'s shape. `X[X > 0.5]` gathers the selected entries into a
# 1-D tensor (the shape is lost), while `torch.where(mask, X, other)` keeps the shape and takes
# each entry from `X` where the mask holds and from `other` elsewhere. Multiplying by the mask,
# `X * (X > t)`, looks like a shortcut, but `-inf * 0` is `nan`, so an entry of $-\infty$ comes
# out as `nan` instead of 0.
#
# ## What to write
#
# 1. `loop_mean(T)`: the mean of all entries of a tensor of any rank (0-d included) as a Python
#    float, with Python loops over the entries; integer tensors get the exact mean. Raise
#    `ValueError` for an empty tensor. `mean` and `sum` (and their `nan` versions) are not allowed
#    here: that is the point.
# 2. `find_value(T, v)`: the index tuple (Python ints) of the first entry equal to `v` in
#    row-major order; `ValueError` when no entry is equal. For a 0-d tensor the index is `()`.
# 3. `with_column(X, j, value)`: a copy of the 2-D tensor `X` with column `j` set to `value` (a
#    number, or a tensor of one value per row); negative `j` counts from the end, a `j` outside the
#    columns raises `IndexError`, and `X` itself is left unchanged.
# 4. `keep_above(X, t)`: a new tensor of `X`'s shape, dtype and device in which every entry
#    `<= t` is 0 and the others are as in `X`; `X` is left unchanged.

# %%
import torch


# %%
def loop_mean(T: torch.Tensor) -> float:
    """Mean of all entries of T (any rank) computed with Python loops; ValueError if T is empty."""
    ### BEGIN SOLUTION
    # HINT: visit every entry (recursion over the first index, or one flat counter turned into an index), add up .item() values
    if T.numel() == 0:
        raise ValueError("the mean of an empty tensor is undefined")

    def total(t: torch.Tensor):
        if t.dim() == 0:
            return t.item()
        acc = 0
        for i in range(t.shape[0]):
            acc += total(t[i])
        return acc

    return total(T) / T.numel()
    ### END SOLUTION


# %%
def find_value(T: torch.Tensor, v) -> tuple[int, ...]:
    """Index of the first entry of T equal to v in row-major order; ValueError if there is none."""
    ### BEGIN SOLUTION
    # HINT: compare the whole tensor with v, then find the first True in row-major order and turn it into an index tuple
    matches = (T == v).nonzero()
    if matches.shape[0] == 0:
        raise ValueError(f"{v!r} does not occur in the tensor")
    return tuple(int(i) for i in matches[0])
    ### END SOLUTION


# %%
def with_column(X: torch.Tensor, j: int, value) -> torch.Tensor:
    """A copy of X with column j set to value; IndexError when j is out of range."""
    ### BEGIN SOLUTION
    # HINT: clone first, then assign to the column slice of the clone
    Y = X.clone()
    Y[:, j] = value
    return Y
    ### END SOLUTION


# %%
def keep_above(X: torch.Tensor, t) -> torch.Tensor:
    """A new tensor like X with every entry <= t replaced by 0."""
    ### BEGIN SOLUTION
    # HINT: a mask of the entries to keep, and a function that picks from X or from zeros entry by entry
    return torch.where(X > t, X, torch.zeros_like(X))
    ### END SOLUTION


# %% [markdown]
# ## Try it

# %%
if __name__ == "__main__":
    T = torch.arange(1, 25).reshape(4, 2, 3)
    print(loop_mean(T), find_value(T, 13))
    X = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    print(with_column(X, -1, 17.0))
    print(X)
    print(keep_above(torch.rand(2, 5), 0.5))
