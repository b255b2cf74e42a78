# %% [markdown]
# # Multiple input and output channels
#
# A colour image is not one grid of numbers but three: red, green and blue, stored as a tensor
# of shape $(3, h, w)$. Deeper in a network, each layer produces many such grids, the
# **channels** (also called feature maps), one per pattern the layer looks for. A convolution
# layer therefore reads $c_i$ input channels and writes $c_o$ output channels. This exercise
# builds both directions by hand.
#
# ## Several input channels
#
# With $c_i$ input channels the kernel gets a channel axis too: it has shape
# $(c_i, k_h, k_w)$, one $k_h \times k_w$ slice per input channel. The depth of the kernel must
# match the depth of the input: a $32 \times 32 \times 3$ image is filtered by a
# $5 \times 5 \times 3$ kernel, and the result is a single $28 \times 28$ map. Each input channel
# is cross-correlated with its own slice of the kernel, and the $c_i$ results are **added up**:
#
# $$
# Y[i, j] = \sum_{c=0}^{c_i - 1} \sum_{a=0}^{k_h - 1} \sum_{b=0}^{k_w - 1}
#           X[c,\ i + a,\ j + b]\; K[c, a, b].
# $$
#
# However many input channels there are, one such kernel produces **one** output channel. For
# example, with two channels
#
# ```
# X[0] = [[0, 1, 2],   X[1] = [[1, 2, 3],   K[0] = [[0, 1],   K[1] = [[1, 2],
#         [3, 4, 5],           [4, 5, 6],           [2, 3]]           [3, 4]]
#         [6, 7, 8]]           [7, 8, 9]]
# ```
#
# channel 0 alone gives `[[19, 25], [37, 43]]`, channel 1 alone gives `[[37, 47], [67, 77]]`, and
# the two-channel result is their sum, `[[56, 72], [104, 120]]`.
#
# A kernel with the wrong depth is an error. It is tempting to let broadcasting "help" when one
# side has a single channel, but a one-channel kernel applied to a three-channel image is almost
# always a bug in the caller, and hiding it produces numbers that mean nothing. Here a channel
# mismatch raises `ValueError`.
#
# ## Several output channels
#
# To get $c_o$ output channels we use $c_o$ such kernels, stacked into a tensor of shape
# $(c_o, c_i, k_h, k_w)$: output channel $o$ is the multi-input cross-correlation of `X` with
# `K[o]`. With $c_i = 3$ input channels, $c_o = 2$ output channels and $3 \times 3$ kernels a layer
# holds $2 \cdot 3 \cdot 3 \cdot 3 = 54$ weights (plus one bias per output channel, which we leave
# out here). This is the layout of `nn.Conv2d(c_i, c_o, k).weight`.
#
# ## The 1 x 1 convolution
#
# A $1 \times 1$ kernel looks at a single pixel, so it cannot detect spatial patterns. What it
# does is mix channels: every output pixel is a weighted sum of the $c_i$ values at the same
# pixel of the input, with the same weights everywhere. Put the pixels side by side as the
# columns of a $(c_i, h \cdot w)$ matrix and the weights as a $(c_o, c_i)$ matrix: the whole
# layer is **one matrix product** giving $(c_o, h \cdot w)$, to be reshaped back to
# $(c_o, h, w)$. It is a fully connected layer applied to every pixel, and networks use it to
# shrink (or grow) the number of channels cheaply, as in the Inception blocks of GoogLeNet.
#
# ## What to write
#
# 1. `corr2d_multi_in(X, K)`: `X` is `(ci, h, w)`, `K` is `(ci, kh, kw)`. Return the sum over
#    channels of the valid cross-correlations, shape `(h - kh + 1, w - kw + 1)`.
# 2. `corr2d_multi_in_out(X, K)`: `K` is `(co, ci, kh, kw)`. Return `(co, h - kh + 1,
#    w - kw + 1)`, output channel `o` computed with `K[o]`.
# 3. `corr2d_1x1(X, K)`: `K` is `(co, ci, 1, 1)`. Return `(co, h, w)`, computed as a single
#    matrix multiplication of the `(co, ci)` weights with the `(ci, h * w)` pixels (no Python
#    loop over channels or pixels).
#
# All three raise `ValueError` when the channel counts of `X` and `K` differ (also when one of
# them is 1) and when the kernel is larger than the input; `corr2d_1x1` also when the kernel is
# not $1 \times 1$. Outputs keep the dtype and device of `X`. Build everything from slicing,
# products, sums and matrix products: `F.conv2d`, `nn.Conv2d` and the other built-in
# convolutions are not allowed here.

# %%
import torch


# %%
def corr2d_multi_in(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Sum over input channels of valid cross-correlations: X (ci, h, w), K (ci, kh, kw) -> (h', w')."""
    raise NotImplementedError("check ci and the kernel size; for each kernel offset, weight the shifted slices of all channels and sum over channels")


# %%
def corr2d_multi_in_out(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """One multi-input cross-correlation per output channel: X (ci, h, w), K (co, ci, kh, kw) -> (co, h', w')."""
    raise NotImplementedError("apply corr2d_multi_in with each K[o] and stack the results along a new first axis")


# %%
def corr2d_1x1(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """A 1x1 convolution as one matrix product: X (ci, h, w), K (co, ci, 1, 1) -> (co, h, w)."""
    raise NotImplementedError("reshape X to (ci, h * w) and K to (co, ci), multiply once, reshape to (co, h, w)")


# %% [markdown]
# ## Try it
#
# The two-channel example of the text, three output channels from shifted kernels, and the
# 1 x 1 convolution checked against the general function.

# %%
if __name__ == "__main__":
    X = torch.stack([torch.arange(9.0).reshape(3, 3), torch.arange(1.0, 10.0).reshape(3, 3)])
    K = torch.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])
    print(corr2d_multi_in(X, K))                       # [[56, 72], [104, 120]]
    K3 = torch.stack([K, K + 1, K + 2])                # (3, 2, 2, 2)
    print(corr2d_multi_in_out(X, K3).shape)            # (3, 2, 2)
    X = torch.randn(3, 4, 5)
    K = torch.randn(2, 3, 1, 1)
    print(torch.allclose(corr2d_1x1(X, K), corr2d_multi_in_out(X, K), atol=1e-6))
