# source: github.com/d2l-ai/d2l-en d2l/torch.py lines 218-235 (rewritten for ch4.backprop)
# exercise: ch4.backprop
import torch


def mlp_grads(X, y, W1, b1, W2, b2):
    n = X.shape[0]
    Z = X @ W1 + b1
    H = torch.clamp(Z, min=0)
    O = H @ W2 + b2
    O = O - O.max(dim=1, keepdim=True).values
    P = torch.exp(O) / torch.exp(O).sum(dim=1, keepdim=True)
    Y = torch.zeros_like(P)
    Y[torch.arange(n), y] = 1
    dO = (P - Y) / n
    dW2 = H.T @ dO
    db2 = dO.sum(dim=0)
    dH = dO @ W2.T
    dZ = dH * (Z > 0).to(dH.dtype)
    dW1 = X.T @ dZ
    db1 = dZ.sum(dim=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
