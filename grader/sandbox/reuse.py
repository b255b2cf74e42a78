"""One worker, several exercises of one student (course.toml `[grading] isolation = "student"`):
what the worker restores and what it checks before it imports the next exercise.

A fresh worker is a copy of the zygote after the sandbox set-up. A reused one must give the
next exercise that same start, as far as the engine and the checks can tell; where it cannot,
it says so and the judge forks a fresh worker for that exercise (`load` replies `unclean`).

Restored exactly (the engine set them up itself, so it knows their values): the worker's
directory (emptied, the exercise's files written), the working directory, `sys.path`, the
environment, tempfile's directory, the global random generators (torch, CUDA's seed, random,
numpy), the warnings' once-registries. The previous exercise's own modules (those not imported
from the Python install) leave `sys.modules`; they and their objects are kept alive, and what
they left for the cyclic collector is frozen (`gc.freeze`), so none of their finalizers runs
during the next exercise.

Checked (anything off: a fresh worker): the engine's seal (`integrity.changes`), Python threads
besides the main one, child processes, signal handlers and interval timers, trace, profile and
exception hooks, sys.stdin/stdout/stderr, builtins, the modules the worker started with,
warnings filters, the recursion limit, resource limits, priority and CPU affinity, torch's default dtype and device, grad and inference
mode, anomaly detection, deterministic algorithms, thread counts, float32 matmul precision, the
backends' flags (cuDNN, TF32, oneDNN), autocast, torch function and dispatch modes, saved-tensor
hooks, global nn.Module hooks, torch's and numpy's print options, numpy's error handling, and
resident memory (or GPU memory) more than `memory_slack_mb` above a fresh worker's.

Not seen (what `student` gives up, README "How fast"): anything else the previous exercise
changed in a library (a function of torch.nn or numpy replaced outside the modules the seal
covers, a library module imported or configured), and the state of native code (flush-denormal
mode, memory a C extension holds). It is the same student's code either way.

The checks run in the student's interpreter, so a submission can fool them; what that buys is
a process shared with its own next exercise, never with another student's code.
"""

from __future__ import annotations

import gc
import os
import random
import signal
import sys
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any

from grader.sandbox.children import children, rss_mb

_MB = 1 << 20
_ITIMERS = tuple(getattr(signal, n) for n in ("ITIMER_REAL", "ITIMER_VIRTUAL", "ITIMER_PROF") if hasattr(signal, n))
_HOOKS = (("sys.excepthook", sys, "excepthook"), ("sys.unraisablehook", sys, "unraisablehook"),
          ("sys.displayhook", sys, "displayhook"), ("sys.breakpointhook", sys, "breakpointhook"),
          ("threading.excepthook", threading, "excepthook"), ("sys.stdin", sys, "stdin"),
          ("sys.stdout", sys, "stdout"), ("sys.stderr", sys, "stderr"))


def _process_settings() -> tuple:
    """What the kernel holds for this process that its code can change: limits, priority, CPUs."""
    import resource
    limits = tuple(resource.getrlimit(getattr(resource, name)) for name in
                   ("RLIMIT_AS", "RLIMIT_NPROC", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CPU", "RLIMIT_CORE",
                    "RLIMIT_STACK", "RLIMIT_DATA") if hasattr(resource, name))
    return limits, os.getpriority(os.PRIO_PROCESS, 0), tuple(sorted(os.sched_getaffinity(0)))


def _torch_settings() -> dict[str, Any]:
    """torch's process-wide settings that change what a call computes or how it runs."""
    import torch

    backends = torch.backends
    out: dict[str, Any] = {
        "default dtype": torch.get_default_dtype(),
        "grad mode": torch.is_grad_enabled(),
        "inference mode": torch.is_inference_mode_enabled(),
        "anomaly detection": (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled()),
        "deterministic algorithms": (torch.are_deterministic_algorithms_enabled(),
                                     torch.is_deterministic_algorithms_warn_only_enabled()),
        "intra-op threads": torch.get_num_threads(),
        "inter-op threads": torch.get_num_interop_threads(),
        "float32 matmul precision": torch.get_float32_matmul_precision(),
        "backends": (backends.cudnn.enabled, backends.cudnn.benchmark, backends.cudnn.deterministic,
                     backends.cudnn.allow_tf32, backends.cuda.matmul.allow_tf32,
                     backends.cuda.matmul.allow_fp16_reduced_precision_reduction, backends.mkldnn.enabled),
        "torch function modes": torch._C._len_torch_function_stack(),
        "torch dispatch modes": torch._C._len_torch_dispatch_stack(),
        "print options": dict(vars(torch._tensor_str.PRINT_OPTS)),
    }
    for name, get in (("default device", lambda: str(torch.get_default_device())),
                      ("autocast", lambda: (torch.is_autocast_enabled("cpu"), torch.is_autocast_enabled("cuda"))),
                      ("saved-tensor hooks", lambda: torch._C._autograd._top_saved_tensors_default_hooks(False))):
        try:
            out[name] = get()
        except Exception:  # noqa: BLE001 - a torch without this setting has nothing to compare
            pass
    module = sys.modules["torch.nn.modules.module"]
    out["global nn.Module hooks"] = sum(len(v) for k, v in vars(module).items()
                                        if k.startswith("_global_") and isinstance(v, dict))
    try:
        import numpy as np
        out["numpy error handling"] = np.geterr()
        out["numpy print options"] = np.get_printoptions()
    except Exception:  # noqa: BLE001 - numpy is optional
        pass
    return out


def _rng_states() -> tuple[Any, ...]:
    import torch
    try:
        import numpy as np
        numpy_state = np.random.get_state()
    except Exception:  # noqa: BLE001
        numpy_state = None
    return torch.get_rng_state(), torch.initial_seed(), random.getstate(), numpy_state


@dataclass
class Baseline:
    """The worker as the sandbox left it, before the first exercise's module was imported."""

    tempdir: str
    scratch: tuple[str, ...]          # emptied between exercises: its directory (and its own /dev/shm)
    install: tuple[str, ...]          # where library modules live (the worker's read-only paths)
    memory_slack_mb: int
    cwd: str = ""
    path: list[str] = field(default_factory=list)
    environ: dict[str, str] = field(default_factory=dict)
    modules: dict[str, Any] = field(default_factory=dict)
    builtins: dict[str, Any] = field(default_factory=dict)
    signals: dict[int, Any] = field(default_factory=dict)
    hooks: dict[str, Any] = field(default_factory=dict)
    warnings_filters: list[Any] = field(default_factory=list)
    recursion_limit: int = 0
    process: tuple = ()
    torch: dict[str, Any] = field(default_factory=dict)
    rng: tuple[Any, ...] = ()
    rss: float = 0.0   # MB
    kept: list[Any] = field(default_factory=list)   # earlier exercises' executors and modules, alive

    @classmethod
    def take(cls, tempdir: str, scratch: tuple[str, ...], install: tuple[str, ...], memory_mb: int) -> "Baseline":
        import builtins
        return cls(tempdir=tempdir, scratch=scratch, install=install, memory_slack_mb=max(256, memory_mb // 8),
                   cwd=os.getcwd(), path=list(sys.path), environ=dict(os.environ),
                   modules=dict(sys.modules), builtins=dict(vars(builtins)),
                   signals={s: signal.getsignal(s) for s in signal.valid_signals() if _catchable(s)},
                   hooks={name: getattr(owner, attr, None) for name, owner, attr in _HOOKS},
                   warnings_filters=list(warnings.filters), recursion_limit=sys.getrecursionlimit(),
                   process=_process_settings(),
                   torch=_torch_settings(), rng=_rng_states(), rss=rss_mb(os.getpid()))

    # ------------------------------------------------------------------ checked

    def leftovers(self) -> list[str]:
        """What the previous exercise left that a fresh worker would not have (empty: nothing)."""
        import builtins

        from grader.checks import integrity
        found: list[str] = []
        if integrity.changes():
            found.append("the engine's seal reports a change")
        others = [t for t in sys._current_frames() if t != threading.get_ident()]
        if others:
            found.append(f"{len(others)} Python thread(s) still running")
        if children():
            found.append("child processes still running")
        for sig, handler in self.signals.items():
            if signal.getsignal(sig) is not handler:
                found.append(f"the handler of signal {sig} was changed")
                break
        if any(signal.getitimer(which) != (0.0, 0.0) for which in _ITIMERS):
            found.append("an interval timer (alarm) is pending")
        if sys.gettrace() is not None or sys.getprofile() is not None \
                or threading.gettrace() is not None or threading.getprofile() is not None:
            found.append("a trace or profile function is set")
        found += [f"{name} was replaced" for name, owner, attr in _HOOKS
                  if getattr(owner, attr, None) is not self.hooks[name]]
        now = vars(builtins)
        if len(now) != len(self.builtins) or any(now.get(k, self) is not v for k, v in self.builtins.items()):
            found.append("builtins were changed")
        modules = sys.modules
        if any(modules.get(k) is not v for k, v in self.modules.items()):
            found.append("a module the worker started with was replaced or removed from sys.modules")
        if warnings.filters != self.warnings_filters:
            found.append("the warnings filters were changed")
        if sys.getrecursionlimit() != self.recursion_limit:
            found.append("the recursion limit was changed")
        if _process_settings() != self.process:
            found.append("its resource limits, priority or CPU affinity were changed")
        settings = _torch_settings()
        found += [f"torch's {k} was changed" for k, v in self.torch.items() if settings.get(k) != v]
        grown = int(rss_mb(os.getpid()) - self.rss)
        if grown > self.memory_slack_mb:
            found.append(f"it holds {grown} MB more memory than a fresh worker")
        import torch
        if torch.cuda.is_initialized() and torch.cuda.memory_allocated() // _MB > self.memory_slack_mb:
            found.append(f"it holds {torch.cuda.memory_allocated() // _MB} MB of GPU memory")
        return found

    # ------------------------------------------------------------------ restored

    def restore(self) -> None:
        """Give the next exercise the worker's start: its own modules gone from sys.modules,
        an empty directory, the paths, environment and random generators of a fresh worker."""
        gc.freeze()   # the previous exercise's garbage is never collected: no finalizer of it runs later
        for name in [k for k in sys.modules if k not in self.modules]:
            module = sys.modules[name]
            if not self._from_install(module):
                self.kept.append(sys.modules.pop(name))
        for folder in self.scratch:
            _empty(folder)
        os.chdir(self.tempdir)
        sys.path[:] = self.path
        os.environ.clear()
        os.environ.update(self.environ)
        import tempfile
        tempfile.tempdir = self.tempdir
        warnings._onceregistry.clear()   # type: ignore[attr-defined]  # warnings shown once are shown again
        warnings._filters_mutated()      # type: ignore[attr-defined]  # ...and so are each module's
        self._restore_rng()

    def _restore_rng(self) -> None:
        import torch
        torch_state, seed, python_state, numpy_state = self.rng
        torch.set_rng_state(torch_state)
        # A fresh worker's CUDA generators are seeded, when CUDA starts, with the zygote's last
        # seed (torch.manual_seed queues that call until CUDA is initialised).
        torch.cuda.manual_seed_all(seed)
        random.setstate(python_state)
        if numpy_state is not None:
            import numpy as np
            np.random.set_state(numpy_state)

    def _from_install(self, module: Any) -> bool:
        """A library module (imported from the Python install), not the student's own."""
        where = getattr(module, "__file__", None)
        paths = [where] if isinstance(where, str) else list(getattr(module, "__path__", None) or [])
        if not paths or not all(isinstance(p, str) for p in paths):
            return False
        real = [os.path.realpath(p) for p in paths]
        return all(_inside(p, self.install) and not _inside(p, (self.tempdir,)) for p in real)


def _inside(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _catchable(sig: int) -> bool:
    try:
        signal.getsignal(sig)
    except (ValueError, OSError):
        return False
    return sig not in (signal.SIGKILL, signal.SIGSTOP)


def _empty(folder: str) -> None:
    """Remove everything in `folder` (the worker's own directory), keeping the folder."""
    import shutil

    def unlock(func: Any, path: str, _exc: Any) -> None:
        os.chmod(os.path.dirname(path), 0o700)
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, 0o700)
        func(path)
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, onerror=unlock)
        else:
            os.unlink(entry.path)


__all__ = ["Baseline"]
