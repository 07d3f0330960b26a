"""Hybrid retrieval: dense (Chroma) and keyword (SQLite FTS5 BM25) candidates, fused by
reciprocal rank, with the same passage found in several formats collapsed into one slot."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import numpy as np

from ingest.domain import Filters
from ingest.embeddings import Encoder
from ingest.stores import KnowledgeBase, StoredChunk, keyword_terms

from .text import containment, fingerprint, stem, stems

CANDIDATES = 40
DUPLICATE_CONTAINMENT = 0.6  # share of word pairs: the same passage
OVERLAP_CONTAINMENT = 0.4  # across documents: an overlapping copy
W_DENSE, W_KEYWORD, W_COVERAGE = 0.6, 0.4, 0.4


@dataclass
class Hit:
    chunk: StoredChunk
    score: float  # fused score (higher is better)
    dense: float = 0.0  # cosine similarity to the question (0 when not a dense candidate)
    keyword: float = 0.0  # BM25 score (0 when not a keyword candidate)
    coverage: float = 0.0  # IDF-weighted share of the question's keywords in the passage
    duplicates: list[StoredChunk] = field(default_factory=list)  # the same passage elsewhere


@dataclass
class Retrieval:
    question: str
    hits: list[Hit]
    timings_ms: dict[str, float]
    terms: list[str]


class Retriever:
    """Dense and keyword candidates, scored together:

    score = W_DENSE * cosine + W_KEYWORD * bm25 / best bm25 + W_COVERAGE * coverage

    where cosine is computed exactly for every candidate (not only the dense ones) and coverage is
    the IDF-weighted share of the question's keywords that the passage (with its title and
    headings) contains. Reciprocal-rank fusion was measured and ranked worse: it buries a passage
    that only one of the two searches finds first.
    """

    def __init__(self, kb: KnowledgeBase, encoder: Encoder, idf: Callable[[str], float] | None = None) -> None:
        self.kb = kb
        self.encoder = encoder
        self.idf = idf or (lambda term: 1.0)

    def dense(self, vec: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        return self.kb.search_dense(vec, k, filters)

    def keyword(self, terms: list[str], k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        return self.kb.search_keyword(terms, k, filters)

    def coverage(self, terms: list[str], text: str) -> float:
        """IDF-weighted share of the question's keywords that occur in `text`."""
        if not terms:
            return 0.0
        have = stems(text)
        weights = {stem(t): self.idf(t) for t in terms}
        total = sum(weights.values()) or 1.0
        return sum(w for t, w in weights.items() if t in have) / total

    def search(self, question: str, filters: Filters | None = None, k: int = 5,
               vec: np.ndarray | None = None) -> Retrieval:
        t0 = time.perf_counter()
        if vec is None:
            vec = self.encoder.encode_query(question)  # the question is embedded once
        t1 = time.perf_counter()
        dense = dict(self.dense(vec, CANDIDATES, filters))
        t2 = time.perf_counter()
        terms = keyword_terms(question)
        keyword = dict(self.keyword(terms, CANDIDATES, filters))
        t3 = time.perf_counter()

        ids = list(dict.fromkeys([*dense, *keyword]))
        missing = [i for i in ids if i not in dense]
        cosine = dict(dense)
        if missing:
            cosine.update(self.kb.similarities(vec, missing))
        chunks = self.kb.chunks(ids)
        best_kw = max(keyword.values(), default=0.0) or 1.0
        hits = []
        for cid in ids:
            c = chunks.get(cid)
            if c is None:
                continue
            cov = self.coverage(terms, f"{c.title} {c.section} {c.text}")
            cos = cosine.get(cid, 0.0)
            kw = keyword.get(cid, 0.0)
            score = W_DENSE * cos + W_KEYWORD * kw / best_kw + W_COVERAGE * cov
            hits.append(Hit(chunk=c, score=score, dense=cos, keyword=kw, coverage=cov))
        hits.sort(key=lambda h: h.score, reverse=True)
        hits = collapse_duplicates(hits, k)
        t4 = time.perf_counter()
        timings = {"embed": (t1 - t0) * 1e3, "dense": (t2 - t1) * 1e3, "keyword": (t3 - t2) * 1e3, "rank": (t4 - t3) * 1e3}
        return Retrieval(question, hits, timings, terms)


# When the same passage exists in several formats, quote the one whose text is cleanest:
# text-native formats keep the author's words and markup; PDF extraction adds layout noise.
FORMAT_PREFERENCE = {"md": 0, "txt": 1, "html": 2, "docx": 3, "pptx": 4, "pdf": 5}


def collapse_duplicates(hits: list[Hit], k: int) -> list[Hit]:
    """One slot per passage. A later hit joins a better-ranked one instead of taking a slot when
    it is the same passage (most of its word pairs shared: another format of the document), and
    then the slot quotes the cleanest format; or when it comes from another document and
    overlaps the kept passage substantially (a copy of the document whose chunks were cut at
    other places, such as a report's PDF beside its text version)."""
    kept: list[tuple[Hit, frozenset[str]]] = []
    for h in hits:
        fp = _fingerprint(h.chunk.chunk_id, h.chunk.text)
        for i, (other, ofp) in enumerate(kept):
            shared = containment(fp, ofp)
            if shared >= DUPLICATE_CONTAINMENT:
                if _pref(h.chunk) < _pref(other.chunk):
                    other.duplicates.append(other.chunk)
                    other.chunk = h.chunk
                    kept[i] = (other, fp)
                else:
                    other.duplicates.append(h.chunk)
                break
            if shared >= OVERLAP_CONTAINMENT and h.chunk.doc_id != other.chunk.doc_id:
                other.duplicates.append(h.chunk)
                break
        else:
            kept.append((h, fp))
            if len(kept) >= k:
                break
    return [h for h, _ in kept]


def _pref(c: StoredChunk) -> int:
    return FORMAT_PREFERENCE.get(c.fmt, 9)


@lru_cache(maxsize=20000)
def _fingerprint(chunk_id: str, text: str) -> frozenset[str]:
    return frozenset(fingerprint(text))
