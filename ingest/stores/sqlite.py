"""The one way a store opens a SQLite file in the data dir.

    db = Database(data_dir / "feedback.sqlite3", MIGRATIONS)
    with db.transaction() as tx:
        tx.execute("INSERT ...", (...))
    rows = db.query("SELECT * FROM answers WHERE id = ?", (answer_id,), row=StoredAnswer.from_row)

- The file is created on first use, not when the store object is made (a command that only
  reads, such as `feedback export` on a fresh install, creates nothing).
- Migrations are numbered: `migrations[n - 1]` brings a database from version n-1 to n, where
  the version is SQLite's `PRAGMA user_version`. They run at open, each in its own transaction
  with the new version number, so an install from last month upgrades in place and a migration
  that fails leaves the database as it was. A database from a newer Guidepost is refused.
  Migration 1 of every store is the schema it had before versions were kept (`CREATE ... IF
  NOT EXISTS`), so a database made then (user_version 0) simply moves to version 1.
- One connection, one lock: safe from any thread (Bolt's listener pool, the ingest pool). WAL
  lets another process (the CLI beside the bot) read while one writes.
- `query(..., row=factory)` turns each `sqlite3.Row` into the caller's own type.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from ..errors import IndexUnavailable
from .files import touch_private

T = TypeVar("T")

BUSY_TIMEOUT_S = 30.0


class Database:
    def __init__(self, path: Path, migrations: Sequence[str]) -> None:
        self.path = Path(path)
        self.migrations = tuple(migrations)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None

    # --- opening ---------------------------------------------------------------------------

    def exists(self) -> bool:
        return self._conn is not None or self.path.exists()

    def _connection(self) -> sqlite3.Connection:
        with self._lock:
            if self._conn is None:
                try:
                    touch_private(self.path)  # owner-only, before SQLite creates it
                    conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, check_same_thread=False, isolation_level=None)
                except (OSError, sqlite3.Error) as exc:
                    raise IndexUnavailable(f"could not open {self.path}: {getattr(exc, 'strerror', None) or exc} "
                                           "(check GUIDEPOST_DATA_DIR)") from exc  # fmt: skip
                conn.row_factory = sqlite3.Row
                try:
                    try:
                        _setup(conn)
                    except sqlite3.DatabaseError as exc:  # not a database, or held too long by another process
                        raise IndexUnavailable(f"could not open {self.path}: {exc}") from exc
                    migrate(conn, self.migrations, self.path)
                except BaseException:
                    conn.close()
                    raise
                self._conn = conn
            return self._conn

    @property
    def version(self) -> int:
        return user_version(self._connection())

    # --- using -----------------------------------------------------------------------------

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        """A transaction, committed when the block ends and rolled back if it raises; the
        connection is this thread's alone until then. `write=False` reads a consistent snapshot
        without taking the write lock."""
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")

    def query(self, sql: str, params: Iterable[Any] = (), *, row: Callable[[sqlite3.Row], T] = lambda r: r) -> list[T]:
        """Every row of a SELECT, each made into `row(r)`."""
        with self._lock:
            return [row(r) for r in self._connection().execute(sql, tuple(params)).fetchall()]

    def query_one(self, sql: str, params: Iterable[Any] = (), *, row: Callable[[sqlite3.Row], T] = lambda r: r) -> T | None:
        with self._lock:
            r = self._connection().execute(sql, tuple(params)).fetchone()
        return None if r is None else row(r)

    def generation(self) -> tuple[int, int]:
        """Changes whenever the database may have changed: a commit by another connection (any
        process: `PRAGMA data_version`) or a row written through this one. A cache of what was
        read keyed on it is never stale, and costs one pragma to check."""
        with self._lock:
            conn = self._connection()
            return int(conn.execute("PRAGMA data_version").fetchone()[0]), conn.total_changes

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _setup(conn: sqlite3.Connection) -> None:
    """WAL mode. Switching a new database to WAL needs it alone for a moment, and SQLite answers
    "database is locked" at once, without waiting, when another process opens it at the same
    instant (two first ingests on a new data dir): retry within the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def utc_now() -> str:
    """The time as the stores write it: ISO 8601, UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, migrations: Sequence[str], path: Path) -> int:
    """Apply the migrations `conn`'s database lacks; returns its version afterwards."""
    current = user_version(conn)
    if current > len(migrations):
        raise IndexUnavailable(
            f"{path} was written by a newer version of Guidepost (schema {current}; this one knows "
            f"{len(migrations)}). Upgrade Guidepost, or point GUIDEPOST_DATA_DIR elsewhere."
        )
    for number in range(current + 1, len(migrations) + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if user_version(conn) < number:  # another process may have just done it
                for statement in statements(migrations[number - 1]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return user_version(conn)


def statements(script: str) -> Iterator[str]:
    """The SQL statements of a script, one at a time (so that they run inside our transaction:
    `executescript` would commit first). A `;` inside a string or a trigger body does not end
    a statement (`sqlite3.complete_statement` decides)."""
    start = 0
    for end, char in enumerate(script):
        if char == ";" and sqlite3.complete_statement(script[start : end + 1]):
            yield script[start : end + 1].strip()
            start = end + 1
    rest = "\n".join(ln for ln in script[start:].splitlines() if not ln.strip().startswith("--")).strip()
    if rest:
        raise ValueError(f"incomplete SQL statement at the end of a migration: {rest[:80]!r}")
