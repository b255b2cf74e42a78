"""Wrong: fields computed with math.frexp on the double, the fraction truncated instead of rounded to float32."""

import math
import struct

import numpy as np
import torch

VERDICT = "wrong"


def float32_fields(x):
    sign = 1 if math.copysign(1.0, x) < 0 else 0
    if x == 0:
        return sign, 0, 0
    m, e = math.frexp(abs(x))          # abs(x) = m * 2**e with 0.5 <= m < 1
    return sign, e - 1 + 127, int((2 * m - 1) * 2**23)


def float32_value(sign, exponent, fraction):
    if sign not in (0, 1):
        raise ValueError("sign must be 0 or 1")
    if not 1 <= exponent <= 254:
        raise ValueError("exponent out of range")
    if not 0 <= fraction < 2**23:
        raise ValueError("fraction out of range")
    return (-1.0) ** sign * 2.0 ** (exponent - 127) * (1.0 + fraction / 2**23)


def add_into(X, Y):
    X += Y
    return X


def shares_memory(a, b):
    def as_array(obj):
        return obj.detach().numpy() if isinstance(obj, torch.Tensor) else np.asarray(obj)
    return bool(np.shares_memory(as_array(a), as_array(b)))
