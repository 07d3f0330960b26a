"""PDF: one section per page, with pypdf's text as it comes (only invisible junk removed)."""

from __future__ import annotations

import io
import math
import re
from typing import Any

import pypdf
from pypdf.errors import DependencyError

from ..cleaning import clean_text
from ..domain import Section
from ..errors import CorruptDocument, EncryptedDocument, NoExtractableText
from ..settings import IndexSettings as Settings
from ._registry import Loaded, register
from ._text import looks_like_title

# Metadata titles that say nothing: 'Untitled', 'Microsoft Word - lab.docx', 'Document1', 'lab.md'.
_JUNK_TITLE = re.compile(
    r"untitled.*|microsoft \w+ - .*|document\d*|presentation\d*|powerpoint presentation|slide \d+"
    r"|.*\.(?:docx?|pptx?|xlsx?|pdf|md|txt|html?|rtf|odt)",
    re.I,
)


@register(".pdf", fmt="pdf")
def load_pdf(data: bytes, name: str, settings: Settings) -> Loaded:
    if b"%%EOF" not in data[-1024:]:
        raise CorruptDocument(f"{name} is truncated or damaged: it has no PDF end-of-file marker.")
    reader = pypdf.PdfReader(io.BytesIO(data))
    _unlock(reader, name)
    texts, runs = _extract(reader)
    if not any(t.strip() for t in texts):
        raise NoExtractableText(f"{name} has no extractable text (is it a scanned image? run OCR first).")
    sections = [Section(t.strip(), page=n) for n, t in enumerate(texts, start=1)]
    return Loaded(_title(reader, texts[0], runs), sections, extra={"pages": len(texts)})


def _unlock(reader: pypdf.PdfReader, name: str) -> None:
    if not reader.is_encrypted:
        return
    try:
        unlocked = reader.decrypt("")
    except DependencyError as exc:  # AES needs the optional `cryptography` package
        raise EncryptedDocument(f"{name} is encrypted and could not be opened ({exc}).") from exc
    if not unlocked:
        raise EncryptedDocument(f"{name} is protected by a password: save an unprotected copy and add that.")


def _extract(reader: pypdf.PdfReader) -> tuple[list[str], list[tuple[float, str]]]:
    """Each page's text, and the (type size, text) of each run drawn on page 1."""
    runs: list[tuple[float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, font_size: float) -> None:
        if text.strip():
            scale = math.hypot(cm[2], cm[3]) * math.hypot(tm[2], tm[3])
            runs.append((font_size * scale, " ".join(text.split())))

    texts = [
        clean_text(page.extract_text(visitor_text=visit if i == 0 else None)) for i, page in enumerate(reader.pages)
    ]
    return texts, runs


def _title(reader: pypdf.PdfReader, first_page: str, runs: list[tuple[float, str]]) -> str | None:
    """The metadata title if it says something, else the line of page 1 set in the largest
    type, else the first line of page 1 that looks like a title."""
    meta = reader.metadata.title if reader.metadata else None
    meta = " ".join(clean_text(str(meta or "")).split())
    if looks_like_title(meta, min_words=1) and not _JUNK_TITLE.fullmatch(meta):
        return meta
    lines = [" ".join(line.split()) for line in first_page.split("\n")]
    return _largest_line(lines, runs) or next((line for line in lines if looks_like_title(line)), None)


def _largest_line(lines: list[str], runs: list[tuple[float, str]]) -> str | None:
    """The first line of `lines` holding the first run set in the largest type."""
    words = [(size, text) for size, text in runs if looks_like_title(text, min_words=1)]
    if not words:
        return None
    biggest = max(size for size, _ in words)
    first = next(text for size, text in words if size == biggest)
    return next((line for line in lines if first in line and looks_like_title(line, min_words=1)), None)
