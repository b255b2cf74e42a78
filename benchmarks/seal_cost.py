"""What the in-worker seal and guard cost per request, in a fresh Python sealed as a worker is.

    python benchmarks/seal_cost.py [--requests 2000] [--repeats 5]

A worker verifies the engine's seal after every request (a perfect student makes ~2,000 over
the course) and puts the torch modes back to the engine's at every request boundary. Printed,
in microseconds per request, best of `--repeats` runs of `--requests` each, CPU time of this
thread (time.thread_time, so other load on the machine inflates it little):

* verify (version tags): integrity.changes() as a worker runs it, where CPython keeps dict
  version tags (3.11 to 3.13): only namespaces whose tag moved are compared entry by entry;
* verify (entry by entry): the same with the tags ignored, every sealed name compared (the
  fallback on interpreters without tags);
* clear modes: forbid.clear_modes(), run at each request boundary and on guard entry;
* request, no bans / request, with bans: Executor.handle of a trivial call `x * 2` on 3 floats,
  without and with a ban (the guard's modes pushed), encoding and both seal checks included.

Also printed: the load average (a shared machine's numbers are only comparable in one run) and
how many namespaces, functions and tables the seal watches.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import types
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from grader.checks import codec, forbid, integrity  # noqa: E402
from grader.checks.executor import Executor, seal_engine  # noqa: E402


def per_call_us(fn: Callable[[], object], n: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.thread_time()
        for _ in range(n):
            fn()
        best = min(best, (time.thread_time() - start) / n)
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    seal_engine()
    snapshot = integrity._STATE["snapshot"]
    assert not integrity.changes(), integrity.changes()
    n, repeats = args.requests, args.repeats
    module = types.ModuleType("bench_student")
    exec("def f(x):\n    return x * 2\n", module.__dict__)
    plain, banned = Executor(module), Executor(module, forbid={"f": ("softmax",)})
    request = codec.roundtrip({"op": "call", "name": "f", "args": codec.to_plain([torch.ones(3)]),
                               "kwargs": codec.to_plain({}), "seed": 0, "forbid": [], "record": False})
    for exe in (plain, banned):
        assert exe.handle(request)["ok"]
    rows = []
    if integrity.VERSIONS is not None:
        rows.append(("verify (version tags)", per_call_us(integrity.changes, n, repeats)))
        views, snapshot._views = snapshot._views, []
        rows.append(("verify (entry by entry)", per_call_us(integrity.changes, n // 4, repeats)))
        snapshot._views = views
    else:
        rows.append(("verify (entry by entry, no version tags here)", per_call_us(integrity.changes, n // 4, repeats)))
    rows.append(("clear modes", per_call_us(forbid.clear_modes, n, repeats)))
    rows.append(("request, no bans", per_call_us(lambda: plain.handle(request), n // 4, repeats)))
    rows.append(("request, with bans", per_call_us(lambda: banned.handle(request), n // 4, repeats)))
    print(f"python {sys.version.split()[0]}, torch {torch.__version__}, load average "
          + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    print(f"sealed: {len(snapshot._checks)} namespaces, {len(snapshot.fns)} functions, "
          f"{len(snapshot.tables)} tables; version tags: {'yes' if integrity.VERSIONS is not None else 'no'}")
    for label, us in rows:
        print(f"{label:48s} {us:9.1f} us")


if __name__ == "__main__":
    main()
