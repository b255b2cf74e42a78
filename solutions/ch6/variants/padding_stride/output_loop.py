"""Correct: counts the positions by walking the start, and loops over the output positions."""

import torch

VERDICT = "correct"

def conv_output_size(n, k, padding=0, stride=1):
    if stride < 1 or padding < 0 or k > n + 2 * padding:
        raise ValueError("invalid size, padding or stride")
    count, start = 0, 0
    while start + k <= n + 2 * padding:
        count += 1
        start += stride
    return count


def corr1d(x, k):
    n, m = len(x), len(k)
    if m > n:
        raise ValueError("kernel longer than signal")
    return torch.stack([(x[i:i + m] * k).sum() for i in range(n - m + 1)])


def corr2d_pad_stride(X, K, padding=0, stride=1):
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    h, w = X.shape
    kh, kw = K.shape
    out_h, out_w = conv_output_size(h, kh, ph, sh), conv_output_size(w, kw, pw, sw)
    P = X.new_zeros((h + 2 * ph, w + 2 * pw))
    P[ph:ph + h, pw:pw + w] = X
    return torch.stack([torch.stack([(P[i * sh:i * sh + kh, j * sw:j * sw + kw] * K).sum()
                                     for j in range(out_w)]) for i in range(out_h)])
