"""PowerPoint (.pptx): one section per slide, with its shapes' text and the speaker notes."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pptx
from pptx.shapes.base import BaseShape
from pptx.shapes.group import GroupShape
from pptx.slide import Slide

from ..cleaning import clean_text
from ..domain import Section
from ..settings import IndexSettings as Settings
from ._registry import Loaded, register
from ._zip import check_office_zip


@register(".pptx", fmt="pptx")
def load_pptx(data: bytes, name: str, settings: Settings) -> Loaded:
    check_office_zip(data, name, settings, kind=".pptx", required="ppt/presentation.xml")
    deck = pptx.Presentation(io.BytesIO(data))
    sections = []
    for number, slide in enumerate(deck.slides, start=1):
        title = _slide_title(slide)
        lines = [text for shape in slide.shapes for text in _shape_texts(shape)]
        notes = _notes(slide)
        if notes:
            lines += ["Notes:", notes]
        sections.append(Section("\n".join(lines), slide=number, heading=(title,) if title else ()))
    first_title = next((s.heading[0] for s in sections if s.heading), None)
    title = clean_text(deck.core_properties.title or "").strip()
    return Loaded(title or first_title, sections, extra={"slides": len(sections)})


def _slide_title(slide: Slide) -> str | None:
    shape = slide.shapes.title
    if shape is None:
        return None
    return " ".join(clean_text(shape.text_frame.text).split()) or None


def _shape_texts(shape: BaseShape) -> Iterator[str]:
    """The text of a shape: its text frame, its table row by row, or its grouped shapes."""
    if isinstance(shape, GroupShape):
        for member in shape.shapes:
            yield from _shape_texts(member)
    elif shape.has_text_frame:
        text = clean_text(shape.text_frame.text).strip()  # type: ignore[attr-defined]
        if text:
            yield text
    elif getattr(shape, "has_table", False):
        for row in shape.table.rows:  # type: ignore[attr-defined]
            cells = [" ".join(clean_text(c.text).split()) for c in row.cells if not c.is_spanned]
            if any(cells):
                yield " | ".join(cells)


def _notes(slide: Slide) -> str:
    if not slide.has_notes_slide or slide.notes_slide.notes_text_frame is None:
        return ""
    return clean_text(slide.notes_slide.notes_text_frame.text).strip()
