"""Planning digests: answers a design team saved, per channel, in `data_dir/digests.sqlite3`.

Each saved answer is kept whole (question, text, every source with its quote and link), so an
export made months later still carries its numbered citations. `clear` starts a new digest;
the old one stays in the database (archived), it is simply no longer the current one.

No Slack here: the bot, the CLI or a script can read and export digests alike.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .engine.types import Answer, Source
from .sqlite_file import SqliteFile
from .render import to_markdown

FILENAME = "digests.sqlite3"

_SCHEMA = """
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
    answer TEXT NOT NULL,             -- the whole answer as JSON, sources included
    PRIMARY KEY (channel, number, answer_id)
);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def answer_to_json(answer: Answer) -> str:
    return json.dumps(
        {
            "question": answer.question,
            "text": answer.text,
            "abstained": answer.abstained,
            "standalone_question": answer.standalone_question,
            "mode": answer.mode,
            "sources": [s.to_dict() for s in answer.sources],
        },
        ensure_ascii=False,
    )


def answer_from_json(data: str) -> Answer:
    d = json.loads(data)
    known = {f.name for f in dataclasses.fields(Source)}
    return Answer(
        question=d.get("question", ""),
        text=d.get("text", ""),
        abstained=bool(d.get("abstained")),
        sources=[Source(**{k: v for k, v in s.items() if k in known}) for s in d.get("sources") or []],
        standalone_question=d.get("standalone_question"),
        mode=d.get("mode") or "extractive",
    )


@dataclass
class DigestEntry:
    answer_id: str
    answer: Answer
    saved_by: str | None
    saved_at: str  # ISO 8601, UTC


@dataclass
class Digest:
    channel: str
    number: int
    started_at: str | None  # None: nothing was ever saved in this channel
    entries: list[DigestEntry] = field(default_factory=list)


class DigestStore:
    """The digests of one data dir. One short-lived connection per operation: safe from any
    thread."""

    def __init__(self, data_dir: Path) -> None:
        self._file = SqliteFile(Path(data_dir) / FILENAME, _SCHEMA)
        self.path = self._file.path

    def _db(self):
        return self._file.connect()

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
        started = _now()
        db.execute("INSERT INTO digests (channel, number, started_at) VALUES (?, ?, ?)", (channel, number, started))
        return number, started

    def add(self, channel: str, answer_id: str, answer: Answer, *, saved_by: str | None = None) -> tuple[bool, int]:
        """Save `answer` to the channel's current digest. Returns (added, entries now); saving
        the same answer twice keeps one copy (added is then False)."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            number, _ = self._current(db, channel, create=True)
            cur = db.execute(
                "INSERT OR IGNORE INTO entries (channel, number, answer_id, saved_by, saved_at, answer)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (channel, number, answer_id, saved_by, _now(), answer_to_json(answer)),
            )
            count = db.execute(
                "SELECT COUNT(*) AS n FROM entries WHERE channel = ? AND number = ?", (channel, number)
            ).fetchone()["n"]
        return cur.rowcount == 1, count

    def current(self, channel: str) -> Digest:
        """The channel's current digest, oldest saved answer first."""
        if not self.path.exists():
            return Digest(channel, 1, None)
        with self._db() as db:
            number, started = self._current(db, channel, create=False)
            rows = db.execute(
                "SELECT * FROM entries WHERE channel = ? AND number = ? ORDER BY saved_at, rowid", (channel, number)
            ).fetchall()
        entries = [DigestEntry(r["answer_id"], answer_from_json(r["answer"]), r["saved_by"], r["saved_at"]) for r in rows]
        return Digest(channel, number, started, entries)

    def clear(self, channel: str) -> int:
        """Archive the current digest (the next save starts a new one); returns how many
        answers it held."""
        if not self.path.exists():
            return 0
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute(
                "SELECT number FROM digests WHERE channel = ? AND cleared_at IS NULL", (channel,)
            ).fetchone()
            if row is None:
                return 0
            n = db.execute(
                "SELECT COUNT(*) AS n FROM entries WHERE channel = ? AND number = ?", (channel, row["number"])
            ).fetchone()["n"]
            db.execute(
                "UPDATE digests SET cleared_at = ? WHERE channel = ? AND number = ?", (_now(), channel, row["number"])
            )
        return n


def digest_markdown(
    digest: Digest,
    *,
    title: str = "Planning notes",
    names: Mapping[str, str] | None = None,
    exported_at: datetime | None = None,
) -> str:
    """The digest as a Markdown document: every saved answer with its numbered citations
    (title, page or section, quote, link). `names` maps user ids to display names."""
    names = names or {}
    when = (exported_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    n = len(digest.entries)
    lines = [f"# {title}", ""]
    meta = [f"{n} saved answer{'s' if n != 1 else ''}"]
    if digest.started_at:
        meta.append(f"started {digest.started_at[:10]}")
    meta.append(f"exported {when}")
    lines += ["_" + " · ".join(meta) + "_", ""]
    if not digest.entries:
        lines += ["No answers have been saved yet.", ""]
    for i, entry in enumerate(digest.entries, start=1):
        who = names.get(entry.saved_by or "", entry.saved_by or "someone")
        lines += ["---", "", f"## {i}. {_one_line(entry.answer.question) or 'Saved answer'}", ""]
        lines += [f"_Saved by {who} on {entry.saved_at[:10]}_", ""]
        body = to_markdown(entry.answer, heading_level=2)
        lines.append(body.split("\n", 1)[1].lstrip("\n") if body.startswith("## ") else body)
    return "\n".join(lines).rstrip() + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())

