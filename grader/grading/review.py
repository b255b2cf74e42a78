"""The judge's review of a submission's source: the Python a course exercise needs, and nothing else.

Run-time bans (grader.checks.forbid) and the engine's seal (grader.checks.integrity) live in the
student's own interpreter, so code that reaches below Python (torch's C internals, the dispatcher's
mode stacks, custom operators, ctypes, frames, a rebound library function) can get around them.
This review reads the source in the judge, before any of the student's code runs, and holds it
against an ALLOWLIST (grader.grading.allowlist): the modules a course exercise imports, torch's
public API, the student's own functions, classes and attributes. Anything outside it is a
*finding* with its line; the grade pipeline withholds the exercise's points until the instructor
accepts or rejects (course policy `[grading] findings`). Checks still run, so an "accept"
restores the raw score.

Finding texts are written by the engine: a name is quoted only when it comes from the tables here
or from Python itself (a standard-library module, a dunder Python defines), never a name the
student chose, so no finding can carry text the student wrote (markup, a message to the grader).

Reviewed as the worker would run it: the module a notebook was converted into (its cells' lines
are mapped back), and without the body of `if __name__ == "__main__":`, which never runs in the
grader (unless the file binds `__name__`, itself a finding). Pure standard library: the judge's
parent process must not import torch for it.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from grader.grading.allowlist import (
    BAN_MODULES, CALLBACK_METHODS, DUNDER_RISKS, DYNAMIC_BUILTINS, ENGINE_PRIVATE, FRAME_ATTRIBUTES, GRADER_ALLOWED,
    HONEST_DUNDER_DEFS, HONEST_DUNDER_LOADS, HONEST_DUNDER_NAMES, HONEST_PRIVATE, MODULE_RISKS, MODULES, OPTIONAL,
    REFLECTION, RESTRICTED, ROUTES, SETTABLE, SPELLED_OK, SUBSCRIPT_SETTABLE, TENSOR_CLASSES, TORCH_IN_BANS,
    TORCH_OFF_LIMITS, TORCH_PRIVATE)

MAX_FINDINGS = 40
TABLE_NUMBERS = 64        # numeric constants in one literal: a table of answers, not code
LONG_STRING = 1000        # characters of an unexplained string literal (base64, hex)

_MAIN_GUARD = "__main__"
_CELL_MARK = re.compile(r"^# cell (\d+), line (\d+)$")
_CELLS_END = "# end of cells"
_PRIVATE_TEXT = re.compile(r"_[A-Za-z0-9_]+")


@dataclass(frozen=True)
class Finding:
    line: int
    kind: str       # a stable key for tests and tables: "torch.ops", "import", "private", ...
    text: str       # engine-written words

    def __str__(self) -> str:
        return f"line {self.line}: {self.text}"


# ---------------------------------------------------------------------------- the file's names

def _dotted(node: ast.AST) -> list[str] | None:
    """`torch.nn.functional.softmax` -> ["torch", "nn", "functional", "softmax"]; None for anything
    that is not a plain chain of names."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def _is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _const_str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


class _Names:
    """What the file's names are: imported modules (and plain aliases of them), the student's own
    names, the attribute names the student's classes define."""

    def __init__(self, tree: ast.Module) -> None:
        self.imports: dict[str, str] = {}     # local name -> dotted path it stands for
        self.own: set[str] = set()            # every name the file binds otherwise
        self.class_attrs: set[str] = set()    # methods, class variables, self.<name> = ...
        self.binds_main = False               # __name__ bound somewhere: a __main__ guard can run
        self.functions: dict[str, ast.AST] = {}   # top-level def / class / name = lambda
        assigns: list[tuple[str, ast.AST]] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.imports[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        self.imports[top] = top
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name != "*":
                        self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.own.add(node.name)
                if isinstance(node, ast.ClassDef):
                    for item in node.body:
                        for target in _bound_names(item):
                            self.class_attrs.add(target)
            elif isinstance(node, ast.arg):
                self.own.add(node.arg)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                self.own.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and \
                    isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                self.class_attrs.add(node.attr)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                self.own.update(node.names)
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                assigns.append((node.targets[0].id, node.value))
            if isinstance(node, ast.Name) and node.id == "__name__" and not isinstance(node.ctx, ast.Load) or \
                    isinstance(node, ast.Global) and "__name__" in node.names or \
                    isinstance(node, ast.arg) and node.arg == "__name__":
                self.binds_main = True
        if "__name__" in self.imports:
            self.binds_main = True
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.functions[node.name] = node
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                self.functions.setdefault(node.targets[0].id, node.value)
        # plain aliases of imported names (`T = torch.Tensor`, `aten = torch.ops.aten`), to a fixpoint
        for _ in range(4):
            grew = False
            for name, value in assigns:
                path = self.resolve(value)
                if path is not None and name not in self.imports:
                    self.imports[name] = path
                    grew = True
            if not grew:
                break

    def resolve(self, node: ast.AST) -> str | None:
        """The dotted path an expression stands for when it is a chain rooted at an import."""
        chain = _dotted(node)
        if chain is None:
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
                    and "getattr" not in self.own and len(node.args) >= 2:
                base, name = self.resolve(node.args[0]), _const_str(node.args[1])
                if base is not None and name is not None:
                    return f"{base}.{name}"
            return None
        root = self.imports.get(chain[0])
        if root is None:
            return None
        return ".".join([root, *chain[1:]])

    def builtin(self, name: str) -> bool:
        """`name` is Python's builtin here: neither imported nor bound by the file."""
        return name not in self.imports and name not in self.own


PARAMETER = ast.Constant(value="")   # a name's source: the caller's data


class _Sources:
    """Where each name of one function (or of the module) gets its values: the expressions
    assigned to it, the iterables its loops run over, PARAMETER for an argument."""

    def __init__(self, scope: ast.AST) -> None:
        self.of: dict[str, list[ast.AST]] = {}
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = scope.args
            for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if a is not None:
                    self.of.setdefault(a.arg, []).append(PARAMETER)
        for node in _walk_scope(scope):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    self._bind(target, node.value)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
                self._bind(node.target, node.value)
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                self._bind(node.target, node.iter)
            elif isinstance(node, ast.NamedExpr):
                self._bind(node.target, node.value)
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                self._bind(node.optional_vars, node.context_expr)

    def _bind(self, target: ast.AST, value: ast.AST) -> None:
        for node in ast.walk(target):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self.of.setdefault(node.id, []).append(value)


def _walk_scope(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of one scope, without the bodies of the functions and classes inside it."""
    todo = list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(node))


# Calls that keep a name made from data made of data: the text of a number, a dotted path split in parts.
_DATA_CALLS = frozenset({"str", "int", "len", "range", "enumerate", "zip", "reversed", "sorted", "list", "tuple"})
_DATA_METHODS = frozenset({"split", "rsplit", "partition", "rpartition", "strip", "rstrip", "lstrip", "items",
                           "keys", "values", "named_modules", "named_children", "named_parameters",
                           "named_buffers", "parameters", "children", "modules", "join", "get"})


def _plain_text(value: str) -> bool:
    """A string a data-made attribute name may contain: no underscore start, no dunder."""
    return "__" not in value and not value.startswith("_")


def _bound_names(stmt: ast.stmt) -> Iterator[str]:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield stmt.name
    elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            for node in ast.walk(target):
                if isinstance(node, ast.Name):
                    yield node.id


def _banned_scopes(tree: ast.Module, names: _Names, forbid: Mapping[str, Iterable[str]]) -> dict[int, frozenset[str]]:
    """id(function node) -> the banned names in force there: each symbol with bans, the methods of
    a class with bans, and every function or class of the file they call (transitively)."""
    bans: dict[int, set[str]] = {}
    todo: list[tuple[ast.AST, frozenset[str]]] = []
    for symbol, banned in forbid.items():
        node = names.functions.get(symbol)
        if node is not None and banned:
            todo.append((node, frozenset(banned)))
    while todo:
        node, banned = todo.pop()
        if isinstance(node, ast.Name) and node.id in names.functions:   # softmax = _my_softmax
            todo.append((names.functions[node.id], banned))
            continue
        functions = [node] if not isinstance(node, ast.ClassDef) else \
            [n for n in ast.walk(node) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))]
        for fn in functions:
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            known = bans.setdefault(id(fn), set())
            if banned <= known:
                continue
            known |= banned
            for inner in ast.walk(fn):
                if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Load) and \
                        inner.id in names.functions and names.functions[inner.id] is not fn:
                    todo.append((names.functions[inner.id], banned))
    return {k: frozenset(v) for k, v in bans.items()}


# ---------------------------------------------------------------------------- the review

class _Reviewer(ast.NodeVisitor):
    def __init__(self, names: _Names, scopes: dict[int, frozenset[str]], has_bans: bool,
                 allow: frozenset[str]) -> None:
        self.names, self.scopes, self.has_bans, self.allow = names, scopes, has_bans, allow
        self.findings: list[Finding] = []
        self._bans: list[frozenset[str]] = [frozenset()]
        self._tables: set[int] = set()
        self._calls: set[int] = set()          # Name nodes in call position (getattr(...), type(...))
        self._scopes: list[_Sources] = []
        self._module_sources: _Sources | None = None

    def find(self, node: ast.AST, kind: str, text: str) -> None:
        self.findings.append(Finding(getattr(node, "lineno", 0), kind, text))

    @property
    def bans(self) -> frozenset[str]:
        return self._bans[-1]

    # -- scopes
    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        if not isinstance(node, ast.Lambda) and _is_dunder(node.name) and node.name not in HONEST_DUNDER_DEFS:
            self.find(node, "dunder", f"defines {_say_dunder(node.name)}")
        self._bans.append(self.bans | self.scopes.get(id(node), frozenset()))
        self._scopes.append(_Sources(node))
        self.generic_visit(node)
        self._scopes.pop()
        self._bans.pop()

    def visit_Module(self, node: ast.Module) -> None:
        self._module_sources = _Sources(node)
        self.generic_visit(node)

    def _derived(self, expr: ast.AST, seen: set[int] | None = None) -> bool:
        """A computed attribute name made from data (the function's arguments, its loop
        variables, numbers turned into text, a dotted name split in parts), never from text that
        could spell a private or dunder name."""
        seen = set() if seen is None else seen
        if id(expr) in seen:
            return True
        seen.add(id(expr))
        if expr is PARAMETER:
            return True
        if isinstance(expr, ast.Constant):
            return not isinstance(expr.value, (str, bytes)) or (isinstance(expr.value, str) and _plain_text(expr.value))
        if isinstance(expr, ast.Name):
            sources = None
            for scope in [*reversed(self._scopes), self._module_sources]:
                if scope is not None and expr.id in scope.of:
                    sources = scope.of[expr.id]
                    break
            return sources is not None and all(self._derived(v, seen) for v in sources)
        if isinstance(expr, ast.Attribute):
            return self._derived(expr.value, seen) or isinstance(expr.value, ast.Name) and expr.value.id == "self"
        if isinstance(expr, ast.Call):
            func = expr.func
            ok = isinstance(func, ast.Name) and func.id in _DATA_CALLS and self.names.builtin(func.id) or \
                isinstance(func, ast.Attribute) and func.attr in _DATA_METHODS and self._derived(func.value, seen)
            return ok and all(self._derived(a, seen) for a in [*expr.args, *(k.value for k in expr.keywords)])
        if isinstance(expr, (ast.JoinedStr, ast.Tuple, ast.List)):
            return all(self._derived(v, seen) for v in (expr.values if isinstance(expr, ast.JoinedStr) else expr.elts))
        if isinstance(expr, ast.FormattedValue):
            return self._derived(expr.value, seen)
        if isinstance(expr, ast.Starred):
            return self._derived(expr.value, seen)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Mod, ast.Sub, ast.Mult, ast.FloorDiv)):
            return self._derived(expr.left, seen) and self._derived(expr.right, seen)
        if isinstance(expr, ast.Subscript):
            return self._derived(expr.value, seen) and not isinstance(expr.slice, ast.Slice)
        return False

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if any(k.arg == "metaclass" for k in node.keywords):
            self.find(node, "metaclass", "gives a class a metaclass (code run when classes are made)")
        if any(self.names.resolve(base) in TENSOR_CLASSES for base in node.bases):
            self.find(node, "subclass", "subclasses torch.Tensor (a tensor that answers for itself)")
        self.generic_visit(node)

    def visit_If(self, node: ast.If) -> None:
        if _is_main_guard(node.test) and not self.names.binds_main:
            for stmt in node.orelse:          # the body never runs under the grader
                self.visit(stmt)
            return
        self.generic_visit(node)

    # -- imports
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._module(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            self.find(node, "import", "imports from its own package (only one file is graded)")
            return
        module = node.module or ""
        if not self._module(node, module):
            return
        for alias in node.names:
            if alias.name == "*":
                if module.split(".")[0] in RESTRICTED:
                    self.find(node, "import", f"imports everything from {module.split('.')[0]}, "
                              "of which a course exercise uses a part")
                continue
            self._path(node, f"{module}.{alias.name}", ast.Load())

    def _module(self, node: ast.AST, module: str) -> bool:
        """Check an imported module; True when what it imports is worth checking further."""
        top = module.split(".")[0]
        if module in OPTIONAL and module in self.allow or top in OPTIONAL and top in self.allow:
            return False
        if top not in MODULES:
            self.find(node, "import", _say_import(top))
            return False
        self._path(node, module, ast.Load(), importing=True)
        return True

    # -- names and attributes
    def visit_Name(self, node: ast.Name) -> None:
        name, load = node.id, isinstance(node.ctx, ast.Load)
        if name in self.names.imports:
            if load:
                path = self.names.imports[name]
                # an imported name used on its own (not as the root of a longer chain)
                self._path(node, path, node.ctx)
            return
        if load and self.names.builtin(name):
            if name in DYNAMIC_BUILTINS:
                self.find(node, "dynamic", f"calls {name} ({DYNAMIC_BUILTINS[name]})")
                return
            if name in REFLECTION and id(node) not in self._calls:
                self.find(node, "reflection", f"passes {name} around (attribute access the review cannot read)")
        if _is_dunder(name) and (name == "__builtins__" or (not load and name not in HONEST_DUNDER_NAMES) or
                                 (load and name not in HONEST_DUNDER_LOADS and name not in HONEST_DUNDER_NAMES
                                  and name not in self.names.own)):
            self.find(node, "dunder", ("binds " if not load else "uses ") + _say_dunder(name))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        path = self.names.resolve(node)
        if path is not None:
            self._path(node, path, node.ctx)
            return                                # a plain chain: nothing inside to visit
        self._attribute(node, node.attr, node.ctx, node.value)
        self.visit(node.value)

    def _attribute(self, node: ast.AST, name: str, ctx: ast.expr_context, owner: ast.AST | None) -> None:
        """`<something>.name` where the something is not an imported module: the student's own
        object, or one a library returned."""
        store = not isinstance(ctx, ast.Load)
        if _is_dunder(name):
            if store:
                self.find(node, "dunder", f"assigns to {_say_dunder(name)}")
            elif name not in HONEST_DUNDER_LOADS:
                self.find(node, "dunder", f"reads {_say_dunder(name)}")
        elif name.startswith("_"):
            on_self = isinstance(owner, ast.Name) and owner.id in ("self", "cls")
            if name in ENGINE_PRIVATE:
                self.find(node, "private", f"reaches {name} (a private part of torch or the grader)")
            elif name in HONEST_PRIVATE or name in self.names.class_attrs or (store and on_self):
                pass
            else:
                self.find(node, "private", "reaches a private attribute (leading underscore) "
                                           "that the file does not define")
        elif name in FRAME_ATTRIBUTES:
            self.find(node, "frames", f"reads {name} (the grader's stack frames and code)")
        elif name in CALLBACK_METHODS:
            self.find(node, "callback", f"uses Tensor.{name} (a Python callback per element)")
        elif self.bans:
            if name == "numpy" and "numpy" not in self.allow:
                self.find(node, "numpy", "converts a tensor to numpy inside a function whose torch "
                                         "built-ins are banned")
            else:
                self._route(node, name)

    def _route(self, node: ast.AST, name: str) -> None:
        # named after the plainest of the bans it gets around: softmax rather than _log_softmax
        for banned in sorted(self.bans, key=lambda b: (b.startswith("_"), len(b), b)):
            if name in ROUTES.get(banned, ()):
                self.find(node, "route", f"uses {name}, which computes what the banned {banned} computes")
                return

    def _path(self, node: ast.AST, path: str, ctx: ast.expr_context, *, importing: bool = False) -> None:
        """A use of `path`, a dotted name rooted at an imported module."""
        parts = path.split(".")
        top = parts[0]
        if top not in MODULES:
            return                                 # its import is the finding
        if top == "grader":
            if GRADER_ALLOWED.split(".")[:len(parts)] != parts:
                self.find(node, "grader", "reaches the grader's own package (only `from grader.notebook "
                                          "import check` is for students)")
            return
        for table in (TORCH_OFF_LIMITS, TORCH_IN_BANS if self.has_bans else {}):
            for prefix, text in table.items():
                if (path == prefix or path.startswith(prefix + ".")) and prefix not in self.allow:
                    self.find(node, prefix, text)
                    return
        if not isinstance(ctx, ast.Load):
            if path not in SETTABLE:
                self.find(node, "patch", f"assigns to an attribute of {top} (monkeypatching a library)")
            return
        for i, part in enumerate(parts[1:], start=1):
            if part.startswith("_") and part not in HONEST_DUNDER_LOADS:
                self.find(node, "private", _say_private(parts[:i + 1]))
                return
        if top in RESTRICTED and len(parts) > 1 and parts[1] not in RESTRICTED[top]:
            self.find(node, "restricted", _say_restricted(top, parts[1]))
            return
        if self.bans and not importing:
            if top in BAN_MODULES and top not in self.allow:
                self.find(node, "numpy", BAN_MODULES[top])
            elif parts[-1] == "numpy" and "numpy" not in self.allow:    # torch.Tensor.numpy(X)
                self.find(node, "numpy", "converts a tensor to numpy inside a function whose torch "
                                         "built-ins are banned")
            elif top in ("torch", "torchvision") and len(parts) > 1:
                self._route(node, parts[-1])

    # -- statements and calls
    def visit_Subscript(self, node: ast.Subscript) -> None:
        if not isinstance(node.ctx, ast.Load):
            path = self.names.resolve(node.value)
            if path is not None and path not in SUBSCRIPT_SETTABLE and path.split(".")[0] in MODULES:
                self.find(node, "patch", f"writes into a table of {path.split('.')[0]} (monkeypatching a library)")
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        if any(_is_dunder(n) for n in node.names):
            self.find(node, "dunder", "declares a dunder name global")

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and self.names.builtin(func.id):
            self._calls.add(id(func))
            if func.id in REFLECTION and node.args:
                self._reflection(node, func.id)
            elif func.id == "type" and len(node.args) == 3:
                self.find(node, "reflection", "makes a class with type(name, bases, namespace)")
        if isinstance(func, ast.Attribute) and func.attr == "join":
            self._spelled(node, _fold(node))
        path = self.names.resolve(func)
        if path in ("torch.load", "torch.save") and any(kw.arg == "pickle_module" for kw in node.keywords):
            self.find(node, "pickle", "gives torch a pickle module of its own (code run while loading)")
        self.generic_visit(node)

    def _reflection(self, node: ast.Call, fn: str) -> None:
        if len(node.args) < 2:
            return
        target, name_expr = node.args[0], node.args[1]
        name = _fold(name_expr)
        ctx: ast.expr_context = ast.Load() if fn == "getattr" else ast.Store() if fn == "setattr" else ast.Del()
        path = self.names.resolve(target)
        if name is not None:
            if not isinstance(name_expr, ast.Constant):
                self.find(node, "reflection", f"calls {fn} with a name built from pieces (hidden from a reader)")
            if not name.isidentifier():
                return                              # no attribute can have it: getattr fails
            if path is not None:
                self._path(node, f"{path}.{name}", ctx)
            else:
                self._attribute(node, name, ctx, target)
            return
        if path is None and self._derived(name_expr):
            return                                  # setattr(parent, child_name, new): names from data
        self.find(node, "reflection", f"calls {fn} with a computed name (attribute access the review cannot read)")

    # -- literals
    def _container(self, node: ast.AST) -> None:
        if id(node) not in self._tables:
            count = _literal_numbers(node)
            if count >= TABLE_NUMBERS:
                self._tables.update(id(inner) for inner in ast.walk(node))
                self.find(node, "table", f"a literal table of {count} numbers (answers written out?)")
        self.generic_visit(node)

    visit_List = visit_Tuple = visit_Set = visit_Dict = _container

    def visit_BinOp(self, node: ast.BinOp) -> None:
        self._spelled(node, _fold(node))
        self._pieces(node, [node.left, node.right])

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self._spelled(node, _fold(node))
        self._pieces(node, node.values)

    def _pieces(self, node: ast.AST, parts: list[ast.expr]) -> None:
        """The string constants of a concatenation are pieces ("_epoch" in f"{stem}_epoch{n}"): only
        one that is a dunder or an engine name on its own is worth a finding."""
        for part in parts:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                if _is_dunder(part.value) or part.value in ENGINE_PRIVATE:
                    self._spelled(part, part.value)
            elif not isinstance(part, (ast.BinOp, ast.JoinedStr)) or id(part) in self._tables:
                self.visit(part)
            else:
                self._pieces(part, [part.left, part.right] if isinstance(part, ast.BinOp) else part.values)

    def _spelled(self, node: ast.AST, text: str | None) -> None:
        """A string that spells a private or dunder name the file does not define: the name a
        computed getattr/setattr would reach."""
        if text is None or not _PRIVATE_TEXT.fullmatch(text) or not text.strip("_") or text in SPELLED_OK or \
                text in HONEST_PRIVATE or \
                text in HONEST_DUNDER_DEFS or \
                (text not in ENGINE_PRIVATE and (text in self.names.class_attrs or text in self.names.own)):
            return
        shown = text if text in DUNDER_RISKS or text in ENGINE_PRIVATE else "a private name"
        self.find(node, "spelled", f"spells out {shown} as a string (for getattr or setattr?)")

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, str):
            self._spelled(node, value)
        if isinstance(value, (str, bytes)) and len(value) >= LONG_STRING:
            text = value if isinstance(value, str) else value.decode("latin-1")
            if len(text.split()) < len(text) / 40:  # prose has a space every few characters; encoded data does not
                self.find(node, "encoded", f"a {len(text)}-character encoded literal (data written out?)")


def _literal_numbers(node: ast.AST) -> int:
    """The numbers written out in a literal: through nested lists, tuples, sets and dicts (and a
    minus sign), not through calls (an architecture's layer sizes are code, not a table)."""
    if isinstance(node, ast.Constant):
        return 1 if type(node.value) in (int, float, complex) else 0
    if isinstance(node, ast.UnaryOp):
        return _literal_numbers(node.operand)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return sum(_literal_numbers(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return sum(_literal_numbers(e) for e in [*node.keys, *node.values] if e is not None)
    return 0


def _fold(node: ast.AST) -> str | None:
    """The text of an expression made of string constants only ("soft" + "max", f"{'_'}_class__",
    "".join(["_", "_dict__"])), None for anything else."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _fold(node.left), _fold(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.JoinedStr):
        parts = [_fold(v.value if isinstance(v, ast.FormattedValue) and v.conversion == -1 and v.format_spec is None
                       else v) for v in node.values]
        return None if any(p is None for p in parts) else "".join(p for p in parts if p is not None)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join" \
            and len(node.args) == 1 and isinstance(node.args[0], (ast.List, ast.Tuple)):
        sep = _fold(node.func.value)
        parts = [_fold(e) for e in node.args[0].elts]
        return None if sep is None or any(p is None for p in parts) else sep.join(p for p in parts if p is not None)
    return None


def _is_main_guard(test: ast.AST) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and \
        any(_const_str(s) == _MAIN_GUARD for s in sides)


# ---------------------------------------------------------------------------- engine-written words

def _say_import(top: str) -> str:
    if top in MODULE_RISKS:
        return f"imports {top} ({MODULE_RISKS[top]})"
    if top in sys.stdlib_module_names or top in OPTIONAL:
        return f"imports {top}, which is not among the modules a course exercise uses"
    return "imports a module that is not among the modules a course exercise uses"


def _say_private(parts: list[str]) -> str:
    top, name = parts[0], parts[-1]
    if name in TORCH_PRIVATE and all(p.isidentifier() and (p in TORCH_PRIVATE or not p.startswith("_"))
                                     for p in parts[1:]) and top in MODULES:
        shown = ".".join(parts) if all(_known_part(p) for p in parts[1:-1]) else f"{top}…{name}"
        return f"reaches {shown} (a private part of {top})"
    return f"reaches a private name (leading underscore) of {top}"


def _known_part(part: str) -> bool:
    return part in TORCH_PRIVATE or part in {"nn", "functional", "utils", "autograd", "cuda", "backends",
                                             "modules", "module", "Tensor", "linalg", "special", "fft"}


def _say_restricted(top: str, attr: str) -> str:
    try:
        known = hasattr(importlib.import_module(top), attr) and attr.isidentifier()
    except ImportError:
        known = False
    shown = f"{top}.{attr}" if known else f"a part of {top}"
    return f"uses {shown}, outside the part of {top} a course exercise uses"


def _say_dunder(name: str) -> str:
    if name in DUNDER_RISKS:
        return f"{name} ({DUNDER_RISKS[name]})"
    if name in HONEST_DUNDER_LOADS or name in HONEST_DUNDER_NAMES:
        return name
    return "a dunder name"


# ---------------------------------------------------------------------------- entry points

def review_findings(source: str, forbid: Mapping[str, Iterable[str]] | None = None,
                    allow: Iterable[str] = ()) -> list[Finding]:
    """Every finding in one module's source, in line order, each once.

    forbid: course.toml's bans of the exercise (symbol -> banned names); allow: its review_allow.
    A file that does not parse has no findings: its import fails and every check says so."""
    try:
        with warnings.catch_warnings():       # "'int' object is not callable" is the student's to hear
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    forbid = {k: tuple(v) for k, v in (forbid or {}).items() if v}
    try:
        names = _Names(tree)
        reviewer = _Reviewer(names, _banned_scopes(tree, names, forbid), bool(forbid), frozenset(allow))
        reviewer.visit(tree)
    except RecursionError:
        return [Finding(1, "nesting", "nests code too deeply for the review to read")]
    except Exception:  # noqa: BLE001 - a file the review cannot read goes to a person, and the class goes on
        return [Finding(1, "unreadable", "could not be read by the review (the grader's fault, not yours)")]
    return sorted(set(reviewer.findings), key=lambda f: (f.line, f.kind, f.text))


def review_source(source: str, forbid: Mapping[str, Iterable[str]] | None = None,
                  allow: Iterable[str] = ()) -> list[str]:
    """The findings as the results keep them: "line 12: uses torch.ops (...)", at most MAX_FINDINGS."""
    found = [str(f) for f in review_findings(source, forbid, allow)]
    return found[:MAX_FINDINGS] + ([f"... {len(found) - MAX_FINDINGS} more"] if len(found) > MAX_FINDINGS else [])


def cell_lines(source: str) -> dict[int, tuple[int, int]] | None:
    """For the module a notebook was converted into: module line -> (code cell, line in the cell);
    None for a plain .py file. Lines of the grader's own prelude map to cell 0."""
    lines = source.splitlines()
    if not any(_CELL_MARK.match(line) for line in lines):
        return None
    out: dict[int, tuple[int, int]] = {}
    cell, start, mark = 0, 0, 0
    for number, line in enumerate(lines, start=1):
        found = _CELL_MARK.match(line)
        if found:
            cell, start, mark = int(found.group(1)), int(found.group(2)), number
            continue
        if line == _CELLS_END:
            cell, start, mark = 0, 0, number
        out[number] = (cell, start + number - mark - 1) if cell else (0, number)
    return out


def review_submission(files: Any, exercise: Any = None) -> list[str]:
    """The findings for one student's exercise (ExerciseFiles): the module the worker imports,
    reviewed against the exercise's bans and review_allow; notebook lines given by cell."""
    module = getattr(files, "module_file", "")
    data = getattr(files, "files", {}).get(module)
    if data is None:
        return []
    source = bytes(data).decode("utf-8", errors="replace")
    findings = review_findings(source, getattr(exercise, "forbid", None) or {},
                               getattr(exercise, "review_allow", ()) or ())
    cells = cell_lines(source)
    out = []
    for f in findings:
        if cells is not None and f.line in cells:
            cell, line = cells[f.line]
            where = f"code cell {cell}, line {line}" if cell else f"line {line} of the grader's notebook prelude"
            out.append(f"{where}: {f.text}")
        else:
            out.append(str(f))
    return out[:MAX_FINDINGS] + ([f"... {len(out) - MAX_FINDINGS} more"] if len(out) > MAX_FINDINGS else [])


def rules_digest() -> str:
    """What the review is: a change of its rules or tables grades again (gradebook.checks_digest)."""
    h = hashlib.sha256()
    for path in (Path(__file__), Path(__file__).with_name("allowlist.py")):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


__all__ = ["Finding", "review_findings", "review_source", "review_submission", "cell_lines", "rules_digest"]
