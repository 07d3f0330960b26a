"""Planning digests: answers a design team saved, per channel, in `data_dir/digests.sqlite3`.

Each saved answer is kept whole (question, text, every source with its quote and link), so an
export made months later still carries its numbered citations. `clear` starts a new digest;
the old one stays in the database (archived), it is simply no longer the current one.

No Slack here: the bot, the CLI or a script can read digests alike (`bot.render.digest_markdown`
writes one as Markdown).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from ..domain import Answer
from .sqlite import Database, utc_now

FILENAME = "digests.sqlite3"

MIGRATIONS = (
    # 1: the schema as it was before versions were kept
    """
    CREATE TABLE IF NOT EXISTS digests (
        channel TEXT NOT NULL,
        number INTEGER NOT NULL,          -- 1, 2, ...: `clear` starts the next one
        started_at TEXT NOT NULL,
        cleared_at TEXT,                  -- set when a newer digest replaced it
        PRIMARY KEY (channel, number)
    );
    CREATE TABLE IF NOT EXISTS entries (
        channel TEXT NOT NULL,
        number INTEGER NOT NULL,
        answer_id TEXT NOT NULL,          -- the stored answer (feedback store) it was saved from
        saved_by TEXT,
        saved_at TEXT NOT NULL,
        answer TEXT NOT NULL,             -- the whole answer as JSON (Answer.to_record), sources included
        PRIMARY KEY (channel, number, answer_id)
    );
    """,
)


@dataclass
class DigestEntry:
    answer_id: str
    answer: Answer
    saved_by: str | None
    saved_at: str  # ISO 8601, UTC

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> DigestEntry:
        return cls(r["answer_id"], Answer.from_record(json.loads(r["answer"])), r["saved_by"], r["saved_at"])


@dataclass
class Digest:
    channel: str
    number: int
    started_at: str | None  # None: nothing was ever saved in this channel
    entries: list[DigestEntry] = field(default_factory=list)


class DigestStore:
    """The digests of one data dir; safe from any thread."""

    def __init__(self, data_dir: Path) -> None:
        self.db = Database(Path(data_dir) / FILENAME, MIGRATIONS)
        self.path = self.db.path

    @staticmethod
    def _current(db: sqlite3.Connection, channel: str, *, create: bool) -> tuple[int, str | None]:
        row = db.execute(
            "SELECT number, started_at FROM digests WHERE channel = ? AND cleared_at IS NULL ORDER BY number DESC LIMIT 1",
            (channel,),
        ).fetchone()
        if row:
            return row["number"], row["started_at"]
        last = db.execute("SELECT COALESCE(MAX(number), 0) AS n FROM digests WHERE channel = ?", (channel,)).fetchone()
        number = last["n"] + 1
        if not create:
            return number, None
        started = utc_now()
        db.execute("INSERT INTO digests (channel, number, started_at) VALUES (?, ?, ?)", (channel, number, started))
        return number, started

    def add(self, channel: str, answer_id: str, answer: Answer, *, saved_by: str | None = None) -> tuple[bool, int]:
        """Save `answer` to the channel's current digest. Returns (added, entries now); saving
        the same answer twice keeps one copy (added is then False)."""
        with self.db.transaction() as db:
            number, _ = self._current(db, channel, create=True)
            cur = db.execute(
                "INSERT OR IGNORE INTO entries (channel, number, answer_id, saved_by, saved_at, answer)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (channel, number, answer_id, saved_by, utc_now(), json.dumps(answer.to_record(), ensure_ascii=False)),
            )
            count = db.execute(
                "SELECT COUNT(*) AS n FROM entries WHERE channel = ? AND number = ?", (channel, number)
            ).fetchone()["n"]
        return cur.rowcount == 1, count

    def current(self, channel: str) -> Digest:
        """The channel's current digest, oldest saved answer first."""
        if not self.db.exists():
            return Digest(channel, 1, None)
        with self.db.transaction(write=False) as db:
            number, started = self._current(db, channel, create=False)
            rows = db.execute(
                "SELECT * FROM entries WHERE channel = ? AND number = ? ORDER BY saved_at, rowid", (channel, number)
            ).fetchall()
        return Digest(channel, number, started, [DigestEntry.from_row(r) for r in rows])

    def clear(self, channel: str) -> int:
        """Archive the current digest (the next save starts a new one); returns how many
        answers it held."""
        if not self.db.exists():
            return 0
        with self.db.transaction() as db:
            row = db.execute(
                "SELECT number FROM digests WHERE channel = ? AND cleared_at IS NULL", (channel,)
            ).fetchone()
            if row is None:
                return 0
            n = db.execute(
                "SELECT COUNT(*) AS n FROM entries WHERE channel = ? AND number = ?", (channel, row["number"])
            ).fetchone()["n"]
            db.execute(
                "UPDATE digests SET cleared_at = ? WHERE channel = ? AND number = ?", (utc_now(), channel, row["number"])
            )
        return n
