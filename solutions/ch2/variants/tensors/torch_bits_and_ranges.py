"""Correct: bits through a tensor viewed as int32, add_ in place, and overlapping address ranges for shares_memory."""

import math
import struct

import numpy as np
import torch

VERDICT = "correct"


def float32_fields(x):
    bits = int(torch.tensor([x], dtype=torch.float32).view(torch.int32)[0]) & 0xFFFFFFFF
    return bits >> 31, (bits >> 23) & 0xFF, bits & 0x7FFFFF


def float32_value(sign, exponent, fraction):
    if sign not in (0, 1) or not 0 < exponent < 255 or not 0 <= fraction <= 0x7FFFFF:
        raise ValueError("not the fields of a normal float32")
    bits = (sign << 31) | (exponent << 23) | fraction
    if bits >= 1 << 31:
        bits -= 1 << 32
    return float(torch.tensor([bits], dtype=torch.int32).view(torch.float32)[0])


def add_into(X, Y):
    return torch.add(X, Y, out=X)


def _byte_range(obj):
    """[first byte, one past the last byte) of the memory obj's elements occupy, or None if empty."""
    if isinstance(obj, torch.Tensor):
        start, item = obj.data_ptr(), obj.element_size()
        steps = [(n, s * item) for n, s in zip(obj.shape, obj.stride())]
    else:
        start, item = obj.__array_interface__["data"][0], obj.itemsize
        steps = list(zip(obj.shape, obj.strides))
    if any(n == 0 for n, _ in steps):
        return None
    low = start + sum(min(0, (n - 1) * s) for n, s in steps)
    high = start + sum(max(0, (n - 1) * s) for n, s in steps) + item
    return low, high


def shares_memory(a, b):
    ra, rb = _byte_range(a), _byte_range(b)
    return ra is not None and rb is not None and ra[0] < rb[1] and rb[0] < ra[1]
