"""What the answer engine returns. Citations are data, not strings: renderers (terminal,
Slack Block Kit, Markdown digest) format them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Filters:
    """Restrict retrieval to part of the knowledge base."""

    type: str | None = None  # report | lesson_template | choice_board | guide | other
    grade: str | None = None  # "5", "K", "3-5"
    subject: str | None = None
    types: tuple[str, ...] = ()  # any of these types (a channel scope)
    subjects: tuple[str, ...] = ()  # any of these subjects (a channel scope)

    def is_empty(self) -> bool:
        return not (self.type or self.grade or self.subject or self.types or self.subjects)


@dataclass
class Source:
    n: int  # the number an answer cites as [n]
    title: str
    path: str  # file path, or where the document came from
    page: int | None
    section: str  # heading path, or "" when the document has none
    quote: str  # the line quoted in the citation: verbatim from `text`
    text: str  # the whole passage, verbatim from the document
    score: float
    doc_type: str = "other"
    doc_id: str = ""
    chunk_id: str = ""
    slide: int | None = None
    url: str | None = None  # a link a teacher can open, when there is one
    grade: str = ""
    subject: str = ""

    @property
    def location(self) -> str:
        """'p. 3', 'slide 4', or the section path."""
        if self.page:
            return f"p. {self.page}"
        if self.slide:
            return f"slide {self.slide}"
        return self.section

    @property
    def link(self) -> str:
        return self.url or self.path

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    question: str
    text: str  # with [n] markers naming `sources`
    abstained: bool
    sources: list[Source] = field(default_factory=list)
    standalone_question: str | None = None  # a follow-up rewritten with its conversation
    mode: str = "extractive"  # or "llm"
    support: float = 0.0  # how well the best passage supports the question (abstention score)
    timings_ms: dict[str, float] = field(default_factory=dict)

    def cited(self) -> list[Source]:
        """The sources the text names, in their numbered order."""
        import re

        used = {int(m) for m in re.findall(r"\[(\d+)\]", self.text)}
        return [s for s in self.sources if s.n in used]

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "sources": [s.to_dict() for s in self.sources],
        }


class AnswerEngine:
    """What the CLI and the Slack bot call. `bot.engine.answer.Engine` implements it; tests
    may subclass it with a fake."""

    def answer(
        self,
        question: str,
        filters: Filters | None = None,
        history: list[tuple[str, str]] | None = None,
    ) -> Answer:
        """Answer `question`. `history` is the conversation so far as (role, text) pairs,
        role "user" or "assistant", oldest first; a follow-up is rewritten with it."""
        raise NotImplementedError
