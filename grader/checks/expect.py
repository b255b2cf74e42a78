"""Assertions for checks. Each failure carries a *summary* that is safe to show for a hidden check
(what is wrong: type, shape, dtype, device, how many entries differ and by how much) and a
*detail* with values, shown only for visible tests and to the instructor."""

from __future__ import annotations

import contextlib
import math
from typing import Any, Iterator

import torch

from grader import student_view
from grader.checks.student_errors import StudentException

# (rtol, atol) by dtype: a little looser than torch.testing's defaults because a correct student
# may sum in another order than the reference.
TOLERANCES: dict[torch.dtype, tuple[float, float]] = {
    torch.float16: (1e-3, 1e-3),
    torch.bfloat16: (1.6e-2, 1e-2),
    torch.float32: (1e-5, 1e-5),
    torch.float64: (1e-9, 1e-9),
    torch.complex64: (1e-5, 1e-5),
    torch.complex128: (1e-9, 1e-9),
}


class CheckFailure(AssertionError):
    def __init__(self, summary: str, detail: str = "") -> None:
        super().__init__(summary + (f"\n{detail}" if detail else ""))
        self.summary = summary
        self.detail = detail


def fail(summary: str, detail: str = "") -> None:
    __tracebackhide__ = True
    raise CheckFailure(summary, detail)


def true(condition: Any, summary: str, detail: str = "") -> None:
    __tracebackhide__ = True
    if condition is not True and not (type(condition) is bool and condition):
        raise CheckFailure(summary, detail)


def _fmt_shape(t: torch.Tensor) -> str:
    return "(" + ", ".join(str(d) for d in t.shape) + ("," if t.dim() == 1 else "") + ")"


def _preview(t: torch.Tensor, n: int = 6) -> str:
    if t.device.type == "meta":
        return "<meta tensor>"
    flat = t.detach().reshape(-1)[:n].cpu().tolist()
    more = ", ..." if t.numel() > n else ""
    return "[" + ", ".join(f"{v:.6g}" if isinstance(v, float) else str(v) for v in flat) + more + "]"


def _type_name(x: Any) -> str:
    return "tensor" if isinstance(x, torch.Tensor) else type(x).__name__


def tensor(got: Any, what: str = "output") -> torch.Tensor:
    __tracebackhide__ = True
    if type(got) is not torch.Tensor:
        fail(f"{what}: expected a tensor, got {_type_name(got)}")
    return got


def shape(got: Any, expected_shape: Any, what: str = "output") -> None:
    __tracebackhide__ = True
    t = tensor(got, what)
    exp = tuple(expected_shape)
    if tuple(t.shape) != exp:
        fail(f"{what}: wrong shape: got {_fmt_shape(t)}, expected {exp}")


def dtype(got: Any, expected_dtype: torch.dtype, what: str = "output") -> None:
    __tracebackhide__ = True
    t = tensor(got, what)
    if t.dtype != expected_dtype:
        fail(f"{what}: wrong dtype: got {t.dtype}, expected {expected_dtype}")


def finite(got: Any, what: str = "output") -> None:
    __tracebackhide__ = True
    if isinstance(got, torch.Tensor):
        if got.device.type != "meta" and (got.is_floating_point() or got.is_complex()):
            bad = ~torch.isfinite(got)
            if bool(bad.any()):
                fail(f"{what}: {int(bad.sum())} of {got.numel()} entries are NaN or infinite",
                     f"got {_preview(got)}")
    elif type(got) is float and not math.isfinite(got):
        fail(f"{what}: is {got}, expected a finite number")


def _tol(dt: torch.dtype, rtol: float | None, atol: float | None) -> tuple[float, float]:
    r, a = TOLERANCES.get(dt, (0.0, 0.0))
    return (r if rtol is None else rtol), (a if atol is None else atol)


def _close_tensor(got: torch.Tensor, exp: torch.Tensor, what: str, rtol: float | None,
                  atol: float | None, equal_nan: bool, exact: bool) -> None:
    __tracebackhide__ = True
    if tuple(got.shape) != tuple(exp.shape):
        fail(f"{what}: wrong shape: got {_fmt_shape(got)}, expected {_fmt_shape(exp)}")
    if got.dtype != exp.dtype:
        fail(f"{what}: wrong dtype: got {got.dtype}, expected {exp.dtype}")
    if got.device != exp.device:
        fail(f"{what}: wrong device: got {got.device}, expected {exp.device}")
    if exp.device.type == "meta":
        return
    g, e = got.detach(), exp.detach()
    if g.is_floating_point() or g.is_complex():
        g_bad, e_bad = ~torch.isfinite(g), ~torch.isfinite(e)
        if bool((g_bad & ~e_bad).any()):
            n = int((g_bad & ~e_bad).sum())
            fail(f"{what}: {n} of {g.numel()} entries are NaN or infinite where finite values "
                 "were expected", f"got {_preview(g)}\nexpected {_preview(e)}")
    if exact or not (g.is_floating_point() or g.is_complex()):
        same = (g == e) | (equal_nan & torch.isnan(g) & torch.isnan(e)) if g.is_floating_point() else (g == e)
        if not bool(same.all()):
            n = int((~same).sum())
            fail(f"{what}: {n} of {g.numel()} entries differ from the expected values",
                 f"got {_preview(g)}\nexpected {_preview(e)}")
        return
    r, a = _tol(g.dtype, rtol, atol)
    ok = torch.isclose(g, e, rtol=r, atol=a, equal_nan=True)
    if not equal_nan:
        ok &= ~(torch.isnan(g) ^ torch.isnan(e))
    if not bool(ok.all()):
        n = int((~ok).sum())
        diff = (g - e).abs()
        diff = torch.where(torch.isfinite(diff), diff, torch.zeros_like(diff))
        fail(f"{what}: {n} of {g.numel()} entries differ from the expected values "
             f"(largest difference {float(diff.max()):.3g}, tolerance rtol={r:g} atol={a:g})",
             f"got {_preview(g)}\nexpected {_preview(e)}")


def _compare(got: Any, exp: Any, what: str, rtol: float | None, atol: float | None,
             equal_nan: bool, exact: bool) -> None:
    __tracebackhide__ = True
    if isinstance(exp, torch.Tensor):
        if type(got) is not torch.Tensor:
            fail(f"{what}: expected a tensor, got {_type_name(got)}")
        _close_tensor(got, exp, what, rtol, atol, equal_nan, exact)
    elif type(exp) is bool and type(got) is bool:
        if got != exp:  # a bool says nothing secret: name both, so the student knows which way
            fail(f"{what}: is {got}, expected {exp}")
    elif type(exp) is bool or exp is None or type(exp) is str or type(exp) is bytes:
        if type(got) is not type(exp) or got != exp:
            fail(f"{what}: expected {_type_name(exp)} value, got a different "
                 f"{_type_name(got)}", f"got {got!r}\nexpected {exp!r}")
    elif type(exp) in (int, float):
        if type(got) not in (int, float):
            fail(f"{what}: expected a number, got {_type_name(got)}")
        if type(got) is float and not math.isfinite(got) and math.isfinite(exp):
            fail(f"{what}: is {got}, expected a finite number")
        if exact and type(exp) is int and type(got) is not int:
            fail(f"{what}: expected a whole number (int), got {_type_name(got)}")
        r, a = (0.0, 0.0) if exact else _tol(torch.float64 if type(exp) is float else torch.int64, rtol, atol)
        if exact or type(exp) is int and type(got) is int:
            if got != exp:
                fail(f"{what}: wrong value", f"got {got!r}\nexpected {exp!r}")
        elif not math.isclose(got, exp, rel_tol=max(r, 1e-9), abs_tol=a) and not (
                equal_nan and math.isnan(got) and math.isnan(exp)):
            fail(f"{what}: wrong value (off by {abs(got - exp):.3g})", f"got {got!r}\nexpected {exp!r}")
    elif type(exp) in (list, tuple):
        if type(got) is not type(exp):
            fail(f"{what}: expected a {type(exp).__name__}, got {_type_name(got)}")
        if exp and all(type(e) is bool for e in exp) and all(type(g) is bool for g in got):
            _compare_flags(list(got), list(exp), what)
            return
        if len(got) != len(exp):
            fail(f"{what}: expected {len(exp)} items, got {len(got)}")
        for i, (g, e) in enumerate(zip(got, exp)):
            _compare(g, e, f"{what}[{i}]", rtol, atol, equal_nan, exact)
    elif type(exp) is dict:
        if type(got) is not dict:
            fail(f"{what}: expected a dict, got {_type_name(got)}")
        if set(got) != set(exp):
            missing = sorted(map(str, set(exp) - set(got)))
            extra = sorted(map(str, set(got) - set(exp)))
            # the unexpected keys are the student's strings: the summary counts them, the detail
            # (visible checks only) names them
            fail(f"{what}: wrong keys" + (f"; missing {missing}" if missing else "")
                 + (f"; {len(extra)} unexpected" if extra else ""),
                 f"unexpected keys: {extra}" if extra else "")
        for k in exp:
            _compare(got[k], exp[k], f"{what}[{k!r}]", rtol, atol, equal_nan, exact)
    elif type(exp) in (set, frozenset):
        if type(got) is not type(exp) or got != exp:
            fail(f"{what}: expected a {type(exp).__name__} with other members", f"got {got!r}\nexpected {exp!r}")
    else:
        if type(got) is not type(exp) or got != exp:
            fail(f"{what}: wrong value", f"got {got!r}\nexpected {exp!r}")


def _compare_flags(got: list[bool], exp: list[bool], what: str) -> None:
    """A sequence of flags (the mode at each forward pass): name the first call that differs,
    counted from 1, and what was expected there."""
    __tracebackhide__ = True
    for i, (g, e) in enumerate(zip(got, exp)):
        if g != e:
            fail(f"{what}: at call {i + 1} of {len(exp)} expected {e}, got {g}",
                 f"got {got!r}\nexpected {exp!r}")
    if len(got) != len(exp):
        fail(f"{what}: expected {len(exp)} calls, got {len(got)}"
             + (f" (the first {min(len(got), len(exp))} agree)" if got else ""),
             f"got {got!r}\nexpected {exp!r}")


def close(got: Any, expected: Any, *, rtol: float | None = None, atol: float | None = None,
          what: str = "output", equal_nan: bool = False) -> None:
    """Structure, type, shape, dtype and device exactly; values within tolerance; NaN/Inf only
    where the expected value has them."""
    __tracebackhide__ = True
    _compare(got, expected, what, rtol, atol, equal_nan, exact=False)


def equal(got: Any, expected: Any, *, what: str = "output") -> None:
    __tracebackhide__ = True
    _compare(got, expected, what, None, None, False, exact=True)


@contextlib.contextmanager
def raises(exc: type[BaseException] | str, *, what: str = "the call") -> Iterator[None]:
    """Expect the student's code to raise `exc` (a class or its name; subclasses count)."""
    __tracebackhide__ = True
    name = exc if isinstance(exc, str) else exc.__name__
    try:
        yield
    except StudentException as err:
        if name not in err.exc_types:
            # the class name is the student's to choose: a hidden check's summary names a built-in
            raised = student_view.builtin_exception(err.exc_types)
            fail(f"{what}: expected {name}, but it raised {raised}",
                 f"{err.exc_type}: {err.message}" if raised != err.exc_type else err.message)
        return
    fail(f"{what}: expected {name} to be raised, but nothing was raised")


# What PyTorch says when code that computed on "meta" tensors finally asks for a value (.item(),
# float(), .cpu(), .tolist()): proof that the work itself was done on the device it was given.
_READ_OUT_OF_META = ("cannot be called on meta tensors", "Cannot copy out of meta tensor",
                     "can't convert meta device type tensor")


def runs_on_meta_device(thunk: Any, what: str) -> Any:
    """Run `thunk()`, a student call told to work on the 'meta' device (a network there, or
    tensors there) whose work ends in a Python number, and assert the work was done there: it
    returned, or it stopped only where a number is read out of a meta tensor. A batch or a layer
    the student's code never moved meets the meta network on the CPU, which PyTorch refuses to
    mix: so "moves its data to `device`" is checked on a machine without a GPU too."""
    __tracebackhide__ = True
    try:
        return thunk()     # what it returned, for the check to look at (None: stopped at a read-out)
    except StudentException as exc:
        message = str(exc)
        if any(marker in message for marker in _READ_OUT_OF_META):
            return None
        first = message.splitlines()[0] if message else exc.exc_type
        raise CheckFailure(f"{what} failed on another device than the CPU (the 'meta' device: "
                           f"{exc.exc_type}: {first[:160]}): move every batch and every layer to the "
                           "device you are given (X.to(device), net.to(device)), as a GPU needs") from None


def keeps_meta_device(thunk: Any, what: str) -> torch.Tensor:
    """Run `thunk()`, a student call whose tensor inputs are on the 'meta' device, and assert it
    returned a tensor there. A tensor the student's code creates without naming its input's
    device lands on the CPU, which the meta device refuses to mix with: so "keeps its input's
    device" is checked on a grading machine without a GPU, and the grade is the same on any."""
    __tracebackhide__ = True
    try:
        got = thunk()
    except StudentException as exc:
        first = str(exc).splitlines()[0] if str(exc) else exc.exc_type
        raise CheckFailure(f"{what} failed on an input on another device than the CPU (the 'meta' device: "
                           f"{exc.exc_type}: {first[:160]}): create every tensor on the input's device "
                           "(device=X.device, torch.zeros_like(X), torch.rand_like(X), ...), as a GPU "
                           "input needs") from None
    out = tensor(got, what)
    true(out.device.type == "meta", f"{what} returned a tensor on {out.device}, not on its input's "
         "device: create the result on X.device")
    return out
