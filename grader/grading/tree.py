"""A download, or one student's part of it, as a tree of folders and files: the same whether it
lies on disk (a folder the instructor extracted) or inside a zip (the LMS's own download, read
where it is, never extracted). The download layouts (grader.grading.downloads) look at names
only; a file's bytes are read when an exercise needs them, within a size limit.

Nothing here trusts a date: a zip member's DOS date is whatever the tool that wrote it put there
(some write 0 for "no date"), and a file's mtime on disk is when it was extracted or copied.
`DiskNode.delivered_mtime` exists for the one case the instructor vouches for (`--times mtime`).
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from grader.grading.sources import SubmissionError

MAX_DOWNLOAD_MEMBERS = 200_000           # entries in a whole class's download zip
MAX_RATIO = 100                          # uncompressed/compressed, for members over 1 MiB
_RATIO_FLOOR = 1024 * 1024
MAX_DEPTH = 32


class Node:
    """One folder or file of a download (on disk or in a zip)."""

    name: str
    where: str           # how the instructor finds it: a path, or zip:member
    path: Path           # a path naming it (for a zip member: the zip's path / the member)

    def is_dir(self) -> bool:
        raise NotImplementedError

    def is_link(self) -> bool:
        return False

    def children(self) -> list[Node]:
        """The entries of a folder, sorted by name."""
        raise NotImplementedError

    def size(self) -> int:
        raise NotImplementedError

    def read(self, limit: int) -> bytes:
        """At most `limit` + 1 bytes (one more than allowed, so the caller can tell it is too large)."""
        raise NotImplementedError

    def child(self, name: str) -> Node | None:
        return next((c for c in self.children() if c.name == name), None)

    def delivered_mtime(self) -> float | None:
        """The file's mtime where it is one at all (on disk); see the module docstring."""
        return None


class DiskNode(Node):
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.name = self.path.name
        self.where = str(self.path)

    def is_dir(self) -> bool:
        return self.path.is_dir() and not self.path.is_symlink()

    def is_link(self) -> bool:
        return self.path.is_symlink()

    def children(self) -> list[Node]:
        try:
            with os.scandir(self.path) as it:
                names = sorted(e.name for e in it)
        except OSError as exc:
            raise SubmissionError(f"{self.name} could not be read ({exc.strerror})") from None
        return [DiskNode(self.path / n) for n in names]

    def size(self) -> int:
        return self.path.stat(follow_symlinks=False).st_size

    def read(self, limit: int) -> bytes:
        try:
            with open(self.path, "rb") as fh:
                return fh.read(limit + 1)
        except OSError as exc:
            raise SubmissionError(f"{self.name} could not be read ({exc.strerror})") from None

    def delivered_mtime(self) -> float | None:
        return self.path.stat(follow_symlinks=False).st_mtime


class ZipArchive:
    """A class's download zip, listed once: which members are folders, which files, and which
    are refused (unsafe paths, links, encryption) with why. Members are read on demand."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.zf = zipfile.ZipFile(self.path)
            infos = self.zf.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise SubmissionError(f"{self.path.name} is not a readable zip file ({exc})") from None
        if len(infos) > MAX_DOWNLOAD_MEMBERS:
            raise SubmissionError(f"{self.path.name} holds {len(infos)} files; the limit is {MAX_DOWNLOAD_MEMBERS}")
        self.dirs: dict[str, set[str]] = {"": set()}
        self.files: dict[str, zipfile.ZipInfo] = {}
        self.refused: dict[str, str] = {}      # member -> why it is not read
        for info in infos:
            name = info.filename.replace("\\", "/")
            parts = PurePosixPath(name).parts
            if not parts:
                continue
            if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts or "\0" in name \
                    or len(parts) > MAX_DEPTH:
                self.refused[name] = "an unsafe path (absolute, with '..' or too deep)"
                continue
            for i in range(len(parts)):
                parent, child = "/".join(parts[:i]), parts[i]
                self.dirs.setdefault(parent, set()).add(child)
            rel = "/".join(parts)
            if info.is_dir():
                self.dirs.setdefault(rel, set())
            else:
                self.files[rel] = info

    def close(self) -> None:
        self.zf.close()


class ZipNode(Node):
    def __init__(self, archive: ZipArchive, rel: str = "") -> None:
        self.archive, self.rel = archive, rel
        self.name = rel.rsplit("/", 1)[-1] if rel else archive.path.name
        self.where = f"{archive.path.name}:{rel}" if rel else str(archive.path)
        self.path = archive.path / rel if rel else archive.path

    def is_dir(self) -> bool:
        return self.rel in self.archive.dirs and self.rel not in self.archive.files

    def is_link(self) -> bool:
        info = self.archive.files.get(self.rel)
        return info is not None and stat.S_ISLNK(info.external_attr >> 16)

    def children(self) -> list[Node]:
        prefix = f"{self.rel}/" if self.rel else ""
        return [ZipNode(self.archive, prefix + n) for n in sorted(self.archive.dirs.get(self.rel, ()))]

    def size(self) -> int:
        info = self.archive.files.get(self.rel)
        return info.file_size if info is not None else 0

    def read(self, limit: int) -> bytes:
        info = self.archive.files[self.rel]
        if info.flag_bits & 0x1:
            raise SubmissionError(f"{self.name} is encrypted in {self.archive.path.name}")
        if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise SubmissionError(f"{self.name} expands {info.file_size // max(info.compress_size, 1)}x: "
                                  "refused as a zip bomb")
        try:
            with self.archive.zf.open(info) as fh:
                data = fh.read(min(info.file_size, limit) + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, ValueError, OSError,
                zlib.error) as exc:
            raise SubmissionError(f"{self.name} could not be read from {self.archive.path.name}: {exc}") from None
        if len(data) != info.file_size and len(data) <= limit:
            raise SubmissionError(f"{self.name} in {self.archive.path.name} is not the size it declares")
        return data


def open_download(path: Path) -> Node:
    """The top of a download: a folder, or a zip read in place."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".zip":
        return ZipNode(ZipArchive(path))
    return DiskNode(path)
