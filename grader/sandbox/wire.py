"""What the judge, the zygote and the workers share: limits and message framing.

Two channels exist:
- control (judge <-> zygote): JSON messages, length-prefixed, with file descriptors attached
  (SCM_RIGHTS). Only the judge and the zygote ever hold it; a worker closes it right after fork.
- requests (judge <-> one worker): codec frames (MessagePack structure + raw tensor bytes; see
  codec.dumps), length-prefixed. Before its first reply a worker sends two bare headers: SETUP_DONE once
  confined (before any student code runs) and READY once the student's module is imported.
"""

from __future__ import annotations

from grader.checks.integrity import ENGINE_BUILTINS as __builtins__  # type: ignore[no-redef]  # noqa: F401 - the seal's, see integrity

import json
import socket
import struct
from dataclasses import asdict, dataclass

HEADER = struct.Struct(">Q")
READY = 0        # the student's module is imported
SETUP_DONE = 1   # the sandbox is in place; no student code has run before this
# A reply may carry up to codec.MAX_BYTES of tensors (512 MB) plus its structure; anything
# larger is a reply bomb and the worker is killed.
MAX_FRAME = 512 * 1024 * 1024 + (16 << 20)
MAX_CONTROL = 256 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Per-worker containment. memory_mb is what the worker may allocate on top of the
    zygote's own footprint (torch already mapped); on CUDA it is enforced by the judge watching
    resident memory instead of RLIMIT_AS (the CUDA driver maps terabytes of address space)."""
    memory_mb: int = 4096
    max_processes: int = 256      # processes + threads the worker's user may have
    output_limit_kb: int = 64     # kept of stdout and of stderr each; the rest is dropped
    file_size_mb: int = 256       # largest file the worker may write (RLIMIT_FSIZE)
    open_files: int = 1024
    scratch_mb: int = 512         # size of the worker's private tmpfs directory, where available
    threads: int = 0              # torch.set_num_threads in the worker; 0 leaves torch's default

    def to_dict(self) -> dict:
        return asdict(self)


def send_control(sock: socket.socket, message: dict, fds: list[int] | tuple[int, ...] = ()) -> None:
    body = json.dumps(message).encode()
    data = HEADER.pack(len(body)) + body
    if fds:
        sent = socket.send_fds(sock, [data], list(fds))
        if sent < len(data):
            sock.sendall(data[sent:])
    else:
        sock.sendall(data)


def recv_exact(sock: socket.socket, n: int) -> bytearray | None:
    """Exactly n bytes, or None at EOF. The buffer itself is returned: a frame may be hundreds
    of MB and must not be copied."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:], n - got)
        if k == 0:
            return None
        got += k
    return buf


def recv_control(sock: socket.socket, *, max_fds: int = 8) -> tuple[dict | None, list[int]]:
    """One control message and the descriptors sent with it; (None, []) on EOF."""
    data, fds, _flags, _addr = socket.recv_fds(sock, HEADER.size, max_fds)
    if not data:
        for fd in fds:
            close_fd(fd)
        return None, []
    if len(data) < HEADER.size:
        rest = recv_exact(sock, HEADER.size - len(data))
        if rest is None:
            return None, fds
        data += rest
    (n,) = HEADER.unpack(data)
    if n > MAX_CONTROL:
        raise ValueError(f"control message of {n} bytes")
    body = recv_exact(sock, n)
    if body is None:
        return None, fds
    return json.loads(body), fds


def processes() -> list[tuple[int, list[bytes]]]:
    """(pid, the fields of /proc/<pid>/stat after the command name) of every process we can see:
    fields[0] is the state, [1] the parent, [2] the process group."""
    import os
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        found.append((int(entry), stat[stat.rfind(b")") + 2:].split()))
    return found


def close_fd(fd: int) -> None:
    import os
    try:
        os.close(fd)
    except OSError:
        pass
