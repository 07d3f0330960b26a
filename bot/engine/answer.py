"""The answer engine: retrieve, decide whether the knowledge base supports the question, and
compose a cited answer (extractive by default; written by a chat model when one is configured).

`Engine.answer(question, filters, history) -> Answer` is what the CLI and the Slack bot call.
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from ingest.domain import Answer, AnswerEngine, Filters, Source
from ingest.embeddings import Encoder
from ingest.settings import Settings
from ingest.stores import KnowledgeBase, keyword_terms

from .retrieval import Hit, Retrieval, Retriever
from .text import query_stems, section_without_title, sentence_spans, stem, stems, strip_markup_prefix

if TYPE_CHECKING:
    from .llm import LLMWriter

log = logging.getLogger(__name__)

# Support = cosine + keyword coverage of the best of the top three passages. Calibrated on the
# public question sets and bench/questions/dev_questions.jsonl (README, "Measured on ...").
DEFAULT_MIN_SUPPORT = 0.92
MAX_ANSWER_POINTS = 5
LEAD_WINDOW = 3
_MIN_QUOTE_WORDS = 5
_WORDS = re.compile(r"\w+")
_TABLE_RULE = re.compile(r"^\|?[\s:|-]+$")
_FOLLOW_UP_WORDS = re.compile(r"\b(it|its|this|that|these|those|they|them|there|one|ones|more|else|also|same|example|instead)\b", re.I)


@dataclass
class Support:
    """How well the best passage supports the question."""

    dense: float  # cosine similarity of the best passage
    coverage: float  # IDF-weighted share of the question's words found in it
    score: float


class Engine(AnswerEngine):
    def __init__(self, settings: Settings, kb: KnowledgeBase | None = None, encoder: Encoder | None = None,
                 writer: "LLMWriter | None" = None) -> None:
        self.settings = settings
        self.kb = kb or KnowledgeBase(settings)
        self.encoder = encoder or Encoder.from_settings(settings)
        self._idf = lru_cache(maxsize=50000)(self._idf_uncached)
        self.retriever = Retriever(self.kb, self.encoder, idf=self.idf)
        self.min_support = settings.min_support if settings.min_support is not None else DEFAULT_MIN_SUPPORT
        self._writer = writer

    @classmethod
    def from_settings(cls, settings: Settings) -> "Engine":
        return cls(settings)

    def index_changed(self) -> None:
        """Documents were added or removed while running: forget cached keyword statistics."""
        self._idf.cache_clear()

    def warm(self) -> None:
        """Load the model and open the index now rather than on the first question."""
        self.encoder.encode_query("warm up")
        self.kb.warm()

    @property
    def writer(self):
        if self._writer is None and self.settings.llm:
            from .llm import LLMWriter

            self._writer = LLMWriter.from_settings(self.settings)
        return self._writer

    # -- public ----------------------------------------------------------------------------------
    def answer(self, question: str, filters: Filters | None = None,
               history: list[tuple[str, str]] | None = None, k: int | None = None) -> Answer:
        t0 = time.perf_counter()
        question = question.strip()
        standalone = self.standalone(question, history) if history else question
        retrieval = self.retriever.search(standalone, filters, k=k or self.settings.top_k)
        support = self.support(standalone, retrieval)
        timings = dict(retrieval.timings_ms)
        if not retrieval.hits or support.score < self.min_support:
            ans = self._abstain(question)
        else:
            sources = self.sources(standalone, retrieval.hits)
            ans = None
            if self.writer is not None:
                ans = self.writer.write(question, standalone, sources, history or [])
            if ans is None:
                ans = Answer(question=question, text=self.extractive_text(standalone, sources), abstained=False,
                             sources=sources)
        ans.standalone_question = standalone if standalone != question else None
        timings["total"] = (time.perf_counter() - t0) * 1e3
        ans.timings_ms = timings
        ans.support = round(support.score, 4)
        return ans

    # -- follow-ups ------------------------------------------------------------------------------
    def standalone(self, question: str, history: list[tuple[str, str]]) -> str:
        """A follow-up rewritten to stand on its own. A configured chat model rewrites it; without
        one, a short or referring follow-up is searched together with the previous question."""
        if self.writer is not None:
            rewritten = self.writer.condense(question, history)
            if rewritten:
                return rewritten
        previous = [text for role, text in history if role == "user" and text.strip() != question]
        if not previous:
            return question
        content_words = len(query_stems(question))
        if content_words <= 4 or _FOLLOW_UP_WORDS.search(question):
            return f"{previous[-1].strip()} {question}"
        return question

    # -- support ---------------------------------------------------------------------------------
    def _idf_uncached(self, term: str) -> float:
        n = max(1, self.kb.chunk_count())
        df = self.kb.term_frequency(term)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def idf(self, term: str) -> float:
        return self._idf(term)

    def support(self, question: str, retrieval: Retrieval) -> Support:
        if not retrieval.hits:
            return Support(0.0, 0.0, 0.0)
        return max((Support(h.dense, h.coverage, h.dense + h.coverage) for h in retrieval.hits[:3]),
                   key=lambda s: s.score)

    # -- sources and extractive answers ----------------------------------------------------------
    def sources(self, question: str, hits: list[Hit]) -> list[Source]:
        weights = self._weights(question)
        out = []
        for n, h in enumerate(hits, start=1):
            c = h.chunk
            start, end = self.best_sentence(c.text, weights, _labels(c.title, c.section))
            out.append(
                Source(
                    n=n, title=c.title, path=c.path or "", page=c.page, section=section_without_title(c.section_at(start), c.title),
                    quote=c.text[start:end], text=c.text, score=round(h.score, 6), doc_type=c.type,
                    doc_id=c.doc_id, chunk_id=c.chunk_id, slide=c.slide, url=c.url, grade=c.grade,
                    subject=c.subject,
                )
            )
        return out

    def _weights(self, question: str) -> dict[str, float]:
        """Question keywords (stemmed) with their IDF."""
        return {stem(t): self.idf(t) for t in keyword_terms(question)}

    @staticmethod
    def _sentence_scores(text: str, weights: dict[str, float], labels: set[str]) -> list[tuple[float, int, int]]:
        """Score each quotable sentence by the IDF of the question words it contains. Headings and
        lines that only repeat the title or a heading are not quotable."""
        scored = []
        for a, b in sentence_spans(text):
            raw = text[a:b].lstrip()
            if raw.startswith("#") or _TABLE_RULE.match(raw):
                continue
            a, b = strip_markup_prefix(text, a, b)
            sent = text[a:b]
            words = len(_WORDS.findall(sent))
            if words < 3 or _label(sent) in labels or (raw.startswith("|") and words < 6):
                continue
            have = stems(sent)
            score = sum(w for t, w in weights.items() if t in have)
            if words < _MIN_QUOTE_WORDS or raw.startswith("|"):  # fragments and table rows quote poorly
                score *= 0.5
            scored.append((score, a, b))
        return scored

    def best_sentence(self, text: str, weights: dict[str, float], labels: set[str] = frozenset()) -> tuple[int, int]:
        scored = self._sentence_scores(text, weights, labels)
        if not scored:
            return strip_markup_prefix(text, 0, min(len(text), 300))
        best = max(scored, key=lambda s: (s[0], -s[1]))
        return best[1], best[2]

    def extractive_text(self, question: str, sources: list[Source]) -> str:
        """Verbatim sentences, each marked with its source number: from the best source, the run
        of up to three consecutive sentences or list items that matches the question best (steps
        of a procedure stay together, in order); then the best sentence of the next two sources
        when it matches nearly as well."""
        weights = self._weights(question)
        points: list[tuple[str, int]] = []
        best_single = 0.0
        for s in sources[:3]:
            scored = self._sentence_scores(s.text, weights, _labels(s.title, s.section))
            if not scored:
                continue
            if s is sources[0]:
                best_single = max(x[0] for x in scored)
                window = _best_window(scored, LEAD_WINDOW)
                points += [(s.text[a:b].strip(), s.n) for score, a, b in window if score > 0]
                continue
            score, a, b = max(scored, key=lambda x: (x[0], -x[1]))
            sent = s.text[a:b].strip()
            if score > 0 and score >= 0.5 * best_single and all(sent != p for p, _ in points):
                points.append((sent, s.n))
        if not points:
            points = [(sources[0].quote, sources[0].n)]
        return "\n".join(f"• {sent} [{n}]" for sent, n in points[:MAX_ANSWER_POINTS])

    def _abstain(self, question: str) -> Answer:
        """No answer, and why (the renderers word it for their readers)."""
        reason = "empty_index" if self.kb.chunk_count() == 0 else "no_support"
        return Answer(question=question, text="", abstained=True, sources=[], abstention=reason)



def _label(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


def _labels(title: str, section: str) -> set[str]:
    return {_label(title), *(_label(h) for h in section.split(" › "))}


def _best_window(scored: list[tuple[float, int, int]], size: int) -> list[tuple[float, int, int]]:
    """The run of up to `size` consecutive scored sentences with the highest total (the earliest
    on a tie), trimmed of sentences at its ends that match nothing."""
    ordered = sorted(scored, key=lambda x: x[1])
    best, best_total = ordered[:size], -1.0
    for i in range(len(ordered)):
        run = ordered[i : i + size]
        total = sum(x[0] for x in run)
        if total > best_total:
            best, best_total = run, total
    while len(best) > 1 and best[-1][0] <= 0:
        best = best[:-1]
    while len(best) > 1 and best[0][0] <= 0:
        best = best[1:]
    return best
