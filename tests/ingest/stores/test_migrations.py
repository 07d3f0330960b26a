"""Numbered migrations applied at open: a data dir made by an older Guidepost upgrades in place.

`data/v0/` holds the three SQLite files of a data dir as the code of commit 4951f48 wrote them,
before schema versions were kept (user_version 0): a catalog with two documents (one from a
folder, one from Slack) and their chunks and keyword index, two stored answers (one an
abstention worded by the engine) with a vote each, and planning digests in two channels (one
archived). The tests copy them, open them with today's stores and compare every row.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from ingest.domain import Answer, Filters
from ingest.errors import IndexUnavailable
from ingest.settings import Settings
from ingest.stores import DigestStore, FeedbackStore, KnowledgeBase, catalog, digests, feedback
from ingest.stores.sqlite import Database

V0 = Path(__file__).with_name("data") / "v0"


def snapshot(path: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table's columns and rows, read with plain sqlite3."""
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        out = {}
        for t in tables:
            cols = [r[1] for r in db.execute(f"PRAGMA table_info('{t}')")]
            out[t] = (cols, sorted(db.execute(f"SELECT * FROM '{t}'").fetchall(), key=repr))
    db.close()
    return out


def rows_kept(before: dict, after: dict, *, dropped: set[str] = frozenset()) -> None:
    """Each table of `before` (but `dropped`) still holds every row, in its old columns."""
    assert set(before) - set(after) == dropped
    for table, (cols, rows) in before.items():
        if table in dropped:
            continue
        new_cols, _ = after[table]
        assert new_cols[: len(cols)] == cols, table  # columns are only ever added
        columns = ", ".join(f'"{c}"' for c in cols)
        with sqlite3.connect(after["__path__"]) as db:
            kept = sorted(db.execute(f'SELECT {columns} FROM "{table}"').fetchall(), key=repr)
        db.close()
        assert kept == rows, table
        assert rows or table in ("journal",), f"the fixture's {table} table should not be empty"


@pytest.fixture
def old_data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(V0, data)
    return data


def test_a_data_dir_from_before_versions_upgrades_without_losing_a_row(old_data_dir: Path) -> None:
    before = {name: snapshot(old_data_dir / name) for name in (catalog.FILENAME, feedback.FILENAME, digests.FILENAME)}
    for name, tables in before.items():
        with sqlite3.connect(old_data_dir / name) as db:
            assert db.execute("PRAGMA user_version").fetchone()[0] == 0, name

    kb = KnowledgeBase(Settings(_env_file=None, data_dir=old_data_dir))
    answers = FeedbackStore(old_data_dir)
    notes = DigestStore(old_data_dir)

    # the index: every document, chunk and keyword row is there, and searchable
    assert kb.catalog.db.version == len(catalog.MIGRATIONS) == 5  # 3: sentence vectors and acronyms; 4: index_info; 5: by path
    assert kb.catalog.info("vector_space") is None  # made by torch: stamped by the next ingest
    plan = " ".join(str(r[3]) for r in kb.catalog.db.query(
        "EXPLAIN QUERY PLAN SELECT * FROM documents WHERE path >= ? AND path < ?", ("/a/", "/a0")))
    assert "documents_path" in plan, plan  # an unchanged re-run lists each folder's documents by the index
    assert kb.sentence_sums(list(kb.catalog.all_chunk_ids())) == {}  # re-embedded on the next ingest
    assert kb.alias_candidates("ET") == []
    assert {s.title: (s.type, s.grade) for s in kb.sources()} == {
        "Exit Ticket Routine": ("guide", "3-5"),
        "Grade 5 Fractions Choice Board": ("choice_board", "5"),
    }
    hits = kb.search_keyword(["exit", "tickets"], 5)
    assert hits and kb.chunks([hits[0][0]])[hits[0][0]].title == "Exit Ticket Routine"
    assert kb.search_keyword(["exit", "tickets"], 5, Filters(grade="5")) == hits  # 3-5 includes 5
    assert kb.search_keyword(["exit", "tickets"], 5, Filters(type="choice_board")) == []
    assert kb.find("slack:F0BOARD0001").extra["slack"]["added_by"] == "UCOACH"
    kb.close()

    # answers and votes: both answers read back as they were written, votes export
    assert answers.db.version == len(feedback.MIGRATIONS) >= 2
    (first,) = [a for a in answers.answers_by_message("C0001", ["1700000002.000100"]).values()]
    assert first.answer.text == "Exit tickets take five minutes [1]." and first.answer.sources[0].title == "Exit Ticket Routine"
    assert first.answer.abstention is None
    votes = answers.votes()
    assert [(v["user"], v["vote"]) for v in votes] == [("UTEACH", "up"), ("UOTHER", "down")]
    old_abstention = next(v for v in votes if v["vote"] == "down")
    assert old_abstention["abstained"] is True and old_abstention["answer"].startswith("I couldn't find anything")
    assert old_abstention["abstention"] is None  # written before reasons were stored

    # digests: the current ones and the archived one
    assert notes.db.version == len(digests.MIGRATIONS)
    assert [e.answer.question for e in notes.current("C0001").entries] == ["How long are exit tickets?"]
    c2 = notes.current("C0002")
    assert c2.number == 2 and [e.answer_id for e in c2.entries] == ["a-new"]

    answers.db.close()
    notes.db.close()
    for name, tables in before.items():
        after = {**snapshot(old_data_dir / name), "__path__": old_data_dir / name}
        rows_kept(tables, after, dropped={"meta"} if name == catalog.FILENAME else set())

    # and the upgraded stores take new writes in the new shape
    again = FeedbackStore(old_data_dir)
    aid = again.record_answer(Answer("q", "", abstained=True, abstention="empty_index"), surface="dm", channel="D1")
    assert again.get_answer(aid).answer.abstention == "empty_index"  # type: ignore[union-attr]


def test_migrations_run_once_and_a_failed_one_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    Database(path, ["CREATE TABLE t (a INTEGER);", "INSERT INTO t VALUES (1);"]).query("SELECT 1")
    reopened = Database(path, ["CREATE TABLE t (a INTEGER);", "INSERT INTO t VALUES (1);"])
    assert reopened.version == 2 and reopened.query("SELECT a FROM t", row=tuple) == [(1,)]  # not inserted twice
    reopened.close()

    broken = Database(path, ["-", "-", "INSERT INTO t VALUES (2);\nINSERT INTO nowhere VALUES (3);"])
    with pytest.raises(sqlite3.OperationalError):
        broken.query("SELECT 1")
    fine = Database(path, ["-", "-"])
    assert fine.version == 2 and fine.query("SELECT a FROM t", row=tuple) == [(1,)]  # the 2 was rolled back


def test_a_database_from_a_newer_guidepost_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    Database(path, ["CREATE TABLE t (a INTEGER);", "SELECT 1;", "SELECT 1;"]).query("SELECT 1")
    with pytest.raises(IndexUnavailable, match="newer version of Guidepost"):
        Database(path, ["CREATE TABLE t (a INTEGER);"]).query("SELECT 1")


def test_two_openers_at_once_migrate_once(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    migrations = ["CREATE TABLE t (a INTEGER);", "INSERT INTO t VALUES (1);"]
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def open_it() -> None:
        start.wait()
        try:
            Database(path, migrations).query("SELECT 1")
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert Database(path, migrations).query("SELECT COUNT(*) FROM t", row=tuple) == [(1,)]


def test_documents_under_a_folder_are_found_by_path_prefix_only(tmp_path: Path) -> None:
    """`Catalog.under` (the documents an ingest of a folder may prune) reads a range of the
    path index: a sibling folder whose name starts the same, or differs only in case, is not
    under it."""
    kb = KnowledgeBase(Settings(_env_file=None, data_dir=tmp_path / "data"))
    with kb.catalog.db.transaction() as tx:
        for i, path in enumerate(["/d/docs/a.md", "/d/docs/sub/b.md", "/d/docs2/c.md", "/d/Docs/d.md", "/d/docs"]):
            tx.execute("""INSERT INTO documents(doc_id, source_key, path, title, fmt, content_hash, version, type, grade,
                          grade_min, grade_max, subject, chunks, size, added_at, updated_at)
                          VALUES (?, ?, ?, 't', 'md', 'h', 'v', 'guide', '', 0, 12, '', 0, 0, 0, 0)""",
                       (f"d{i}", path, path))  # fmt: skip
    assert sorted(s.path for s in kb.sources_under(Path("/d/docs"))) == ["/d/docs/a.md", "/d/docs/sub/b.md"]
    assert [s.path for s in kb.sources_under(Path("/d/docs/sub/"))] == ["/d/docs/sub/b.md"]
    kb.close()
