"""A document as the loaders read it, and the chunks the index stores."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .tags import Tags


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
