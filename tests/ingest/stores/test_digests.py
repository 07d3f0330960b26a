"""Planning digests kept per channel in `data_dir/digests.sqlite3`."""

from __future__ import annotations

from ingest.domain import Answer
from ingest.stores import DigestStore
from tests.slack.fake_engine import BOARD, GUIDE, UNCITED


def answer(q: str) -> Answer:
    return Answer(question=q, text="Five minutes [1]; row two [2].", abstained=False, sources=[GUIDE, BOARD, UNCITED])


def test_store_keeps_digests_per_channel_and_archives_on_clear(tmp_path) -> None:
    store = DigestStore(tmp_path)
    assert store.current("C1").entries == [] and store.clear("C1") == 0
    assert store.add("C1", "a1", answer("q1"), saved_by="U1") == (True, 1)
    assert store.add("C1", "a2", answer("q2"), saved_by="U2") == (True, 2)
    assert store.add("C1", "a1", answer("q1")) == (False, 2)
    assert store.add("C2", "a1", answer("q1")) == (True, 1)

    reopened = DigestStore(tmp_path)  # a restart
    d = reopened.current("C1")
    assert [e.answer_id for e in d.entries] == ["a1", "a2"] and d.number == 1 and d.started_at
    assert d.entries[0].answer.sources[0] == GUIDE  # every field of every source kept
    assert reopened.clear("C1") == 2
    assert reopened.current("C1").entries == [] and reopened.current("C1").number == 2
    assert reopened.add("C1", "a1", answer("q1")) == (True, 1)  # a new digest may hold it again
    assert len(reopened.current("C2").entries) == 1
