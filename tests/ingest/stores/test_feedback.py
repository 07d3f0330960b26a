"""Answers the bot posted and the votes on them (`data_dir/feedback.sqlite3`)."""

from __future__ import annotations

import csv
import io
import json

from ingest.domain import Answer
from ingest.stores.feedback import FILENAME, FeedbackStore, export_feedback
from tests.slack.fake_engine import BOARD, GUIDE


def sample() -> Answer:
    return Answer(question="How long?", text="Five minutes [1].", abstained=False, sources=[GUIDE, BOARD],
                  standalone_question="How long are exit tickets?")  # fmt: skip


def test_store_is_created_lazily(tmp_path) -> None:
    store = FeedbackStore(tmp_path / "data")
    assert not (tmp_path / "data").exists()
    assert store.votes() == []
    store.record_answer(sample(), surface="mention", channel="C1", question_ts="1.1", thread_ts="1.1")
    assert (tmp_path / "data" / FILENAME).exists()


def test_answer_round_trips_with_its_sources(tmp_path) -> None:
    store = FeedbackStore(tmp_path)
    aid = store.record_answer(sample(), surface="dm", user="U1", channel="D1", question_ts="5.5", message_ts="5.6")
    got = store.get_answer(aid)
    assert got is not None and got.answer == sample()
    assert store.answer_for_question("D1", "5.5").id == aid
    assert store.answers_by_message("D1", ["5.6"])["5.6"].id == aid
    assert store.get_answer("missing") is None


def test_threads_the_bot_answered(tmp_path) -> None:
    store = FeedbackStore(tmp_path)
    store.record_answer(sample(), surface="mention", channel="C1", question_ts="1.0", thread_ts="1.0")
    assert store.answered_in_thread("C1", "1.0")
    assert not store.answered_in_thread("C1", "2.0")
    assert not store.answered_in_thread("C2", "1.0")


def test_votes_are_one_per_user_and_exported_with_the_answer(tmp_path) -> None:
    store = FeedbackStore(tmp_path)
    aid = store.record_answer(sample(), surface="mention", user="U1", channel="C1", question_ts="1.0")
    store.record_vote(aid, user="U2", vote="up", channel="C1", message_ts="1.1")
    store.record_vote(aid, user="U2", vote="down", channel="C1", message_ts="1.1")  # changed their mind
    store.record_vote(aid, user="U3", vote="up", channel="C1", message_ts="1.1")

    out = tmp_path / "votes.jsonl"
    assert export_feedback(out, data_dir=tmp_path) == 2
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["user"], r["vote"]) for r in rows] == [("U2", "down"), ("U3", "up")]
    row = rows[0]
    assert row["question"] == "How long?" and row["answer"] == "Five minutes [1]."
    assert row["standalone_question"] == "How long are exit tickets?"
    assert [s["title"] for s in row["sources"]] == ["Exit Ticket Routine", "Grade 5 Fractions Choice Board"]
    assert row["sources"][0]["page"] == 3 and row["surface"] == "mention"

    buf = io.StringIO()
    store.export(buf, fmt="csv")
    parsed = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert len(parsed) == 2 and json.loads(parsed[1]["sources"])[1]["doc_type"] == "choice_board"
