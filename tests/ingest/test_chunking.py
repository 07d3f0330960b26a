"""The chunker with the real tokenizer: verbatim slices, page/slide boundaries, word-piece limits."""

from __future__ import annotations

import pytest

from ingest.chunking import Chunker, split_blocks, substantive
from ingest.domain import Document, Section


@pytest.fixture
def chunker(encoder) -> Chunker:
    return Chunker(encoder.count_tokens, target_tokens=120, max_tokens=encoder.max_tokens)


def sentence(i: int) -> str:
    return f"Sentence number {i} explains how students rotate through the stations and record evidence."


def test_chunks_are_verbatim_and_within_the_model_window(chunker: Chunker, encoder):
    body = " ".join(sentence(i) for i in range(60))
    doc = Document(None, "A long guide with a fairly long title about stations", [
        Section("# Stations\n\n" + body, heading=("Stations",)),
        Section("## Debrief\n\nAsk two students to share.", heading=("Stations", "Debrief")),
    ], source_key="k")
    chunks = chunker.chunk(doc)
    assert len(chunks) > 3
    for c in chunks:
        assert doc.text[c.char_start:c.char_end] == c.text
        assert c.embed_text.endswith(c.text) and c.embed_text.startswith(doc.title)
        assert encoder.count_tokens([c.embed_text])[0] <= encoder.max_tokens
    # whole sentences: every sentence stands complete in some chunk
    for i in range(60):
        assert any(sentence(i) in c.text for c in chunks)
    assert [c.ord for c in chunks] == list(range(len(chunks)))


def test_chunks_never_cross_pages_and_keep_page_numbers(chunker: Chunker):
    pages = [Section(f"Page {n} says the unit focuses on fractions and number lines.", page=n) for n in (1, 2, 3)]
    chunks = chunker.chunk(Document(None, "Report", pages, source_key="k"))
    assert [c.page for c in chunks] == [1, 2, 3]
    assert all(f"Page {c.page}" in c.text for c in chunks)


def test_a_heading_goes_with_the_text_below_it(chunker: Chunker):
    for n in range(4, 12):  # wherever the budget runs out, the heading is not left behind
        text = " ".join(sentence(i) for i in range(n)) + "\n\n## Materials\n\nPaper strips, markers and a number line."
        chunks = chunker.chunk(Document(None, "T", [Section(text)], source_key="k"))
        (holder,) = [c for c in chunks if "## Materials" in c.text]
        assert "Paper strips" in holder.text


def test_a_sentence_longer_than_a_chunk_is_cut_into_windows(chunker: Chunker, encoder):
    words = " ".join(f"word{i}" for i in range(600))
    chunks = chunker.chunk(Document(None, "T", [Section(words)], source_key="k"))
    assert len(chunks) >= 3
    assert all(encoder.count_tokens([c.embed_text])[0] <= encoder.max_tokens for c in chunks)
    assert " ".join(c.text for c in chunks) == words


def test_section_starts_name_the_heading_in_force(chunker: Chunker):
    doc = Document(None, "Lesson", [
        Section("## Launch\n\nFold the strips.", heading=("Launch",)),
        Section("## Practice\n\nPlace the cards on the line.", heading=("Practice",)),
    ], source_key="k")
    (chunk,) = chunker.chunk(doc)
    offset = chunk.text.index("Place the cards")
    current = [h for start, h in chunk.section_starts if start <= offset][-1]
    assert current == ("Practice",)


def test_blocks_split_lists_and_tables_but_not_wrapped_lines():
    text = "A wrapped\nparagraph line.\n* item one\n* item two\n| a | b |\n| 1 | 2 |"
    spans = [text[a:b] for a, b in split_blocks(text)]
    assert spans == ["A wrapped\nparagraph line.", "* item one", "* item two", "| a | b |", "| 1 | 2 |"]


def test_link_only_and_rule_only_chunks_are_dropped(chunker: Chunker):
    assert not substantive("https://example.org/units/5_unit/slidedecks/Intro%20Python.pptx")
    assert not substantive("| --- | --- |")
    assert substantive("Pick three squares in a row.")
    doc = Document(None, "T", [Section("https://example.org/a/b/c.pptx", page=1), Section("Real words are here today.", page=2)], source_key="k")
    assert [c.page for c in chunker.chunk(doc)] == [2]


def test_a_heading_is_a_block_of_its_own_even_without_a_blank_line():
    from ingest.chunking import sentence_spans, split_blocks

    text = "## How it works\nThe lighthouse warm-up has each student circle three words.\nThen they pick a column."
    blocks = [text[a:b] for a, b in split_blocks(text)]
    assert blocks[0] == "## How it works"
    assert blocks[1].startswith("The lighthouse warm-up")
    spans = [text[a:b] for a, b in sentence_spans(text)]
    assert spans == ["## How it works", "The lighthouse warm-up has each student circle three words.", "Then they pick a column."]


def test_a_title_or_an_initial_does_not_end_a_sentence():
    from ingest.chunking import sentence_spans

    text = "Mr. Okafor keeps a rain stick. Ask Dr. Lee or J. Rivera, e.g. Before lunch. Grade 5. Then stop."
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "Mr. Okafor keeps a rain stick.", "Ask Dr. Lee or J. Rivera, e.g. Before lunch.", "Grade 5.", "Then stop.",
    ]


def test_a_word_or_web_heading_is_a_block_of_its_own(chunker):
    # a .docx section starts with its heading's text, no `#`: it must not be glued to the paragraph
    doc = Document(None, "Board", [Section("How students choose\nEveryone completes the center square first. Then two more.",
                                           heading=("How students choose",))], source_key="k")
    (chunk,) = chunker.chunk(doc)
    assert [chunk.text[a:b] for a, b in chunk.units] == [
        "How students choose", "Everyone completes the center square first.", "Then two more.",
    ]
