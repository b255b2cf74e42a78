"""Mutants of a reference solution: one plausible student mistake each, made inside the answer.

Only code between `### BEGIN SOLUTION` and `### END SOLUTION` is changed (signatures,
docstrings and demos are the course's, not the student's). Each operator models a mistake
students make in this course: a swapped operator or comparison, a constant or range off by
one, the wrong dtype, a forgotten `.clone()`/`.detach()`/`no_grad`/`.train()`/`.eval()`/
`zero_grad()`, in-place for out-of-place and back, `sum` for `mean` or the wrong axis, two steps
in the wrong order, a missing `raise`, a missing device move.

A change is a splice of the source text (the node's own span, from the AST's positions), so a
mutant differs from the reference in exactly the characters the mistake touches and its diff
line reads like the student's line would.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"

# (operator, replacement) choices per AST operator type
_ARITH = {ast.Add: ["-"], ast.Sub: ["+"], ast.Mult: ["/"], ast.Div: ["*", "//"], ast.FloorDiv: ["/"],
          ast.Pow: ["*"], ast.MatMult: ["*"], ast.Mod: ["//"]}
_ARITH_TEXT = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Pow: "**",
               ast.MatMult: "@", ast.Mod: "%"}
_COMPARE = {ast.Lt: ["<=", ">"], ast.LtE: ["<", ">="], ast.Gt: [">=", "<"], ast.GtE: [">", "<="],
            ast.Eq: ["!="], ast.NotEq: ["=="], ast.Is: ["is not"], ast.IsNot: ["is"],
            ast.In: ["not in"], ast.NotIn: ["in"]}
_DTYPES = {"float32": "float64", "float": "double", "float64": "float32", "double": "float",
           "int64": "float32", "long": "float", "int32": "int64", "int": "long", "float16": "float32",
           "bool": "float32"}
_DTYPE_METHODS = {"float": "double", "double": "float", "long": "float", "int": "float", "half": "float"}
_BUILTIN_TYPES = {"int": "float", "float": "int"}
_REDUCTIONS = {"sum": "mean", "mean": "sum", "max": "min", "min": "max", "argmax": "argmin",
               "argmin": "argmax", "amax": "amin", "amin": "amax", "nansum": "nanmean", "prod": "sum",
               "cumsum": "cumprod", "all": "any", "any": "all"}
# methods whose call a student forgets: the receiver is used as it is
_COPIES = {"clone", "detach", "contiguous", "copy"}
_MOVES = {"to", "cuda", "cpu"}
_DROPPABLE_METHODS = _COPIES | _MOVES | {"item", "tolist", "abs", "sqrt", "exp", "log", "t", "float",
                                        "double", "long", "requires_grad_", "flatten", "squeeze"}
_DROPPABLE_FUNCTIONS = {"clone", "detach", "abs", "sqrt", "exp", "log", "deepcopy", "reversed", "sorted"}
_DROPPABLE_BUILTINS = {"float", "int", "bool", "abs", "list", "tuple", "reversed", "sorted", "round"}
# methods with an in-place twin (x.add(y) -> x.add_(y))
_INPLACE_ABLE = {"add", "sub", "mul", "div", "clamp", "abs", "neg", "exp", "pow", "sqrt", "masked_fill",
                 "fill", "zero", "relu", "copy", "clamp_min", "sigmoid", "tanh", "log", "uniform",
                 "normal", "requires_grad"}
# keyword arguments whose absence is a mistake of its own
_DROPPABLE_KEYWORDS = {"dtype", "device", "keepdim", "dim", "generator", "requires_grad", "shuffle",
                       "drop_last", "weight_decay", "unbiased", "correction", "reduction", "momentum",
                       "map_location", "weights_only", "out", "strict", "non_blocking"}
_GRAD_MODES = {"no_grad": "enable_grad", "inference_mode": "enable_grad"}

OPERATORS = ("arith", "compare", "bool", "constant", "range", "dtype", "drop-call", "device",
             "no-grad", "drop-statement", "inplace", "reduction", "keyword", "order", "raise")


@dataclass(frozen=True)
class Mutant:
    """One mistake: the operator that made it, where, the line before and after, and the
    whole mutated module."""

    operator: str
    lineno: int
    original: str
    mutated: str
    source: str
    occurrence: int = 1   # the same change on an identical line elsewhere: 2, 3, ... in source order

    @property
    def key(self) -> str:
        """Identifies the mutant across edits elsewhere in the file (no line number in it)."""
        suffix = f" (#{self.occurrence})" if self.occurrence > 1 else ""
        return f"{self.operator}: {self.original} -> {self.mutated}{suffix}"

    def diff_line(self) -> str:
        return f"L{self.lineno} [{self.operator}] {self.original}  =>  {self.mutated}"


def solution_lines(source: str) -> list[tuple[int, int]]:
    """(first, last) 1-based line numbers of the code inside each solution block."""
    blocks, start = [], None
    for number, line in enumerate(source.splitlines(), 1):
        text = line.strip()
        if text == BEGIN:
            start = number + 1
        elif text == END and start is not None:
            if number - 1 >= start:
                blocks.append((start, number - 1))
            start = None
    return blocks


_Edit = tuple[int, int, bytes]   # byte offsets [start, end) of the source and the new text


class _Source:
    """The module's text in bytes (AST columns are UTF-8 byte offsets) and its line starts."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = text.encode("utf-8")
        self.starts = [0]
        for i, byte in enumerate(self.data):
            if byte == 0x0A:
                self.starts.append(i + 1)

    def offset(self, lineno: int, col: int) -> int:
        return self.starts[lineno - 1] + col

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (self.offset(node.lineno, node.col_offset),  # type: ignore[attr-defined]
                self.offset(node.end_lineno, node.end_col_offset))  # type: ignore[attr-defined]

    def segment(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.data[start:end].decode("utf-8")

    def line_of(self, offset: int) -> int:
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1


def _paren(text: str, node: ast.AST) -> str:
    return text if isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Constant, ast.Subscript)) \
        else f"({text})"


def _gap_edit(src: _Source, left: ast.AST, right: ast.AST, old: str, new: str) -> _Edit | None:
    """Replace operator `old` in the text between two operands by `new`."""
    start, end = src.offset(left.end_lineno, left.end_col_offset), src.offset(right.lineno, right.col_offset)  # type: ignore[attr-defined]
    gap = src.data[start:end].decode("utf-8")
    code = gap.split("#", 1)[0]
    match = re.search(r"(?<![=<>!*/])" + re.escape(old) + r"(?![=*/])" if old not in ("not in", "is not")
                      else re.escape(old).replace(r"\ ", r"\s+"), code)
    if match is None:
        return None
    return start + len(gap[:match.start()].encode()), start + len(gap[:match.end()].encode()), new.encode()


def _node_edit(src: _Source, node: ast.AST, text: str) -> _Edit:
    start, end = src.span(node)
    return start, end, text.encode("utf-8")


def _call_name(call: ast.Call) -> tuple[str, str]:
    """('method', name) for x.name(...), ('torch', name) for torch.name / F.name, ('builtin', name)."""
    func = call.func
    if isinstance(func, ast.Name):
        return "builtin", func.id
    if isinstance(func, ast.Attribute):
        base = func.value
        if isinstance(base, ast.Name) and base.id in ("torch", "F", "nn", "np", "copy", "math"):
            return base.id, func.attr
        return "method", func.attr
    return "", ""


def _attr_name_edit(src: _Source, func: ast.Attribute, new: str) -> _Edit:
    end = src.offset(func.end_lineno, func.end_col_offset)  # type: ignore[arg-type]
    return end - len(func.attr.encode()), end, new.encode()


def _statement_pass(src: _Source, stmt: ast.stmt) -> _Edit:
    return _node_edit(src, stmt, "pass")


Generator = Callable[[_Source, ast.AST], Iterator[tuple[str, _Edit]]]


def _arith(src: _Source, node: ast.AST) -> Iterator[tuple[str, _Edit]]:
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        for new in _ARITH[type(node.op)]:
            edit = _gap_edit(src, node.left, node.right, _ARITH_TEXT[type(node.op)], new)
            if edit:
                yield "arith", edit
    elif isinstance(node, ast.AugAssign) and type(node.op) in _ARITH:
        for new in _ARITH[type(node.op)]:
            edit = _gap_edit(src, node.target, node.value, _ARITH_TEXT[type(node.op)] + "=", new + "=")
            if edit:
                yield "arith", edit
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
            and not isinstance(node.operand, ast.Constant):
        yield "arith", _node_edit(src, node, src.segment(node.operand))


def _compare(src: _Source, node: ast.AST) -> Iterator[tuple[str, _Edit]]:
    if not isinstance(node, ast.Compare):
        return
    operands = [node.left, *node.comparators]
    for i, op in enumerate(node.ops):
        old = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
               ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}[type(op)]
        for new in _COMPARE[type(op)]:
            edit = _gap_edit(src, operands[i], operands[i + 1], old, new)
            if edit:
                yield "compare", edit


def _bool(src: _Source, node: ast.AST) -> Iterator[tuple[str, _Edit]]:
    if isinstance(node, ast.BoolOp) and len(node.values) == 2:
        old, new = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
        edit = _gap_edit(src, node.values[0], node.values[1], old, new)
        if edit:
            yield "bool", edit
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "bool", _node_edit(src, node, _paren(src.segment(node.operand), node.operand))
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        yield "bool", _node_edit(src, node, str(not node.value))


def _constant(src: _Source, node: ast.AST) -> Iterator[tuple[str, _Edit]]:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        for new in (node.value + 1, node.value - 1):
            yield "constant", _node_edit(src, node, str(new) if new >= 0 else f"({new})")


def _range(src: _Source, node: ast.AST) -> Iterator[tuple[str, _Edit]]:
    bounds: list[ast.expr] = []
    if isinstance(node, ast.Call) and _call_name(node) == ("builtin", "range") and node.args:
        bounds.append(node.args[0] if len(node.args) == 1 else node.args[1])
    elif isinstance(node, ast.Slice):
        bounds += [b for b in (node.lower, node.upper) if b is not None]
    for bound in bounds:
        if isinstance(bound, ast.Constant) or (isinstance(bound, ast.UnaryOp) and isinstance(bound.operand, ast.Constant)):
            continue   # the constant operator moves those
        text = src.segment(bound)
        for sign in ("+", "-"):
            yield "range", _node_edit(src, bound, f"{_paren(text, bound)} {sign} 1")


def _dtype(src: _Source, node: ast.AST) -> Iterator[tuple[str, _Edit]]:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "torch" \
            and node.attr in _DTYPES:
        yield "dtype", _attr_name_edit(src, node, _DTYPES[node.attr])
    elif isinstance(node, ast.Call):
        kind, name = _call_name(node)
        if kind == "method" and name in _DTYPE_METHODS and not node.args and not node.keywords:
            yield "dtype", _attr_name_edit(src, node.func, _DTYPE_METHODS[name])  # type: ignore[arg-type]
        elif kind == "builtin" and name in _BUILTIN_TYPES and len(node.args) == 1:
            yield "dtype", _node_edit(src, node.func, _BUILTIN_TYPES[name])


def _drop_call(src: _Source, node: ast.AST) -> Iterator[tuple[str, _Edit]]:
    if not isinstance(node, ast.Call):
        return
    kind, name = _call_name(node)
    if kind == "method" and name in _DROPPABLE_METHODS:
        receiver = node.func.value  # type: ignore[attr-defined]
        operator = "drop-call"
        if name in _MOVES:   # .to(X.dtype) converts, .to(device) moves
            converts = any(isinstance(a, ast.Attribute) and a.attr in _DTYPES for a in node.args) \
                or "dtype" in src.segment(node)[len(src.segment(receiver)):]
            operator = "dtype" if converts else "device"
        yield operator, _node_edit(src, node, src.segment(receiver))
    elif kind in ("torch", "copy", "math", "np") and name in _DROPPABLE_FUNCTIONS and len(node.args) >= 1 \
            and not node.keywords:
        yield "drop-call", _node_edit(src, node, _paren(src.segment(node.args[0]), node.args[0]))
    elif kind == "builtin" and name in _DROPPABLE_BUILTINS and len(node.args) == 1 and not node.keywords:
        yield "drop-call", _node_edit(src, node, _paren(src.segment(node.args[0]), node.args[0]))


def _no_grad(src: _Source, node: ast.AST) -> Iterator[tuple[str, _Edit]]:
    if isinstance(node, (ast.With,)):
        for item in node.items:
            expr = item.context_expr
            if isinstance(expr, ast.Call) and _call_name(expr)[1] in _GRAD_MODES:
                yield "no-grad", _attr_name_edit(src, expr.func, _GRAD_MODES[_call_name(expr)[1]])  # type: ignore[arg-type]


def _drop_statement(src: _Source, node: ast.AST) -> Iterator[tuple[str, _Edit]]:
    """A call made for its effect that a student forgets (zero_grad, backward, step, train, eval,
    an append, a copy_ ...), and a `.grad = None` reset."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        yield "drop-statement", _statement_pass(src, node)
    elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Attribute) \
            and node.targets[0].attr == "grad":
        yield "drop-statement", _statement_pass(src, node)


def _raise(src: _Source, node: ast.AST) -> Iterator[tuple[str, _Edit]]:
    if isinstance(node, ast.Raise):
        yield "raise", _statement_pass(src, node)


def _is_self(node: ast.AST) -> bool:
    """self.layer(...) calls a submodule, not a tensor method."""
    return isinstance(node, ast.Name) and node.id in ("self", "nn")


def _condition(src: _Source, node: ast.AST) -> Iterator[tuple[str, _Edit]]:
    """A test that is not a comparison (a mode flag, a predicate) negated: `if self.training`."""
    if isinstance(node, (ast.If, ast.While, ast.IfExp)) and isinstance(node.test, (ast.Name, ast.Attribute, ast.Call)):
        yield "bool", _node_edit(src, node.test, f"not {src.segment(node.test)}")


_NUMBERED = re.compile(r"^(.*?[A-Za-z_])(\d+)$")


def _names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
    return names


def _numbered_swap(names: set[str]) -> Generator:
    """W1 for W2, lin2 for lin1, dropout1 for dropout2: the wrong one of two numbered twins."""
    def generate(src: _Source, node: ast.AST) -> Iterator[tuple[str, _Edit]]:
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
        match = _NUMBERED.match(name or "")
        if match is None or not isinstance(getattr(node, "ctx", None), ast.Load):
            return
        for other in sorted(names):
            twin = _NUMBERED.match(other)
            if other != name and twin is not None and twin.group(1) == match.group(1):
                if isinstance(node, ast.Name):
                    yield "order", _node_edit(src, node, other)
                else:
                    yield "order", _attr_name_edit(src, node, other)  # type: ignore[arg-type]
    return generate


def _inplace(src: _Source, node: ast.AST) -> Iterator[tuple[str, _Edit]]:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and _call_name(node)[0] == "method" and not _is_self(node.func.value):
        name = node.func.attr
        if name.endswith("_") and not name.startswith("_") and name[:-1] in _INPLACE_ABLE:
            yield "inplace", _attr_name_edit(src, node.func, name[:-1])
        elif name in _INPLACE_ABLE:
            yield "inplace", _attr_name_edit(src, node.func, name + "_")
    elif isinstance(node, ast.AugAssign) and type(node.op) in _ARITH_TEXT:
        target, value = src.segment(node.target), src.segment(node.value)
        yield "inplace", _node_edit(src, node, f"{target} = {target} {_ARITH_TEXT[type(node.op)]} "
                                               f"{_paren(value, node.value)}")
    elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.BinOp) \
            and type(node.value.op) in _ARITH_TEXT and isinstance(node.targets[0], (ast.Name, ast.Subscript, ast.Attribute)) \
            and src.segment(node.targets[0]) == src.segment(node.value.left):
        binop = node.value
        yield "inplace", _node_edit(src, node, f"{src.segment(node.targets[0])} {_ARITH_TEXT[type(binop.op)]}= "
                                               f"{src.segment(binop.right)}")


def _reduction(src: _Source, node: ast.AST) -> Iterator[tuple[str, _Edit]]:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        kind, name = _call_name(node)
        if kind in ("method", "torch") and name in _REDUCTIONS:
            yield "reduction", _attr_name_edit(src, node.func, _REDUCTIONS[name])
    elif isinstance(node, ast.Call) and _call_name(node) in (("builtin", "sum"), ("builtin", "max"), ("builtin", "min")):
        yield "reduction", _node_edit(src, node.func, {"sum": "max", "max": "min", "min": "max"}[node.func.id])  # type: ignore[attr-defined]


def _keyword(src: _Source, node: ast.AST) -> Iterator[tuple[str, _Edit]]:
    if not isinstance(node, ast.Call):
        return
    for i, kw in enumerate(node.keywords):
        if kw.arg not in _DROPPABLE_KEYWORDS:
            continue
        # the keyword and the comma before it (or after it, when it comes first)
        start, end = src.span(kw.value)
        kw_start = src.data.rfind(kw.arg.encode(), 0, start)
        items = [*node.args, *node.keywords]
        position = len(node.args) + i
        if position > 0:
            previous: Any = items[position - 1]
            prev_end = src.offset(previous.end_lineno, previous.end_col_offset)
            edit: _Edit = (prev_end, end, b"")
        elif len(items) > 1:
            following: Any = items[1]
            next_start = src.offset(following.lineno, following.col_offset)
            if isinstance(following, ast.keyword) and following.arg:
                next_start = src.data.rfind(following.arg.encode(), 0, src.span(following.value)[0])
            edit = (kw_start, next_start, b"")
        else:
            edit = (kw_start, end, b"")
        yield ("device" if kw.arg == "device" else "keyword"), edit


def _order(src: _Source, node: ast.AST) -> Iterator[tuple[str, _Edit]]:
    """Two neighbouring steps in the wrong order (one of them a call made for its effect), and a
    returned tuple in reverse."""
    for field in ("body", "orelse", "finalbody"):
        block = getattr(node, field, None)
        if not isinstance(block, list):
            continue
        for first, second in zip(block, block[1:]):
            if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Call)
                    or isinstance(second, ast.Expr) and isinstance(second.value, ast.Call)):
                continue
            if not all(isinstance(s, (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign)) for s in (first, second)):
                continue
            start, _ = src.span(first)
            _, end = src.span(second)
            between = src.data[src.span(first)[1]:src.span(second)[0]]
            yield "order", (start, end, src.segment(second).encode() + between + src.segment(first).encode())
    if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) and len(node.value.elts) >= 2:
        parts = [src.segment(e) for e in reversed(node.value.elts)]
        yield "order", _node_edit(src, node.value, ", ".join(parts) if not src.segment(node.value).startswith("(")
                                  else "(" + ", ".join(parts) + ")")


GENERATORS: tuple[Generator, ...] = (_arith, _compare, _bool, _condition, _constant, _range, _dtype, _drop_call,
                                     _no_grad, _drop_statement, _raise, _inplace, _reduction, _keyword, _order)


def _inside(node: ast.AST, blocks: list[tuple[int, int]]) -> bool:
    first, last = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
    if first is None or last is None:
        return False
    return any(lo <= first and last <= hi for lo, hi in blocks)


def _snippet(data: bytes, starts: list[int], first_line: int, last_line: int) -> str:
    lo = starts[first_line - 1]
    hi = starts[last_line] - 1 if last_line < len(starts) else len(data)
    return " ".join(data[lo:hi].decode("utf-8").split())


def generate_mutants(source: str, operators: tuple[str, ...] | None = None) -> list[Mutant]:
    """Every mutant of the solution blocks of `source` that still compiles, in source order,
    without duplicates."""
    blocks = solution_lines(source)
    if not blocks:
        return []
    src = _Source(source)
    tree = ast.parse(source)
    seen: set[bytes] = set()
    found: list[tuple[int, int, Mutant]] = []
    generators = (*GENERATORS, _numbered_swap(_names(tree)))
    # the text of an f-string and the exception a `raise` builds are messages, not computation
    quiet = {id(n) for top in ast.walk(tree) if isinstance(top, (ast.JoinedStr, ast.Raise))
             for n in ast.walk(top.exc if isinstance(top, ast.Raise) and top.exc else top)
             if isinstance(top, ast.JoinedStr) or top.exc is not None}
    for node in ast.walk(tree):
        if id(node) in quiet:
            continue
        in_block = _inside(node, blocks)
        for generate in generators:
            if not in_block and generate is not _order:
                continue
            for operator, (start, end, new) in generate(src, node):
                if operators is not None and operator not in operators:
                    continue
                if generate is _order and not any(lo <= src.line_of(start) and src.line_of(max(end - 1, start)) <= hi
                                                  for lo, hi in blocks):
                    continue
                data = src.data[:start] + new + src.data[end:]
                if data in seen or data == src.data:
                    continue
                text = data.decode("utf-8")
                try:
                    compile(text, "<mutant>", "exec")
                except SyntaxError:
                    continue
                seen.add(data)
                first, last = src.line_of(start), src.line_of(max(end - 1, start))
                new_starts = [0] + [i + 1 for i, b in enumerate(data) if b == 0x0A]
                new_last = last + new.count(b"\n") - src.data[start:end].count(b"\n")
                mutant = Mutant(operator, first, _snippet(src.data, src.starts, first, last),
                                _snippet(data, new_starts, first, max(first, new_last)), text)
                found.append((start, len(found), mutant))
    ordered: list[Mutant] = []
    counts: dict[str, int] = {}
    for _, _, mutant in sorted(found, key=lambda t: (t[0], t[1])):
        counts[mutant.key] = counts.get(mutant.key, 0) + 1
        ordered.append(mutant if counts[mutant.key] == 1 else dataclasses.replace(mutant, occurrence=counts[mutant.key]))
    return ordered
