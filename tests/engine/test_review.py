"""The judge's review of a submission's source (grader.grading.review): each rule of the allowlist
both ways, on a route around the engine (a finding on its line) and on the honest code next to it
(none). The whole-course measurement is test_review_corpus.py; the attacks are tests/adversarial."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.grading.review import cell_lines, review_findings, review_source, review_submission
from grader.course import CourseError
from grader.grading.submissions import ExerciseFiles

SOFTMAX_BANS = {"softmax": ["softmax", "log_softmax", "logsumexp"], "helper_user": ["softmax"]}

# (name, source, bans, {(line, kind)}): line 1 is the first line after the dedent
CASES = [
    # -- imports: the course's list, and only that
    ("allowed imports", """
        import math, random, itertools, functools, collections, typing, dataclasses, time
        import numpy as np
        import torch, torchvision
        import torch.nn.functional as F
        from torch.utils.data import DataLoader, TensorDataset
        from matplotlib import pyplot as plt
        from IPython import display
        from grader.notebook import check
    """, {}, set()),
    ("modules outside the list", """
        import ctypes
        import gc, inspect
        from importlib import reload
        import pickle
        import threading
        from concurrent.futures import ThreadPoolExecutor
        import some_student_helper
        from . import sibling
    """, {}, {(1, "import"), (2, "import"), (3, "import"), (4, "import"), (5, "import"), (6, "import"),
              (7, "import"), (8, "import")}),
    ("the grader's own package", """
        import grader.checks.forbid as forbid
        from grader import checks
        import grader
        grader.checks.codec.to_plain = None
        from grader import note
    """, {}, {(1, "grader"), (2, "grader"), (4, "grader"), (5, "grader")}),
    # -- torch: public API yes; its internals and its ways below the checker no
    ("torch's public API", """
        import torch
        from torch import nn
        x = torch.nn.functional.relu(torch.randn(3)) @ torch.linalg.inv(torch.eye(3))
        y = torch.autograd.grad(x.sum(), [x])
        torch.backends.cudnn.benchmark = True
        print(torch.__version__, torch.cuda.is_available(), nn.Module.__init__)
    """, {}, set()),
    ("torch internals and raw operators", """
        import torch
        from torch._C import DisableTorchFunction
        torch._C._pop_torch_function_stack()
        ops = torch.ops
        y = ops.aten.add(1, 2)
        torch.library.custom_op("a::b", mutates_args=())
        from torch.overrides import TorchFunctionMode
        from torch.utils._python_dispatch import TorchDispatchMode
        import torch.multiprocessing as mp
        x = getattr(torch, "ops")
    """, {}, {(2, "private"), (3, "private"), (4, "torch.ops"), (5, "torch.ops"), (6, "torch.library"),
              (7, "torch.overrides"), (8, "private"), (9, "torch.multiprocessing"), (10, "torch.ops")}),
    ("TorchScript and torch.compile only where the exercise bans", """
        import torch
        f = torch.jit.script(lambda x: x)
        g = torch.compile(lambda x: x)
    """, {}, set()),
    ("TorchScript and torch.compile in an exercise with bans", """
        import torch
        f = torch.jit.script(lambda x: x)
        g = torch.compile(lambda x: x)
    """, SOFTMAX_BANS, {(2, "torch.jit"), (3, "torch.compile")}),
    # -- monkeypatching: nothing imported is assigned to
    ("assigning to library attributes", """
        import torch, time, os.path
        import numpy as np
        T = torch.Tensor
        torch.allclose = lambda *a: True
        T.__eq__ = lambda s, o: True
        time.perf_counter = lambda: 0.0
        os.path.realpath = str
        np.testing.assert_allclose = print
        del torch.equal
        setattr(torch, "isclose", None)
    """, {}, {(4, "patch"), (5, "patch"), (6, "patch"), (7, "patch"), (8, "patch"), (9, "patch"),
              (10, "patch")}),
    ("assigning to one's own objects", """
        import torch
        from torch import nn
        net = nn.Linear(2, 2)
        net.weight = nn.Parameter(torch.zeros(2, 2))
        net.weight.data[0, 0] = 42
        net[0].bias.requires_grad = False if False else True
        class Box:
            pass
        box = Box()
        box.value = 3
    """, {}, set()),
    # -- restricted modules: the part of os and sys an exercise uses
    ("the usual parts of os and sys", """
        import os, sys
        os.makedirs(os.path.join("a", "b"), exist_ok=True)
        os.environ["KMP_DUPLICATE_LIB_OK"] = "TRUE"
        sys.path.insert(0, "..")
        print(sys.argv, file=sys.stderr)
    """, {}, set()),
    ("the rest of os and sys", """
        import os, sys
        os.fork()
        fd = os.memfd_create("x")
        os._exit(0)
        sys.modules["grader"] = None
        frame = sys._getframe(1)
        sys.settrace(None)
    """, {}, {(2, "restricted"), (3, "restricted"), (4, "private"), (5, "restricted"), (5, "patch"),
              (6, "private"), (7, "restricted")}),
    # -- code the review cannot read
    ("exec, eval, compile and friends", """
        exec("x = 1")
        y = eval("1 + 1")
        code = compile("pass", "torch/functional.py", "exec")
        g = globals()
        v = vars()
        m = __import__("os")
        f = exec
    """, {}, {(1, "dynamic"), (2, "dynamic"), (3, "dynamic"), (4, "dynamic"), (5, "dynamic"), (6, "dynamic"),
              (7, "dynamic")}),
    ("the student's own function named like a builtin", """
        def compile(model):
            return model
        net = compile(object())
    """, {}, set()),
    # -- reflection: getattr/setattr with a computed name, dunders, the engine's privates
    ("names made from data", """
        import torch
        from torch import nn
        class Stack(nn.Module):
            def __init__(self, *layers):
                super().__init__()
                for i, layer in enumerate(layers):
                    setattr(self, f"layer{i}", layer)
                    self._modules[str(i)] = layer
            def forward(self, X):
                for i in range(len(self._modules)):
                    X = getattr(self, str(i))(X)
                return X
        def replace(net, name, new):
            parent_name, _, child = name.rpartition(".")
            parent = net.get_submodule(parent_name) if parent_name else net
            setattr(parent, child, new)
            for part in name.split("."):
                net = getattr(net, part)
            return hasattr(net, "__len__"), type(net).__name__, net.__class__.__name__
    """, {}, set()),
    ("names hidden from a reader", """
        import torch
        def swap(obj, cls, name):
            obj.__class__ = cls
            setattr(obj, "".join(["__cl", "ass__"]), cls)
            key = chr(95) * 2 + "dict" + chr(95) * 2
            getattr(obj, key)
            getattr(torch.nn.functional, name)
            return obj.__dict__, swap.__code__, obj._forward_hooks, obj._secret_of_the_engine
    """, {}, {(3, "dunder"), (4, "dunder"), (4, "reflection"), (4, "spelled"), (6, "reflection"),
              (7, "reflection"), (8, "dunder"), (8, "private")}),
    ("dunder definitions", """
        import torch
        class Fine:
            def __init__(self): self.items = []
            def __len__(self): return len(self.items)
            def __getitem__(self, i): return self.items[i]
            def __enter__(self): return self
            def __exit__(self, *a): return False
        class Hooks(torch.Tensor):
            __torch_function__ = None
            def __torch_dispatch__(cls, *a): pass
            def __del__(self): pass
        def __getattr__(name):
            return name
    """, {}, {(8, "subclass"), (9, "dunder"), (10, "dunder"), (11, "dunder"), (12, "dunder")}),
    ("frames and per-element callbacks", """
        import torch
        def peek(tb):
            return tb.tb_frame.f_back.f_locals
        torch.zeros(3).apply_(lambda v: v + 1)
    """, {}, {(3, "frames"), (4, "callback")}),
    ("__name__ bound: the __main__ block runs", """
        __name__ = "__main__"
        if __name__ == "__main__":
            import ctypes
    """, {}, {(1, "dunder"), (3, "import")}),
    ("a __main__ block never runs under the grader", """
        import torch
        if __name__ == "__main__":
            import subprocess
            subprocess.run(["nvidia-smi"])
        else:
            import ctypes
    """, {}, {(6, "import")}),
    # -- bans: numpy and other routes inside a function whose built-ins are banned
    ("numpy and routes where the built-ins are banned", """
        import numpy as np
        import torch
        import torch.nn.functional as F
        def helper(X):
            return np.exp(X.numpy())
        def helper_user(X):
            return torch.from_numpy(helper(X))
        def softmax(X):
            q = torch.ones(X.shape[0], 1, 1)
            return F.scaled_dot_product_attention(q, X[:, :, None], X[:, :, None])
        def unrelated(X):
            return np.exp(X.numpy()), F.scaled_dot_product_attention
    """, SOFTMAX_BANS, {(5, "numpy"), (10, "route")}),
    ("a norm and a matrix-vector product under other names", """
        import torch
        import torch.nn.functional as F
        def l2_norm(x):
            return torch.cdist(x[None, None], torch.zeros(1, 1, x.numel()))[0, 0, 0]
        def matvec(A, x):
            return torch.linalg.vecdot(A, x.expand_as(A))
        def frobenius_norm(X):
            return (X * X).sum().sqrt()
        def column_stats(X):
            return {"median": X.sort(dim=0).values[X.shape[0] // 2], "var": torch.cov(X.T).diagonal()}
    """, {"l2_norm": ["norm", "linalg_vector_norm"], "matvec": ["mv", "matmul"],
          "frobenius_norm": ["norm"], "column_stats": ["median", "var"]}, {(4, "route"), (6, "route"), (10, "route")}),
    ("numpy reached through torch", """
        import torch
        def softmax(X):
            return torch.from_numpy(torch.Tensor.numpy(X))
        def helper_user(X):
            return "__".join(["a", "b"]), "_".join(["c"])
    """, SOFTMAX_BANS, {(3, "numpy")}),
    # -- literal tables and encoded data
    ("a literal table of answers", f"""
        ANSWERS = [{", ".join(str(i / 7) for i in range(70))}]
        SIZES = [(64, 3), (128, 3), (256, 3)] * 30
        BLOB = "{"QUJD" * 400}"
        DOC = "{"a few words of prose, " * 60}"
    """, {}, {(1, "table"), (3, "encoded")}),
]


@pytest.mark.parametrize("name, source, bans, expected", CASES, ids=[c[0] for c in CASES])
def test_each_rule_both_ways(name, source, bans, expected) -> None:
    found = review_findings(textwrap.dedent(source).lstrip("\n"), bans)
    assert {(f.line, f.kind) for f in found} == expected, [str(f) for f in found]


def test_a_finding_is_engine_words_and_a_line() -> None:
    """Findings quote no name the student chose: their module, attribute and class names never
    reach a finding, only Python's, the tables' and torch's."""
    source = textwrap.dedent('''
        import evil_LEAK_module
        import torch
        x = torch._LEAK_private
        class LEAK_Class:
            def __LEAK__(self): pass
        y = object()._LEAK_attr
        setattr(y, "__LEAK__", 1)
    ''')
    found = review_source(source)
    assert len(found) == 5 and all(line.startswith("line ") for line in found), found
    assert not any("LEAK" in line for line in found), found


def test_a_file_that_does_not_parse_has_no_findings() -> None:
    assert review_source("def f(:\n") == []
    assert review_source("x = " + "(" * 5000 + ")" * 5000) in ([], ["line 1: nests code too deeply for the review to read"])


def test_notebook_findings_name_the_cell_and_its_line() -> None:
    import nbformat

    from grader.grading.sources import notebook_to_module
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("!pip install torchgrade\nimport torch"),
        nbformat.v4.new_markdown_cell("# text"),
        nbformat.v4.new_code_cell("x = 1\n\nimport ctypes\n@torch.no_grad()\ndef f(a):\n    '''doc'''\n"
                                  "    return torch.ops.aten.add(a, a)\nprint(f(1))"),
        nbformat.v4.new_code_cell("from grader.notebook import check\ncheck('ch3.softmax')"),
    ])
    module, _ = notebook_to_module(nbformat.writes(nb).encode())
    assert cell_lines(module) is not None and cell_lines("import torch\n") is None
    files = ExerciseFiles("x", files={"m.py": module.encode()}, module_file="m.py")
    assert review_submission(files) == [
        "code cell 2, line 3: imports ctypes (writes memory below Python)",
        "code cell 2, line 7: uses torch.ops (raw operators, around the course's bans)"]


def test_the_review_allow_rows_switch_a_rule_off_per_exercise() -> None:
    source = "import threading\nimport torch\nf = torch.jit.script(lambda x: x)\n"
    assert {f.kind for f in review_findings(source, SOFTMAX_BANS)} == {"import", "torch.jit"}
    assert review_findings(source, SOFTMAX_BANS, allow=["threading", "torch.jit"]) == []


def test_review_allow_in_course_toml_is_checked(tmp_path) -> None:
    spec = importlib.util.spec_from_file_location("kit", Path(__file__).parents[1] / "grading" / "kit.py")
    kit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kit)
    course = kit.make_course(tmp_path / "course")
    toml = course / "course.toml"
    text = toml.read_text()
    toml.write_text(text.replace('points = 2\n', 'points = 2\nreview_allow = ["threading"]\n', 1))
    from grader.course import load_course
    assert load_course(course).exercise("ch2.twice").review_allow == ("threading",)
    toml.write_text(text.replace('points = 2\n', 'points = 2\nreview_allow = ["threadng"]\n', 1))
    with pytest.raises(CourseError, match=r"review_allow: 'threadng' is not an optional row of the review "
                                          r"\(did you mean 'threading'\?\)"):
        load_course(course)
    toml.write_text(text.replace('points = 2\n', 'points = 2\nreview_allow = "threading"\n', 1))
    with pytest.raises(CourseError, match="review_allow must be a list"):
        load_course(course)


def test_the_review_imports_no_torch() -> None:
    """The judge's parent process runs it without paying for torch."""
    code = ("import sys; from grader.grading.review import review_source; "
            "review_source('import torch\\nx = torch.ops'); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------- any program at all

from hypothesis import HealthCheck, given, settings  # noqa: E402
import hypothesmith  # noqa: E402


@pytest.mark.filterwarnings("ignore::SyntaxWarning")   # hypothesmith compiles what it makes
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(source=hypothesmith.from_grammar(auto_target=False) | hypothesmith.from_node())
def test_any_program_gets_findings_and_never_an_error(source: str) -> None:
    """Whatever a student hands in, the review returns engine-written lines and never raises:
    one student's file never stops the judge (the class would wait on it)."""
    for bans in ({}, SOFTMAX_BANS):
        found = review_findings(source, bans)
        assert all(f.line >= 0 and f.kind != "unreadable" for f in found), [str(f) for f in found]
        assert all(str(f).startswith("line ") for f in found)
