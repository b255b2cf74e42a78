"""Correct: plain Python loops; every index from itertools.product, contiguity compared with contiguous_strides."""

import itertools

import torch

VERDICT = "correct"


def contiguous_strides(shape):
    strides, step = [], 1
    for size in reversed(list(shape)):
        if size < 0:
            raise ValueError("negative size")
        strides.insert(0, step)
        step *= max(size, 1)
    return tuple(strides)


def storage_index(index, stride, offset=0):
    if len(index) != len(stride):
        raise ValueError("index and stride differ in length")
    return offset + sum(i * s for i, s in zip(index, stride))


def view_from_storage(storage, shape, stride, offset=0):
    if storage.dim() != 1:
        raise ValueError("storage must be 1-D")
    if len(shape) != len(stride):
        raise ValueError("shape and stride differ in length")
    out = torch.empty(tuple(shape), dtype=storage.dtype, device=storage.device)
    for idx in itertools.product(*(range(n) for n in shape)):
        pos = storage_index(idx, stride, offset)
        if not 0 <= pos < storage.numel():
            raise IndexError(f"position {pos} is outside the storage")
        out[idx] = storage[pos]
    return out


def is_contiguous(shape, stride):
    if len(shape) != len(stride):
        raise ValueError("shape and stride differ in length")
    if 0 in tuple(shape):
        return True
    expected = contiguous_strides(shape)
    return all(n == 1 or s == e for n, s, e in zip(shape, stride, expected))
