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
    # 2: a cited source replaced or removed after the answer was saved: the entry is marked, and
    # the channel is told once (told_at, claimed by one process with told_by)
    """
    CREATE TABLE IF NOT EXISTS source_notes (
        channel TEXT NOT NULL,
        number INTEGER NOT NULL,
        answer_id TEXT NOT NULL,
        doc_id TEXT NOT NULL,
        title TEXT NOT NULL,
        event TEXT NOT NULL,              -- updated | removed
        at TEXT NOT NULL,
        told_at TEXT,
        told_by TEXT,
        PRIMARY KEY (channel, number, answer_id, doc_id)
    );
    """,
)


@dataclass(frozen=True)
class SourceNote:
    """A source an entry cites was replaced ('updated') or removed since it was saved."""

    doc_id: str
    title: str
    event: str  # updated | removed
    at: str  # ISO 8601, UTC

    def text(self) -> str:
        """'source updated on 2026-11-23' / 'source removed'."""
        return f"source updated on {self.at[:10]}" if self.event == "updated" else f"source removed on {self.at[:10]}"


@dataclass
class DigestEntry:
    answer_id: str
    answer: Answer
    saved_by: str | None
    saved_at: str  # ISO 8601, UTC
    notes: list[SourceNote] = field(default_factory=list)  # its sources replaced or removed since

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
            notes = db.execute("SELECT * FROM source_notes WHERE channel = ? AND number = ? ORDER BY at", (channel, number)).fetchall()
        entries = [DigestEntry.from_row(r) for r in rows]
        by_answer: dict[str, list[SourceNote]] = {}
        for n in notes:
            by_answer.setdefault(n["answer_id"], []).append(SourceNote(n["doc_id"], n["title"], n["event"], n["at"]))
        for e in entries:
            e.notes = by_answer.get(e.answer_id, [])
        return Digest(channel, number, started, entries)

    # --- sources replaced or removed -------------------------------------------------------

    def mark_source(self, doc_id: str, title: str, event: str) -> int:
        """Mark the entries of current digests that cite document `doc_id`: it was 'updated'
        (replaced by a new version) or 'removed'. Returns how many entries were marked; their
        channels are told once (`claim_untold`)."""
        if event not in ("updated", "removed"):
            raise ValueError(f"event must be updated or removed, not {event!r}")
        if not self.db.exists():
            return 0
        with self.db.transaction() as db:
            rows = db.execute(
                """SELECT e.channel, e.number, e.answer_id FROM entries e
                   JOIN digests d ON d.channel = e.channel AND d.number = e.number AND d.cleared_at IS NULL
                   WHERE EXISTS (SELECT 1 FROM json_each(e.answer, '$.sources') s WHERE json_extract(s.value, '$.doc_id') = ?)""",
                (doc_id,),
            ).fetchall()
            now = utc_now()
            for r in rows:
                db.execute(
                    "INSERT INTO source_notes (channel, number, answer_id, doc_id, title, event, at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (channel, number, answer_id, doc_id) DO UPDATE SET event = excluded.event, at = excluded.at,"
                    " title = excluded.title, told_at = NULL, told_by = NULL",
                    (r["channel"], r["number"], r["answer_id"], doc_id, title, event, now),
                )
        return len(rows)

    def claim_untold(self, by: str) -> dict[str, list[SourceNote]]:
        """The notes no channel was told of yet, by channel, claimed by `by` (so of several
        processes only one tells each)."""
        if not self.db.exists():
            return {}
        with self.db.transaction() as db:
            db.execute("UPDATE source_notes SET told_at = ?, told_by = ? WHERE told_at IS NULL", (utc_now(), by))
            rows = db.execute("SELECT * FROM source_notes WHERE told_by = ? AND told_at IS NOT NULL ORDER BY at", (by,)).fetchall()
            db.execute("UPDATE source_notes SET told_by = NULL WHERE told_by = ?", (by,))
        out: dict[str, dict[tuple[str, str], SourceNote]] = {}
        for n in rows:
            out.setdefault(n["channel"], {})[(n["doc_id"], n["event"])] = SourceNote(n["doc_id"], n["title"], n["event"], n["at"])
        return {channel: list(notes.values()) for channel, notes in out.items()}

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
