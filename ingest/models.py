"""Plain data types shared by loaders, the chunker, the index and the answer engine."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InvalidTags

DOC_TYPES = ("report", "lesson_template", "choice_board", "guide", "other")

_TYPE_ALIASES = {
    "lesson": "lesson_template",
    "lesson-template": "lesson_template",
    "lesson template": "lesson_template",
    "template": "lesson_template",
    "choice-board": "choice_board",
    "choice board": "choice_board",
    "choiceboard": "choice_board",
    "board": "choice_board",
    "reports": "report",
    "research": "report",
    "guides": "guide",
}

_GRADE_WORDS = {"k": 0, "kindergarten": 0, "pk": 0, "prek": 0, "pre-k": 0}


def normalize_type(value: str | None) -> str | None:
    if value is None or str(value).strip() == "":
        return None
    v = str(value).strip().lower()
    v = _TYPE_ALIASES.get(v, v).replace("-", "_").replace(" ", "_")
    if v not in DOC_TYPES:
        raise InvalidTags(f"unknown document type {value!r}: use one of {', '.join(DOC_TYPES)}")
    return v


def _grade_number(token: str, original: str) -> int:
    t = token.strip().lower()
    t = re.sub(r"(st|nd|rd|th)$", "", t)
    t = t.removeprefix("grade").removeprefix("gr").strip()
    if t in _GRADE_WORDS:
        return _GRADE_WORDS[t]
    if t.isdigit() and 0 <= int(t) <= 12:
        return int(t)
    raise InvalidTags(f"unknown grade {original!r}: use K, 1-12 or a range such as 3-5")


def parse_grade(value: str | int | None) -> tuple[str, int, int] | None:
    """'5' -> ('5', 5, 5); 'K-2' -> ('K-2', 0, 2); '9–12' -> ('9-12', 9, 12)."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip().replace("–", "-").replace("—", "-")
    parts = [p for p in re.split(r"\s*(?:-|to)\s*", text, maxsplit=1) if p]
    lo = _grade_number(parts[0], str(value))
    hi = _grade_number(parts[1], str(value)) if len(parts) > 1 else lo
    if hi < lo:
        raise InvalidTags(f"grade range {value!r} runs backwards")
    label = lambda g: "K" if g == 0 else str(g)  # noqa: E731
    return (label(lo) if lo == hi else f"{label(lo)}-{label(hi)}"), lo, hi


def normalize_subject(value: str | None) -> str | None:
    if value is None or str(value).strip() == "":
        return None
    v = re.sub(r"\s+", " ", str(value).strip().lower())
    return {"maths": "math", "mathematics": "math", "cs": "computer science", "ela": "english language arts"}.get(v, v)


@dataclass(frozen=True)
class Tags:
    """What a coach says about a document: its type, grade band and subject."""

    type: str | None = None
    grade: str | None = None
    subject: str | None = None

    @classmethod
    def parse(cls, type: str | None = None, grade: str | int | None = None, subject: str | None = None) -> "Tags":
        g = parse_grade(grade)
        return cls(normalize_type(type), g[0] if g else None, normalize_subject(subject))

    def merged_over(self, base: "Tags") -> "Tags":
        """These tags, with gaps filled from `base`."""
        return Tags(self.type or base.type, self.grade or base.grade, self.subject or base.subject)

    def metadata(self) -> dict[str, Any]:
        g = parse_grade(self.grade)
        return {
            "type": self.type or "other",
            "grade": self.grade or "",
            # An untagged document applies to every grade.
            "grade_min": g[1] if g else 0,
            "grade_max": g[2] if g else 12,
            "subject": self.subject or "",
        }


@dataclass
class Section:
    """A structural unit of a document: a page, a slide, or a run of text under one heading."""

    text: str
    page: int | None = None  # 1-based
    slide: int | None = None  # 1-based
    heading: tuple[str, ...] = ()
    start: int = 0  # character offset of `text` within Document.text


@dataclass
class Document:
    path: Path | None
    title: str
    sections: list[Section]
    tags: Tags = field(default_factory=Tags)
    source_key: str = ""  # identity: an absolute path, or e.g. "slack:F123"
    content_hash: str = ""  # sha256 of the raw bytes
    url: str | None = None  # a link a teacher can open (a Slack permalink, a web page)
    fmt: str = ""  # "pdf", "docx", ...
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n\n".join(s.text for s in self.sections)

    @property
    def doc_id(self) -> str:
        return doc_id_for(self.source_key or str(self.path))

    def layout(self) -> None:
        """Set each section's character offset within `text`."""
        pos = 0
        for s in self.sections:
            s.start = pos
            pos += len(s.text) + 2


def doc_id_for(source_key: str) -> str:
    return "d" + hashlib.sha256(source_key.encode("utf-8")).hexdigest()[:15]


@dataclass
class Chunk:
    """A piece of a document small enough for the encoder to see whole."""

    doc_id: str
    ord: int
    text: str  # verbatim slice of the document text: what is stored and quoted
    embed_text: str  # what the encoder sees: a title/heading prefix plus `text`
    char_start: int
    char_end: int
    page: int | None = None
    slide: int | None = None
    heading: tuple[str, ...] = ()
    tokens: int = 0  # word-pieces of embed_text
    # Where each section that the chunk touches begins, as (offset in `text`, heading path):
    # the section of a quoted line is the last entry at or before the quote's offset.
    section_starts: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)
    # The sentences, list items, table rows and headings of `text`, as (start, end) offsets in
    # it: each gets a vector of its own (see Encoder.encode_with_spans).
    units: list[tuple[int, int]] = field(default_factory=list)

    @property
    def section(self) -> str:
        return " › ".join(self.heading)

    @property
    def key(self) -> str:
        return hashlib.sha256(self.embed_text.encode("utf-8")).hexdigest()[:16]
