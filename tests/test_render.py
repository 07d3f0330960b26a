"""The terminal and Markdown renderers (the planning digest export among them)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.render import answer_json, digest_markdown, to_terminal
from ingest.domain import Answer
from ingest.stores import DigestStore
from tests.slack.fake_engine import BOARD, GUIDE


def test_markdown_numbers_citations_as_the_answer_does(tmp_path) -> None:
    store = DigestStore(tmp_path)
    only_second = Answer(question="Early finishers?", text="Row two [2].", abstained=False, sources=[GUIDE, BOARD])
    store.add("C1", "a1", only_second, saved_by="U1")
    md = digest_markdown(store.current("C1"), title="Planning notes — #g5", names={"U1": "Ana"},
                         exported_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC))  # fmt: skip
    assert md.startswith("# Planning notes — #g5\n\n_1 saved answer · started ")
    assert "exported 2024-05-01 12:00 UTC_" in md and "_Saved by Ana on " in md
    assert "## 1. Early finishers?" in md and "Row two [2]." in md
    assert "- [2] **Grade 5 Fractions Choice Board**" in md and "[1]" not in md.split("Row two [2].")[1]


@pytest.mark.parametrize(
    ("reason", "scoped", "words"),
    [
        ("empty_index", False, "The knowledge base is empty, so there is nothing to answer from yet. Ask Ms. R to add documents"),
        ("no_support", False, "I couldn't find anything in the knowledge base that answers this, so I won't guess."),
        ("no_support", True, "I couldn't find anything in the knowledge base (in the part of it searched here) that answers"),
    ],
)
def test_an_abstention_is_worded_by_the_renderer_with_the_cli_commands(reason: str, scoped: bool, words: str) -> None:
    ans = Answer(question="Who won the 1962 spelling bee?", text="", abstained=True, abstention=reason)  # type: ignore[arg-type]
    shown = to_terminal(ans, help_contact="Ms. R", scoped=scoped)
    assert shown.startswith("Q: Who won the 1962 spelling bee?") and words in " ".join(shown.split())
    assert "`guidepost ingest PATH`" in " ".join(shown.split()) and "Sources:" not in shown
    out = answer_json(ans, help_contact="Ms. R", scoped=scoped)
    assert set(out) == {"question", "answer", "abstained", "sources", "writer", "fallback_reason", "grounding"} and out["abstained"] is True
    assert out["writer"] == "extractive" and out["fallback_reason"] is None
    assert words in out["answer"]


def test_an_answer_with_its_own_words_keeps_them() -> None:
    ans = Answer(question="q", text="Five minutes [1].", abstained=False, sources=[GUIDE, BOARD])
    assert answer_json(ans)["answer"] == "Five minutes [1]."
    shown = to_terminal(ans)
    assert "[1] Exit Ticket Routine, p. 3" in shown and "Grade 5 Fractions" not in shown  # only what it cites
