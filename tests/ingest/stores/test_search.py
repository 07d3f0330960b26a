"""Searches at scale. Keyword search ranks exactly as FTS5's bm25() of the OR of the question's
words does (the catalog computes it as a sum of cached one-word scores: see
`Catalog.search_keyword`), with and without filters, and sees a change to the index at once.
A filtered dense search (among the chunk ids the catalog lets through) finds what a Chroma
`where` clause finds."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from ingest.domain import Filters
from ingest.settings import Settings
from ingest.stores import KnowledgeBase
from ingest.stores.catalog import filters_sql
from ingest.stores.vectors import filters_where

COMMON = "students teacher lesson class practice group".split()
RARE = "fractions rubric debugging python dictionary loops portfolio coalition exit ticket".split()
TYPES = ("guide", "report", "choice_board")


def fts5_ranking(kb: KnowledgeBase, terms: list[str], k: int, filters: Filters | None) -> list[tuple[str, float]]:
    """The ranking as one FTS5 query computes it (the catalog's code before the sum)."""
    match = " OR ".join('"' + t.replace('"', "") + '"' for t in terms)
    where, params = filters_sql(filters)
    sql = f"""SELECT c.chunk_id, -bm25(chunks_fts, 2.0, 1.5, 1.0) AS score
              FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid JOIN documents d ON d.doc_id = c.doc_id
              WHERE chunks_fts MATCH ? {where} ORDER BY bm25(chunks_fts, 2.0, 1.5, 1.0), c.rowid LIMIT ?"""
    return kb.catalog.db.query(sql, [match, *params, k], row=lambda r: (r[0], float(r[1])))


def add(kb: KnowledgeBase, doc: int, texts: list[tuple[str, str, str]], type_: str, grade: tuple[int, int]) -> None:
    with kb.catalog.db.transaction() as tx:
        tx.execute("""INSERT INTO documents(doc_id, source_key, path, title, fmt, content_hash, version, type, grade,
                      grade_min, grade_max, subject, chunks, size, added_at, updated_at)
                      VALUES (?, ?, ?, ?, 'md', 'h', 'v', ?, '', ?, ?, '', ?, 0, 0, 0)""",
                   (f"d{doc}", f"/k/{doc}.md", f"/k/{doc}.md", texts[0][0], type_, *grade, len(texts)))  # fmt: skip
        for i, (title, section, body) in enumerate(texts):
            cur = tx.execute("""INSERT INTO chunks(chunk_id, doc_id, ord, text, section, section_starts, char_start,
                                char_end, tokens) VALUES (?, ?, ?, ?, ?, '[]', 0, 0, 0)""",
                             (f"d{doc}-{i}", f"d{doc}", i, body, section))  # fmt: skip
            tx.execute("INSERT INTO chunks_fts(rowid, title, section, body) VALUES (?, ?, ?, ?)",
                       (cur.lastrowid, title, section, body))  # fmt: skip


@pytest.fixture
def kb(tmp_path: Path) -> KnowledgeBase:
    kb = KnowledgeBase(Settings(_env_file=None, data_dir=tmp_path / "data"))
    rng = random.Random(3)
    words = lambda n: " ".join(rng.choice(COMMON * 4 + RARE) for _ in range(n))  # noqa: E731
    for doc in range(60):
        texts = [(words(3), words(2), words(rng.randint(5, 60))) for _ in range(rng.randint(1, 8))]
        add(kb, doc, texts, TYPES[doc % 3], (doc % 13, doc % 13 + 2))
    add(kb, 60, [("same", "same", "exit ticket exit ticket")] * 3, "guide", (0, 12))  # equal scores: by rowid
    yield kb
    kb.close()


QUERIES = [["students"], ["rubric"], ["students", "fractions"], ["exit", "ticket", "students", "lesson"],
           ["python", "loops", "debugging", "teacher", "class", "group"], ["students", "students"],
           ["coalition", "nowhere"], ["nowhere"], ["don't", "portfolio"]]  # fmt: skip
FILTERS = [None, Filters(type="report"), Filters(grade="5"), Filters(type="guide", grade="9-12")]


@pytest.mark.parametrize("filters", FILTERS)
def test_keyword_search_ranks_as_one_fts5_query(kb: KnowledgeBase, filters: Filters | None) -> None:
    for terms in QUERIES:
        for k in (1, 5, 60, 1000):
            assert kb.search_keyword(terms, k, filters) == fts5_ranking(kb, terms, k, filters), (terms, k)
    assert kb.search_keyword([], 5, filters) == []


def test_filtered_keyword_search_returns_only_chunks_the_filter_lets_through(kb: KnowledgeBase) -> None:
    hits = kb.search_keyword(["students", "rubric"], 1000, Filters(type="report"))
    assert hits and {kb.chunks([c])[c].type for c, _ in hits} == {"report"}
    assert kb.search_keyword(["students"], 5, Filters(type="lesson_template")) == []


def test_keyword_search_sees_a_new_chunk_at_once(kb: KnowledgeBase) -> None:
    before = kb.search_keyword(["zebra", "students"], 5)
    assert kb.term_frequency("zebra") == 0
    add(kb, 99, [("zebra zebra", "zebra", "zebra students")], "report", (0, 12))
    after = kb.search_keyword(["zebra", "students"], 5)
    assert after[0][0] == "d99-0" and after != before and kb.term_frequency("zebra") == 1
    assert after == fts5_ranking(kb, ["zebra", "students"], 5, None)  # idf and lengths moved for every row
    assert [c for c, _ in kb.search_keyword(["zebra"], 5, Filters(type="report"))] == ["d99-0"]


def test_filtered_dense_search_finds_what_a_where_clause_finds(kb: KnowledgeBase) -> None:
    rng = np.random.default_rng(5)
    rows = kb.catalog.db.query("SELECT c.chunk_id, d.doc_id, d.type, d.grade_min, d.grade_max FROM chunks c "
                               "JOIN documents d ON d.doc_id = c.doc_id", row=tuple)  # fmt: skip
    vecs = rng.normal(size=(len(rows), 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    metas = [{"doc_id": d, "type": t, "grade_min": lo, "grade_max": hi, "subject": ""} for _, d, t, lo, hi in rows]
    kb.vectors.upsert([r[0] for r in rows], vecs, ["x"] * len(rows), metas)
    types = {r[0]: r[2] for r in rows}
    for q in vecs[:5]:
        for f in FILTERS:
            got = kb.search_dense(q, 10, f)
            where = filters_where(f)
            want = kb.vectors.collection.query(query_embeddings=[q], n_results=10, where=where, include=["distances"])
            assert [c for c, _ in got] == want["ids"][0], f
            assert got and (f is None or f.type is None or {types[c] for c, _ in got} == {f.type})
    assert kb.search_dense(vecs[0], 10, Filters(type="lesson_template")) == []  # a filter nothing passes


def test_common_words_read_ahead_rank_the_same(kb: KnowledgeBase) -> None:
    from ingest.stores.catalog import fts5_tokens

    assert fts5_tokens('"students"') == fts5_tokens('"student"') == ("student",)
    assert kb.catalog.warm_keywords(share=0.2) >= len(COMMON)  # the common words, under their stems
    for terms in QUERIES:
        assert kb.search_keyword(terms, 60) == fts5_ranking(kb, terms, 60, None), terms
        assert kb.search_keyword(terms, 60, Filters(grade="5")) == fts5_ranking(kb, terms, 60, Filters(grade="5"))


def test_a_filter_every_chunk_passes_searches_without_restriction(kb: KnowledgeBase, monkeypatch) -> None:
    seen = []
    monkeypatch.setattr(kb.vectors, "query", lambda *a, **kw: seen.append(kw.get("ids")) or [])
    kb.search_dense(np.ones(16, dtype=np.float32), 5, Filters(grade="K-12"))  # every document's band meets K-12
    kb.search_dense(np.ones(16, dtype=np.float32), 5, Filters(type="report"))
    assert seen[0] is None and seen[1] and set(seen[1]) == set(kb.catalog.filtered_rows(Filters(type="report"))[1])
