"""Plain text: split at Markdown-style '#' headings when it has them (scraped text often does)."""

from __future__ import annotations

from ..settings import IndexSettings as Settings
from ._registry import Loaded, register
from ._text import decode_text, first_h1, first_title_line, heading_sections


@register(".txt", fmt="txt")
def load_text(data: bytes, name: str, settings: Settings) -> Loaded:
    text = decode_text(data, name)
    sections = heading_sections(text)
    return Loaded(first_h1(sections) or first_title_line(text), sections)
