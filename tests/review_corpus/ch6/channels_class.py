# source: github.com/Williamdu29/d2l_learning code/test2.py lines 1-9 (rewritten for ch6.channels)
# exercise: ch6.channels
import torch


def _corr2d(X, K):
    h, w = K.shape
    out_h, out_w = X.shape[0] - h + 1, X.shape[1] - w + 1
    rows = []
    for i in range(out_h):
        row = [(X[i:i + h, j:j + w] * K).sum() for j in range(out_w)]
        rows.append(torch.stack(row))
    return torch.stack(rows)


def corr2d_multi_in(X, K):
    return sum(_corr2d(x, k) for x, k in zip(X, K))


def corr2d_multi_in_out(X, K):
    return torch.stack([corr2d_multi_in(X, k) for k in K], dim=0)


def corr2d_1x1(X, K):
    c_i, h, w = X.shape
    flat = X.reshape(c_i, h * w)
    weights = K.reshape(K.shape[0], c_i)
    out = (weights[:, :, None] * flat[None, :, :]).sum(dim=1)
    return out.reshape(K.shape[0], h, w)
