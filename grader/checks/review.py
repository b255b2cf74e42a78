"""The judge's static review of a submission's source: what a human should look at.

Run-time bans (grader.checks.forbid) and the engine's seal (grader.checks.integrity) live in the
student's own interpreter, so a determined submission can in principle get around them with the
tools that reach below Python (ctypes, gc, frames, torch._C, sys.modules). This review reads the
source in the judge, where student code never runs, and flags the use of such tools. A flag
changes no score: it is a note in the result, in grades.json ("for_review") and in review.md,
because code that is merely unusual must not lose marks.

Pure standard library (the judge's parent process must not import torch for it).
"""

from __future__ import annotations

import ast
from typing import Any

MAX_FLAGS = 40
TABLE_NUMBERS = 64        # numeric constants in one literal: a table of answers, not code
LONG_STRING = 1000        # characters of an unexplained string literal (base64, hex)

MODULES = {
    "grader": "imports the grader's own package",
    "ctypes": "imports ctypes (can rewrite the grader's memory)",
    "gc": "imports gc (can find the grader's objects)",
    "inspect": "imports inspect (can reach the grader's frames)",
    "threading": "starts threads (this exercise does not need them)",
    "_thread": "starts threads (this exercise does not need them)",
    "concurrent": "starts threads or processes (this exercise does not need them)",
    "multiprocessing": "starts processes (this exercise does not need them)",
    "subprocess": "starts programs (a fresh Python is not checked for banned calls)",
    "importlib": "imports modules by name (can reload the grader's)",
    "marshal": "loads code objects",
    "builtins": "imports builtins (can replace what the grader uses)",
}
ATTRIBUTES = {
    "_C": "uses torch._C (torch's C internals, below the checker)",
    "ops": "uses torch.ops (raw aten operators)",
    "_dynamo": "uses torch._dynamo",
    "jit": "uses torch.jit (TorchScript runs outside the checker's view)",
    "compile": "uses torch.compile (compiled kernels run outside the checker's view)",
    "__wrapped__": "reads __wrapped__ (the function under a wrapper)",
    "__closure__": "reads __closure__ (a function's hidden state)",
    "cell_contents": "reads cell_contents (a function's hidden state)",
    "__code__": "reads or replaces __code__",
    "__globals__": "reads __globals__ (another module's namespace)",
    "__self__": "reads __self__ (the object behind a bound method)",
    "__subclasses__": "lists subclasses (can find the grader's classes)",
    "f_back": "walks stack frames", "f_locals": "reads another frame's variables",
    "f_globals": "reads another frame's globals", "tb_frame": "walks stack frames",
    "_getframe": "walks stack frames", "currentframe": "walks stack frames",
    "_forward_pre_hooks": "touches a module's hook table (where the grader records)",
    "_forward_hooks": "touches a module's hook table (where the grader records)",
    "_state_dict_hooks": "touches a module's state_dict hooks",
    "_execution_engine": "uses autograd's engine directly",
    "apply_": "runs a Python callback per element (Tensor.apply_)",
    "map_": "runs a Python callback per element (Tensor.map_)",
}
TORCH_ONLY = {"_C", "ops", "_dynamo", "jit", "compile"}   # flagged as torch.<name> only
PROCESS_CALLS = {"system", "fork", "forkpty", "execv", "execve", "execvp", "popen", "posix_spawn", "spawnv"}
PATCHED_OWNERS = {"torch", "F", "nn", "functional", "np", "numpy", "builtins", "sys", "grader"}


def _chain(node: ast.AST) -> list[str]:
    """`torch.nn.functional.softmax` -> ["torch", "nn", "functional", "softmax"]."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return parts[::-1]


def _numbers(node: ast.AST) -> int:
    return sum(1 for n in ast.walk(node) if isinstance(n, ast.Constant) and type(n.value) in (int, float, complex))


class _Reviewer(ast.NodeVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.flags: list[tuple[int, str]] = []
        self._tables: set[int] = set()

    def flag(self, node: ast.AST, what: str) -> None:
        self.flags.append((getattr(node, "lineno", 0), what))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._module(node, alias.name)
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and not node.level:
            self._module(node, node.module)
            if node.module.split(".")[0] == "torch":
                for alias in node.names:
                    if alias.name in ("_C", "ops", "jit", "_dynamo", "compile"):
                        self.flag(node, ATTRIBUTES[alias.name])
        self.generic_visit(node)

    def _module(self, node: ast.AST, name: str) -> None:
        top = name.split(".")[0]
        if top in MODULES:
            self.flag(node, MODULES[top])
        elif name.startswith(("torch._C", "torch.jit", "torch._dynamo")):
            self.flag(node, f"imports {name}")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        chain = _chain(node)
        if node.attr == "modules" and chain == ["sys", "modules"]:
            if not isinstance(node.ctx, ast.Load) or getattr(node, "_tg_edit", False):
                self.flag(node, "edits sys.modules")
        elif node.attr in PROCESS_CALLS and chain[:1] == ["os"]:
            self.flag(node, f"calls os.{node.attr} (a new process is not checked for banned calls)")
        elif node.attr in TORCH_ONLY:
            if chain[:1] == ["torch"] and len(chain) == 2:
                self.flag(node, ATTRIBUTES[node.attr])
        elif node.attr in ATTRIBUTES:
            self.flag(node, ATTRIBUTES[node.attr])
        if isinstance(node.ctx, (ast.Store, ast.Del)) and chain and chain[0] in PATCHED_OWNERS:
            self.flag(node, f"assigns to {'.'.join(chain)} (patches a library the grader uses)")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.ctx, (ast.Store, ast.Del)) and _chain(node.value) == ["sys", "modules"]:
            node.value._tg_edit = True  # type: ignore[attr-defined]
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        chain = _chain(func)
        if isinstance(func, ast.Attribute) and _chain(func.value) == ["sys", "modules"] and \
                func.attr in ("pop", "update", "setdefault", "clear", "popitem", "__setitem__", "__delitem__"):
            func.value._tg_edit = True  # type: ignore[attr-defined]
        if chain in (["setattr"], ["delattr"]) and node.args:
            target = _chain(node.args[0])
            if target and target[0] in PATCHED_OWNERS:
                self.flag(node, f"{chain[0]} on {'.'.join(target)} (patches a library the grader uses)")
        if chain in (["__import__"],) or chain[-1:] == ["import_module"]:
            self.flag(node, "imports a module by name")
        if chain in (["exec"], ["eval"], ["compile"]):
            self.flag(node, f"calls {chain[0]} (code the review cannot read)")
        self.generic_visit(node)

    def _table(self, node: ast.AST) -> None:
        if id(node) in self._tables:
            return
        count = _numbers(node)
        if count >= TABLE_NUMBERS:
            for inner in ast.walk(node):
                self._tables.add(id(inner))
            self.flag(node, f"a literal table of {count} numbers (answers written out?)")

    def _container(self, node: ast.AST) -> None:
        self._table(node)
        self.generic_visit(node)

    visit_List = visit_Tuple = visit_Set = visit_Dict = _container

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, (str, bytes)) and len(value) >= LONG_STRING:
            text = value if isinstance(value, str) else value.decode("latin-1")
            words = len(text.split())
            if words < len(text) / 40:  # prose has a space every few characters; encoded data does not
                self.flag(node, f"a {len(text)}-character encoded literal (data written out?)")


def review_source(source: str, name: str = "submission.py") -> list[str]:
    """Flags for one file's source, as 'name:line: what', in line order, one per line and kind."""
    try:
        tree = ast.parse(source, filename=name)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []  # the import reports a syntax error to the student already
    reviewer = _Reviewer(name)
    reviewer.visit(tree)  # parents before children: an edit of sys.modules is marked on the way down
    seen: set[tuple[int, str]] = set()
    out = []
    for line, what in sorted(reviewer.flags):
        if (line, what) in seen:
            continue
        seen.add((line, what))
        out.append(f"{name}:{line}: {what}")
    return out[:MAX_FLAGS] + ([f"... {len(out) - MAX_FLAGS} more"] if len(out) > MAX_FLAGS else [])


def review_submission(files: Any, exercise: Any = None) -> list[str]:
    """Flags for every Python file of one student's exercise (ExerciseFiles)."""
    flags: list[str] = []
    for rel, data in sorted(getattr(files, "files", {}).items()):
        if not str(rel).endswith(".py"):
            continue
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            text = bytes(data).decode("latin-1")
        flags += review_source(text, str(rel).rsplit("/", 1)[-1])
    return flags[:MAX_FLAGS]

