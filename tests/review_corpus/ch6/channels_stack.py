# source: github.com/SyntraGod/CNN MNIST/MultiInputAndMultiOutput.py lines 1-41 (rewritten for ch6.channels)
# exercise: ch6.channels
import torch


def corr2d(X, K):  #@save
    """Compute 2D cross-correlation."""
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


# several input channels: one 2-D cross-correlation per channel, added up
def corr2d_multi_in(X, K):
    return sum(corr2d(x, k) for x, k in zip(X, K))


# several output channels: one kernel stack per output channel
def corr2d_multi_in_out(X, K):
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


def corr2d_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_o, c_i))
    Y = torch.zeros((c_o, h * w))
    for o in range(c_o):
        for c in range(c_i):
            Y[o] += K[o, c] * X[c]
    return Y.reshape((c_o, h, w))


X = torch.tensor([[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]],
                  [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]])
K = torch.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])
