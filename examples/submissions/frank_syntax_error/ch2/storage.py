# %% [markdown]
# # Storage, offset and strides
#
# A tensor looks like a grid of numbers, but memory is a single line of addresses. PyTorch keeps
# the numbers of a tensor in a *storage*: one flat, one-dimensional block of values of a single
# dtype. The tensor itself is only a way of looking at that block. Three pieces of information
# turn a multi-index such as `(i, j)` into a position in the storage:
#
# * the **shape** (or `size()`), the number of entries along each dimension;
# * the **offset** (`storage_offset()`), the position in the storage of the entry `(0, 0, ...)`;
# * the **stride** (`stride()`), for each dimension, how many places in the storage we move when
#   the index along that dimension grows by one.
#
# ## The formula
#
# For a tensor with offset $o$ and strides $(s_0, \dots, s_{d-1})$ the entry at index
# $(i_0, \dots, i_{d-1})$ lives at
#
# $$ \text{position} = o + \sum_{k=0}^{d-1} i_k \, s_k . $$
#
# A freshly made tensor is laid out in *row-major* order: the last index moves fastest. Its
# last stride is 1, and every other stride is the product of the sizes to its right. A
# tensor of shape $(2, 3, 4)$ therefore has strides $(12, 4, 1)$. PyTorch counts a dimension of
# size 0 as if it had size 1 in that product, so an empty tensor of shape $(2, 0, 3)$ still
# gets strides $(3, 3, 1)$.
#
# ## A worked example
#
# Take `points = torch.tensor([[1.0, 4.0], [2.0, 1.0], [3.0, 5.0]])`. Its storage is the six
# values `1, 4, 2, 1, 3, 5`, its shape is $(3, 2)$, its offset 0 and its stride $(2, 1)$: to go
# down one row we skip two values, to go right one column we skip one. The entry `points[2, 1]`
# sits at $0 + 2 \cdot 2 + 1 \cdot 1 = 5$, and the storage holds 5.0 there.
#
# Indexing does not copy. `points[1]` is the row `[2.0, 1.0]`: a tensor of shape $(2,)$,
# stride $(1,)$ and offset 2 on the *same* storage. The transpose `points.t()` has shape
# $(2, 3)$ and stride $(1, 2)$, also on the same storage, which it reads as
# `[[1, 2, 3], [4, 1, 5]]`. Changing a value through one of these views changes it for all.
#
# ## Contiguous or not
#
# A tensor is *contiguous* when its strides are the row-major ones for its shape: walking
# through its entries in row-major order visits neighbouring storage places one after the
# other. `points` is contiguous, `points.t()` is not. This is why `view` "can throw errors":
# `points.t().view(6)` would need a stride that does not exist, while `reshape` quietly copies.
#
# Two details matter. A dimension of size 1 is never stepped along, so its stride does not
# matter: shape $(3, 1)$ with strides $(1, 7)$ is contiguous. And a tensor with no entries at
# all (some size is 0) is contiguous whatever its strides say.
#
# The pitfall: contiguity is *not* "the strides decrease". Shape $(2, 3)$ with stride $(6, 2)$
# has decreasing strides but skips every other storage place, so it is not contiguous.
#
# ## What to write
#
# Sizes, strides, offsets and indices are plain Python ints (tuples, lists or `torch.Size` as
# input). `torch.as_strided`, `Tensor.as_strided`, `as_strided_` and `set_` are not allowed: the
# point is to do their work yourself.
#
# 1. `contiguous_strides(shape)`: the row-major strides of `shape` as a tuple of ints, with
#    PyTorch's rule that a size-0 dimension counts as 1; `()` for a 0-d shape. `ValueError` for a
#    negative size.
# 2. `storage_index(index, stride, offset=0)`: the storage position of one entry, by the formula.
#    `ValueError` when `index` and `stride` have different lengths.
# 3. `view_from_storage(storage, shape, stride, offset=0)`: a **new** tensor of the given shape
#    whose entry at every index is `storage[position]`, gathered by you. It keeps the storage's
#    dtype and device. Strides may be any integers (0 repeats a value, negative ones walk
#    backwards). `ValueError` when `storage` is not 1-D or `shape` and `stride` have different
#    lengths; `IndexError` when any entry's position falls outside `0 ... len(storage) - 1`.
#    A shape with no entries gives an empty tensor and never raises `IndexError`.
# 4. `is_contiguous(shape, stride)`: `True` exactly when a tensor with this shape and stride is
#    contiguous by the rules above (size-1 dimensions ignore their stride, empty tensors are
#    contiguous). `ValueError` when the lengths differ.

# %%
import torch


# %%
def contiguous_strides(shape) -> tuple:
    """The row-major strides of `shape` (a size-0 dimension counts as 1), as a tuple of ints."""
    ### BEGIN SOLUTION
    # HINT: walk the dimensions from the last to the first, keeping the product of the sizes seen so far
    sizes = [int(s) for s in shape]
    if any(s < 0 for s in sizes):
        raise ValueError(f"sizes must not be negative, got {tuple(sizes)}")
    strides = [0] * len(sizes)
    step = 1
    for k in reversed(range(len(sizes))):
        strides[k] = step
        step *= max(sizes[k], 1)
    return tuple(strides)
    ### END SOLUTION


# %%
def storage_index(index, stride, offset: int = 0) -> int:
    """offset + sum(index[k] * stride[k]); ValueError when index and stride differ in length."""
    ### BEGIN SOLUTION
    # HINT: compare the lengths first, then add up index times stride on top of the offset
    if len(index) != len(stride):
        raise ValueError(f"index has {len(index)} entries but stride has {len(stride)}")
    position = int(offset)
    for i, s in zip(index, stride):
        position += int(i) * int(s)
    return position
    ### END SOLUTION


# %%
def view_from_storage(storage: torch.Tensor, shape, stride, offset: int = 0) -> torch.Tensor:
    """A new tensor of `shape` whose entry at each index is storage[storage_index(index, stride, offset)].

    Keeps storage's dtype and device. ValueError when storage is not 1-D or the lengths of shape
    and stride differ; IndexError when an entry falls outside the storage.
    """
    ### BEGIN SOLUTION
    # HINT: build the storage position of every entry (broadcast one arange per dimension), check the range, then index
    if storage.dim() != 1:
        raise ValueError(f"the storage must be 1-D, got {storage.dim()} dimensions")
    shape = tuple(int(s) for s in shape)
    if len(shape) != len(stride):
        raise ValueError(f"shape has {len(shape)} entries but stride has {len(stride)}")
    positions = torch.full(shape, int(offset), dtype=torch.int64, device=storage.device)
    for k, (size, step) in enumerate(zip(shape, stride)):
        along = torch.arange(size, dtype=torch.int64, device=storage.device) * int(step)
        positions = positions + along.reshape([size if j == k else 1 for j in range(len(shape))])
    if positions.numel() > 0:
        low, high = int(positions.min()), int(positions.max())
        if low < 0 or high >= storage.numel():
            raise IndexError(f"positions {low}..{high} fall outside a storage of {storage.numel()} values")
    return storage[positions.reshape(-1)].reshape(shape)
    ### END SOLUTION


# %%
def is_contiguous(shape, stride) -> bool:
    """True when a tensor of this shape and stride is laid out in row-major order without gaps."""
    ### BEGIN SOLUTION
    # HINT: empty tensors are contiguous; otherwise walk from the last dimension, skipping sizes of 1
    if len(shape) != len(stride):
        raise ValueError(f"shape has {len(shape)} entries but stride has {len(stride)}")
    if any(int(s) == 0 for s in shape):
        return True
    expected = 1
    for size, step in zip(reversed(list(shape)), reversed(list(stride))):
        if int(size) == 1:
            continue
        if int(step) != expected:
            return False
        expected *= int(size)
    return True
    ### END SOLUTION


# %% [markdown]
# ## Try it
#
# The cell compares your functions with PyTorch on the `points` example.

# %%
if __name__ == "__main__":
    points = torch.tensor([[1.0, 4.0], [2.0, 1.0], [3.0, 5.0]])
    storage = points.reshape(-1)
    print(contiguous_strides(points.shape), points.stride())
    print(storage_index((2, 1), points.stride()), points[2, 1].item())
    print(view_from_storage(storage, (2,), (1,), offset=2), points[1])
    print(view_from_storage(storage, (2, 3), (1, 2)), points.t())
    print(is_contiguous(points.shape, points.stride()), is_contiguous((2, 3), (1, 2)))
    for shape in [(2, 3, 4), (2, 0, 3), (5, 1, 2)]:
        print(shape, contiguous_strides(shape), torch.empty(shape).stride())
