"""Word (.docx): sections split at heading paragraphs; tables read row by row in document order."""

from __future__ import annotations

import io
import re

import docx
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from ..cleaning import clean_text
from ..settings import IndexSettings as Settings
from ._registry import Loaded, register
from ._text import SectionBuilder
from ._zip import check_office_zip

_HEADING_STYLE = re.compile(r"heading ([1-9])", re.I)


@register(".docx", fmt="docx")
def load_docx(data: bytes, name: str, settings: Settings) -> Loaded:
    check_office_zip(data, name, settings, kind=".docx", required="word/document.xml")
    document = docx.Document(io.BytesIO(data))
    builder = SectionBuilder()
    first_heading: str | None = None
    for block in document.iter_inner_content():
        text = _table_text(block) if isinstance(block, Table) else clean_text(block.text).strip()
        level = _heading_level(block) if isinstance(block, Paragraph) else None
        if not text:
            continue
        if level is None:
            builder.add(text)
            continue
        heading = " ".join(text.split())
        builder.heading(level, heading, line=text)
        if first_heading is None and level <= 1:
            first_heading = heading
    title = clean_text(document.core_properties.title or "").strip()
    return Loaded(title or first_heading, builder.finish())


def _heading_level(paragraph: Paragraph) -> int | None:
    """0 for the 'Title' style, n for 'Heading n', None for body text."""
    style = paragraph.style.name if paragraph.style is not None else ""
    if style.lower() == "title":
        return 0
    m = _HEADING_STYLE.fullmatch(style)
    return int(m.group(1)) if m else None


def _table_text(table: Table) -> str:
    """One line per row, cells joined with ' | ' (a merged cell counted once)."""
    rows = []
    for row in table.rows:
        cells: list[_Cell] = []
        for cell in row.cells:
            if not cells or cell._tc is not cells[-1]._tc:
                cells.append(cell)
        line = " | ".join(_cell_text(c) for c in cells)
        if line.replace("|", "").strip():
            rows.append(line)
    return "\n".join(rows)


def _cell_text(cell: _Cell) -> str:
    parts = [b.text if isinstance(b, Paragraph) else _table_text(b) for b in cell.iter_inner_content()]
    return " ".join(clean_text(" ".join(parts)).split())
