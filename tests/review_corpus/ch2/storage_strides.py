# source: github.com/d2l-ai/d2l-en d2l/torch.py lines 1-33 (rewritten for ch2.storage)
# exercise: ch2.storage
from functools import reduce
from operator import mul

import torch


def contiguous_strides(shape):
    strides = []
    step = 1
    for size in reversed(shape):
        strides.append(step)
        step *= size
    return tuple(reversed(strides))


def storage_index(index, stride, offset=0):
    return offset + sum(i * s for i, s in zip(index, stride))


def view_from_storage(storage, shape, stride, offset=0):
    flat = storage.flatten()
    count = reduce(mul, shape, 1)
    out = torch.empty(count, dtype=storage.dtype)
    for k in range(count):
        index, rest = [], k
        for size in reversed(shape):
            index.append(rest % size)
            rest //= size
        out[k] = flat[storage_index(tuple(reversed(index)), stride, offset)]
    return out.reshape(shape)


def is_contiguous(shape, stride):
    expected = contiguous_strides(shape)
    return all(size == 1 or s == e for size, s, e in zip(shape, stride, expected))
