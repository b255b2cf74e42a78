# %% [markdown]
# # Data sets, labels and minibatches
#
# Before a network can learn anything, the examples have to reach it in the right form: features
# as floating-point tensors, labels as integer class indices, both cut into minibatches. This
# exercise writes the small pieces of plumbing that every training loop relies on, using
# Fashion-MNIST as the running example.
#
# ## Fashion-MNIST
#
# Fashion-MNIST holds 60 000 training and 10 000 test images of clothing, each a grey-scale
# picture of 28 x 28 pixels; as a tensor, one image has the shape `(1, 28, 28)` (one channel).
# Every image belongs to one of ten classes, stored as an integer from 0 to 9:
#
# | index | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 |
# | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
# | name | t-shirt | trouser | pullover | dress | coat | sandal | shirt | sneaker | bag | ankle boot |
#
# The network only ever sees the integers; the names are for us, when we look at predictions.
# Python's list indexing hides a trap here: `names[-1]` is `"ankle boot"`, not an error. A label
# of -1 is a bug somewhere upstream, and a function that turns it into a plausible name hides it.
#
# ## A data set is "length + indexing"
#
# PyTorch's `torch.utils.data.Dataset` asks for two methods: `__len__` (how many examples) and
# `__getitem__(i)` (example number `i`, as a tuple of features and label). A `DataLoader` then
# calls `__getitem__` for the indices of a batch and stacks the results.
#
# The dtypes matter. Features should be `float32`, the dtype of the network's weights. Labels must
# be `int64`: almost every PyTorch loss that takes class indices (`cross_entropy`, `nll_loss`)
# refuses an `int32` tensor with an error. Data read from files or made with NumPy often comes as
# `uint8`, `int32` or `float64`, so a good data set converts once, when it is built.
#
# ## How many minibatches?
#
# With $n$ examples and a batch size $b$, one pass over the data (an *epoch*) takes
# $\lceil n / b \rceil$ batches: all of them full except possibly the last. In integer arithmetic
# that is `(n - 1) // b + 1` or `-(-n // b)`. With `drop_last=True` the incomplete last batch is
# skipped and the count is $\lfloor n / b \rfloor$. For the 60 000 training images and $b = 256$:
# 235 batches (the last one holds 96 images), or 234 with `drop_last=True`.
#
# ## Splitting off a test set
#
# To hold out part of a data set we split it by a fraction $f$: the first part gets
# `int(n * f)` examples and the second part the rest, so the two always add up to $n$. The 70 000
# Fashion-MNIST images with $f = 0.8$ give 56 000 and 14 000. Computing the second size as
# `int(n * (1 - f))` instead can lose an example (with $n = 7$, $f = 0.5$ both parts get 3).
#
# ## What to write
#
# 1. `text_labels(indices)`: for an `int` (or a 0-d integer tensor) the name as a `str`; for a
#    list or tuple of ints or a 1-D integer tensor, a `list` of names. `IndexError` for any index
#    outside 0–9 (negative ones included).
# 2. `ArrayDataset(X, y)`: a `Dataset` over two tensors with the same first dimension
#    (`ValueError` otherwise). `len(ds)` is the number of examples; `ds[i]` is
#    `(features, label)` with the features as a `float32` tensor (values unchanged) and the label
#    as a 0-d `int64` tensor, on the device the inputs were on. Indexing out of range raises
#    `IndexError`, as indexing a tensor does.
# 3. `num_batches(n, batch_size, drop_last=False)`: the number of minibatches per epoch, an `int`.
#    `ValueError` if `batch_size < 1` or `n < 0`.
# 4. `split_sizes(n, train_fraction)`: the pair `(int(n * train_fraction), rest)` of ints.
#    `ValueError` if `train_fraction` is outside $[0, 1]$ or `n < 0`.

# %%
import torch
from torch.utils.data import Dataset

FASHION_MNIST_LABELS = ("t-shirt", "trouser", "pullover", "dress", "coat",
                        "sandal", "shirt", "sneaker", "bag", "ankle boot")


# %%
def text_labels(indices):
    """Fashion-MNIST class names: a str for one index, a list of str for a sequence or 1-D tensor.

    Raises IndexError for an index outside 0..9.
    """
    ### BEGIN SOLUTION
    # HINT: turn one index (int or 0-d tensor) into a name with a range check; map it over sequences
    def name(i) -> str:
        i = int(i)
        if not 0 <= i < len(FASHION_MNIST_LABELS):
            raise IndexError(f"label index {i} is outside 0..{len(FASHION_MNIST_LABELS) - 1}")
        return FASHION_MNIST_LABELS[i]
    if isinstance(indices, torch.Tensor) and indices.dim() == 0:
        return name(indices)
    if isinstance(indices, (torch.Tensor, list, tuple)):
        return [name(i) for i in indices]
    return name(indices)
    ### END SOLUTION


# %%
class ArrayDataset(Dataset):
    """Examples X[i] (as float32) with labels y[i] (as a 0-d int64 tensor)."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor) -> None:
        ### BEGIN SOLUTION
        # HINT: compare the lengths, then store X as float32 and y as int64
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} examples but y has {len(y)} labels")
        self.X = X.to(torch.float32)
        self.y = y.to(torch.int64)
        ### END SOLUTION

    def __len__(self) -> int:
        ### BEGIN SOLUTION
        # HINT: the number of examples
        return len(self.X)
        ### END SOLUTION

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        ### BEGIN SOLUTION
        # HINT: one row of the features and one label
        return self.X[i], self.y[i]
        ### END SOLUTION


# %%
def num_batches(n: int, batch_size: int, drop_last: bool = False) -> int:
    """Minibatches in one pass over n examples (the last one partial unless drop_last)."""
    ### BEGIN SOLUTION
    # HINT: check the arguments; floor division for drop_last, rounded up otherwise
    if batch_size < 1 or n < 0:
        raise ValueError(f"need batch_size >= 1 and n >= 0, got n={n}, batch_size={batch_size}")
    if drop_last:
        return n // batch_size
    return (n + batch_size - 1) // batch_size
    ### END SOLUTION


def split_sizes(n: int, train_fraction: float) -> tuple[int, int]:
    """(int(n * train_fraction), the rest): two sizes that add up to n."""
    ### BEGIN SOLUTION
    # HINT: check the arguments, truncate n * train_fraction, the second size is what is left
    if not 0.0 <= train_fraction <= 1.0 or n < 0:
        raise ValueError(f"need 0 <= train_fraction <= 1 and n >= 0, got {n}, {train_fraction}")
    first = int(n * train_fraction)
    return first, n - first
    ### END SOLUTION


# %% [markdown]
# ## Try it
#
# The small checks below run anywhere; the second part loads the real Fashion-MNIST (it
# downloads the data set, so run it in Colab or on a machine with internet access).

# %%
if __name__ == "__main__":
    print(text_labels([0, 9, 6]), text_labels(torch.tensor(3)))
    ds = ArrayDataset(torch.rand(5, 1, 28, 28, dtype=torch.float64), torch.arange(5, dtype=torch.int32))
    x, label = ds[2]
    print(len(ds), x.shape, x.dtype, label, label.dtype)
    print(num_batches(60000, 256), num_batches(60000, 256, drop_last=True), split_sizes(70000, 0.8))

    import torchvision
    from torch.utils.data import DataLoader
    from torchvision import transforms

    train_set = torchvision.datasets.FashionMNIST("data", train=True, download=True,
                                                  transform=transforms.ToTensor())
    image, index = train_set[0]
    print(len(train_set), image.shape, text_labels(index))
    loader = DataLoader(train_set, batch_size=256, shuffle=True)
    print(len(loader), num_batches(len(train_set), 256))
