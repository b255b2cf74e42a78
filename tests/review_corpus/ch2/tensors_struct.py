# source: github.com/Undernoone/Deep_Learning_Practice__Li-Mu 1.Date_Operation.py lines 1-40 (rewritten for ch2.tensors)
# exercise: ch2.tensors
import struct

import numpy as np
import torch


def float32_fields(x):
    bits = struct.unpack(">I", struct.pack(">f", x))[0]
    return bits >> 31, (bits >> 23) & 0xFF, bits & 0x7FFFFF


def float32_value(sign, exponent, fraction):
    bits = (sign << 31) | (exponent << 23) | fraction
    return struct.unpack(">f", struct.pack(">I", bits))[0]


def add_into(X, Y):
    before = id(X)
    X += Y
    assert id(X) == before
    return X


def shares_memory(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.shares_memory(np.asarray(a), np.asarray(b))
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


A = torch.arange(12, dtype=torch.float32).reshape((3, 4))
B = A.numpy()
print(type(A), type(B))
