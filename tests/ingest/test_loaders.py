"""Loaders: every format round-trips real files verbatim, and every bad input gets its own
error class with a message that names the file."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.cleaning import clean_text
from ingest.errors import (
    ArchiveTooLarge,
    BinaryContent,
    CorruptDocument,
    DocumentError,
    EmptyDocument,
    EncryptedDocument,
    FileTooLarge,
    InvalidTags,
    NoExtractableText,
    UnsupportedFile,
)
from ingest.loaders import Loaded, _registry, is_sidecar, load_bytes, load_file, register, supported_suffixes
from ingest.domain import Document, Section, Tags
from ingest.settings import Settings
from tests import fixtures as fx


def assert_offsets(doc: Document) -> None:
    """Each section sits in the document text at its recorded offset."""
    for s in doc.sections:
        assert doc.text[s.start : s.start + len(s.text)] == s.text


# --- registry and public API -----------------------------------------------------------------


def test_supported_suffixes() -> None:
    assert supported_suffixes() == (".docx", ".htm", ".html", ".markdown", ".md", ".pdf", ".pptx", ".txt")


def test_importing_the_package_loads_no_parser() -> None:
    code = "import sys, ingest.loaders; print(sorted({'pypdf', 'docx', 'pptx', 'bs4'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("board.docx.yml", True), ("deck.PPTX.yaml", True), ("notes.md.yml", True), ("config.yml", False),
     ("board.docx", False), ("grades.xlsx.yml", False)],
)  # fmt: skip
def test_is_sidecar(name: str, expected: bool) -> None:
    assert is_sidecar(Path(name)) is expected


def test_a_registered_format_is_loaded_and_its_errors_wrapped(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_registry, "_REGISTRY", dict(_registry._REGISTRY))

    @register(".csv", fmt="csv")
    def load_csv(data: bytes, name: str, settings: Settings) -> Loaded:
        if b";" in data:
            raise ValueError("unexpected ';' in row 2")
        return Loaded("Roster", [Section(data.decode())])

    assert ".csv" in supported_suffixes()
    doc = load_file(fx.write_text(tmp_path, "roster.csv", "name,grade\nAda,5"), settings)
    assert (doc.fmt, doc.title, doc.text) == ("csv", "Roster", "name,grade\nAda,5")
    with pytest.raises(CorruptDocument, match=r"bad\.csv could not be read: .*unexpected ';' in row 2"):
        load_file(fx.write_text(tmp_path, "bad.csv", "name;grade"), settings)


def test_load_bytes_matches_load_file(tmp_path: Path, settings: Settings) -> None:
    path = fx.make_docx(tmp_path)
    from_file = load_file(path, settings)
    from_bytes = load_bytes(
        path.read_bytes(), "uploads/guide.docx", settings, source_key="slack:F123", url="https://x/y"
    )
    assert from_bytes.path is None and from_bytes.source_key == "slack:F123" and from_bytes.url == "https://x/y"
    assert from_bytes.content_hash == from_file.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert from_bytes.text == from_file.text and from_bytes.fmt == "docx"
    assert from_file.path == path.resolve() and from_file.source_key == str(path.resolve())


# --- formats ---------------------------------------------------------------------------------


def test_pdf_pages_title_and_text(tmp_path: Path, settings: Settings) -> None:
    doc = load_file(fx.make_pdf(tmp_path), settings)
    assert doc.fmt == "pdf" and doc.title == fx.PDF_TITLE
    assert [s.page for s in doc.sections] == [1, 2, 3]
    assert [s.text for s in doc.sections] == list(fx.PDF_PAGES)
    assert doc.extra == {"pages": 3}
    assert_offsets(doc)


@pytest.mark.parametrize("metadata_title", [None, "Microsoft Word - plan.docx", "Untitled"])
def test_pdf_title_falls_back_to_the_largest_line_of_page_one(
    tmp_path: Path, settings: Settings, metadata_title: str | None
) -> None:
    path = fx.make_pdf(tmp_path, "lab.pdf", title=metadata_title, heading="Lab 2.01 - Casting")
    assert load_file(path, settings).title == "Lab 2.01 - Casting"


def test_pdf_blank_page_is_skipped_but_numbering_kept(tmp_path: Path, settings: Settings) -> None:
    doc = load_file(fx.make_pdf(tmp_path, pages=["First page text here.", " ", "Third page text here."]), settings)
    assert [(s.page, s.text) for s in doc.sections] == [(1, "First page text here."), (3, "Third page text here.")]


def test_pdf_with_only_an_owner_password_opens(tmp_path: Path, settings: Settings) -> None:
    doc = load_file(fx.make_encrypted_pdf(tmp_path, "restricted.pdf", password="", owner="owner-secret"), settings)
    assert doc.sections[0].text == fx.PDF_PAGES[0]


def test_docx_headings_tables_and_title(tmp_path: Path, settings: Settings) -> None:
    doc = load_file(fx.make_docx(tmp_path), settings)
    assert doc.fmt == "docx" and doc.title == fx.DOCX_TITLE
    assert [s.heading for s in doc.sections] == [(), ("Lesson 3",), ("Lesson 3", "Warm-up"), ("Closing",)]
    warmup = doc.sections[2].text
    assert warmup.startswith("Warm-up\n" + fx.DOCX_PARAGRAPHS["warmup"])  # table follows in document order
    assert "Station | Task | Minutes\nWarm-up | Solve three ratio problems | 5" in warmup
    assert doc.sections[3].text == "Closing\n" + fx.DOCX_PARAGRAPHS["exit"]
    assert all(s.page is None and s.slide is None for s in doc.sections)
    assert_offsets(doc)


def test_docx_title_from_core_properties(tmp_path: Path, settings: Settings) -> None:
    doc = load_file(fx.make_docx(tmp_path, core_title="Planning Guide (final)"), settings)
    assert doc.title == "Planning Guide (final)"


def test_pptx_slides_tables_groups_and_notes(tmp_path: Path, settings: Settings) -> None:
    doc = load_file(fx.make_pptx(tmp_path), settings)
    assert doc.fmt == "pptx" and doc.title == "Lesson 5.03: Control Flow"
    assert [s.slide for s in doc.sections] == [1, 2, 3]
    assert [s.heading for s in doc.sections] == [(spec.title,) for spec in fx.PPTX_SLIDES]
    first, second, third = (s.text for s in doc.sections)
    assert first == "Lesson 5.03: Control Flow\nWarm-up question on the board\nNotes:\nGive students five minutes."
    assert "10 minutes Do Now\n30 minutes Lab" in second and "Part | Minutes\nLab | 30" in second
    assert "Grouped reminder text" in third and third.endswith("Notes:\nCollect tickets at the door.")
    assert doc.extra == {"slides": 3}
    assert_offsets(doc)


def test_markdown_front_matter_headings_and_markup(tmp_path: Path, settings: Settings) -> None:
    meta = {"title": "Fractions Choice Board", "type": "choice board", "grade": "3-5", "subject": "Maths"}
    doc = load_file(fx.make_markdown(tmp_path, front_matter=meta), settings)
    assert doc.fmt == "md" and doc.title == "Fractions Choice Board"
    assert doc.tags == Tags(type="choice_board", grade="3-5", subject="math")
    assert "grade:" not in doc.text and not doc.text.startswith("---")
    assert doc.text == fx.MARKDOWN_BODY.strip()  # markup, blank lines and code kept as written
    assert [s.heading for s in doc.sections] == [
        ("Choice Board: Fractions",),
        ("Choice Board: Fractions", "Row 1: Practice"),  # the '# comment' in the code fence is no heading
        ("Choice Board: Fractions", "Row 2: Create"),
    ]
    assert doc.sections[0].text.startswith("# Choice Board: Fractions\n\nStudents pick **two** activities")
    assert doc.sections[2].text.startswith("## Row 2: Create:\n")
    assert_offsets(doc)


def test_markdown_title_from_first_heading_without_front_matter(tmp_path: Path, settings: Settings) -> None:
    doc = load_file(fx.make_markdown(tmp_path), settings)
    assert doc.title == "Choice Board: Fractions" and doc.tags == Tags()


def test_markdown_leading_rule_is_not_front_matter(tmp_path: Path, settings: Settings) -> None:
    text = "---\nA note that follows a horizontal rule.\n\n---\n\nMore text.\n"
    doc = load_file(fx.write_text(tmp_path, "rule.md", text), settings)
    assert doc.text == text.strip()


def test_markdown_bad_front_matter_names_the_file(tmp_path: Path, settings: Settings) -> None:
    path = fx.make_markdown(tmp_path, "plan.md", front_matter={"grade": "13"})
    with pytest.raises(InvalidTags, match=r"plan\.md.*grade"):
        load_file(path, settings)


def test_html_text_without_page_furniture(tmp_path: Path, settings: Settings) -> None:
    doc = load_file(fx.make_html(tmp_path), settings)
    assert doc.fmt == "html" and doc.title == "Station Rotation Guide"
    assert "marker" not in doc.text.lower() and "color: red" not in doc.text
    assert [s.heading for s in doc.sections] == [
        ("Station Rotation",),
        ("Station Rotation", "Stations"),
        ("Station Rotation", "Stations", "Timing"),
    ]
    assert doc.sections[0].text == "Station Rotation\nStudents rotate through three stations."
    assert "- Teacher-led group\n- Online practice\nStation | Minutes\nTeacher-led | 15" in doc.sections[1].text
    assert doc.sections[2].text == "Timing\nEach rotation lasts fifteen minutes.\nUse a visible timer."
    assert_offsets(doc)


def test_scraped_text_keeps_junk_but_not_as_title(tmp_path: Path, settings: Settings) -> None:
    doc = load_file(fx.make_scraped_text(tmp_path), settings)
    assert doc.fmt == "txt" and doc.title == "Why Students Need Feedback Loops"
    assert [s.heading for s in doc.sections] == [()]
    assert doc.text == fx.SCRAPED_TEXT.strip()


def test_text_with_hash_headings_is_split(tmp_path: Path, settings: Settings) -> None:
    text = "\n\n# Report: Findings\n\nIntro.\n\n## Method\n\nWe asked **teachers**.\n"
    doc = load_file(fx.write_text(tmp_path, "report.txt", text), settings)
    assert doc.title == "Report: Findings"
    assert [s.heading for s in doc.sections] == [("Report: Findings",), ("Report: Findings", "Method")]
    assert doc.sections[1].text == "## Method\n\nWe asked **teachers**."


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16", "utf-8-sig"])
def test_text_encodings_are_decoded(tmp_path: Path, settings: Settings, encoding: str) -> None:
    text = "Café lessons: the élèves wrote a résumé of the déjà vu chapter – “quoted” and naïve.\n" * 20
    doc = load_file(fx.write_text(tmp_path, f"{encoding}.txt", text, encoding=encoding), settings)
    assert doc.text == text.strip()


def test_invisible_junk_is_cleaned_and_nothing_else(tmp_path: Path, settings: Settings) -> None:
    assert clean_text("a\x00b\r\nc\u200bd\x0be\x85f\rg\ufeff\x07") == "ab\ncd\ne\nf\ng"
    assert (
        clean_text("“Smart” quotes — Ã©mojibake **bold** #tag\ttab") == "“Smart” quotes — Ã©mojibake **bold** #tag\ttab"
    )
    doc = load_file(fx.write_text(tmp_path, "crlf.md", "# Title\r\n\r\nLine\u200b one\x0c\r\n"), settings)
    assert doc.text == "# Title\n\nLine one"


# --- tags sidecars ---------------------------------------------------------------------------


def test_sidecar_tags_and_title(tmp_path: Path, settings: Settings) -> None:
    path = fx.make_docx(tmp_path)
    fx.write_tags_sidecar(path, {"type": "lesson", "grade": "K-2", "subject": "ELA", "title": "Unit 3 (K-2)"})
    doc = load_file(path, settings)
    assert doc.tags == Tags(type="lesson_template", grade="K-2", subject="english language arts")
    assert doc.title == "Unit 3 (K-2)"


def test_passed_tags_win_and_file_tags_fill_the_gaps(tmp_path: Path, settings: Settings) -> None:
    path = fx.make_markdown(tmp_path, front_matter={"type": "guide", "grade": "5", "subject": "science"})
    fx.write_tags_sidecar(path, {"grade": "6"})
    doc = load_file(path, settings, tags=Tags.parse(subject="math"))
    assert doc.tags == Tags(type="guide", grade="6", subject="math")


def test_sidecar_with_unknown_key_is_refused(tmp_path: Path, settings: Settings) -> None:
    path = fx.make_pdf(tmp_path)
    fx.write_tags_sidecar(path, {"grades": "3"})
    with pytest.raises(InvalidTags, match=r"report\.pdf\.yml.*grades"):
        load_file(path, settings)


# --- bad input -------------------------------------------------------------------------------

Builder = Callable[[Path], Path]

BAD_INPUTS: list[tuple[str, Builder, dict[str, float], type[DocumentError], str]] = [
    ("unsupported", fx.make_xlsx, {}, UnsupportedFile, r"grades\.xlsx is a \.xlsx file.*Supported types: \.docx"),
    ("no suffix", lambda d: fx.write_text(d, "README", "Hi there."), {}, UnsupportedFile, "README has no file"),
    ("empty", fx.make_empty_file, {}, EmptyDocument, r"empty\.txt is empty"),
    ("whitespace", fx.make_whitespace_file, {}, EmptyDocument, r"blank\.md contains only blank space"),
    ("empty pdf", lambda d: fx.make_empty_file(d, "empty.pdf"), {}, EmptyDocument, r"empty\.pdf is empty"),
    ("only front matter", lambda d: fx.write_text(d, "meta.md", "---\ngrade: 3\n---\n\n"), {}, EmptyDocument,
     r"meta\.md contains no text"),
    ("html of scripts", lambda d: fx.make_html(d, "app.html", "<script>app()</script><nav>Menu</nav>"), {},
     EmptyDocument, r"app\.html contains no text"),
    ("encrypted pdf", fx.make_encrypted_pdf, {}, EncryptedDocument, r"locked\.pdf is protected by a password"),
    ("scanned pdf", fx.make_textless_pdf, {}, NoExtractableText,
     r"scan\.pdf has no extractable text \(is it a scanned image\? run OCR first\)"),
    ("truncated pdf", fx.make_truncated_pdf, {}, CorruptDocument, r"truncated\.pdf is truncated or damaged"),
    ("damaged pdf", fx.make_damaged_pdf, {}, CorruptDocument, r"damaged\.pdf could not be read"),
    ("text as docx", fx.make_fake_docx, {}, CorruptDocument,
     r"notes\.docx is not a valid \.docx file \(it is not a zip archive\)"),
    ("truncated docx", lambda d: fx.make_truncated_copy(fx.make_docx(d), d), {}, CorruptDocument,
     r"truncated_guide\.docx is damaged or truncated"),
    ("truncated pptx", lambda d: fx.make_truncated_copy(fx.make_pptx(d), d), {}, CorruptDocument,
     r"truncated_deck\.pptx is damaged or truncated"),
    ("zip without slides", fx.make_office_zip_without, {}, CorruptDocument,
     r"hollow\.pptx is not a valid \.pptx file \(it has no ppt/presentation\.xml\)"),
    ("zip bomb by ratio", fx.make_zip_bomb_docx, {}, ArchiveTooLarge,
     r"bomb\.docx looks like a zip bomb.*GUIDEPOST_MAX_ZIP_RATIO"),
    ("zip bomb by size", fx.make_zip_bomb_docx, {"max_unzipped_mb": 1}, ArchiveTooLarge,
     r"bomb\.docx would inflate to 5 MB, over the 1 MB limit \(GUIDEPOST_MAX_UNZIPPED_MB\)"),
    ("binary txt", fx.make_binary_file, {}, BinaryContent, r"data\.txt contains binary data"),
    ("control bytes md", lambda d: fx.make_binary_file(d, "notes.md", nul_bytes=False), {}, BinaryContent,
     r"notes\.md contains binary data"),
    ("binary html", lambda d: fx.make_binary_file(d, "page.html"), {}, BinaryContent, r"page\.html contains binary"),
    ("too big", fx.make_big_text, {"max_file_mb": 0.01}, FileTooLarge,
     r"big\.txt is 64 KB, over the 10\.2 KB limit \(GUIDEPOST_MAX_FILE_MB\)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("build", "limits", "error", "message"), [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS]
)
def test_bad_input_gets_a_clear_error(
    tmp_path: Path,
    settings: Settings,
    build: Builder,
    limits: dict[str, float],
    error: type[DocumentError],
    message: str,
) -> None:
    path = build(tmp_path)
    settings = settings.model_copy(update=limits)
    with pytest.raises(error, match=message):
        load_file(path, settings)
    with pytest.raises(error, match=message):
        load_bytes(path.read_bytes(), path.name, settings, source_key="slack:F1")


def test_too_big_is_refused_before_reading(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    path = fx.make_big_text(tmp_path)

    def refuse(self: Path) -> bytes:
        raise AssertionError(f"{self} was read")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(FileTooLarge):
        load_file(path, settings.model_copy(update={"max_file_mb": 0.01}))


def test_missing_file_is_a_document_error(tmp_path: Path, settings: Settings) -> None:
    with pytest.raises(DocumentError, match=r"gone\.pdf does not exist"):
        load_file(tmp_path / "gone.pdf", settings)


# --- the shared data (the `shared` fixture skips when it is absent) ---------------------------


def test_loads_every_shared_file(settings: Settings, shared: Path) -> None:
    roots = [shared / "seeds", shared / "corpus" / "teals-intro-cs-2", shared / "corpus" / "report-pdf"]
    files = sorted(p for root in roots for p in root.rglob("*") if p.is_file() and not is_sidecar(p))
    assert len(files) == 306
    started = time.perf_counter()
    failures, docs = [], []
    for path in files:
        try:
            docs.append(load_file(path, settings))
        except DocumentError as exc:
            failures.append(str(exc))
    elapsed = time.perf_counter() - started
    print(f"loaded {len(docs)} shared files in {elapsed:.1f} s")
    assert failures == []
    assert elapsed < 60
    for doc in docs:
        assert doc.title.strip() and doc.sections
        assert_offsets(doc)
        if doc.fmt == "pdf":
            assert all(s.page for s in doc.sections)
        if doc.fmt == "pptx":
            assert all(s.slide for s in doc.sections)


def test_seed_titles_are_not_junk(settings: Settings, shared: Path) -> None:
    seeds = sorted((shared / "seeds").glob("*.txt"))
    titles = [load_file(p, settings).title for p in seeds]
    assert titles[0].startswith("Why")
    assert titles[2].startswith("From State Commitment")
    for title in titles:
        assert re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", title), title


def test_evaluation_evidence_is_found_verbatim(settings: Settings, shared: Path) -> None:
    """Every evidence phrase of the question sets stands in the loaded text of its source."""
    fold = lambda t: re.sub(r"\s+", " ", t.replace("’", "'")).lower()  # noqa: E731  (as the evaluation folds)
    sets = {"seed_questions.jsonl": shared / "seeds", "teals_questions.jsonl": shared / "corpus" / "teals-intro-cs-2"}
    checked = 0
    for name, root in sets.items():
        for line in (shared / "eval" / name).read_text(encoding="utf-8").splitlines():
            question = json.loads(line)
            if question["kind"] != "answerable":
                continue
            text = fold(load_file(root / question["source"], settings).text)
            assert any(fold(e) in text for e in question["evidence"]), question["id"]
            checked += 1
    assert checked > 0
