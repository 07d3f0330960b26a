"""Structure-aware chunking.

A chunk never crosses a page or a slide (citations name one), prefers to end at a section
boundary, is built from whole sentences (or list items, table rows, headings), and is measured
in the encoder's own word-pieces so that the model sees all of it, title prefix included.
The stored text of a chunk is a verbatim slice of the document's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from .domain import Chunk, Document

# 4: a heading line is a block of its own; chunks carry their sentence spans (sentence vectors).
# 5: no sentence ends after a title or an initial ("Mr. Okafor", "J. Rivera", "e.g."); a Word or web
#    page heading (no `#`) is a block of its own, like a Markdown one.
CHUNKER_VERSION = "5"
PREFIX_MAX_TOKENS = 40

TokenCounter = Callable[[Sequence[str]], list[int]]

# A line that starts a new block: a heading, list item, quote, table row or numbered step.
_BLOCK_START = re.compile(r"^[ \t]*(?:#{1,6}\s|[*+\-•◦▪>|]|\d{1,3}[.)]\s|[A-Za-z][.)]\s)")
_HEADING_LINE = re.compile(r"^[ \t]*#{1,6}\s")
# A sentence ends at . ! ? (or …) followed by space and something that can start a sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9*])")
# A period after these is not a sentence's end: "Mr. Okafor", "Dr. Lee", "e.g. a rubric", "J. Rivera".
_ABBREVIATION = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Mx|Dr|Prof|Sr|Jr|St|Mt|vs|No|Fig|approx|cf|e\.g|i\.e)|(?<![\w.])[A-Z])\.$")
_WORD = re.compile(r"\S+")
_URL = re.compile(r"(?:https?://|www\.)\S+|\]\([^)]*\)")
_LETTER_WORD = re.compile(r"[^\W\d_]{2,}")


def substantive(text: str) -> bool:
    """Whether a chunk says anything: at least three words once links are set aside (a chunk
    that is only a URL or a table rule helps no one and crowds out real passages)."""
    return len(_LETTER_WORD.findall(_URL.sub(" ", text))) >= 3


@dataclass
class _Unit:
    start: int  # offsets into Document.text
    end: int
    tokens: int
    section: int  # index into Document.sections
    heading_line: bool = False


def split_blocks(text: str, heading: str | None = None) -> list[tuple[int, int]]:
    """Split a section into blocks: paragraphs, list items, table rows, headings. A heading line
    is always a block of its own, even with its paragraph on the very next line: a Markdown
    heading, or the section's own `heading` on its first line (a Word or web page heading,
    which carries no `#`)."""
    blocks: list[tuple[int, int]] = []
    start: int | None = None
    pos = 0
    first = True
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        line_start, pos = pos, pos + len(line)
        if not stripped:
            if start is not None:
                blocks.append((start, line_start))
                start = None
            continue
        if first and _is_heading(stripped, heading):
            first = False
            blocks.append((line_start + (len(line) - len(line.lstrip())), pos))
            continue
        first = False
        if start is not None and _BLOCK_START.match(line):
            blocks.append((start, line_start))
            start = None
        if start is None:
            start = line_start + (len(line) - len(line.lstrip()))
        if _HEADING_LINE.match(line):
            blocks.append((start, pos))
            start = None
    if start is not None:
        blocks.append((start, len(text)))
    # trim trailing whitespace of each block
    return [(a, a + len(text[a:b].rstrip())) for a, b in blocks if text[a:b].strip()]


def _is_heading(line: str, heading: str | None) -> bool:
    """Whether `line` is the section's heading written out (spacing aside)."""
    return bool(heading) and line.split() == heading.split()


def split_sentences(text: str, a: int, b: int) -> list[tuple[int, int]]:
    out, s = [], a
    for m in _SENTENCE_END.finditer(text, a, b):
        if _ABBREVIATION.search(text, max(a, m.start() - 8), m.start()):
            continue
        out.append((s, m.start()))
        s = m.end()
    out.append((s, b))
    return [(x, y) for x, y in out if y > x]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, list item, heading or table row in `text`."""
    spans = []
    for a, b in split_blocks(text):
        spans.extend(split_sentences(text, a, b))
    return spans


class Chunker:
    def __init__(self, count_tokens: TokenCounter, *, target_tokens: int = 224, max_tokens: int = 254) -> None:
        if target_tokens + 8 > max_tokens:
            raise ValueError("target_tokens must leave room for a title prefix")
        self.count = count_tokens
        self.target = target_tokens
        self.max_tokens = max_tokens

    # -- units ---------------------------------------------------------------------------------
    def _units(self, doc: Document) -> list[_Unit]:
        text = doc.text
        spans: list[tuple[int, int, int]] = []  # (start, end, section)
        heads: set[int] = set()  # starts of heading lines without a `#`
        for i, sec in enumerate(doc.sections):
            name = sec.heading[-1] if sec.heading else None
            for j, (a, b) in enumerate(split_blocks(sec.text, name)):
                if j == 0 and _is_heading(sec.text[a:b], name):
                    heads.add(sec.start + a)
                for x, y in split_sentences(sec.text, a, b):
                    spans.append((sec.start + x, sec.start + y, i))
        counts = self.count([text[a:b] for a, b, _ in spans])
        units: list[_Unit] = []
        for (a, b, i), n in zip(spans, counts):
            if n <= self.target:
                units.append(_Unit(a, b, n, i, bool(_HEADING_LINE.match(text[a:b])) or a in heads))
            else:
                units.extend(self._split_long(text, a, b, i))
        return units

    def _split_long(self, text: str, a: int, b: int, section: int) -> list[_Unit]:
        """A sentence longer than a chunk: cut it into word windows."""
        words = [(m.start(), m.end()) for m in _WORD.finditer(text, a, b)]
        counts = self.count([text[x:y] for x, y in words])
        out: list[_Unit] = []
        cur_start, cur_end, cur_n = None, None, 0
        for (x, y), n in zip(words, counts):
            if cur_start is not None and cur_n + n > self.target:
                out.append(_Unit(cur_start, cur_end, cur_n, section))
                cur_start, cur_n = None, 0
            if cur_start is None:
                cur_start = x
            cur_end, cur_n = y, cur_n + n
        if cur_start is not None:
            out.append(_Unit(cur_start, cur_end, cur_n, section))
        return out

    # -- packing -------------------------------------------------------------------------------
    def _container(self, doc: Document, unit: _Unit) -> tuple[int | None, int | None]:
        s = doc.sections[unit.section]
        return (s.page, s.slide)

    def _pack(self, doc: Document, units: list[_Unit], budget: int) -> list[list[_Unit]]:
        groups: list[list[_Unit]] = []
        cur: list[_Unit] = []
        cur_n = 0

        def flush() -> None:
            nonlocal cur, cur_n
            carry: list[_Unit] = []
            while cur and cur[-1].heading_line and len(cur) > 1:  # a heading belongs with what follows
                carry.insert(0, cur.pop())
            if cur:
                groups.append(cur)
            cur = carry
            cur_n = sum(u.tokens for u in cur)

        for u in units:
            if cur:
                new_container = self._container(doc, u) != self._container(doc, cur[-1])
                new_section = u.section != cur[-1].section
                if new_container:
                    flush()
                    if cur and self._container(doc, cur[0]) != self._container(doc, u):
                        groups.append(cur)
                        cur, cur_n = [], 0
                elif cur_n + u.tokens > budget or (new_section and cur_n >= budget * 0.6):
                    flush()
                    if cur_n + u.tokens > budget and cur:
                        groups.append(cur)
                        cur, cur_n = [], 0
            cur.append(u)
            cur_n += u.tokens
        if cur:
            groups.append(cur)
        return groups

    # -- chunks --------------------------------------------------------------------------------
    def _prefix(self, doc: Document, heading: tuple[str, ...]) -> str:
        parts = [doc.title.strip()]
        if heading:
            tail = " › ".join(h for h in heading if h and h.strip() != doc.title.strip())
            if tail:
                parts.append(tail)
        prefix = " — ".join(p for p in parts if p)
        words = prefix.split()
        while words and self.count([" ".join(words)])[0] > PREFIX_MAX_TOKENS:
            words = words[: max(1, int(len(words) * 0.8))] if len(words) > 1 else []
        return (" ".join(words) + "\n") if words else ""

    def chunk(self, doc: Document) -> list[Chunk]:
        doc.layout()
        text = doc.text
        units = self._units(doc)
        prefix_budget = PREFIX_MAX_TOKENS + 2
        budget = min(self.target, self.max_tokens - prefix_budget)
        chunks: list[Chunk] = []
        pending = self._pack(doc, units, budget)
        while pending:
            group = pending.pop(0)
            first = next((u for u in group if not u.heading_line), group[0])
            sec = doc.sections[first.section]
            start, end = group[0].start, group[-1].end
            body = text[start:end]
            if not substantive(body):
                continue
            prefix = self._prefix(doc, sec.heading)
            embed_text = prefix + body
            n = self.count([embed_text])[0]
            if n > self.max_tokens and len(group) > 1:  # rare: tokenisation across joins
                half = len(group) // 2
                pending[:0] = [group[:half], group[half:]]
                continue
            units = [(u.start - start, u.end - start) for u in group]
            starts: list[tuple[int, tuple[str, ...]]] = []
            for u in group:
                h = doc.sections[u.section].heading
                if not starts or starts[-1][1] != h:
                    starts.append((u.start - start, h))
            chunks.append(
                Chunk(
                    doc_id=doc.doc_id,
                    ord=len(chunks),
                    text=body,
                    embed_text=embed_text,
                    char_start=start,
                    char_end=end,
                    page=sec.page,
                    slide=sec.slide,
                    heading=sec.heading,
                    tokens=n,
                    section_starts=starts,
                    units=units,
                )
            )
        return chunks
