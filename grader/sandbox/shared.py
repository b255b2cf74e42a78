"""One zygote for a whole grading run on this machine, shared by its judge processes.

Every zygote imports torch and warms dynamo up (about 1.9 CPU-seconds); one per judge made a
run on two cores pay that twice at start-up, on the same cores the judges import torch with.
The scheduler starts the run's zygote in a thread while the judges start, asks it for one
control connection per judge (Zygote.attach) and hands them out through a queue. Each judge
then talks to the zygote on its own connection, as if the zygote were its own: a worker, a
crash or a time-out of one judge's student stays that judge's business (an attached judge that
goes away takes only its own workers with it). The zygote still never sees a check or a
reference; it lives until the scheduler closes it.

A judge that gets no connection (the zygote could not start) starts its own, as before.
"""

from __future__ import annotations

import threading
from multiprocessing.reduction import ForkingPickler
from typing import Any

from grader.sandbox.client import Zygote

HAND_OUT_SECONDS = 180.0


class SharedZygote:
    """Started in the background; `queue` yields one (connection, facts) per judge, or None
    when the zygote could not start."""

    def __init__(self, make: Any, judges: int, queue: Any) -> None:
        self.queue = queue
        self.zygote: Zygote | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._start, args=(make, judges), name="run-zygote",
                                        daemon=True)
        self._thread.start()

    def _start(self, make: Any, judges: int) -> None:
        try:
            self.zygote = make()
            facts = self.zygote.facts()
            for _ in range(judges):
                sock = self.zygote.attach()
                # pickled now (the descriptor is duplicated for the judge that unpickles it), so
                # our copy closes at once and a judge's EOF reaches the zygote
                self.queue.put((bytes(ForkingPickler.dumps(sock)), facts))
                sock.close()
        except BaseException as exc:  # noqa: BLE001 - every judge then starts its own
            self.error = exc
            for _ in range(judges):
                self.queue.put(None)

    def close(self) -> None:
        self._thread.join()
        if self.zygote is not None:
            self.zygote.close()


def receive(queue: Any) -> Zygote | None:
    """In a judge: its connection to the run's zygote, or None (start your own)."""
    try:
        item = queue.get(timeout=HAND_OUT_SECONDS)
    except Exception:  # noqa: BLE001 - nothing came
        return None
    if item is None:
        return None
    data, facts = item
    return Zygote.attached(ForkingPickler.loads(data), facts)


__all__ = ["SharedZygote", "receive"]
