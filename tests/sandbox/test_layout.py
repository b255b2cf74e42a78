"""How grader/sandbox is put together, and what it costs to fork: no import cycle between its
modules (type-only imports included), the orphan sweep from the kernel's children lists, the
zygote's heap in huge pages where the kernel has them."""

from __future__ import annotations

import ast
import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.sandbox import Limits, Zygote, heap
from grader.sandbox.children import children
from grader.sandbox.wire import processes

SANDBOX = Path(__file__).resolve().parents[2] / "grader" / "sandbox"


def _imports(path: Path) -> set[str]:
    """The grader.sandbox modules `path` imports, anywhere in it (functions, TYPE_CHECKING)."""
    modules = {p.stem for p in SANDBOX.glob("*.py")}
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "grader.sandbox":
                found |= {a.name if a.name in modules else "__init__" for a in node.names}
            elif node.module.startswith("grader.sandbox."):
                found.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[2] for a in node.names if a.name.startswith("grader.sandbox.")}
    return found - {path.stem}


def test_no_import_cycle_in_the_sandbox_package():
    graph = {p.stem: _imports(p) for p in SANDBOX.glob("*.py")}
    # a module that imports the package runs __init__ first, which imports these
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in trail:
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif len(trail) < len(graph):
                visit(nxt, trail + [nxt])
    for start in graph:
        visit(start, [start])
    assert cycles == [], cycles[:5]


def test_the_sweep_reads_the_kernels_children_lists():
    pids = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            os.execv("/bin/sleep", ["sleep", "30"])
        pids.append(pid)
    try:
        me = os.getpid()
        walked = sorted(pid for pid, fields in processes() if len(fields) > 1 and int(fields[1]) == me)
        assert sorted(children()) == walked and set(pids) <= set(walked)
    finally:
        for pid in pids:
            os.kill(pid, 9)
            os.waitpid(pid, 0)


def _collapse_possible() -> bool:
    release = tuple(int(x) for x in platform.release().split(".")[:2] if x.isdigit())
    return heap.huge_pages_possible() and release >= (6, 1)


def test_the_zygote_heap_sits_in_huge_pages_where_the_kernel_has_them():
    if not _collapse_possible():
        pytest.skip("no transparent huge pages or no MADV_COLLAPSE (Linux < 6.1)")
    with Zygote(device="cpu", limits=Limits(memory_mb=1024)) as z:
        with open(f"/proc/{z.pid}/smaps_rollup") as fh:
            rollup = {line.split(":")[0]: int(line.split()[1]) for line in fh if line.endswith("kB\n")}
    assert rollup["AnonHugePages"] > rollup["Anonymous"] // 4, rollup


def test_collapsing_is_a_no_op_where_huge_pages_are_off(monkeypatch, tmp_path):
    off = tmp_path / "enabled"
    off.write_text("always madvise [never]\n")
    monkeypatch.setattr(heap, "THP", str(off))
    assert heap.collapse_to_huge_pages() == 0


def test_a_forked_child_shares_the_collapsed_heap():
    if not _collapse_possible():
        pytest.skip("no transparent huge pages or no MADV_COLLAPSE (Linux < 6.1)")
    code = textwrap.dedent("""
        import os
        from grader.sandbox import heap
        hoard = bytearray(os.urandom(64 << 20))          # 64 MB of anonymous memory, touched
        heap.collapse_to_huge_pages()
        pid = os.fork()
        if pid == 0:
            hoard[12345] ^= 1                             # one write: one page copied, not 64 MB
            with open("/proc/self/smaps_rollup") as fh:
                text = fh.read()
            private = sum(int(l.split()[1]) for l in text.splitlines() if l.startswith("Private_Dirty"))
            os._exit(0 if private < 32 << 10 else 1)     # well under the 64 MB it shares
        print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "0", out.stdout + out.stderr[-2000:]
