"""What every bot process must agree on, in `data_dir/deliveries.sqlite3`: the Slack deliveries
already taken (a retry that reaches another worker, or another Socket Mode connection, is
acknowledged and dropped), the messages being answered, the threads answered in.

    store = DeliveryStore(data_dir)
    seen = store.seen("delivery", ttl=3600)
    seen.add("event:T1:Ev1")   # True: the first to claim it goes ahead
    seen.add("event:T1:Ev1")   # False, in this process or any other sharing the data dir

`SharedSeen` has the calls of the in-memory `bot.slack.dedupe.SeenSet` (`add`, `in`, `len`).
A claim is one `INSERT OR IGNORE` in a write transaction: SQLite's lock decides the winner
between processes. Keys older than the TTL no longer count and are purged now and then.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Hashable
from pathlib import Path

from .sqlite import Database

FILENAME = "deliveries.sqlite3"
PURGE_EVERY = 500  # claims between purges of expired keys

MIGRATIONS = (
    # 1: keys seen, per kind ("delivery", "claim", "thread")
    """
    CREATE TABLE IF NOT EXISTS seen (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        at REAL NOT NULL,                 -- Unix time of the claim
        PRIMARY KEY (kind, key)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS seen_by_age ON seen (kind, at);
    """,
)


def _key(key: Hashable) -> str:
    if isinstance(key, tuple):
        return json.dumps([str(k) if k is not None else None for k in key])
    return str(key)


class SharedSeen:
    """Keys seen in the last `ttl` seconds by any process sharing the data dir."""

    def __init__(self, db: Database, kind: str, *, ttl: float, clock: Callable[[], float] = time.time) -> None:
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self.db = db
        self.kind = kind
        self.ttl = ttl
        self._clock = clock
        self._adds = 0
        self._lock = threading.Lock()

    def add(self, key: Hashable) -> bool:
        """Claim `key`: True when no process had it within the TTL (the caller goes ahead)."""
        now = self._clock()
        k = _key(key)
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM seen WHERE kind = ? AND key = ? AND at <= ?", (self.kind, k, now - self.ttl))
            taken = tx.execute("INSERT OR IGNORE INTO seen (kind, key, at) VALUES (?, ?, ?)", (self.kind, k, now)).rowcount
        with self._lock:
            self._adds += 1
            purge = self._adds % PURGE_EVERY == 0
        if purge:
            self.purge(now)
        return taken == 1

    def __contains__(self, key: object) -> bool:
        row = self.db.query_one(
            "SELECT 1 FROM seen WHERE kind = ? AND key = ? AND at > ?", (self.kind, _key(key), self._clock() - self.ttl)  # type: ignore[arg-type]
        )
        return row is not None

    def __len__(self) -> int:
        row = self.db.query_one("SELECT count(*) FROM seen WHERE kind = ? AND at > ?", (self.kind, self._clock() - self.ttl))
        return int(row[0]) if row else 0

    def purge(self, now: float | None = None) -> int:
        now = self._clock() if now is None else now
        with self.db.transaction() as tx:
            return tx.execute("DELETE FROM seen WHERE kind = ? AND at <= ?", (self.kind, now - self.ttl)).rowcount


class DeliveryStore:
    """The shared claim sets of one data dir; safe from any thread and any process."""

    def __init__(self, data_dir: Path) -> None:
        self.db = Database(Path(data_dir) / FILENAME, MIGRATIONS)
        self.path = self.db.path

    def seen(self, kind: str, *, ttl: float) -> SharedSeen:
        return SharedSeen(self.db, kind, ttl=ttl)

    def close(self) -> None:
        self.db.close()
