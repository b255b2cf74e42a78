# %% [markdown]
# # Pooling
#
# A convolution layer answers the question "does this pattern occur here?" for every position of
# the image. Often we care less about *exactly* where a pattern is than about whether it occurs
# somewhere in a neighbourhood: a digit shifted by one pixel is still the same digit. A
# **pooling** layer summarises each small window of a feature map by one number, which makes the
# network a little less sensitive to small shifts and, when the windows do not overlap, shrinks
# the feature map so that later layers have less to compute.
#
# A pooling layer has no weights. Like a convolution it slides a window of size
# $k_h \times k_w$ over the input, but instead of a weighted sum it takes
#
# * the **maximum** of the window (max-pooling): "was the pattern strongly present anywhere
#   here?", or
# * the **average** of the window (average-pooling): a smoothed, lower-resolution copy.
#
# ## A worked example
#
# Take the $4 \times 4$ feature map below and $2 \times 2$ windows that move by two pixels at a
# time, so that they tile the map without overlapping.
#
# ```
# X = [[3, 1, 2, 9],      max-pool: [[6, 9],     avg-pool: [[2.5, 4.25],
#      [6, 0, 5, 1],                 [3, 4]]               [1.5, 1.75]]
#      [1, 2, 4, 0],
#      [3, 0, 1, 2]]
# ```
#
# The top-left window holds 3, 1, 6 and 0: its maximum is 6 and its average is
# $10 / 4 = 2.5$. The top-right window's maximum is 9, the two lower windows give 3 and 4.
#
# ## Stride and padding
#
# Pooling uses the same geometry as a convolution. With a window of size $k$, a stride $s$ and
# padding $p$ on each side, an axis of length $n$ gives $\lfloor (n - k + 2p) / s \rfloor + 1$
# outputs. The usual choice is a stride equal to the window size, which divides the size by $k$
# (rounding down): in PyTorch, `nn.MaxPool2d(2)` means window 2 *and* stride 2, and so does our
# `stride=None`. A $28 \times 28$ MNIST image survives four rounds of $2 \times 2$ pooling,
# $28 \to 14 \to 7 \to 3 \to 1$; a fifth round has no complete window left, and asking for it
# is an error. Windows may also overlap: AlexNet's $3 \times 3$ max-pool with stride 2 takes a
# $54 \times 54$ map to $26 \times 26$, and a $3 \times 3$ window with stride 1 and padding 1
# keeps the size unchanged (GoogLeNet uses one inside every Inception block).
#
# What goes into the padding depends on the mode, because the padding must never win:
#
# * for **max**-pooling the border is filled with $-\infty$, so a padded position is never the
#   maximum. Padding with zeros would be wrong as soon as a window holds only negative values:
#   its maximum would come out as 0, a value that is nowhere in the input;
# * for **avg**-pooling the border is filled with zeros and *counted*: every window is divided
#   by $k_h \cdot k_w$, including the padded positions (PyTorch's default,
#   `count_include_pad=True`). A corner window of a $3 \times 3$ pool with padding 1 therefore
#   averages 4 real pixels and 5 zeros.
#
# Keep the padding at most half the window (`padding <= pool_size // 2`, as PyTorch requires),
# so that every window contains at least one real pixel; the checks only use such paddings.
#
# ## Channels and batches
#
# Pooling acts on each channel of each example separately: an input of shape $(N, C, h, w)$
# gives $(N, C, h', w')$, the same number of channels. Only the last two axes are pooled, which
# also lets the same function handle a single $(h, w)$ map.
#
# **Global average pooling** is the extreme case: one window as large as the whole map, so each
# channel is reduced to its mean and $(N, C, h, w)$ becomes $(N, C)$. Networks such as NiN and
# GoogLeNet end with it (`nn.AdaptiveAvgPool2d((1, 1))` followed by a flatten) instead of a
# large fully connected layer.
#
# ## What to write
#
# 1. `pool2d(X, pool_size, mode="max", stride=None, padding=0)`: `X` is a floating-point tensor
#    of shape `(h, w)` or `(N, C, h, w)`; `pool_size`, `stride` and `padding` are each an int or
#    a pair `(rows, columns)`; `stride=None` means the stride equals the pool size. `mode` is
#    `"max"` (pad with $-\infty$) or `"avg"` (pad with zeros that count in the average). Return a
#    new tensor of shape `(..., h', w')` with `X`'s dtype and device; leave `X` unchanged. Raise
#    `ValueError` for an unknown mode, for a pool size or a stride below 1 (in either direction),
#    for a negative padding and for a window that does not fit in the padded input (an empty
#    output).
# 2. `global_avg_pool(X)`: `X` is `(N, C, h, w)`; return the `(N, C)` tensor of channel means.
#
# Build both from slicing and tensor reductions (or `unfold`): `F.max_pool2d`, `F.avg_pool2d`,
# the adaptive pools and `nn.MaxPool2d` / `nn.AvgPool2d` are not allowed here.

# %%
import torch


# %%
def _pair(value) -> tuple[int, int]:
    """An int as (value, value); a pair as a tuple."""
    return (value, value) if isinstance(value, int) else tuple(value)


# %%
def pool2d(X: torch.Tensor, pool_size, mode: str = "max", stride=None, padding=0) -> torch.Tensor:
    """Max- or average-pool the last two axes of X ((h, w) or (N, C, h, w)).

    `stride` defaults to the pool size. Max pads with -inf, avg pads with zeros that count.
    """
    ### BEGIN SOLUTION
    # HINT: check mode, sizes and padding; build a padded copy filled with -inf or 0, then combine one strided slice per window offset
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    kh, kw = _pair(pool_size)
    sh, sw = (kh, kw) if stride is None else _pair(stride)
    ph, pw = _pair(padding)
    if kh < 1 or kw < 1:
        raise ValueError(f"pool_size must be positive, got {pool_size}")
    if sh < 1 or sw < 1:
        raise ValueError(f"stride must be at least 1, got {stride}")
    if ph < 0 or pw < 0:
        raise ValueError(f"padding must not be negative, got {padding}")
    h, w = X.shape[-2:]
    if kh > h + 2 * ph or kw > w + 2 * pw:
        raise ValueError(f"a {kh}x{kw} window does not fit in a {h}x{w} input padded by {(ph, pw)}: empty output")
    out_h = (h - kh + 2 * ph) // sh + 1
    out_w = (w - kw + 2 * pw) // sw + 1
    fill = float("-inf") if mode == "max" else 0.0
    padded = torch.full((*X.shape[:-2], h + 2 * ph, w + 2 * pw), fill, dtype=X.dtype, device=X.device)
    padded[..., ph:ph + h, pw:pw + w] = X
    Y = None
    # The slice starting at offset (a, b) with step (sh, sw) holds, for every window, the pixel
    # at that offset; combining the kh * kw slices pools all windows at once.
    for a in range(kh):
        for b in range(kw):
            part = padded[..., a:a + sh * (out_h - 1) + 1:sh, b:b + sw * (out_w - 1) + 1:sw]
            if Y is None:
                Y = part.clone()
            elif mode == "max":
                Y = torch.maximum(Y, part)
            else:
                Y = Y + part
    if mode == "avg":
        Y = Y / (kh * kw)
    return Y
    ### END SOLUTION


# %%
def global_avg_pool(X: torch.Tensor) -> torch.Tensor:
    """The mean of every channel: (N, C, h, w) -> (N, C)."""
    ### BEGIN SOLUTION
    # HINT: average over the two spatial axes only
    return X.mean(dim=(-2, -1))
    ### END SOLUTION


# %% [markdown]
# ## Try it
#
# The worked example, the shrinking MNIST map, and the two AlexNet / GoogLeNet pools.

# %%
if __name__ == "__main__":
    X = torch.tensor([[3.0, 1.0, 2.0, 9.0], [6.0, 0.0, 5.0, 1.0],
                      [1.0, 2.0, 4.0, 0.0], [3.0, 0.0, 1.0, 2.0]])
    print(pool2d(X, 2))
    print(pool2d(X, 2, mode="avg"))
    m = torch.randn(1, 1, 28, 28)
    for _ in range(4):
        m = pool2d(m, 2)
        print(tuple(m.shape))
    try:
        pool2d(m, 2)
    except ValueError as err:
        print("fifth round:", err)
    print(pool2d(torch.randn(1, 3, 54, 54), 3, stride=2).shape)              # (1, 3, 26, 26)
    print(pool2d(torch.randn(1, 3, 28, 28), 3, stride=1, padding=1).shape)   # (1, 3, 28, 28)
    print(global_avg_pool(torch.randn(2, 5, 7, 7)).shape)                    # (2, 5)
