"""One handed-in file as the source of the module a worker imports: UTF-8 text that parses, and
for a notebook the definitions of its code cells (imports, def, class, constants), each cell that
fails kept out and reported (CELL_MARKER lines on the worker's stderr, notes in the feedback).
Nothing here runs student code.
"""

from __future__ import annotations

import ast
import json
import re

from grader.errors import GraderError

# Top-level statements a notebook keeps: what defines things. A training run at top level,
# a plot or a print would cost time (or worse) and defines nothing a check needs.
_KEEP_STATEMENTS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_CONSTANT_NODES = (ast.Constant, ast.Name, ast.Attribute, ast.Tuple, ast.List, ast.Set, ast.Dict,
                   ast.BinOp, ast.UnaryOp, ast.operator, ast.unaryop, ast.Load, ast.keyword)


# IPython syntax that is not Python: shell (!ls), magics (%time), help (torch.nn?),
# captured shell output (files = !ls). Blanked so line numbers stay right.
_IPYTHON_ONLY = re.compile(r"^\s*([!%]|[\w.]+\?{1,2}\s*$|[\w.]+\s*=\s*[!%])")


class SubmissionError(GraderError):
    """A submission, or one file of it, cannot be used (a bad zip, nothing inside, a file that is
    not UTF-8 or not Python); the message says which and why."""


def decode_source(content: bytes, rel: str) -> str:
    """A source file's text: UTF-8 (a BOM allowed), no NUL bytes."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"{rel} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    if "\0" in text:
        raise SubmissionError(f"{rel} contains NUL bytes: not a Python source file")
    return text


def parse_source(code: str, rel: str, where: str = "") -> ast.Module:
    """`code` parsed; a syntax error says which file, where and what."""
    try:
        return ast.parse(code, filename=rel)
    except SyntaxError as exc:
        raise SubmissionError(f"syntax error in {rel}{where} line {exc.lineno}: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise SubmissionError(f"{rel}{where} could not be parsed ({type(exc).__name__})") from None


CELL_MARKER = "torchgrade-cell: "       # worker stderr lines the judge turns into feedback notes
CELLS_END = "# end of cells"            # after it, the converter's own lines (grader.grading.review)
_CELL_PRELUDE = """import sys as _tg_sys


def _tg_cell_failed(cell, error):
    _tg_sys.stderr.write("%s%s code cell %d failed (%s: %s): skipped, the other cells are graded\\n"
                         % ({marker!r}, {{rel}}, cell, type(error).__name__, str(error)[:200]))""".format(marker=CELL_MARKER)


def notebook_to_module(content: bytes, rel: str = "notebook.ipynb") -> tuple[str, int]:
    """The definitions of a notebook as a module: (source, number of statements left out).

    Code cells only; shell (`!`) and magic (`%`, `%%`) lines dropped; of the top-level
    statements only imports, def, class and assignments of constants are kept.
    """
    import nbformat

    text = decode_source(content, rel)
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds for broken JSON
        kind = "not valid JSON" if isinstance(exc, json.JSONDecodeError) or "JSON" in str(exc) else "not a notebook"
        raise SubmissionError(f"{rel} is {kind} ({str(exc).splitlines()[0][:200]}); "
                              "re-download it from Jupyter/Colab") from None
    pieces: list[str] = [_CELL_PRELUDE.format(rel=json.dumps(rel))]
    dropped = 0
    skipped: list[str] = []
    code_cells = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    for index, cell in enumerate(code_cells, start=1):   # numbered as "the n-th code cell"
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if source.lstrip().startswith("%%"):
            dropped += 1          # a whole-cell magic (%%time, %%bash...) is not Python
            continue
        lines = ["" if _IPYTHON_ONLY.match(line) else line for line in source.splitlines()]
        code = "\n".join(lines)
        if not code.strip():
            continue
        try:
            tree = parse_source(code, rel, f" (code cell {index})")
        except SubmissionError as exc:
            # one broken cell (a typo in a cell the grader does not need) is skipped, not the notebook
            skipped.append(f"{exc}: cell skipped, the other cells are graded")
            continue
        for node in tree.body:
            if _defines(node):
                segment = ast.get_source_segment(code, node, padded=False)
                decorators = "".join(f"@{ast.get_source_segment(code, d)}\n"
                                     for d in getattr(node, "decorator_list", ()))
                if segment is None:
                    dropped += 1
                    continue
                prefix = decorators if decorators and not segment.lstrip().startswith("@") else ""
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                        and "\n" not in segment:
                    # an import or constant can fail when run (google.colab outside Colab): it is
                    # run on its own, and a failure is reported by cell number and skipped; on
                    # one line, so that the module's lines map back to the cell's
                    segment = (f"try: {segment}\nexcept Exception as _tg_error: "
                               f"_tg_cell_failed({index}, _tg_error)")
                # the marker says where the piece starts in its cell:
                # the review's findings name the cell and its line (grader.grading.review.cell_lines)
                start = node.lineno - prefix.count("\n")
                pieces.append(f"# cell {index}, line {start}\n" + prefix + segment)
            else:
                dropped += 1
    pieces.append(CELLS_END)
    if skipped:
        pieces.append("\n".join(f"_tg_sys.stderr.write({json.dumps(CELL_MARKER + s)} + '\\n')" for s in skipped))
    module = "\n\n".join(pieces) + "\n"
    parse_source(module, rel)
    return module, dropped


def _defines(node: ast.stmt) -> bool:
    if isinstance(node, _KEEP_STATEMENTS):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        value = node.value
        if value is None:
            return True
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return all(isinstance(t, (ast.Name, ast.Tuple)) for t in targets) and _constant(value)
    if isinstance(node, ast.Try):
        # try: import x / except ImportError: ... is how optional imports are written
        return all(isinstance(n, (ast.Import, ast.ImportFrom, ast.Pass)) for n in node.body)
    return False


_LIBRARY_ROOTS = {"torch", "nn", "F", "np", "numpy", "math", "torchvision", "transforms"}


def _constant(node: ast.AST) -> bool:
    """Literals and names built from them (1e-3, (28, 28), torch.float32, 2 * N), and library
    constructors called on those (torch.device("cpu"), nn.Linear(4, 2)) — no user calls, so
    no training run."""
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            if not _library_attr(n.func):
                return False
        elif not (isinstance(n, _CONSTANT_NODES) or isinstance(n, (ast.expr_context, ast.Slice, ast.Subscript))):
            return False
    return True


def _library_attr(func: ast.expr) -> bool:
    if not isinstance(func, ast.Attribute):
        return False
    while isinstance(func, ast.Attribute):
        func = func.value
    return isinstance(func, ast.Name) and func.id in _LIBRARY_ROOTS
