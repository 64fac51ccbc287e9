"""The spill: events kept on local disk while the events database refuses writes.

Plain Python, no Flask, no SQLAlchemy. Each events store spills to its own file,
``events-spill-<database>-<pid>-<token>.jsonl``: one line per event, appended, owner-only
(0600). The store holds an exclusive ``flock`` on its file while it is open, so another
process (a gunicorn worker started later) adopts a file only once its writer has gone.
Lines are replayed in order; how far a file has been replayed is kept next to it in
``<file>.replayed`` after each committed batch, so a replay never writes a line twice
(unless the process dies between a commit and that note: then one batch at most). A file
is removed once every line has been replayed.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import os
import secrets

SPILL_PREFIX = "events-spill-"
SPILL_SUFFIX = ".jsonl"
REPLAYED_SUFFIX = ".replayed"
READ_BLOCK = 1 << 20


def database_key(url_without_password: str) -> str:
    """A short name for one database, so a spill is only ever replayed into the database it was meant for."""
    return hashlib.sha256(url_without_password.encode()).hexdigest()[:12]


class SpillFile:
    """One spill file, open and locked by this process: append lines, read them back in order, mark them replayed."""

    def __init__(self, path: str, descriptor: int) -> None:
        self.path = path
        self._descriptor = descriptor
        self.replayed_to = _read_replayed(path)  # byte offset of the first line not yet written to the database
        self.pending = _count_lines(path, self.replayed_to)

    @classmethod
    def create(cls, folder: str, key: str) -> SpillFile:
        """A new, empty spill file for this process in ``folder`` (created owner-only if missing)."""
        os.makedirs(folder, mode=0o700, exist_ok=True)
        path = os.path.join(folder, f"{SPILL_PREFIX}{key}-{os.getpid()}-{secrets.token_hex(4)}{SPILL_SUFFIX}")
        descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return cls(path, descriptor)

    @classmethod
    def adopt(cls, path: str) -> SpillFile | None:
        """The leftover file at ``path``, locked for this process; None while its writer holds it, or if it is gone."""
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_APPEND)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.fstat(descriptor).st_ino != os.stat(path).st_ino:
                raise FileNotFoundError(path)  # replayed and removed by another process meanwhile
            return cls(path, descriptor)
        except OSError:  # locked by its live writer, or removed meanwhile
            os.close(descriptor)
            return None

    def append(self, lines: list[bytes]) -> None:
        """Add lines (each ending in a newline) at the end, in one write."""
        data = b"".join(lines)
        written = os.write(self._descriptor, data)
        while written < len(data):  # a short write (rare, on a nearly full disk)
            written += os.write(self._descriptor, data[written:])
        self.pending += len(lines)

    def read(self, limit: int) -> list[tuple[bytes, int]]:
        """Up to ``limit`` lines not yet replayed, oldest first, each with the offset just after it."""
        lines: list[tuple[bytes, int]] = []
        offset = self.replayed_to
        with open(self.path, "rb") as handle:
            handle.seek(offset)
            while len(lines) < limit:
                line = handle.readline(READ_BLOCK)
                if not line:
                    break
                offset += len(line)
                lines.append((line, offset))
        return lines

    def mark_replayed(self, offset: int, count: int) -> None:
        """Note that everything before ``offset`` (``count`` lines) is in the database; remove the file once all is."""
        if offset == self.replayed_to and not count:
            return
        self.replayed_to = offset
        self.pending = max(0, self.pending - count)
        if offset >= os.fstat(self._descriptor).st_size:
            self.remove()
            return
        temporary = f"{self.path}{REPLAYED_SUFFIX}.tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(descriptor, str(offset).encode())
        finally:
            os.close(descriptor)
        os.replace(temporary, f"{self.path}{REPLAYED_SUFFIX}")

    @property
    def finished(self) -> bool:
        return self._descriptor < 0

    def remove(self) -> None:
        """Delete the file and its note (everything in it is in the database), then let go of the lock."""
        for path in (f"{self.path}{REPLAYED_SUFFIX}", self.path):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        self.close()

    def close(self) -> None:
        """Let go of the file (and its lock), leaving what is in it for a later run to replay."""
        if self._descriptor >= 0:
            os.close(self._descriptor)
            self._descriptor = -1
        self.pending = 0


def leftover_spills(folder: str, key: str) -> list[SpillFile]:
    """Spill files for database ``key`` in ``folder`` whose writer has gone (earlier run, dead worker), oldest first.

    A live writer's file is locked (even by another store in this process), so it is never taken.
    """
    pattern = os.path.join(glob.escape(folder), f"{SPILL_PREFIX}{key}-*{SPILL_SUFFIX}")
    paths = sorted(glob.glob(pattern), key=_modified_or_now)
    adopted = [SpillFile.adopt(path) for path in paths]
    return [spill for spill in adopted if spill is not None]


def _modified_or_now(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return float("inf")


def _read_replayed(path: str) -> int:
    try:
        with open(f"{path}{REPLAYED_SUFFIX}", encoding="ascii") as handle:
            return max(0, int(handle.read().strip() or 0))
    except (OSError, ValueError):
        return 0


def _count_lines(path: str, offset: int) -> int:
    count = 0
    last = b"\n"
    with open(path, "rb") as handle:
        handle.seek(offset)
        while block := handle.read(READ_BLOCK):
            count += block.count(b"\n")
            last = block
        if offset < handle.tell() and not last.endswith(b"\n"):
            count += 1  # a torn last line (the writer died mid-write): replayed, and refused as unreadable
    return count
