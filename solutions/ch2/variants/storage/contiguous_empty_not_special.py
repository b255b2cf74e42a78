"""Wrong: is_contiguous has no rule for empty tensors."""

import torch

VERDICT = "wrong"


def contiguous_strides(shape):
    sizes = [int(s) for s in shape]
    if any(s < 0 for s in sizes):
        raise ValueError("negative size")
    strides = [0] * len(sizes)
    step = 1
    for k in reversed(range(len(sizes))):
        strides[k] = step
        step *= max(sizes[k], 1)
    return tuple(strides)


def storage_index(index, stride, offset=0):
    if len(index) != len(stride):
        raise ValueError("index and stride differ in length")
    position = int(offset)
    for i, s in zip(index, stride):
        position += int(i) * int(s)
    return position


def view_from_storage(storage, shape, stride, offset=0):
    if storage.dim() != 1:
        raise ValueError("storage must be 1-D")
    shape = tuple(int(s) for s in shape)
    if len(shape) != len(stride):
        raise ValueError("shape and stride differ in length")
    positions = torch.full(shape, int(offset), dtype=torch.int64, device=storage.device)
    for k, (size, step) in enumerate(zip(shape, stride)):
        along = torch.arange(size, dtype=torch.int64, device=storage.device) * int(step)
        positions = positions + along.reshape([size if j == k else 1 for j in range(len(shape))])
    if positions.numel() > 0:
        low, high = int(positions.min()), int(positions.max())
        if low < 0 or high >= storage.numel():
            raise IndexError("outside the storage")
    return storage[positions.reshape(-1)].reshape(shape)


def is_contiguous(shape, stride):
    if len(shape) != len(stride):
        raise ValueError("shape and stride differ in length")
    expected = 1
    for size, step in zip(reversed(list(shape)), reversed(list(stride))):
        if int(size) == 1:
            continue
        if int(step) != expected:
            return False
        expected *= int(size)
    return True
