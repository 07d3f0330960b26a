"""Grouping unanswered questions by meaning: the clustering on vectors we control, then the real
encoder on the shared out-of-scope questions and rewordings of them."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from ingest.gaps import GapQuestion, cluster, group_gaps
from tests.ingest.gap_questions import PARAPHRASES, labelled, shared_out_of_scope

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def q(text: str, hours: int, channel: str | None = "C1") -> GapQuestion:
    return GapQuestion(text, T0 + timedelta(hours=hours), channel=channel)


def unit(*rows: list[float]) -> np.ndarray:
    m = np.array(rows, dtype=np.float64)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


# --- the clustering, on vectors whose similarities are known -------------------------------------


def test_groups_count_example_and_newest_first_order():
    questions = [q("pw reset", 0), q("weather", 1), q("pw forgot", 5), q("pw locked out", 3)]
    vectors = unit([1, 0.1, 0], [0, 0, 1], [1, 0.3, 0], [1, 0.2, 0])
    groups = group_gaps(questions, vectors)
    assert [g.count for g in groups] == [3, 1]  # the password group has the newest question (hour 5)
    pw = groups[0]
    assert [x.text for x in pw.questions] == ["pw forgot", "pw locked out", "pw reset"]
    assert pw.example.text == "pw locked out"  # the middle one is most like the other two
    assert pw.handled is False
    assert pw.to_dict() == {
        "count": 3,
        "example": "pw locked out",
        "questions": ["pw forgot", "pw locked out", "pw reset"],
        "handled": False,
    }
    assert groups[1].to_dict()["questions"] == ["weather"] and groups[1].similarity == 1.0


def test_groups_are_ordered_by_their_newest_question():
    questions = [q("a1", 10), q("b1", 1), q("a2", 0), q("b2", 20)]
    vectors = unit([1, 0], [0, 1], [1, 0.05], [0.05, 1])
    assert [g.example.text[0] for g in group_gaps(questions, vectors)] == ["b", "a"]


def test_average_linkage_does_not_chain_through_a_middle_question():
    # a~b 0.6 and b~c 0.6, but a and c are unrelated: single linkage would make one group.
    sim = np.array([[1.0, 0.6, 0.0], [0.6, 1.0, 0.6], [0.0, 0.6, 1.0]])
    assert sorted(map(sorted, cluster(sim, 0.45))) == [[0, 1], [2]]
    assert sorted(map(sorted, cluster(sim, 0.25))) == [[0, 1, 2]]  # mean 0.4 when the bar is lower


def test_the_threshold_is_a_bar_on_mean_similarity():
    sim = np.array([[1.0, 0.5], [0.5, 1.0]])
    assert cluster(sim, 0.5) == [[0, 1]]
    assert cluster(sim, 0.51) == [[0], [1]]


def test_edge_cases():
    assert group_gaps([], np.zeros((0, 384))) == []
    (only,) = group_gaps([q("alone", 0)], unit([1, 0]))
    assert only.count == 1 and only.example.text == "alone"
    groups = group_gaps([q("zero", 0), q("other", 1)], np.array([[0.0, 0.0], [1.0, 0.0]]))
    assert len(groups) == 2  # a zero vector is like nothing, and does not crash
    with pytest.raises(ValueError, match="2 questions but 1 vectors"):
        group_gaps([q("a", 0), q("b", 1)], unit([1, 0]))


def test_question_records_serialise():
    record = GapQuestion("How?", T0, channel="C9", reason="thumbs_down", id="g1").to_dict()
    assert record == {"id": "g1", "text": "How?", "asked_at": "2026-11-02T09:00:00+00:00", "channel": "C9", "reason": "thumbs_down"}


# --- the real encoder on the shared questions ---------------------------------------------------------


def pairs(groups: list[list[int]]) -> set[frozenset[int]]:
    return {frozenset(p) for g in groups for p in itertools.combinations(g, 2)}


def test_rewordings_of_one_question_group_together_and_topics_stay_apart(shared, encoder):
    texts, labels = labelled(shared)
    assert len(set(labels)) == 18 and len(texts) == 18 + sum(map(len, PARAPHRASES.values()))
    vectors = encoder.encode(texts)
    groups = group_gaps([q(t, i) for i, t in enumerate(texts)], vectors)
    by_label = {label: {i for i, x in enumerate(labels) if x == label} for label in set(labels)}
    for label, members in by_label.items():
        holding = [g for g in groups if members & set(g.members)]
        assert len(holding) == 1, f"the wordings of {label} were split: {[g.to_dict() for g in holding]}"
    mixed = [g for g in groups if len({labels[i] for i in g.members}) > 1]
    # the one merge allowed: two legal questions about students with disabilities (IEP, Section 504)
    assert [sorted({labels[i] for i in g.members}) for g in mixed] in ([], [["psx03", "ptx06"]])
    together, same = pairs([g.members for g in groups]), pairs(list(by_label.values()))
    assert len(together & same) / len(together) >= 0.95


def test_the_shared_out_of_scope_questions_stay_mostly_apart(shared, encoder):
    oos = shared_out_of_scope(shared)
    assert len(oos) == 18
    questions = [q(text, i) for i, (_, text) in enumerate(oos)]
    groups = group_gaps(questions, encoder.encode([x.text for x in questions]))
    assert len(groups) >= 17
    assert sum(g.count for g in groups) == 18
    assert groups[0].questions[0].text == oos[-1][1]  # the newest question's group comes first

