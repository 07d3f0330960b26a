"""A fake answer engine: a real `AnswerEngine` subclass returning real `Answer`s, chosen by
words in the question."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

from ingest.domain import Answer, AnswerEngine, Filters, Source
from ingest.errors import IndexUnavailable

EVIL_TEXT = "Reminder <!channel>: ask <@U123> first, then <http://evil.example|click here> & win."

GUIDE = Source(
    n=1,
    title="Exit Ticket Routine",
    path="knowledge/guides/exit-tickets.pdf",
    page=3,
    section="Routines › Closing",
    quote="Exit tickets take five minutes at the end of the lesson.",
    text="Exit tickets take five minutes at the end of the lesson. Collect them at the door.",
    score=0.82,
    doc_type="guide",
    url="https://docs.example.org/exit-tickets?id=1&page=3",
)
BOARD = Source(
    n=2,
    title="Grade 5 Fractions Choice Board",
    path="knowledge/boards/fractions.docx",
    page=None,
    section="Early finishers",
    quote="Early finishers pick any square in row two.",
    text="Early finishers pick any square in row two.",
    score=0.71,
    doc_type="choice_board",
)
UNCITED = Source(
    n=3, title="Unrelated Report", path="knowledge/report.pdf", page=9, section="", quote="Nothing.",
    text="Nothing.", score=0.2,
)  # fmt: skip
EVIL = Source(
    n=1,
    title="Staff memo <!here>",
    path="knowledge/memo.txt",
    page=None,
    section="Announcements <@U999>",
    quote=EVIL_TEXT,
    text=EVIL_TEXT,
    score=0.9,
)


class FakeEngine(AnswerEngine):
    """Question words pick the behaviour: "explode" raises, "unindexed" raises a domain
    error, "unknowable" abstains, "evil" quotes a document full of Slack markup, "slow"
    takes `slow_seconds`. Every answer costs `cost` seconds."""

    def __init__(self, *, cost: float = 0.0, slow_seconds: float = 1.0, token_delay: float = 0.0) -> None:
        self.cost = cost
        self.token_delay = token_delay
        self.slow_seconds = slow_seconds
        self.calls: list[tuple[str, Filters | None, list[tuple[str, str]] | None]] = []
        self._lock = threading.Lock()

    def answer_streaming(
        self,
        question: str,
        filters: Filters | None = None,
        history: list[tuple[str, str]] | None = None,
        *,
        on_token: Callable[[str], None],
    ) -> Answer:
        """"written" in the question: the answer comes as a chat model's, streamed word by word
        (`token_delay` apart); "trimmed" also drops its last sentence afterwards (as the
        grounding check would); "too slow" streams nothing and falls back to the quoted answer."""
        ans = self.answer(question, filters, history)
        q = question.lower()
        if "written" not in q or ans.abstained:
            return ans
        if "too slow" in q:
            ans.fallback_reason = "timeout"
            return ans
        for i, word in enumerate(re.findall(r"\S+\s*", ans.text)):
            if i and self.token_delay:
                time.sleep(self.token_delay)
            on_token(word)
        ans.mode = "llm"
        ans.grounding = {"outcome": "passed"}
        if "trimmed" in q:
            ans.text = ans.text.split(". ")[0] + "."
            ans.grounding = {"outcome": "trimmed"}
        return ans

    def answer(
        self,
        question: str,
        filters: Filters | None = None,
        history: list[tuple[str, str]] | None = None,
    ) -> Answer:
        with self._lock:
            self.calls.append((question, filters, history))
        if self.cost:
            time.sleep(self.cost)
        q = question.lower()
        if "slow" in q:
            time.sleep(self.slow_seconds)
        if "explode" in q:
            raise RuntimeError("the vector store fell over")
        if "unindexed" in q:
            raise IndexUnavailable("The knowledge base is empty: a coach needs to add documents first.")
        standalone = None
        if history:
            standalone = f"{question} (about: {history[0][1]})"
        if "uncovered" in q:  # an abstention with the closest material found
            return Answer(question=question, text="", abstained=True, sources=[GUIDE, BOARD], abstention="no_support",
                          standalone_question=standalone)  # fmt: skip
        if "unknowable" in q:
            return Answer(question=question, text="", abstained=True, sources=[], standalone_question=standalone)
        if "evil" in q:
            return Answer(
                question=question,
                text=f"The memo says: {EVIL_TEXT} [1]",
                abstained=False,
                sources=[EVIL],
                standalone_question=standalone,
            )
        return Answer(
            question=question,
            text="Exit tickets take five minutes at the end of the lesson [1]. "
            "Early finishers use the choice board [2].",
            abstained=False,
            sources=[GUIDE, BOARD, UNCITED],
            standalone_question=standalone,
        )


def from_settings(settings: object) -> FakeEngine:
    """For server processes started by tests and benches (`GUIDEPOST_ENGINE_FACTORY=
    tests.slack.fake_engine:from_settings`): every answer costs `FAKE_ENGINE_COST` seconds."""
    import os

    return FakeEngine(cost=float(os.environ.get("FAKE_ENGINE_COST", "0")))
