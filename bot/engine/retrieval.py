"""Hybrid retrieval: dense (Chroma) and keyword (SQLite FTS5 BM25) candidates, each scored by a
learned linear model over passage- and sentence-level signals (see ranking.py), with the same
passage found in several formats collapsed into one slot. Acronyms the knowledge base spells out
("PCBL", "PD") are expanded before searching."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Callable

import numpy as np

from ingest.aliases import question_acronyms
from ingest.domain import Filters
from ingest.embeddings import Encoder
from ingest.stores import KnowledgeBase, StoredChunk, keyword_terms

from .ranking import Linear, Model
from .text import WORDS, containment, fingerprint, stem, stems

CANDIDATES = 60  # from each search
DUPLICATE_CONTAINMENT = 0.6  # share of word pairs: the same passage
OVERLAP_CONTAINMENT = 0.4  # across documents: an overlapping copy
# A verified answer (a coach's reply, saved from Slack) ranks first when it is this close to the
# question in meaning: the same question asked again, or a paraphrase of it.
VERIFIED_MIN_COSINE = 0.6
VERIFIED_BONUS = 100.0
MIN_ALIAS_SIMILARITY = 0.15  # a long form must be this close to the question to replace an acronym


@dataclass
class Unit:
    """A sentence (list item, table row) of a passage, with its vector's cosine to the question."""

    start: int
    end: int
    dense: float  # cosine of the sentence
    window: float  # cosine of the sentence with the next one


@dataclass
class Hit:
    chunk: StoredChunk
    score: float  # ranking score (higher is better)
    dense: float = 0.0  # cosine similarity to the question
    keyword: float = 0.0  # BM25 score (0 when not a keyword candidate)
    coverage: float = 0.0  # IDF-weighted share of the question's keywords in the passage
    window: float = 0.0  # best cosine of two consecutive sentences
    sentence: float = 0.0  # best cosine of one sentence
    units: list[Unit] = field(default_factory=list)
    duplicates: list[StoredChunk] = field(default_factory=list)  # the same passage elsewhere

    def features(self, best_keyword: float) -> list[float]:
        return [self.dense, self.keyword / (best_keyword or 1.0), self.coverage, self.window, self.sentence]


@dataclass
class Retrieval:
    question: str
    hits: list[Hit]
    timings_ms: dict[str, float]
    terms: list[str]
    searched: str = ""  # the question as searched (acronyms expanded)
    vector: np.ndarray | None = None  # of `searched`
    question_vector: np.ndarray | None = None  # of `question`
    candidates: list[Hit] = field(default_factory=list)  # every candidate scored, best first
    best_keyword: float = 1.0

    @property
    def expanded(self) -> set[str]:
        """The acronyms spelled out for the search."""
        return set(re.findall(r"\(([A-Z][A-Z0-9&]+)\)", self.searched)) - set(re.findall(r"\(([A-Z][A-Z0-9&]+)\)", self.question))


class Retriever:
    """Dense and keyword candidates, each scored by the model's ranker (ranking.py). Cosine is
    computed exactly for every candidate (not only the dense ones); a passage's sentences and
    pairs of sentences are scored by their own vectors, so one sentence that answers the question
    lifts the passage it stands in. Reciprocal-rank fusion was measured and ranked worse: it
    buries a passage that only one of the two searches finds first."""

    def __init__(self, kb: KnowledgeBase, encoder: Encoder, idf: Callable[[str], float] | None = None,
                 ranker: Linear | None = None) -> None:
        self.kb = kb
        self.encoder = encoder
        self.idf = idf or (lambda term: 1.0)
        self.ranker = ranker or Model.load().ranker
        self._alias_vectors: dict[str, np.ndarray] = {}

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

    # -- acronyms --------------------------------------------------------------------------------
    def expand(self, question: str, vec: np.ndarray) -> str:
        """The question with each acronym that the knowledge base never writes ("PCBL") followed
        by the long form its documents use, chosen by closeness to the question when several
        fit ("PD" in a question about training days: professional development, not "Pat drew")."""
        out = question
        for abbr in question_acronyms(question):
            if self.kb.term_frequency(abbr.lower()) > 0:
                continue  # the documents use the acronym itself: keyword search finds it
            candidates = [(p, w) for p, w in self.kb.alias_candidates(abbr) if w >= 2]
            if not candidates:
                continue
            vecs = self._phrase_vectors([p for p, _ in candidates])
            scored = [(float(v @ vec) + 0.05 * math.log(w), p) for (p, w), v in zip(candidates, vecs)]
            score, phrase = max(scored)
            if score >= MIN_ALIAS_SIMILARITY:
                out = out.replace(abbr, f"{phrase} ({abbr})", 1)
        return out

    def _phrase_vectors(self, phrases: list[str]) -> list[np.ndarray]:
        missing = [p for p in phrases if p not in self._alias_vectors]
        if missing:
            self._alias_vectors.update(zip(missing, self.encoder.encode_queries(missing)))  # question time: one thread
        return [self._alias_vectors[p] for p in phrases]

    # -- search ----------------------------------------------------------------------------------
    def search(self, question: str, filters: Filters | None = None, k: int = 5,
               vec: np.ndarray | None = None) -> Retrieval:
        return self.rank(self.gather(question, filters, vec), k)

    def gather(self, question: str, filters: Filters | None = None, vec: np.ndarray | None = None) -> Retrieval:
        """Candidates of both searches with their signals, not yet ranked."""
        t0 = time.perf_counter()
        if vec is None:
            vec = self.encoder.encode_query(question)  # the question is embedded once...
        question_vec = vec
        searched = self.expand(question, vec)
        if searched != question:  # ...or twice, when an acronym was spelled out
            vec = self.encoder.encode_query(searched)
        t1 = time.perf_counter()
        dense = dict(self.dense(vec, CANDIDATES, filters))
        t2 = time.perf_counter()
        terms = keyword_terms(searched)
        keyword = dict(self.keyword(terms, CANDIDATES, filters))
        t3 = time.perf_counter()

        ids = list(dict.fromkeys([*dense, *keyword]))
        missing = [i for i in ids if i not in dense]
        cosine = dict(dense)
        if missing:
            cosine.update(self.kb.similarities(vec, missing))
        chunks = self.kb.chunks(ids)
        sums = self.kb.sentence_sums(ids)
        best_kw = max(keyword.values(), default=0.0) or 1.0
        candidates = []
        for cid in ids:
            c = chunks.get(cid)
            if c is None:
                continue
            cos = cosine.get(cid, 0.0)
            units = score_units(c.text, sums.get(cid, []), vec)
            best_sentence = max((u.dense for u in units), default=cos)
            best_window = max((u.window for u in units), default=best_sentence)
            candidates.append(Hit(chunk=c, score=0.0, dense=cos, keyword=keyword.get(cid, 0.0),
                                  coverage=self.coverage(terms, f"{c.title} {c.section} {c.text}"),
                                  window=max(best_window, best_sentence), sentence=best_sentence, units=units))
        t4 = time.perf_counter()
        timings = {"embed": (t1 - t0) * 1e3, "dense": (t2 - t1) * 1e3, "keyword": (t3 - t2) * 1e3, "rank": (t4 - t3) * 1e3}
        return Retrieval(question, [], timings, terms, searched, vec, question_vec, candidates, best_kw)

    def rank(self, gathered: Retrieval, k: int) -> Retrieval:
        """Score the candidates with the ranker, best first, one slot per passage."""
        t0 = time.perf_counter()
        hits = [replace(h, duplicates=[]) for h in gathered.candidates]
        if hits:
            scores = self.ranker.score(np.array([h.features(gathered.best_keyword) for h in hits]))
            for h, s in zip(hits, scores):
                h.score = float(s)
        for h in hits:  # a coach's verified answer that matches comes first
            if h.chunk.type == "verified_answer" and h.dense >= VERIFIED_MIN_COSINE:
                h.score += VERIFIED_BONUS
        hits.sort(key=lambda h: h.score, reverse=True)
        ranked = list(hits)
        timings = dict(gathered.timings_ms)
        collapsed = collapse_duplicates(hits, k)
        timings["rank"] = timings.get("rank", 0.0) + (time.perf_counter() - t0) * 1e3
        return replace(gathered, hits=collapsed, candidates=ranked, timings_ms=timings)


def score_units(text: str, unit_sums: list[tuple[int, int, np.ndarray]], vec: np.ndarray) -> list[Unit]:
    """Cosine of each sentence of a passage, and of each sentence joined with the next one, from
    the stored token-vector sums. Fragments of fewer than three words are not scored."""
    kept = [(a, b, v) for a, b, v in unit_sums if quotable_words(text[a:b]) >= 3]
    if not kept:
        return []
    q = vec.astype(np.float32)
    sums = np.stack([v for _, _, v in kept])
    pairs = sums[:-1] + sums[1:] if len(kept) > 1 else sums

    def cos(m: np.ndarray) -> np.ndarray:
        norms = np.linalg.norm(m, axis=1)
        return (m @ q) / np.where(norms > 0, norms, 1.0)

    single, double = cos(sums), cos(pairs)
    return [Unit(a, b, float(single[i]), float(double[i]) if i < len(double) else float(single[i]))
            for i, (a, b, _) in enumerate(kept)]


def quotable_words(text: str) -> int:
    return len(WORDS.findall(text))


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
                    other.chunk, other.units = h.chunk, h.units  # the units' offsets are the chunk's
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
