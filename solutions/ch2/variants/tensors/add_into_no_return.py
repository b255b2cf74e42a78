"""Wrong: add_into adds in place but forgets to return X (returns None)."""

import math
import struct

import numpy as np
import torch

VERDICT = "wrong"


def float32_fields(x):
    bits = struct.unpack(">I", struct.pack(">f", x))[0]
    return bits >> 31, (bits >> 23) & 0xFF, bits & ((1 << 23) - 1)


def float32_value(sign, exponent, fraction):
    if sign not in (0, 1):
        raise ValueError("sign must be 0 or 1")
    if not 1 <= exponent <= 254:
        raise ValueError("exponent out of range")
    if not 0 <= fraction < 2**23:
        raise ValueError("fraction out of range")
    return (-1.0) ** sign * 2.0 ** (exponent - 127) * (1.0 + fraction / 2**23)


def add_into(X, Y):
    X.add_(Y)


def shares_memory(a, b):
    def as_array(obj):
        return obj.detach().numpy() if isinstance(obj, torch.Tensor) else np.asarray(obj)
    return bool(np.shares_memory(as_array(a), as_array(b)))
