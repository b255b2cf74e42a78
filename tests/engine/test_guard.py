"""The in-worker guard (grader.checks.forbid): families under other names, operators outside
torch's own namespaces, the switches that turn its modes off, trust by code object, the mode
stacks put back, and honest torch internals left alone. In-process, under an exercise with bans
(`set_strict`), as a worker runs them."""

from __future__ import annotations

import functools
import re
import sys
import threading
import types

import pytest
import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from grader.checks import forbid
from grader.checks.forbid import ForbiddenSignal, Guard, clear_modes, install_mode_switch_guards, set_strict

X = torch.randn(3, 4)


@pytest.fixture(autouse=True)
def strict():
    install_mode_switch_guards()
    owner = object()
    set_strict(owner, True)
    yield
    set_strict(owner, False)
    clear_modes()


def refused(names, fn) -> str | None:
    """What the guard refused while `fn` ran under a ban on `names` (None: nothing)."""
    guard = Guard(names)
    try:
        with guard:
            fn()
    except BaseException:  # the signal, or what torch made of it
        pass
    return guard.violation.shown if guard.violation else None


SUM, NORM, MATVEC = ["sum", "mean"], ["norm", "linalg_vector_norm"], ["mv", "matmul"]


@pytest.mark.parametrize("names, call", [
    (SUM, lambda: X.flatten().cumsum(0)[-1]),
    (SUM, lambda: torch.var_mean(X)),
    (SUM, lambda: torch.zeros(1).scatter_add_(0, torch.zeros(12, dtype=torch.long), X.flatten())),
    (SUM, lambda: X.numpy().mean()),
    (SUM, lambda: __import__("numpy").asarray(X)),
    (NORM, lambda: torch.cdist(X[:1], torch.zeros(1, 4))),
    (NORM, lambda: F.pairwise_distance(X, torch.zeros_like(X))),
    (NORM, lambda: F.l1_loss(X, torch.zeros_like(X), reduction="sum")),
    (MATVEC, lambda: F.bilinear(torch.ones(1), X[0], X[:, None, :])),
    (MATVEC, lambda: F.conv1d(X[0][None, None], X[:, None, :])),
    (["softmax"], lambda: F.multi_head_attention_forward(
        X[:, None], X[:, None], X[:, None], 4, 1, torch.eye(12, 4), None, None, None, False, 0.0,
        torch.eye(4), None, need_weights=True)),
])
def test_a_family_covers_every_name_that_computes_the_same(names, call):
    assert refused(names, call) is not None


def test_bans_keep_to_their_family():
    # pairwise_distances bans cdist, and the broadcast norm is its honest route; MLPScratch bans linear only
    assert refused(["cdist", "pdist"], lambda: (X[:, None] - X[None]).norm(dim=-1)) is None
    assert refused(["linear"], lambda: X @ X.T) is None
    assert refused(["softmax"], lambda: X.numpy()) is None   # no reduction banned: numpy is fine


def _custom_op():
    @torch.library.custom_op("test_guard_ops::double", mutates_args=())
    def double(x: torch.Tensor) -> torch.Tensor:
        return x * 2
    return double


def test_an_operator_outside_torchs_own_namespaces_is_refused_in_a_call_with_bans():
    set_strict(None, False)   # an exercise without bans may define it (at import, say)
    double = _custom_op()
    set_strict(object(), True)
    assert "test_guard_ops" in refused(["softmax"], lambda: double(X))
    guard = Guard([])
    with guard:   # a call without bans may use it
        assert torch.equal(double(X), X * 2)


def test_honest_torch_stays_inside_the_namespaces_it_is_given():
    # DataLoader and optimizers reach profiler::_record_function_*; lazy modules, meta tensors
    net = torch.nn.Sequential(torch.nn.LazyLinear(3), torch.nn.ReLU())
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, torch.tensor([0, 1, 2])), batch_size=2)

    def train():
        net(X)
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        for x, y in loader:
            opt.zero_grad()
            F.cross_entropy(net(x), y).backward()
            opt.step()
        torch.empty((2, 1), device="meta") + torch.empty((3,), device="meta")   # broadcasts with expand inside
        X.unflatten(1, (2, 2))
        torch.set_grad_enabled(False)
        torch.set_grad_enabled(True)
    assert refused(["dropout", "expand", "softmax"], train) is None


def test_kernels_for_torchs_own_operators_cannot_be_registered():
    with pytest.raises(ForbiddenSignal, match="aten"):
        torch.library.Library("aten", "IMPL")
    prims = next(lib for lib in __import__("gc").get_objects()
                 if isinstance(lib, torch.library.Library) and getattr(lib, "ns", "") == "prims"
                 and getattr(lib, "kind", "") == "FRAGMENT")
    with pytest.raises(ForbiddenSignal, match="torch's own libraries"):
        prims.impl("exp", lambda x: x, "CPU")


SWITCHES = {
    "set_torch_function_state": lambda: torch._C._set_torch_function_state(torch._C._TorchFunctionState.ALL_DISABLED),
    "skip_one_hop": lambda: torch._C._skip_one_hop_torch_function(torch.dropout, (), (X, 0.5, True), {}),
    "redispatch_function": lambda: torch.overrides.redispatch_function(torch.dropout, (), (X, 0.5, True), {}),
    "disable_torch_dispatch": lambda: torch._C._DisableTorchDispatch(),
    "exclude_python_key": lambda: torch._C._ExcludeDispatchKeyGuard(
        torch._C.DispatchKeySet(torch._C.DispatchKey.Python)),
    "tls_exclude": lambda: torch._C._dispatch_tls_set_dispatch_key_excluded(torch._C.DispatchKey.Python, True),
    "python_dispatcher": lambda: torch._C._EnablePythonDispatcher(),
    "redispatch": lambda: torch.ops.aten._softmax.default.redispatch(
        torch._C.DispatchKeySet(torch._C.DispatchKey.CPU), X, 1, False),
    "overrides_alias": lambda: torch.overrides._pop_torch_function_stack(),
    "device_alias": lambda: torch.utils._device._pop_mode(),
    "handed_to_a_torch_helper": lambda: torch.utils._pytree.tree_map(
        torch._C._unset_dispatch_mode, [torch._C._TorchDispatchModeKey.FAKE]),
}


@pytest.mark.parametrize("name", sorted(SWITCHES))
def test_every_switch_is_refused_to_the_students_code(name):
    assert "hides torch calls" in refused(["dropout"], SWITCHES[name])


def test_switches_are_refused_outside_guards_too_in_an_exercise_with_bans():
    caught = []

    def thread():
        try:
            torch._C._pop_torch_function_stack()   # its follower mode, with no guard active
        except ForbiddenSignal as signal:
            caught.append(signal)
    worker = threading.Thread(target=thread)
    worker.start()
    worker.join()
    assert caught


# names in torch._C that look like a way around the modes and are not one: what they do is listed
NOT_SWITCHES = {
    "DisableTorchFunctionSubclass": "subclasses' handlers only; the modes still run",
    "_AutoDispatchBelowADInplaceOrView": "below autograd; the Python key still runs",
    "_AutoDispatchBelowAutograd": "below autograd; the Python key still runs",
    "_DisableAutocast": "autocast", "_DisableFuncTorch": "functorch keys", "_DisablePythonDispatcher": "turns one off",
    "_IncludeDispatchKeyGuard": "adds keys", "_RestorePythonTLSSnapshot": "re-enters the modes",
    "_InferenceMode": "autograd only", "_disabled_torch_dispatch_impl": "calls with the Python key excluded, "
    "handled by the dispatch mode first", "_disabled_torch_function_impl": "subclasses' handlers only",
    "_dispatch_call_boxed": "the whole dispatcher, Python key included",
    "_push_on_torch_function_stack": "pushes", "_push_on_torch_dispatch_stack": "pushes",
    "_get_torch_function_state": "reads", "_peek_should_skip_torch_function": "reads",
    "_unset_default_mobile_cpu_allocator": "an allocator",
}


def test_every_dispatch_switch_torch_has_is_wrapped_or_known_harmless():
    """A new torch that adds a way to disable, exclude, pop or redispatch fails here."""
    wrapped = {name for owner, names in forbid._SWITCHES if owner is torch._C for name in names}
    pattern = re.compile(r"Disable|Exclude|Include|Force|AutoDispatch|Restore.*Snapshot|_pop_|_push_on|_unset_|"
                         r"_set_dispatch_mode|torch_function_state|skip.*torch_function|tls_set_dispatch|"
                         r"PythonDispatcher|PreDispatch|InferenceMode|_call_boxed|_disabled_torch")
    found = {name for name in dir(torch._C) if pattern.search(name)}
    assert found - wrapped - set(NOT_SWITCHES) == set()
    for owner, names in forbid._SWITCHES:
        for name in names:
            value = vars(owner).get(name) if isinstance(owner, type) else getattr(owner, name, None)
            assert value is None or getattr(value, "__module__", "").startswith("grader."), (owner, name)


def test_no_torch_module_keeps_an_original_switch_under_another_name():
    originals = (torch._C._pop_torch_function_stack, torch._C._pop_torch_dispatch_stack, torch._C.DisableTorchFunction)
    for module in list(sys.modules.values()):
        if module is not None and getattr(module, "__name__", "").startswith("torch"):
            for value in vars(module).values():
                assert not any(value is o and getattr(o, "__module__", "").startswith("torch") for o in originals)


def test_code_is_trusted_by_its_code_object_not_its_file_name():
    namespace: dict = {"torch": torch}
    exec(compile("def switch():\n    return torch._C.DisableTorchFunction()\n", torch.__file__, "exec"), namespace)
    assert "hides torch calls" in refused(["dropout"], namespace["switch"])


def test_the_trust_check_is_bound_before_the_students_code_runs():
    frame = types.SimpleNamespace(f_code=types.SimpleNamespace(co_filename=torch.__file__, co_names=()))
    real = sys._getframe
    sys._getframe = lambda depth=0: frame   # for one call, as a student would
    try:
        shown = refused(["dropout"], lambda: torch._C.DisableTorchFunction())
    finally:
        sys._getframe = real
    assert "hides torch calls" in shown


def test_the_function_mode_sees_what_runs_inside_a_call_it_handles():
    def hook():
        t = torch.zeros(3).requires_grad_()
        t.register_hook(functools.partial(F.dropout, p=0.5, training=True))
        (t * 1).backward(torch.ones(3))

    class Own(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return func(*args, **(kwargs or {}))
    assert refused(["dropout"], hook) is not None
    assert refused(["dropout"], lambda: torch.overrides.handle_torch_function(
        lambda x: F.dropout(x, 0.5, True), (X,), X)) is not None
    assert refused(["dropout"], lambda: torch.ones(2).apply_(lambda v: float(F.dropout(torch.ones(1), 0.5)[0])))
    assert "Own.__torch_function__" in refused(["dropout"], lambda: X.as_subclass(Own).exp())


def test_modes_left_by_the_students_code_never_see_a_guarded_call_nor_outlive_it():
    class Answer(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if func is torch.ops.aten.sinh.default:
                return torch.ops.aten._softmax.default(args[0], 1, False)
            return func(*args, **(kwargs or {}))
    Answer().__enter__()   # left on the stack, as at import
    guard = Guard(["softmax"])
    with guard:
        out = torch.sinh(X)
        TorchFunctionMode().__enter__()   # left inside the call
    assert torch.equal(out, torch.sinh(X)) and guard.violation is None
    assert torch._C._len_torch_function_stack() == 0 and torch._C._len_torch_dispatch_stack() == 0
    set_strict(None, False)   # an exercise without bans may switch; the next request starts clean
    torch._C._dispatch_tls_set_dispatch_key_excluded(torch._C.DispatchKey.Python, True)
    clear_modes()
    assert not torch._C._dispatch_tls_is_dispatch_key_excluded(torch._C.DispatchKey.Python)
