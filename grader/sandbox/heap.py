"""The zygote's heap, made cheap to fork: frozen for the garbage collector, backed by huge pages.

Everything the zygote allocated (torch, the engine, ~400 MB of anonymous memory) is shared with
every worker copy-on-write. `gc.freeze` keeps a worker's collections from touching (and so
copying) every object header. Fork and exit still pay per page table entry: the fork copies, and
the worker's exit frees, one entry per 4 KB page. Collapsed into transparent huge pages, the same
memory takes one entry per 2 MB, and a worker that writes to one of them copies only the 4 KB page
it wrote (the kernel splits the huge mapping in the child).

Where the kernel has no transparent huge pages, or no MADV_COLLAPSE (Linux < 6.1), this is a
no-op.
"""

from __future__ import annotations

import ctypes
import gc
import os

MADV_HUGEPAGE = 14
MADV_COLLAPSE = 25
HUGE_PAGE = 2 << 20
THP = "/sys/kernel/mm/transparent_hugepage/enabled"

_libc = ctypes.CDLL(None, use_errno=True)
_libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]


def freeze() -> int:
    """Collect, freeze, and collapse the anonymous memory into huge pages; returns how many
    bytes were collapsed (0 where the kernel cannot)."""
    gc.collect()
    gc.freeze()
    return collapse_to_huge_pages()


def huge_pages_possible() -> bool:
    try:
        with open(THP) as fh:
            return "[never]" not in fh.read()
    except OSError:
        return False


def collapse_to_huge_pages() -> int:
    if not huge_pages_possible():
        return 0
    collapsed = 0
    for start, end in anonymous_regions():
        # only the whole 2 MB pages inside the region
        lo, hi = -(-start // HUGE_PAGE) * HUGE_PAGE, end // HUGE_PAGE * HUGE_PAGE
        if hi - lo < HUGE_PAGE:
            continue
        _libc.madvise(lo, hi - lo, MADV_HUGEPAGE)
        if _libc.madvise(lo, hi - lo, MADV_COLLAPSE) == 0:
            collapsed += hi - lo
        elif ctypes.get_errno() == 22:     # EINVAL: this kernel has no MADV_COLLAPSE
            return collapsed
    return collapsed


def anonymous_regions() -> list[tuple[int, int]]:
    """Private writable mappings backed by no file: the brk heap, malloc's and Python's arenas."""
    found = []
    with open(f"/proc/{os.getpid()}/maps") as fh:
        for line in fh:
            parts = line.split()
            name = parts[5] if len(parts) > 5 else ""
            if parts[1] == "rw-p" and name in ("", "[heap]"):
                start, end = (int(x, 16) for x in parts[0].split("-"))
                found.append((start, end))
    return found
