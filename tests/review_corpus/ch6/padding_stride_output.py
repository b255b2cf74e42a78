# source: github.com/Undernoone/Deep_Learning_Practice__Li-Mu 12.Padding & stride.py lines 1-25 (rewritten for ch6.padding_stride)
# exercise: ch6.padding_stride
import torch
from torch import nn


def conv_output_size(n, k, p=0, s=1):
    return (n - k + 2 * p) // s + 1


def corr1d(x, k, padding=0, stride=1):
    if padding:
        x = torch.cat([torch.zeros(padding, dtype=x.dtype), x, torch.zeros(padding, dtype=x.dtype)])
    n = (len(x) - len(k)) // stride + 1
    return torch.stack([(x[i * stride:i * stride + len(k)] * k).sum() for i in range(n)])


def corr2d_pad_stride(X, K, padding=(0, 0), stride=(1, 1)):
    ph, pw = padding
    sh, sw = stride
    padded = torch.zeros(X.shape[0] + 2 * ph, X.shape[1] + 2 * pw, dtype=X.dtype)
    padded[ph:ph + X.shape[0], pw:pw + X.shape[1]] = X
    kh, kw = K.shape
    oh = (padded.shape[0] - kh) // sh + 1
    ow = (padded.shape[1] - kw) // sw + 1
    Y = torch.zeros(oh, ow, dtype=X.dtype)
    for i in range(oh):
        for j in range(ow):
            Y[i, j] = (padded[i * sh:i * sh + kh, j * sw:j * sw + kw] * K).sum()
    return Y


def comp_conv2d(conv2d, X):
    # (1, 1) stands for the batch size and the number of channels
    X = X.reshape((1, 1) + X.shape)
    Y = conv2d(X)
    return Y.reshape(Y.shape[2:])


if __name__ == "__main__":
    conv2d = nn.Conv2d(1, 1, kernel_size=3, padding=1)
    print(comp_conv2d(conv2d, torch.rand(size=(8, 8))).shape)
