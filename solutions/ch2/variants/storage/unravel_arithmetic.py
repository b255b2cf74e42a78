"""Correct: positions from the flat entry numbers by integer division (unravelling), one index_select."""

import math

import torch

VERDICT = "correct"


def contiguous_strides(shape):
    shape = tuple(shape)
    if any(n < 0 for n in shape):
        raise ValueError("negative size")
    return tuple(math.prod(max(n, 1) for n in shape[k + 1:]) for k in range(len(shape)))


def storage_index(index, stride, offset=0):
    if len(index) != len(stride):
        raise ValueError("index and stride differ in length")
    return int(offset + sum(int(i) * int(s) for i, s in zip(index, stride)))


def view_from_storage(storage, shape, stride, offset=0):
    if storage.dim() != 1:
        raise ValueError("storage must be 1-D")
    shape = tuple(shape)
    if len(shape) != len(stride):
        raise ValueError("shape and stride differ in length")
    flat = torch.arange(math.prod(shape), device=storage.device)
    positions = torch.full_like(flat, offset)
    rest = flat
    for size, step in zip(reversed(shape), reversed(tuple(stride))):
        positions += (rest % size) * step
        rest = rest // size
    if flat.numel() and (positions.min() < 0 or positions.max() >= storage.numel()):
        raise IndexError("an entry falls outside the storage")
    return storage.index_select(0, positions).reshape(shape)


def is_contiguous(shape, stride):
    if len(shape) != len(stride):
        raise ValueError("shape and stride differ in length")
    if math.prod(shape) == 0:
        return True
    pairs = [(n, s) for n, s in zip(shape, stride) if n != 1]
    sizes = [n for n, _ in pairs]
    return all(s == math.prod(sizes[k + 1:]) for k, (_, s) in enumerate(pairs))
