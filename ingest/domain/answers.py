"""What the answer engine returns. Citations are data, not strings, and so is an abstention's
reason: renderers (terminal, Slack Block Kit, Markdown digest) turn both into words."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .tags import Filters

# Why an answer abstained: the knowledge base holds nothing yet, or nothing in it supports the
# question well enough to quote.
Abstention = Literal["empty_index", "no_support"]

_CITATION = re.compile(r"\[(\d+)\]")


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
    standards: tuple[str, ...] = ()  # the standard codes its document is tagged with (shown on the citation)

    @property
    def page_or_slide(self) -> str:
        """'p. 3', 'slide 4', or '' when the document has neither."""
        if self.page:
            return f"p. {self.page}"
        if self.slide:
            return f"slide {self.slide}"
        return ""

    @property
    def location(self) -> str:
        """'p. 3', 'slide 4', or the section path."""
        return self.page_or_slide or self.section

    @property
    def link(self) -> str:
        return self.url or self.path

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Source:
        """A source read back from storage; keys this version does not know are ignored."""
        kept = {k: v for k, v in data.items() if k in _SOURCE_FIELDS}
        if "standards" in kept:  # a JSON list read back: the tuple it was
            kept["standards"] = tuple(kept["standards"] or ())
        return cls(**kept)


_SOURCE_FIELDS = frozenset(f.name for f in dataclasses.fields(Source))


@dataclass
class Answer:
    question: str
    text: str  # with [n] markers naming `sources`; "" for an abstention the engine left to renderers
    abstained: bool
    sources: list[Source] = field(default_factory=list)
    standalone_question: str | None = None  # a follow-up rewritten with its conversation
    mode: str = "extractive"  # or "llm"
    support: float = 0.0  # how well the best passage supports the question (abstention score)
    timings_ms: dict[str, float] = field(default_factory=dict)
    abstention: Abstention | None = None  # why it abstained, when the engine says
    fallback_reason: str | None = None  # why a configured chat model's answer was not used
    grounding: dict[str, Any] | None = None  # what the grounding check did to a written answer

    def __post_init__(self) -> None:
        if self.abstention is not None:
            self.abstained = True

    def cited(self) -> list[Source]:
        """The sources the text names, in their numbered order."""
        used = {int(m) for m in _CITATION.findall(self.text)}
        return sorted((s for s in self.sources if s.n in used), key=lambda s: s.n)

    def number_by_citation(self) -> None:
        """Renumber the sources so that those the text cites are [1], [2], ... (the reader sees
        [1] and [2], not [1] and [3] with [2] hidden), in their old order; the uncited ones
        follow. The text's markers are rewritten to match; the list keeps its (ranked) order."""
        known = {s.n for s in self.sources}
        cited = sorted({int(m) for m in _CITATION.findall(self.text)} & known)
        order = cited + sorted(known - set(cited))
        new = {old: i + 1 for i, old in enumerate(order)}
        if all(old == n for old, n in new.items()):
            return
        self.text = _CITATION.sub(lambda m: f"[{new[int(m.group(1))]}]" if int(m.group(1)) in new else m.group(0), self.text)
        for s in self.sources:
            s.n = new[s.n]

    def shown_sources(self) -> list[Source]:
        """The sources to show under the answer: those it cites, or all of them when it cites
        none by number (an LLM answer may not)."""
        return self.cited() or list(self.sources)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "sources": [s.to_dict() for s in self.sources],
        }

    def to_record(self) -> dict[str, Any]:
        """Everything worth keeping (the stores write this as JSON): `from_record` reads it back."""
        return {
            "question": self.question,
            "text": self.text,
            "abstained": self.abstained,
            "abstention": self.abstention,
            "standalone_question": self.standalone_question,
            "mode": self.mode,
            "sources": [s.to_dict() for s in self.sources],
        }

    @classmethod
    def from_record(cls, d: dict[str, Any]) -> Answer:
        return cls(
            question=d.get("question") or "",
            text=d.get("text") or "",
            abstained=bool(d.get("abstained")),
            abstention=d.get("abstention"),
            sources=[Source.from_dict(s) for s in d.get("sources") or []],
            standalone_question=d.get("standalone_question"),
            mode=d.get("mode") or "extractive",
        )


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

    def answer_streaming(
        self,
        question: str,
        filters: Filters | None = None,
        history: list[tuple[str, str]] | None = None,
        *,
        on_token: Callable[[str], None],
    ) -> Answer:
        """As `answer`, telling `on_token` the written answer's text as it comes (when a chat
        model writes it). The returned answer is final: it may differ from what was streamed."""
        return self.answer(question, filters, history)

    def warm(self) -> None:
        """Load what the first question would otherwise wait for (the bot calls it at start)."""

    def index_changed(self) -> None:
        """Documents were added or removed while running (to drop cached statistics)."""
