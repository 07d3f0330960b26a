"""Markdown: optional YAML front matter, then sections split at headings. Markup stays in the text."""

from __future__ import annotations

from ..settings import IndexSettings as Settings
from ._registry import Loaded, register
from ._tags import split_front_matter
from ._text import decode_text, first_h1, heading_sections


@register(".md", ".markdown", fmt="md")
def load_markdown(data: bytes, name: str, settings: Settings) -> Loaded:
    title, tags, text = split_front_matter(decode_text(data, name), name)
    sections = heading_sections(text)
    return Loaded(title or first_h1(sections), sections, tags)
