"""Pure parts of retrieval: duplicate collapse. (The index translates filters itself: see
tests/ingest/stores/test_filters.py.)"""

from __future__ import annotations

from bot.engine.retrieval import Hit, collapse_duplicates
from ingest.stores import StoredChunk

PASSAGE = ("Students rotate through three stations every twelve minutes while the teacher confers "
           "with a small group at the back table and records evidence on a class checklist.")
TAIL = (" Then the class debriefs what worked, which station ran long, who needs another try tomorrow, "
        "how the groups should change on Monday, and what materials to prepare for the next rotation cycle.")
OTHER = ("Exit tickets ask each student to place a fraction on a number line and explain the "
         "placement in one sentence before leaving the room for lunch.")


def chunk(cid: str, doc: str, text: str, fmt: str = "md") -> StoredChunk:
    return StoredChunk(chunk_id=cid, doc_id=doc, ord=0, text=text, page=None, slide=None, section="",
                       section_starts=[], title="T", path=f"/{doc}.{fmt}", url=None, type="guide", grade="",
                       subject="", fmt=fmt)


def hits(*chunks: StoredChunk) -> list[Hit]:
    return [Hit(chunk=c, score=1.0 - i / 10) for i, c in enumerate(chunks)]


def test_the_same_passage_in_two_formats_fills_one_slot_and_quotes_the_cleanest():
    pdf = chunk("p", "dpdf", PASSAGE.replace(" ", "  "), fmt="pdf")
    md = chunk("m", "dmd", "## Stations\n\n" + PASSAGE, fmt="md")
    (slot, second) = collapse_duplicates(hits(pdf, md, chunk("o", "dother", OTHER)), 5)
    assert slot.chunk.fmt == "md" and slot.score == 0.9 + 0.1  # the better rank, the cleaner text
    assert [d.chunk_id for d in slot.duplicates] == ["p"]
    assert second.chunk.chunk_id == "o"


def test_an_overlapping_copy_from_another_document_is_collapsed_without_swapping():
    first = chunk("a", "report-txt", PASSAGE + " " + OTHER, fmt="txt")
    copy = chunk("b", "report-pdf", OTHER + TAIL, fmt="md")
    (slot,) = collapse_duplicates(hits(first, copy), 5)
    assert slot.chunk.chunk_id == "a" and [d.chunk_id for d in slot.duplicates] == ["b"]


def test_chunks_of_one_document_sharing_some_words_keep_their_slots():
    a = chunk("a", "lesson", PASSAGE + " " + OTHER)
    b = chunk("b", "lesson", OTHER + TAIL)
    assert [h.chunk.chunk_id for h in collapse_duplicates(hits(a, b), 5)] == ["a", "b"]


def test_collapse_stops_at_k():
    many = [chunk(str(i), f"d{i}", " ".join(f"w{i}x{j}" for j in range(12))) for i in range(8)]
    assert len(collapse_duplicates(hits(*many), 3)) == 3

