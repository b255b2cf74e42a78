"""The judge/worker boundary: a clean zygote forks one confined worker per submission.

    from grader.sandbox import Zygote, Limits
    with Zygote(device="cpu", limits=Limits(memory_mb=4096)) as zyg:
        worker = zyg.spawn({"ch4/dropout.py": source}, "ch4/dropout.py", "dropout", forbid={})
        reply = worker.request({"op": "call", ...}, timeout=10)   # a grader.checks Transport
        report = worker.close()                                   # stdout/stderr, exit, seconds
"""

from grader.sandbox.client import Zygote
from grader.sandbox.connection import Worker, WorkerReport, ZygoteError
from grader.sandbox.wire import Limits

__all__ = ["Zygote", "Limits", "Worker", "WorkerReport", "ZygoteError"]
