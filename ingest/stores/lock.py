"""One writer at a time across processes: an advisory `fcntl.flock` on `data_dir/write.lock`.

The CLI, the bot's coach uploads and a second bot process may all write to the same index. Each
write batch (journal row, vectors, catalog rows, journal row removed) runs while holding this
lock, so:

- two batches never interleave (no writer sees another's half-written document);
- a journal row exists only while its writer holds the lock. Whoever holds the lock and still
  sees a journal row knows that its writer is gone (killed, crashed, or failed with an error):
  only then is it repaired. Another live process's in-flight work is never taken for a crash.

The kernel drops a `flock` when its process dies, even on `kill -9`, so a dead writer never
blocks the others. Each `hold()` opens the file anew: two threads of one process exclude each
other too (locks on separate open file descriptions conflict), and a thread that already holds
the lock may take it again (nested calls). Waiting is bounded (`GUIDEPOST_WRITE_WAIT_S`); past
it the writer gets an `IndexUnavailable` that names the process holding the lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import IndexUnavailable
from .files import ensure_private_dir, private_open

log = logging.getLogger(__name__)

LOCK_NAME = "write.lock"
POLL_S = 0.05


class WriteLock:
    def __init__(self, data_dir: Path, wait_s: float = 120.0, name: str = LOCK_NAME) -> None:
        self.path = Path(data_dir) / name  # another `name`: another lock (the ONNX export's)
        self.wait_s = wait_s
        self._mine = threading.local()

    def held(self) -> bool:
        """Whether the calling thread holds the lock."""
        return getattr(self._mine, "depth", 0) > 0

    @contextlib.contextmanager
    def hold(self, what: str = "write to the index") -> Iterator[None]:
        if self.held():
            self._mine.depth += 1
            try:
                yield
            finally:
                self._mine.depth -= 1
            return
        ensure_private_dir(self.path.parent)
        fd = private_open(self.path, os.O_RDWR | os.O_CREAT)
        try:
            self._acquire(fd, what)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            self._mine.depth = 1
            try:
                yield
            finally:
                self._mine.depth = 0
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _acquire(self, fd: int, what: str) -> None:
        deadline = time.monotonic() + self.wait_s
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            if not told:
                log.info("waiting for another process to release %s (pid %s)", self.path, self._holder(fd))
                told = True
            if time.monotonic() >= deadline:
                raise IndexUnavailable(
                    f"could not {what}: another Guidepost process (pid {self._holder(fd)}) has been writing to "
                    f"the index in {self.path.parent} for over {self.wait_s:g} s. Try again when it has finished "
                    f"(or wait longer: GUIDEPOST_WRITE_WAIT_S)."
                )
            time.sleep(POLL_S)

    @staticmethod
    def _holder(fd: int) -> str:
        try:
            return os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        except OSError:
            return "unknown"
