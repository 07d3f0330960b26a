"""Answers the bot posted and the 👍 / 👎 votes on them, in `data_dir/feedback.sqlite3`.

Every posted answer is stored (question, answer, sources, where it was posted) and its
buttons carry only the answer's id, so a vote, a share or a follow-up can find it again.
`export` writes votes joined with their answers, for evaluation. The database is created on
first use (see `sqlite.Database`).
"""

from __future__ import annotations

import csv
import json
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..domain import Answer
from ..errors import GuidepostError
from .sqlite import Database, utc_now

FILENAME = "feedback.sqlite3"
VOTES = {"up": 1, "down": -1}

MIGRATIONS = (
    # 1: the schema as it was before versions were kept
    """
    CREATE TABLE IF NOT EXISTS answers (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        surface TEXT NOT NULL,            -- mention | dm | followup | command | shortcut
        user TEXT,
        channel TEXT,
        question_ts TEXT,                 -- the message that asked, when there is one
        thread_ts TEXT,                   -- the thread the answer went to
        message_ts TEXT,                  -- the answer's own message, when known
        question TEXT NOT NULL,
        standalone_question TEXT,
        answer TEXT NOT NULL,
        abstained INTEGER NOT NULL,
        mode TEXT,
        sources TEXT NOT NULL             -- JSON list of Source dicts
    );
    CREATE INDEX IF NOT EXISTS answers_by_thread ON answers (channel, thread_ts);
    CREATE INDEX IF NOT EXISTS answers_by_question ON answers (channel, question_ts);
    CREATE INDEX IF NOT EXISTS answers_by_message ON answers (channel, message_ts);
    CREATE TABLE IF NOT EXISTS votes (
        answer_id TEXT NOT NULL,
        user TEXT NOT NULL,
        vote INTEGER NOT NULL,            -- +1 helpful, -1 not helpful
        channel TEXT,
        message_ts TEXT,
        voted_at TEXT NOT NULL,
        PRIMARY KEY (answer_id, user)
    );
    """,
    # 2: why an answer abstained (empty_index | no_support); the engine no longer words it
    "ALTER TABLE answers ADD COLUMN abstention TEXT;",
    # 3: questions escalated to coaches ("Ask a coach"), the coach's reply, and whether it was saved
    """
    CREATE TABLE IF NOT EXISTS escalations (
        id TEXT PRIMARY KEY,
        answer_id TEXT NOT NULL,          -- the answer (or abstention) the teacher escalated
        asked_by TEXT,
        created_at TEXT NOT NULL,
        coach_channel TEXT NOT NULL,
        coach_ts TEXT,                    -- the request's message: coaches reply in its thread
        reply_user TEXT,
        reply_text TEXT,
        replied_at TEXT,
        verified_by TEXT,
        verified_doc TEXT                 -- the knowledge base document the reply became
    );
    CREATE INDEX IF NOT EXISTS escalations_by_thread ON escalations (coach_channel, coach_ts);
    """,
)


@dataclass
class StoredAnswer:
    id: str
    answer: Answer
    surface: str
    user: str | None
    channel: str | None
    question_ts: str | None
    thread_ts: str | None
    message_ts: str | None
    created_at: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> StoredAnswer:
        return cls(
            id=row["id"],
            answer=_answer(row),
            surface=row["surface"],
            user=row["user"],
            channel=row["channel"],
            question_ts=row["question_ts"],
            thread_ts=row["thread_ts"],
            message_ts=row["message_ts"],
            created_at=row["created_at"],
        )


class FeedbackStore:
    """The answers and votes of one data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.db = Database(Path(data_dir) / FILENAME, MIGRATIONS)
        self.path = self.db.path

    # --- answers ---------------------------------------------------------------------------

    def record_answer(
        self,
        answer: Answer,
        *,
        surface: str,
        user: str | None = None,
        channel: str | None = None,
        question_ts: str | None = None,
        thread_ts: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        """Store an answer about to be posted; returns the id its buttons carry."""
        answer_id = secrets.token_hex(8)
        with self.db.transaction() as db:
            db.execute(
                "INSERT INTO answers (id, created_at, surface, user, channel, question_ts, thread_ts,"
                " message_ts, question, standalone_question, answer, abstained, abstention, mode, sources)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    answer_id,
                    utc_now(),
                    surface,
                    user,
                    channel,
                    question_ts,
                    thread_ts,
                    message_ts,
                    answer.question,
                    answer.standalone_question,
                    answer.text,
                    int(answer.abstained),
                    answer.abstention,
                    answer.mode,
                    json.dumps([s.to_dict() for s in answer.sources], ensure_ascii=False),
                ),
            )
        return answer_id

    def set_message_ts(self, answer_id: str, message_ts: str) -> None:
        """Remember which message shows the answer (when it was posted after being stored)."""
        with self.db.transaction() as db:
            db.execute("UPDATE answers SET message_ts = ? WHERE id = ?", (message_ts, answer_id))

    def get_answer(self, answer_id: str) -> StoredAnswer | None:
        return self.db.query_one("SELECT * FROM answers WHERE id = ?", (answer_id,), row=StoredAnswer.from_row)

    def answer_for_question(self, channel: str, question_ts: str) -> StoredAnswer | None:
        """The answer already given to the message `question_ts`, if any (survives restarts,
        so a redelivery after a restart is not answered twice)."""
        return self.db.query_one("SELECT * FROM answers WHERE channel = ? AND question_ts = ? LIMIT 1",
                                 (channel, question_ts), row=StoredAnswer.from_row)  # fmt: skip

    def answers_by_message(self, channel: str, message_ts: list[str]) -> dict[str, StoredAnswer]:
        """Stored answers keyed by the ts of the message that shows them."""
        if not message_ts:
            return {}
        marks = ",".join("?" * len(message_ts))
        rows = self.db.query(f"SELECT * FROM answers WHERE channel = ? AND message_ts IN ({marks})",
                             (channel, *message_ts), row=StoredAnswer.from_row)  # fmt: skip
        return {a.message_ts: a for a in rows if a.message_ts}

    def answered_in_thread(self, channel: str, thread_ts: str) -> bool:
        """Did the bot answer in this thread (so replies there are follow-ups)?"""
        row = self.db.query_one("SELECT 1 FROM answers WHERE channel = ? AND thread_ts = ? LIMIT 1", (channel, thread_ts))
        return row is not None

    def popular_questions(self, limit: int = 4, min_asks: int = 2) -> list[str]:
        """Questions asked at least `min_asks` times and answered well (answered, not
        abstained, with no net 👎), most asked first: the assistant panel suggests them."""
        if not self.db.exists():
            return []
        rows = self.db.query(
            "SELECT MIN(a.question) AS question, COUNT(DISTINCT a.id) AS asks,"
            " COALESCE(SUM(v.vote), 0) AS net FROM answers a LEFT JOIN votes v ON v.answer_id = a.id"
            " WHERE a.abstained = 0 GROUP BY LOWER(TRIM(a.question))"
            " HAVING asks >= ? AND net >= 0 ORDER BY net > 0 DESC, asks DESC, net DESC LIMIT ?",
            (min_asks, limit),
        )
        return [r["question"] for r in rows]

    # --- escalations to coaches ---------------------------------------------------------------

    def add_escalation(self, answer_id: str, *, asked_by: str | None, coach_channel: str) -> str:
        esc_id = secrets.token_hex(8)
        with self.db.transaction() as db:
            db.execute("INSERT INTO escalations (id, answer_id, asked_by, created_at, coach_channel) VALUES (?, ?, ?, ?, ?)",
                       (esc_id, answer_id, asked_by, utc_now(), coach_channel))  # fmt: skip
        return esc_id

    def set_escalation_ts(self, esc_id: str, coach_ts: str) -> None:
        with self.db.transaction() as db:
            db.execute("UPDATE escalations SET coach_ts = ? WHERE id = ?", (coach_ts, esc_id))

    def escalation(self, esc_id: str) -> dict[str, Any] | None:
        row = self.db.query_one("SELECT * FROM escalations WHERE id = ?", (esc_id,))
        return dict(row) if row else None

    def escalation_in_thread(self, coach_channel: str, coach_ts: str) -> dict[str, Any] | None:
        row = self.db.query_one("SELECT * FROM escalations WHERE coach_channel = ? AND coach_ts = ?", (coach_channel, coach_ts))
        return dict(row) if row else None

    def record_escalation_reply(self, esc_id: str, *, user: str, text: str) -> None:
        with self.db.transaction() as db:
            db.execute("UPDATE escalations SET reply_user = ?, reply_text = ?, replied_at = ? WHERE id = ?",
                       (user, text, utc_now(), esc_id))  # fmt: skip

    def record_verified(self, esc_id: str, *, user: str, doc_id: str) -> None:
        with self.db.transaction() as db:
            db.execute("UPDATE escalations SET verified_by = ?, verified_doc = ? WHERE id = ?", (user, doc_id, esc_id))

    # --- votes -----------------------------------------------------------------------------

    def record_vote(
        self,
        answer_id: str,
        *,
        user: str,
        vote: str,
        channel: str | None = None,
        message_ts: str | None = None,
    ) -> None:
        """Store `user`'s vote ("up" or "down") on an answer; a second vote replaces the first."""
        if vote not in VOTES:
            raise ValueError(f"vote must be one of {sorted(VOTES)}, not {vote!r}")
        with self.db.transaction() as db:
            db.execute(
                "INSERT INTO votes (answer_id, user, vote, channel, message_ts, voted_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (answer_id, user) DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at,"
                " channel = excluded.channel, message_ts = excluded.message_ts",
                (answer_id, user, VOTES[vote], channel, message_ts, utc_now()),
            )

    def votes(self) -> list[dict[str, Any]]:
        """Every vote with its question, answer and sources (oldest first)."""
        if not self.db.exists():
            return []
        rows = self.db.query(
            "SELECT v.answer_id, v.user, v.vote, v.channel, v.message_ts, v.voted_at,"
            " a.surface, a.created_at AS answered_at, a.question, a.standalone_question,"
            " a.answer, a.abstained, a.abstention, a.mode, a.sources"
            " FROM votes v LEFT JOIN answers a ON a.id = v.answer_id ORDER BY v.voted_at, v.rowid"
        )
        out = []
        for r in rows:
            out.append(
                {
                    "answer_id": r["answer_id"],
                    "vote": "up" if r["vote"] > 0 else "down",
                    "user": r["user"],
                    "channel": r["channel"],
                    "message_ts": r["message_ts"],
                    "voted_at": r["voted_at"],
                    "surface": r["surface"],
                    "answered_at": r["answered_at"],
                    "question": r["question"],
                    "standalone_question": r["standalone_question"],
                    "answer": r["answer"],
                    "abstained": bool(r["abstained"]) if r["abstained"] is not None else None,
                    "abstention": r["abstention"],
                    "mode": r["mode"],
                    "sources": json.loads(r["sources"]) if r["sources"] else [],
                }
            )
        return out

    def export(self, dest: str | Path | IO[str], fmt: str = "jsonl") -> int:
        """Write every vote with its answer to `dest` (a path or a text stream) as "jsonl"
        or "csv"; returns the number of rows."""
        rows = self.votes()
        if fmt not in ("jsonl", "csv"):
            raise ValueError(f"unknown export format {fmt!r}: use jsonl or csv")
        if isinstance(dest, (str, Path)):
            try:
                with open(dest, "w", encoding="utf-8", newline="") as fh:
                    _write(rows, fh, fmt)
            except OSError as exc:
                raise GuidepostError(f"could not write {dest}: {exc.strerror or exc}") from exc
        else:
            _write(rows, dest, fmt)
        return len(rows)


def _write(rows: list[dict[str, Any]], fh: IO[str], fmt: str) -> None:
    if fmt == "jsonl":
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    fields = list(rows[0]) if rows else [
        "answer_id", "vote", "user", "channel", "message_ts", "voted_at", "surface", "answered_at",
        "question", "standalone_question", "answer", "abstained", "abstention", "mode", "sources",
    ]  # fmt: skip
    writer = csv.DictWriter(fh, fieldnames=fields)
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "sources": json.dumps(row["sources"], ensure_ascii=False)})


def export_feedback(dest: str | Path | IO[str], fmt: str = "jsonl", *, data_dir: Path) -> int:
    """Export the votes stored in `data_dir` (see `FeedbackStore.export`)."""
    return FeedbackStore(data_dir).export(dest, fmt)


def _answer(row: sqlite3.Row) -> Answer:
    return Answer.from_record(
        {
            "question": row["question"],
            "text": row["answer"],
            "abstained": row["abstained"],
            "abstention": row["abstention"],
            "standalone_question": row["standalone_question"],
            "mode": row["mode"],
            "sources": json.loads(row["sources"] or "[]"),
        }
    )
