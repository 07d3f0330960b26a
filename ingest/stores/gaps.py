"""Knowledge gaps as they happen, in `data_dir/gaps.sqlite3`: every question the bot abstained
on and every answer a teacher marked 👎 (question, channel, time), whether a coach marked it
handled, and which weekly gap summaries were already sent.

    store = GapStore(settings.data_dir)
    store.record("How do I reset a student's password?", reason="abstention", channel="C1", answer_id="a1")
    groups = store.groups(encoder.encode)          # grouped by meaning (ingest.gaps), newest first
    store.mark_handled(ids, by="U0COACH")
    if store.claim_period("2026-W48", by=host):    # exactly one process wins, across restarts
        send_the_weekly_summary()

The weekly summary is claimed in SQLite (`INSERT OR IGNORE` on the period's key), so several
bot processes sharing a data dir, or one restarted, send it once.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ..gaps import GapGroup, GapQuestion, group_gaps
from .sqlite import Database, utc_now

FILENAME = "gaps.sqlite3"
REASONS = ("abstention", "thumbs_down")

MIGRATIONS = (
    # 1: questions the knowledge base could not answer, and the weekly summaries sent
    """
    CREATE TABLE IF NOT EXISTS gaps (
        id TEXT PRIMARY KEY,
        asked_at TEXT NOT NULL,            -- ISO, UTC, to the microsecond (the order questions came in)
        question TEXT NOT NULL,
        channel TEXT,
        user TEXT,
        reason TEXT NOT NULL,              -- abstention | thumbs_down
        answer_id TEXT,                    -- the stored answer (feedback.sqlite3), when there is one
        handled_at TEXT,
        handled_by TEXT
    );
    CREATE UNIQUE INDEX IF NOT EXISTS gaps_by_answer ON gaps (answer_id, reason) WHERE answer_id IS NOT NULL;
    CREATE INDEX IF NOT EXISTS gaps_by_time ON gaps (asked_at);
    CREATE TABLE IF NOT EXISTS gap_summaries (
        period TEXT PRIMARY KEY,           -- e.g. 2026-W48: one summary per period
        claimed_at TEXT NOT NULL,
        claimed_by TEXT
    );
    """,
)


@dataclass(frozen=True)
class StoredGap:
    question: GapQuestion
    handled: bool

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> StoredGap:
        q = GapQuestion(r["question"], datetime.fromisoformat(r["asked_at"]), r["channel"], r["reason"], r["id"])
        return cls(q, r["handled_at"] is not None)


class GapStore:
    def __init__(self, data_dir: Path) -> None:
        self.db = Database(Path(data_dir) / FILENAME, MIGRATIONS)

    def record(self, question: str, *, reason: str, channel: str | None = None, user: str | None = None,
               answer_id: str | None = None) -> str | None:  # fmt: skip
        """Store one unanswered question; returns its id (None when this answer's gap of this
        kind was already stored: a second 👎 on the same answer)."""
        if reason not in REASONS:
            raise ValueError(f"reason must be one of {REASONS}, not {reason!r}")
        if not question.strip():
            return None
        gap_id = secrets.token_hex(6)
        with self.db.transaction() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO gaps (id, asked_at, question, channel, user, reason, answer_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (gap_id, datetime.now(UTC).isoformat(), question.strip(), channel, user, reason, answer_id),
            )
        return gap_id if cur.rowcount else None

    def all(self, *, since: str | None = None) -> list[StoredGap]:
        """Every gap (asked at or after `since`, an ISO time, when given), newest first."""
        if not self.db.exists():
            return []
        where, params = ("WHERE asked_at >= ?", (since,)) if since else ("", ())
        return self.db.query(f"SELECT * FROM gaps {where} ORDER BY asked_at DESC, rowid DESC", params, row=StoredGap.from_row)

    def groups(self, encode: Callable[[list[str]], np.ndarray], *, since: str | None = None) -> list[GapGroup]:
        """The gaps grouped by meaning, newest group first; a group is handled when all its
        questions are."""
        gaps = self.all(since=since)
        if not gaps:
            return []
        questions = [g.question for g in gaps]
        groups = group_gaps(questions, np.asarray(encode([q.text for q in questions])))
        for group in groups:
            group.handled = all(gaps[i].handled for i in group.members)
        return groups

    def mark_handled(self, ids: Sequence[str], *, by: str | None) -> int:
        if not ids:
            return 0
        marks = ",".join("?" * len(ids))
        with self.db.transaction() as db:
            cur = db.execute(f"UPDATE gaps SET handled_at = ?, handled_by = ? WHERE handled_at IS NULL AND id IN ({marks})",
                             (utc_now(), by, *ids))  # fmt: skip
        return cur.rowcount

    # --- the weekly summary ----------------------------------------------------------------

    def claim_period(self, period: str, *, by: str | None = None) -> bool:
        """True for exactly one caller per `period`, across processes and restarts."""
        with self.db.transaction() as db:
            cur = db.execute("INSERT OR IGNORE INTO gap_summaries (period, claimed_at, claimed_by) VALUES (?, ?, ?)",
                             (period, utc_now(), by))  # fmt: skip
        return cur.rowcount == 1

    def last_claimed_at(self, before: str) -> str | None:
        """When the latest summary before `period` was claimed (what 'new' gaps are newer than)."""
        if not self.db.exists():
            return None
        row = self.db.query_one("SELECT claimed_at FROM gap_summaries WHERE period < ? ORDER BY period DESC LIMIT 1", (before,))
        return row["claimed_at"] if row else None
