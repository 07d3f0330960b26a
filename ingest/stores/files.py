"""Files in the data dir are the teachers' business only: the data dir is made owner-only
(0700) and every file Guidepost creates in it owner-only (0600). The questions teachers asked
(with their Slack user ids), their votes and the channels' digests must not be readable by every
user of a shared machine."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) owner-only; an existing folder of ours that others
    can read is tightened. A folder owned by someone else is left alone."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "it is a file, not a folder", str(path))
    if not path.is_dir():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    try:
        st = path.stat()
        if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & 0o077:
            path.chmod(stat.S_IMODE(st.st_mode) & ~0o077 | DIR_MODE)
    except OSError:
        pass
    return path


def private_open(path: Path, flags: int) -> int:
    """`os.open` creating the file owner-only."""
    return os.open(path, flags, FILE_MODE)


def touch_private(path: Path) -> None:
    """Create `path` empty and owner-only unless it exists (SQLite then keeps that mode, and
    gives its -wal and -shm files the same)."""
    ensure_private_dir(path.parent)
    try:
        os.close(private_open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        pass
