"""Correct: numpy's float32 view for the bits, math.ldexp for the value, X[:] = X + Y, np.asarray for sharing."""

import math
import struct

import numpy as np
import torch

VERDICT = "correct"


def float32_fields(x):
    bits = int(np.array(x, dtype=np.float32).view(np.uint32))
    return bits >> 31, (bits >> 23) & 0xFF, bits & 0x7FFFFF


def float32_value(sign, exponent, fraction):
    if sign not in (0, 1):
        raise ValueError("sign must be 0 or 1")
    if exponent <= 0 or exponent >= 255:
        raise ValueError("exponents 0 and 255 are not normal numbers")
    if fraction < 0 or fraction >= 1 << 23:
        raise ValueError("the fraction has 23 bits")
    magnitude = math.ldexp(1 + fraction / (1 << 23), exponent - 127)
    return -magnitude if sign else magnitude


def add_into(X, Y):
    X[:] = X + Y
    return X


def shares_memory(a, b):
    return bool(np.shares_memory(np.asarray(a), np.asarray(b)))
