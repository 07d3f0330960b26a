"""Builders of real small files for tests: each writes one file into a directory and returns its path.

Good files carry known text (the module constants below) so tests can assert on it; bad files
are the broken inputs teachers really send (encrypted, scanned, truncated, renamed, ...).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

# --- known content ---------------------------------------------------------------------------

PDF_PAGES = (
    "Choice boards let students pick how they show what they know.",
    "Exit tickets take three minutes at the end of the lesson.",
    "Coaches review the data with teachers every second Friday.",
)
PDF_TITLE = "Competency-Based Learning Report"

DOCX_TITLE = "Unit 3 Planning Guide"
DOCX_TABLE = (("Station", "Task", "Minutes"), ("Warm-up", "Solve three ratio problems", "5"))
DOCX_PARAGRAPHS = {
    "intro": "This guide plans the third unit.",
    "warmup": "Students solve three ratio problems on whiteboards.",
    "exit": "Collect the exit ticket before students leave.",
}

MARKDOWN_BODY = """\
# Choice Board: Fractions

Students pick **two** activities from the board.

## Row 1: Practice

- Fraction *bingo* with a partner
- Worksheet 4.2

```python
# this is a comment in code, not a heading
print("hi")
```

## Row 2: Create:

Design a recipe that uses **halves** and *quarters*.
"""

HTML_PAGE = """\
<!DOCTYPE html>
<html>
<head>
  <title>Station Rotation Guide</title>
  <style>body { color: red; } .hidden-style-marker {}</style>
  <script>var trackingMarker = "do not index";</script>
</head>
<body>
  <nav><a href="/">Home</a> <a href="/menu">Site menu marker</a></nav>
  <header>Site header marker</header>
  <h1>Station Rotation</h1>
  <p>Students   rotate through
     three stations.</p>
  <h2>Stations</h2>
  <ul><li>Teacher-led group</li><li>Online <b>practice</b></li></ul>
  <table><tr><th>Station</th><th>Minutes</th></tr><tr><td>Teacher-led</td><td>15</td></tr></table>
  <h3>Timing</h3>
  <p>Each rotation lasts fifteen minutes.<br>Use a visible timer.</p>
  <noscript>Enable JavaScript marker</noscript>
  <footer>Copyright footer marker</footer>
</body>
</html>
"""

# Scraped web text starts with mojibake junk lines that must not become the title.
SCRAPED_TEXT = """\
첥Ƶ

Why Students Need Feedback Loops

Article
June 30, 2022

Feedback works best when it arrives while students can still act on it.
"""


@dataclass
class SlideSpec:
    """One slide: a title, bullet lines, speaker notes, and optionally a table or grouped text."""

    title: str
    bullets: Sequence[str] = ()
    notes: str = ""
    table: Sequence[Sequence[str]] = ()
    grouped: Sequence[str] = ()


PPTX_SLIDES = (
    SlideSpec("Lesson 5.03: Control Flow", ["Warm-up question on the board"], notes="Give students five minutes."),
    SlideSpec("Today's Plan", ["10 minutes Do Now", "30 minutes Lab"], table=[["Part", "Minutes"], ["Lab", "30"]]),
    SlideSpec(
        "Exit Ticket",
        ["Write one thing you learned"],
        notes="Collect tickets at the door.",
        grouped=["Grouped reminder text"],
    ),
)


# --- good files ------------------------------------------------------------------------------


def make_pdf(
    directory: Path,
    name: str = "report.pdf",
    pages: Sequence[str] = PDF_PAGES,
    title: str | None = PDF_TITLE,
    heading: str | None = None,
) -> Path:
    """A PDF (fpdf2) with one short sentence per page; `title` goes in the metadata, and
    `heading`, if given, is drawn large at the top of page 1."""
    path = directory / name
    path.write_bytes(pdf_bytes(pages, title, heading))
    return path


def pdf_bytes(pages: Sequence[str] = PDF_PAGES, title: str | None = PDF_TITLE, heading: str | None = None) -> bytes:
    """The bytes of the PDF `make_pdf` writes."""
    from fpdf import FPDF

    pdf = FPDF()
    if title:
        pdf.set_title(title)
    for number, text in enumerate(pages, start=1):
        pdf.add_page()
        if heading and number == 1:
            pdf.set_font("Helvetica", style="B", size=22)
            pdf.multi_cell(0, 12, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=12)
        pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def make_docx(directory: Path, name: str = "guide.docx", core_title: str | None = None) -> Path:
    """A Word file: a Title paragraph, Heading 1 / Heading 2 sections, and a table between them.

    Structure: Title DOCX_TITLE; intro; Heading 1 'Lesson 3'; Heading 2 'Warm-up'; warm-up text;
    the DOCX_TABLE; Heading 1 'Closing'; exit text. `core_title` sets the file's properties title.
    """
    import docx

    document = docx.Document()
    if core_title:
        document.core_properties.title = core_title
    document.add_heading(DOCX_TITLE, level=0)
    document.add_paragraph(DOCX_PARAGRAPHS["intro"])
    document.add_heading("Lesson 3", level=1)
    document.add_heading("Warm-up", level=2)
    document.add_paragraph(DOCX_PARAGRAPHS["warmup"])
    table = document.add_table(rows=len(DOCX_TABLE), cols=len(DOCX_TABLE[0]))
    for row, values in zip(table.rows, DOCX_TABLE, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_heading("Closing", level=1)
    document.add_paragraph(DOCX_PARAGRAPHS["exit"])
    path = directory / name
    document.save(str(path))
    return path


def make_pptx(directory: Path, name: str = "deck.pptx", slides: Sequence[SlideSpec] = PPTX_SLIDES) -> Path:
    """A PowerPoint deck with one 'Title and Content' slide per SlideSpec."""
    import pptx
    from pptx.util import Inches

    deck = pptx.Presentation()
    for spec in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = spec.title
        slide.placeholders[1].text = "\n".join(spec.bullets)
        if spec.notes:
            slide.notes_slide.notes_text_frame.text = spec.notes
        if spec.table:
            frame = slide.shapes.add_table(
                len(spec.table), len(spec.table[0]), Inches(1), Inches(4), Inches(6), Inches(1)
            )
            for r, values in enumerate(spec.table):
                for c, value in enumerate(values):
                    frame.table.cell(r, c).text = value
        if spec.grouped:
            group = slide.shapes.add_group_shape()
            for i, text in enumerate(spec.grouped):
                group.shapes.add_textbox(Inches(1), Inches(5 + i), Inches(4), Inches(1)).text_frame.text = text
    path = directory / name
    deck.save(str(path))
    return path


def make_markdown(
    directory: Path,
    name: str = "board.md",
    body: str = MARKDOWN_BODY,
    front_matter: dict[str, object] | None = None,
) -> Path:
    """A Markdown file, with `front_matter` written as a YAML block at the top if given."""
    head = f"---\n{yaml.safe_dump(front_matter, sort_keys=False)}---\n" if front_matter else ""
    return write_text(directory, name, head + body)


def make_html(directory: Path, name: str = "stations.html", html: str = HTML_PAGE) -> Path:
    """An HTML page with a title, headings, a list, a table, and script/style/nav/header/footer
    noise whose text contains the word 'marker'."""
    return write_text(directory, name, html)


def make_scraped_text(directory: Path, name: str = "scraped.txt", text: str = SCRAPED_TEXT) -> Path:
    """A .txt file like the user's scraped pages: a mojibake junk first line, then the title."""
    return write_text(directory, name, text)


def write_text(directory: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    """Any text file."""
    path = directory / name
    path.write_bytes(text.encode(encoding))
    return path


def write_tags_sidecar(document: Path, tags: dict[str, object]) -> Path:
    """The YAML tags file for `document` ('guide.docx' -> 'guide.docx.yml')."""
    path = document.with_name(document.name + ".yml")
    path.write_text(yaml.safe_dump(tags), encoding="utf-8")
    return path


# --- bad files -------------------------------------------------------------------------------


def make_encrypted_pdf(
    directory: Path, name: str = "locked.pdf", password: str = "secret", owner: str | None = None
) -> Path:
    """A PDF encrypted with user password `password` ('' = opens without one, like PDFs that
    only restrict printing or copying)."""
    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf_bytes())))
    writer.encrypt(password, owner_password=owner)
    path = directory / name
    with path.open("wb") as f:
        writer.write(f)
    return path


def make_textless_pdf(directory: Path, name: str = "scan.pdf") -> Path:
    """A PDF whose only page holds a drawn rectangle and no text, like a scanned image."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    path = directory / name
    path.write_bytes(bytes(pdf.output()))
    return path


def make_truncated_pdf(directory: Path, name: str = "truncated.pdf") -> Path:
    """The first half of a real PDF, as an interrupted download leaves it."""
    data = pdf_bytes()
    path = directory / name
    path.write_bytes(data[: len(data) // 2])
    return path


def make_fake_docx(directory: Path, name: str = "notes.docx") -> Path:
    """Plain text saved with a .docx name."""
    return write_text(directory, name, "These are my notes, saved as plain text.\n")


def make_truncated_copy(source: Path, directory: Path, name: str | None = None) -> Path:
    """The first half of `source` (e.g. a file from make_docx or make_pptx), as an interrupted
    download leaves it."""
    data = source.read_bytes()
    path = directory / (name or "truncated_" + source.name)
    path.write_bytes(data[: len(data) // 2])
    return path


def make_office_zip_without(directory: Path, name: str = "hollow.pptx") -> Path:
    """A real zip with an Office name that lacks the document part (no ppt/presentation.xml,
    no word/document.xml)."""
    path = directory / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
    return path


def make_damaged_pdf(directory: Path, name: str = "damaged.pdf") -> Path:
    """A file that starts and ends like a PDF but holds garbage in between."""
    path = directory / name
    path.write_bytes(b"%PDF-1.7\n" + b"garbage that is not a PDF object\n" * 20 + b"%%EOF\n")
    return path


def make_zip_bomb_docx(directory: Path, name: str = "bomb.docx", inflated_mb: int = 5) -> Path:
    """A .docx whose zip holds `inflated_mb` MB of zeros that compress about 1000 to 1."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
        archive.writestr("word/media/padding.bin", bytes(inflated_mb * 1024 * 1024))
    path = directory / name
    path.write_bytes(buffer.getvalue())
    return path


def make_binary_file(directory: Path, name: str = "data.txt", nul_bytes: bool = True) -> Path:
    """Binary data under a text name: with NUL bytes (like an image), or without them but made
    of control characters."""
    data = bytes(range(256)) * 8 if nul_bytes else bytes(range(1, 32)) * 64
    path = directory / name
    path.write_bytes(data)
    return path


def make_empty_file(directory: Path, name: str = "empty.txt") -> Path:
    """A 0-byte file."""
    path = directory / name
    path.write_bytes(b"")
    return path


def make_whitespace_file(directory: Path, name: str = "blank.md") -> Path:
    """A file holding only spaces, tabs and newlines."""
    return write_text(directory, name, " \n\t\n   \r\n")


def make_xlsx(directory: Path, name: str = "grades.xlsx") -> Path:
    """A spreadsheet-like zip with an .xlsx name (a type Guidepost does not read)."""
    path = directory / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
    return path


def make_big_text(directory: Path, name: str = "big.txt", size_bytes: int = 64 * 1024) -> Path:
    """A text file of `size_bytes` bytes, to test the size limit with a small max_file_mb."""
    line = b"A long line of perfectly ordinary text for the size limit test.\n"
    path = directory / name
    path.write_bytes((line * (size_bytes // len(line) + 1))[:size_bytes])
    return path
