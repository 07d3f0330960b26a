"""Helpers shared by the loaders: decoding text files, splitting at Markdown headings, titles."""

from __future__ import annotations

import codecs
import itertools
import re
from pathlib import PurePath

from ..cleaning import clean_text
from ..errors import BinaryContent
from ..domain import Section

MAX_TITLE_CHARS = 300

# A byte-order mark says how a file is encoded; UTF-32 first, as its LE mark starts like UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Control characters no text file contains, and U+FFFD from bytes that did not decode.
_NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
_MAX_NOT_TEXT_SHARE = 0.25
# How much less plausible (charset-normalizer's 'chaos', 0 to 1) Windows-1252 may be and still win.
_WESTERN_CHAOS_MARGIN = 0.1

_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+$")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")


def decode_text(data: bytes, name: str) -> str:
    """The text of a text file, cleaned. UTF-8 first, then a guess; binary data is refused."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _checked(data.decode(codec, errors="replace"), name)
    if b"\x00" in data:
        raise _binary(name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = _guess_decode(data, name)
    return _checked(text, name)


def _guess_decode(data: bytes, name: str) -> str:
    """Decode non-UTF-8 text with the encoding charset-normalizer finds most plausible, preferring
    Windows-1252 (what Word and older school systems write) when it is about as plausible."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # charset-normalizer comes with requests; without it, keep what is UTF-8
        return data.decode("utf-8", errors="replace")
    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise _binary(name)
    western = next((m for m in matches if m.encoding == "cp1252"), None)
    if western is not None and western.chaos <= best.chaos + _WESTERN_CHAOS_MARGIN:
        return str(western)
    return str(best)


def _checked(text: str, name: str) -> str:
    if len(_NOT_TEXT.findall(text)) > _MAX_NOT_TEXT_SHARE * len(text):
        raise _binary(name)
    return clean_text(text)


def _binary(name: str) -> BinaryContent:
    suffix = PurePath(name).suffix
    return BinaryContent(f"{name} contains binary data, not text: is it really a {suffix} file?")


# --- Markdown headings -----------------------------------------------------------------------


def atx_heading(line: str) -> tuple[int, str] | None:
    """(level, text) for an ATX heading line such as '## Warm-up:' -> (2, 'Warm-up'), else None."""
    m = _ATX.fullmatch(line)
    if m is None:
        return None
    text = _CLOSING_HASHES.sub("", m.group(2) or "").strip().rstrip(":").strip()
    return (len(m.group(1)), text) if text else None


def _fence_after(line: str, fence: str | None) -> str | None:
    """The open code fence after `line`, given the one open before it (None: outside code)."""
    m = _FENCE.match(line)
    if m is None:
        return fence
    marker = m.group(1)
    if fence is None:
        return marker
    closes = marker[0] == fence[0] and len(marker) >= len(fence) and line.strip() == marker
    return None if closes else fence


class SectionBuilder:
    """Collects lines into sections, starting a new section at each heading.

    A heading of level n (1 = top) replaces the path's entries at level n and below; level 0 is
    a document title, which starts a section with an empty path.
    """

    def __init__(self) -> None:
        self.sections: list[Section] = []
        self._levels: tuple[int, ...] = ()
        self._path: tuple[str, ...] = ()
        self._lines: list[str] = []

    def heading(self, level: int, name: str, line: str | None = None) -> None:
        """Start a section under heading `name`; its text begins with `line` (default: `name`)."""
        self._flush()
        keep = sum(1 for lv in self._levels if lv < level) if level else 0
        self._levels = self._levels[:keep] + ((level,) if level else ())
        self._path = self._path[:keep] + ((name,) if level else ())
        self._lines = [name if line is None else line]

    def add(self, line: str) -> None:
        self._lines.append(line)

    def finish(self) -> list[Section]:
        self._flush()
        return self.sections

    def _flush(self) -> None:
        body = _trim_blank_lines("\n".join(self._lines))
        if body:
            self.sections.append(Section(body, heading=self._path))


def heading_sections(text: str) -> list[Section]:
    """Sections split at ATX headings outside fenced code; each starts with its heading line."""
    builder = SectionBuilder()
    fence: str | None = None
    for line in text.split("\n"):
        heading = None if fence else atx_heading(line)
        if heading:
            builder.heading(*heading, line=line)
        else:
            fence = _fence_after(line, fence)
            builder.add(line)
    return builder.finish()


def first_h1(sections: list[Section]) -> str | None:
    """The text of the first level-1 heading that starts a section."""
    for s in sections:
        heading = atx_heading(s.text.split("\n", 1)[0])
        if heading and heading[0] == 1:
            return heading[1]
    return None


def _trim_blank_lines(text: str) -> str:
    return re.sub(r"\A(?:[ \t]*\n)+", "", text).rstrip()


# --- titles ----------------------------------------------------------------------------------


def looks_like_title(line: str, *, min_words: int = 2) -> bool:
    """Short, with at least `min_words` words that contain letters (so junk such as '첥Ƶ' is not)."""
    words = [w for w in line.split() if any(c.isalpha() for c in w)]
    return len(words) >= min_words and len(line) < 200


def first_title_line(text: str) -> str | None:
    """The first line that looks like a title, joined with the rest of its paragraph when that
    paragraph is a short one (a title wrapped over two or three lines)."""
    lines = [line.strip() for line in text.split("\n")]
    for i, line in enumerate(lines):
        candidate = line.lstrip("#").strip().rstrip(":").strip()
        if looks_like_title(candidate):
            rest = list(itertools.takewhile(bool, lines[i + 1 : i + 4]))
            joined = " ".join([candidate, *rest])
            return joined if len(rest) < 3 and len(joined) < 200 else candidate
    return None


def title_from_filename(name: str) -> str:
    """'lesson_plan-v2.docx' -> 'Lesson plan-v2'."""
    words = re.sub(r"[_\s]+", " ", PurePath(name).stem).strip()
    return clip_title(words[:1].upper() + words[1:] if words else name)


def human_size(n: int) -> str:
    """1288490188 -> '1.2 GB'; 209715200 -> '200 MB'."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


def clip_title(title: str) -> str:
    """A title on one line, at most MAX_TITLE_CHARS characters (cut at a word, with '…')."""
    title = " ".join(title.split())
    if len(title) <= MAX_TITLE_CHARS:
        return title
    cut = title[: MAX_TITLE_CHARS - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[-40:] else cut) + "…"
