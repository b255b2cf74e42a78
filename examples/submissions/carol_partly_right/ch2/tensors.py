# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Tensors: bits, in-place updates and shared memory
#
# A tensor looks like a grid of numbers, but underneath it is a block of memory with a recipe
# for reading it. This exercise looks under the lid three times: at how one `float32` number is
# laid out in 32 bits, at the difference between updating a tensor *in place* and making a new
# one, and at when two objects (tensors or NumPy arrays) are two windows onto the very same
# memory.
#
# ## One float32 in 32 bits
#
# PyTorch's default floating-point type, `torch.float32`, stores a number in three fields
# (IEEE 754 single precision), from the highest bit to the lowest:
#
# | bits | field | meaning |
# | --- | --- | --- |
# | 31 | sign $s$ | 0 for +, 1 for − |
# | 30…23 | exponent $E$ (8 bits) | stored with a *bias* of 127 |
# | 22…0 | fraction $F$ (23 bits) | the digits after the binary point |
#
# For a *normal* number ($1 \le E \le 254$) the value is
#
# $$
# (-1)^{s} \times 2^{E - 127} \times \Bigl(1 + \frac{F}{2^{23}}\Bigr).
# $$
#
# The leading 1 before the binary point is not stored: every normal number has it, so it is
# implicit and the 23 bits hold only what follows it.
#
# Worked example: $0.15625 = 2^{-3} \times 1.25$, and $1.25 = 1.01_2$. The exponent field is
# $-3 + 127 = 124 = 01111100_2$, the sign is 0, and the fraction bits are $01$ followed by 21
# zeros, i.e. $F = 2^{21} = 2097152$. So `float32_fields(0.15625)` is `(0, 124, 2097152)`, and
# going back, $(+1) \times 2^{124 - 127} \times (1 + 2097152 / 2^{23}) = 2^{-3} \times 1.25 =
# 0.15625$.
#
# The two extreme exponents are special. $E = 255$ encodes infinities ($F = 0$) and NaN
# ($F \neq 0$); $E = 0$ encodes zero ($F = 0$) and the tiny *subnormal* numbers, which have no
# implicit 1. Zero has a sign too: $-0.0$ is stored with $s = 1$, even though `-0.0 < 0` is
# `False` in Python, so a test like `x < 0` gets the sign of $-0.0$ wrong.
#
# A Python `float` is a 64-bit double. Most doubles (0.1, for instance) are not exactly a
# float32, so they are first *rounded to the nearest* float32, the way `torch.tensor(x)` does it.
# Rounding can even carry into the exponent: $2 - 2^{-30}$ becomes exactly $2.0$, with fields
# `(0, 128, 0)`.
#
# ## In place or a new tensor?
#
# `Y = Y + X` computes a new tensor and then makes the name `Y` point to it: `id(Y)` changes,
# and any other reference to the old `Y` still sees the old values. `X += Y` (like `X.add_(Y)`
# or `X[:] = X + Y`) writes the sum into the memory `X` already owns: `id(X)` stays the same and
# everyone holding `X` sees the update. In-place updates save memory, which matters when `X` is
# a large parameter updated at every training step. Broadcasting works as usual as long as the
# result has `X`'s shape: adding a row `(3,)` into a `(4, 3)` matrix is fine, the other way
# round is not.
#
# ## Shared memory
#
# On the CPU, `t.numpy()` does not copy: the array it returns reads and writes the tensor's
# memory, so `t.add_(1)` shows up in the array too. `torch.from_numpy(a)` works the same way in
# the other direction. Views share memory as well: a slice `t[1:]`, `t.reshape(...)` of a
# contiguous tensor, `t.T`. Other functions copy: `t.clone()`, `a.copy()`, `np.array(t)`, and
# `torch.tensor(a)`, which also keeps the array's dtype, so an array of NumPy's default float64
# becomes a float64 tensor.
#
# We say that `a` and `b` *share memory* when at least one byte belongs to both of them, so that
# writing into one could change the other. Two halves `t[:3]` and `t[3:]` cut from the same
# tensor do **not** share memory in this sense, although they live in the same storage; an
# empty tensor shares memory with nothing. (Interleaved views such as `t[::2]` and `t[1::2]`
# are a harder question: NumPy's `np.shares_memory` answers it exactly, while comparing address
# ranges, like `np.may_share_memory`, says they might. The checks do not ask it.)
#
# ## What to write
#
# 1. `float32_fields(x)`: the fields `(sign, exponent, fraction)` of `x` rounded to the nearest
#    float32, as three Python ints, for any value float32 can hold (zeros, subnormals,
#    infinities and NaN included). The `struct` module or a tensor viewed as `torch.int32` give
#    you the bits.
# 2. `float32_value(sign, exponent, fraction)`: the Python float of a *normal* float32 from its
#    fields. Raise `ValueError` when a field is out of range (sign not 0 or 1, exponent outside
#    1…254, fraction outside 0…2²³ − 1): exponents 0 and 255 are not normal numbers.
# 3. `add_into(X, Y)`: add `Y` into `X` in place and return `X` itself (the same object).
#    `Y` is left unchanged.
# 4. `shares_memory(a, b)`: `True` when `a` and `b` share at least one byte of memory, for any
#    mix of CPU tensors and NumPy arrays.

# %%
import struct

import numpy as np
import torch


# %%
def float32_fields(x: float) -> tuple[int, int, int]:
    """(sign, biased exponent, 23-bit fraction) of x rounded to the nearest float32."""
    ### BEGIN SOLUTION
    # HINT: get the 32 bits as one unsigned int (struct can pack a float32 and unpack the same bytes as an unsigned int; a tensor can be viewed as int32), then shift and mask
    bits = struct.unpack(">I", struct.pack(">f", x))[0]
    return bits >> 31, (bits >> 23) & 0xFF, bits & ((1 << 23) - 1)
    ### END SOLUTION


# %%
def float32_value(sign: int, exponent: int, fraction: int) -> float:
    """The value of the normal float32 with these fields; ValueError for fields out of range."""
    ### BEGIN SOLUTION
    # HINT: check the three ranges first (exponent 1 to 254 only), then apply the formula with the implicit leading 1
    if sign not in (0, 1):
        raise ValueError(f"sign must be 0 or 1, got {sign}")
    if not 1 <= exponent <= 254:
        raise ValueError(f"a normal float32 has an exponent field from 1 to 254, got {exponent}")
    if not 0 <= fraction < 2**23:
        raise ValueError(f"the fraction field has 23 bits, got {fraction}")
    return (-1.0) ** sign * 2.0 ** (exponent - 127) * (1.0 + fraction / 2**23)
    ### END SOLUTION


# %%
def add_into(X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    """Add Y into X in place and return X itself."""
    ### BEGIN SOLUTION
    # HINT: an augmented assignment (or a method ending in an underscore) writes into X's own memory
    X += Y
    return X
    ### END SOLUTION


# %%
def shares_memory(a, b) -> bool:
    """True when a and b (CPU tensors or NumPy arrays, in any mix) share at least one byte."""
    ### BEGIN SOLUTION
    # HINT: turn tensors into NumPy arrays without copying (t.numpy() shares memory), then ask numpy
    def as_array(obj) -> np.ndarray:
        if isinstance(obj, torch.Tensor):
            return obj.detach().numpy()
        return np.asarray(obj)

    return bool(np.shares_memory(as_array(a), as_array(b)))
    ### END SOLUTION


# %% [markdown]
# ## Try it

# %%
if __name__ == "__main__":
    print(float32_fields(0.15625), float32_value(0, 124, 2097152))
    print(float32_fields(-0.0), float32_fields(0.1))
    X = torch.ones(2, 3)
    before = id(X)
    print(add_into(X, torch.arange(3.0)), id(add_into(X, torch.ones(3))) == before)
    t = torch.ones(3)
    print(shares_memory(t, t.numpy()), shares_memory(t, t.clone()), shares_memory(t[:1], t[1:]))
