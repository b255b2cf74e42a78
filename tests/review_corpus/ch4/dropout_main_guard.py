# source: github.com/Undernoone/Deep_Learning_Practice__Li-Mu 8.Drop_function.py lines 1-18 (rewritten for ch4.dropout)
# exercise: ch4.dropout
import torch
import torch.nn as nn


def dropout_layer(X, dropout_prob):
    if dropout_prob < 0 or dropout_prob > 1:
        raise ValueError(dropout_prob)
    if dropout_prob == 1:
        return X * 0.0
    mask = (torch.empty_like(X).uniform_(0, 1) > dropout_prob).to(X.dtype)
    return mask * X / (1.0 - dropout_prob)


class DropoutMLP(nn.Module):
    def __init__(self, num_inputs, num_outputs, num_hiddens1, num_hiddens2, dropout1, dropout2):
        super().__init__()
        self.num_inputs = num_inputs
        self.dropouts = (dropout1, dropout2)
        self.layers = nn.ModuleList([nn.Linear(num_inputs, num_hiddens1),
                                     nn.Linear(num_hiddens1, num_hiddens2),
                                     nn.Linear(num_hiddens2, num_outputs)])

    def forward(self, X):
        X = X.reshape((-1, self.num_inputs))
        for layer, p in zip(self.layers[:-1], self.dropouts):
            X = torch.relu(layer(X))
            if self.training:
                X = dropout_layer(X, p)
        return self.layers[-1](X)


if __name__ == '__main__':
    X = torch.arange(16, dtype=torch.float32).reshape((2, 8))
    print(X)
    print(dropout_layer(X, 0.))
    print(dropout_layer(X, 0.5))
    print(dropout_layer(X, 1.))
