"""The answer engine: retrieve, decide whether the knowledge base supports the question, and
compose a cited answer (extractive by default; written by a chat model when one is configured).

`Engine.answer(question, filters, history) -> Answer` is what the CLI and the Slack bot call.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from ingest.domain import Answer, AnswerEngine, Filters, Source
from ingest.embeddings import Encoder
from ingest.settings import Settings
from ingest.stores import KnowledgeBase, keyword_terms

from .ranking import ABSTAIN_FEATURES, Model
from .retrieval import Hit, Retrieval, Retriever, Unit
from .text import WORDS, fold_markup, query_stems, section_without_title, stem, stems, strip_markup_prefix

if TYPE_CHECKING:
    from .llm import LLMWriter

log = logging.getLogger(__name__)

MAX_ANSWER_POINTS = 5
LEAD_WINDOW = 3  # the lead sentence and up to two that follow it (steps stay together)
ANSWER_PASSAGES = 4  # sentences are drawn from the best four passages
# Another passage's best sentence joins the answer when it scores within this much of the lead
# (sentence-model units). Measured on the shared sets: answers containing the evidence rose from
# 48 to 62 of 94 as the margin went from 1 to 3 with four passages and five points.
OTHER_SOURCE_MARGIN = 3.0
CLOSEST = 2  # passages shown as "closest material" when Guidepost abstains
RARE_SHARE = 0.05  # a word in at most 5% of passages is rare
# A sentence is quoted only if it is this close to the question in meaning, or shares this
# much of its (IDF-weighted) wording: nothing unrelated is ever quoted.
MIN_SENTENCE_COSINE = 0.25
MIN_SENTENCE_COVERAGE = 0.34
_TABLE_RULE = re.compile(r"^\|?[\s:|-]+$")
_LINK = re.compile(r"!?\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])|https?://\S+|www\.\S+")
_BLANK = re.compile(r"_{3,}")
_LABEL = re.compile(r"[\w ./#-]{1,30}:")
_NAME_WORD = re.compile(r"\b[A-Za-z][A-Za-z0-9]*\b")
_ITEM = re.compile(r"\s*(?:[-*•+]|\d{1,2}[.)])\s+")  # what a list item's line starts with
_FOLLOW_UP_WORDS = re.compile(r"\b(it|its|this|that|these|those|they|them|there|one|ones|more|else|also|same|example|instead)\b", re.I)


@dataclass
class Candidate:
    """A sentence that could be quoted, with the signals that score it."""

    hit: int  # index of its passage among the sources
    unit: Unit
    coverage: float
    score: float = 0.0

    def features(self, hits: list[Hit]) -> list[float]:
        return [self.unit.dense, self.unit.window, self.coverage, hits[self.hit].score - hits[0].score]


class Engine(AnswerEngine):
    def __init__(self, settings: Settings, kb: KnowledgeBase | None = None, encoder: Encoder | None = None,
                 writer: "LLMWriter | None" = None, model: Model | None = None) -> None:
        self.settings = settings
        self.kb = kb or KnowledgeBase(settings)
        self.encoder = encoder or Encoder.from_settings(settings)
        self.kb.use_encoder(self.encoder.vector_space, legacy=self.encoder.model_id)  # its vectors, or a clear error
        self._idf = lru_cache(maxsize=50000)(self._idf_uncached)
        self._df = lru_cache(maxsize=50000)(self.kb.term_frequency)
        model = model or Model.load()
        self.retriever = Retriever(self.kb, self.encoder, idf=self.idf, ranker=model.ranker)
        self.use_model(model)
        self._writer = writer

    @classmethod
    def from_settings(cls, settings: Settings) -> "Engine":
        return cls(settings)

    def use_model(self, model: Model) -> None:
        """Rank, abstain and pick sentences with `model` (eval swaps in each fold's model)."""
        self.model = model
        self.retriever.ranker = model.ranker
        ms = self.settings.min_support
        self.min_support = ms if ms is not None else model.abstainer.threshold

    def index_changed(self) -> None:
        """Documents were added or removed while running: forget cached keyword statistics."""
        self._idf.cache_clear()
        self._df.cache_clear()

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
    def answer_streaming(self, question: str, filters: Filters | None = None,
                         history: list[tuple[str, str]] | None = None, *, on_token: Callable[[str], None]) -> Answer:  # fmt: skip
        return self.answer(question, filters, history, on_token=on_token)

    def answer(self, question: str, filters: Filters | None = None,
               history: list[tuple[str, str]] | None = None, k: int | None = None,
               on_token: Callable[[str], None] | None = None) -> Answer:  # fmt: skip
        t0 = time.perf_counter()
        question = question.strip()
        standalone = self.standalone(question, history) if history else question
        retrieval = self.retriever.search(standalone, filters, k=k or self.settings.top_k)
        timings = dict(retrieval.timings_ms)
        support = self.support(retrieval)
        points = self.answer_points(retrieval) if support >= self.min_support else []
        if not points:
            ans = self._abstain(question, self.sources(retrieval, retrieval.hits[:CLOSEST]))
        else:
            sources = self.sources(retrieval, retrieval.hits)
            ans = None
            written = None
            if self.writer is not None:
                written = self.writer.write(question, standalone, sources, history or [], encoder=self.encoder, on_token=on_token)
                timings.update(written.timings_ms)
                ans = written.answer
            if ans is None:
                ans = Answer(question=question, text=self.extractive_text(points, sources), abstained=False,
                             sources=sources, fallback_reason=written.fallback_reason if written else None)
            if written is not None and written.grounding is not None:
                ans.grounding = written.grounding.summary()
        if not ans.abstained:
            ans.number_by_citation()
        ans.standalone_question = standalone if standalone != question else None
        timings["total"] = (time.perf_counter() - t0) * 1e3
        ans.timings_ms = timings
        ans.support = round(support, 4)
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

    def signals(self, retrieval: Retrieval) -> list[float]:
        """What the abstention model weighs (ranking.ABSTAIN_FEATURES): the best cosine of the
        top passages and of their best sentence; the share of the question's rare words that
        they contain; whether the question names something the knowledge base never mentions
        ("Java" asked of a Python curriculum); and how much of the question's meaning rests on
        words the knowledge base never uses (an acronym spelled out for the search is known)."""
        hits = retrieval.hits
        if not hits:
            return [0.0] * len(ABSTAIN_FEATURES)
        top = hits[:3]
        n = max(1, self.kb.chunk_count())
        terms = retrieval.terms
        df = {t: self._df(t) for t in terms}
        rare = [t for t in terms if 0 < df[t] <= RARE_SHARE * n]
        have = frozenset().union(*(stems(f"{h.chunk.title} {h.chunk.section} {h.chunk.text}") for h in top))
        rare_cov = sum(1 for t in rare if stem(t) in have) / len(rare) if rare else 1.0
        known = {a.lower() for a in retrieval.expanded}
        unknown = [t for t in keyword_terms(retrieval.question) if t not in known and self._df(t) == 0]
        words = _NAME_WORD.findall(retrieval.question)[1:]  # the first word is capitalised anyway
        named = any(w[0].isupper() and w.lower() in unknown for w in words)
        weight = 0.0
        if unknown and retrieval.question_vector is not None:
            variants = [re.sub(rf"\b{re.escape(t)}\b", " ", retrieval.question, flags=re.I) for t in unknown]
            weight = float(np.max(1.0 - self.encoder.encode_queries(variants) @ retrieval.question_vector))
        return [max(h.dense for h in top), max(h.sentence for h in top), rare_cov, float(named), weight]

    def support(self, retrieval: Retrieval) -> float:
        """P(the knowledge base answers the question), by the abstention model."""
        if not retrieval.hits:
            return 0.0
        return float(self.model.abstainer.probability(np.array([self.signals(retrieval)]))[0])

    # -- sentences -------------------------------------------------------------------------------
    def sentence_candidates(self, retrieval: Retrieval, hits: int = ANSWER_PASSAGES) -> list[Candidate]:
        """The quotable sentences of the top passages, scored by the sentence model."""
        weights = {stem(t): self.idf(t) for t in retrieval.terms}
        total = sum(weights.values()) or 1.0
        out: list[Candidate] = []
        for i, h in enumerate(retrieval.hits[:hits]):
            labels = _labels(h.chunk.title, h.chunk.section)
            for u in h.units:
                if not quotable(h.chunk.text, u.start, u.end, labels):
                    continue
                start = after_heading_lines(h.chunk.text, u.start, u.end)
                if start != u.start:  # quote the sentence, not the heading lines glued before it
                    u = replace(u, start=start)
                have = stems(h.chunk.text[u.start : u.end])
                out.append(Candidate(i, u, sum(w for t, w in weights.items() if t in have) / total))
        if out:
            scores = self.model.sentences.score(np.array([c.features(retrieval.hits) for c in out]))
            for c, sc in zip(out, scores):
                c.score = float(sc)
        return out

    def answer_points(self, retrieval: Retrieval) -> list[Candidate]:
        """The sentences an extractive answer quotes, in the order it quotes them: the best one
        first (the answer leads with its answer), then the sentences right after it in the same
        passage while they stay relevant (the steps of a procedure, together and in order), then
        the best sentence of the next passages when it scores nearly as well. A sentence that
        introduces a list ("here are five recommendations:") is followed by the list's items.
        Every point clears the relevance floor, except a list's items; none is a heading, a link
        list, a blank form line or a table rule."""
        cands = [c for c in self.sentence_candidates(retrieval) if _relevant(c)]
        if not cands:
            return []
        lead = max(cands, key=lambda c: (c.score, -c.hit, -c.unit.start))
        hit = retrieval.hits[lead.hit]
        points = [*self._antecedent(hit, lead), lead]
        by_end = {c.unit.end: c for c in cands if c.hit == lead.hit}  # by end: a quote may start after heading lines
        order = [u.end for u in hit.units]
        last = lead
        for _ in range(0 if _introduces_list(hit.chunk.text, lead.unit) else LEAD_WINDOW - 1):  # its items follow below
            i = order.index(last.unit.end) + 1
            nxt = by_end.get(order[i]) if i < len(order) else None
            if nxt is None or hit.chunk.text[last.unit.end : nxt.unit.start].count("\n") > 2:
                break  # the next unit is not quotable, not relevant, or in a new section
            points.append(nxt)
            last = nxt
        for i in sorted({c.hit for c in cands} - {lead.hit}):
            best = max((c for c in cands if c.hit == i), key=lambda c: c.score)
            quoted = {fold_markup(retrieval.hits[p.hit].chunk.text[p.unit.start : p.unit.end]) for p in points}
            if best.score >= lead.score - OTHER_SOURCE_MARGIN and fold_markup(retrieval.hits[i].chunk.text[best.unit.start : best.unit.end]) not in quoted:
                points.append(best)
        out: list[Candidate] = []
        for p in points:  # a sentence that introduces a list is followed by the list's items
            for c in [p, *self._list_after(retrieval.hits[p.hit], p)]:
                if not any(o.hit == c.hit and o.unit.end == c.unit.end for o in out):
                    out.append(c)
        return out[:MAX_ANSWER_POINTS]

    def _antecedent(self, hit: Hit, lead: Candidate) -> list[Candidate]:
        """The sentence right before the lead when the lead cannot be read without it ("That was
        the driving force for us", "These include…"): the sentence it refers back to, from the
        same paragraph, quoted first so the answer reads in the source's order."""
        text = hit.chunk.text
        if not _ANAPHOR.match(text, strip_markup_prefix(text, lead.unit.start, lead.unit.end)[0], lead.unit.end):
            return []
        before = [u for u in hit.units if u.end <= lead.unit.start]
        if not before:
            return []
        prev = before[-1]
        if "\n\n" in text[prev.end : lead.unit.start] or not quotable(text, prev.start, prev.end, _labels(hit.chunk.title, hit.chunk.section)):
            return []
        return [Candidate(lead.hit, prev, 0.0, lead.score)]

    def _list_after(self, hit: Hit, intro: Candidate) -> list[Candidate]:
        """When `intro` introduces a list ("here are five recommendations:"), the list's items
        that follow it, in order, whether or not each item repeats the question's words: the
        list is the answer. Items end where the list does (an unindented line that is not an
        item) or at a new section."""
        text = hit.chunk.text
        if not _introduces_list(text, intro.unit):
            return []
        items: list[Candidate] = []
        labels = _labels(hit.chunk.title, hit.chunk.section)
        end = intro.unit.end
        for u in hit.units:
            if u.start < intro.unit.end:
                continue
            if text[end : u.start].count("\n") > 2 or text[u.start : u.end].lstrip().startswith("#"):
                break  # a new section
            line = text[text.rfind("\n", 0, u.start) + 1 : u.start]
            if _ITEM.fullmatch(line):
                if quotable(text, u.start, u.end, labels):
                    items.append(Candidate(intro.hit, u, 0.0, intro.score))
                    if len(items) >= MAX_ANSWER_POINTS - 1:
                        break
            elif line == "" and items:
                break  # an unindented line that is not an item: the list is over
            end = u.end
        return items

    # -- sources and extractive answers ----------------------------------------------------------
    def sources(self, retrieval: Retrieval, hits: list[Hit]) -> list[Source]:
        """Numbered sources; each quotes its best sentence."""
        best: dict[int, Candidate] = {}
        for c in self.sentence_candidates(retrieval, hits=len(hits)):
            if c.hit not in best or c.score > best[c.hit].score:
                best[c.hit] = c
        out = []
        for n, h in enumerate(hits, start=1):
            c = h.chunk
            if n - 1 in best:
                start, end = strip_markup_prefix(c.text, best[n - 1].unit.start, best[n - 1].unit.end)
            else:
                start, end = strip_markup_prefix(c.text, 0, min(len(c.text), 300))
            out.append(
                Source(
                    n=n, title=c.title, path=c.path or "", page=c.page, section=section_without_title(c.section_at(start), c.title),
                    quote=c.text[start:end], text=c.text, score=round(h.score, 6), doc_type=c.type,
                    doc_id=c.doc_id, chunk_id=c.chunk_id, slide=c.slide, url=c.url, grade=c.grade,
                    subject=c.subject,
                )
            )
        return out

    def extractive_text(self, points: list[Candidate], sources: list[Source]) -> str:
        """Verbatim sentences, each marked with its source number, on one line each: the line
        breaks and double spaces a PDF's layout leaves inside a sentence are folded (the
        source's quote keeps them)."""
        lines = []
        for p in points:
            src = sources[p.hit]
            a, b = strip_markup_prefix(src.text, p.unit.start, p.unit.end)
            lines.append(f"• {' '.join(src.text[a:b].split())} [{src.n}]")
        return "\n".join(lines)

    def _abstain(self, question: str, closest: list[Source]) -> Answer:
        """No answer, and why (the renderers word it for their readers), with the closest
        material the knowledge base has, so the asker is not left with nothing."""
        if self.kb.chunk_count() == 0:
            return Answer(question=question, text="", abstained=True, sources=[], abstention="empty_index")
        return Answer(question=question, text="", abstained=True, sources=closest, abstention="no_support")


def _introduces_list(text: str, unit: Unit) -> bool:
    """A sentence that ends in a colon or an ellipsis ("Students will be able to...") leads into
    the list under it."""
    return text[unit.start : unit.end].rstrip(" *_").endswith((":", "...", "…"))


# A sentence that opens by pointing back ("That was…", "These include…", "It also…") needs the one before it.
_ANAPHOR = re.compile(r"[\"“'‘(]*(?:that|this|these|those|it|they|such|then|both)\b", re.I)



def _relevant(c: Candidate) -> bool:
    return c.unit.dense >= MIN_SENTENCE_COSINE or c.coverage >= MIN_SENTENCE_COVERAGE


def quotable(text: str, start: int, end: int, labels: set[str] = frozenset()) -> bool:
    """Whether a unit of a passage says something worth quoting: not a heading, a table rule or
    header row, a list of links, a blank form line ("Student Name: ______"), markup alone, or a
    line that only repeats the title or a heading."""
    raw = text[start:end].strip()
    if raw.startswith("#") or _TABLE_RULE.match(raw) or "```" in raw:  # a heading, a rule, a piece of a code block
        return False
    lines = [ln.strip() for ln in raw.splitlines() if ln.strip()]
    if len(lines) >= 3 and _BLANK.search(raw):  # a form (a PDF's "Name: ____" page read as one block)
        return False
    if len(lines) >= 4 and sorted(len(ln) for ln in lines)[len(lines) // 2] < 50 and \
            sum(not _ENDS_LIKE_SENTENCE.search(ln) for ln in lines) >= 0.6 * len(lines):
        return False  # short lines that are not sentences: a table or a score sheet laid out as text
    if raw.startswith("|"):
        rest = text[end:].lstrip("\n").split("\n", 1)[0].strip()
        if rest and _TABLE_RULE.match(rest):  # the header row of a table
            return False
    words = WORDS.findall(_LINK.sub(lambda m: m.group(1) if m.group(0).startswith("[") else " ", raw))
    if _LINK.search(raw) and len(WORDS.findall(_LINK.sub(" ", raw))) < 3:  # links, and little else
        return False
    if _BLANK.search(raw) and len(WORDS.findall(_LABEL.sub(" ", _BLANK.sub(" ", raw)))) < 3:  # a form to fill in
        return False
    if len(words) < 3 or _label(raw) in labels:
        return False
    if "\n" not in raw and _reads_as_heading(text[strip_markup_prefix(text, start, end)[0] : end]):  # a heading without `#` (PDF, slides)
        return False
    if raw.rstrip("*_ ").endswith("?"):  # a question in the document answers nothing
        return False
    if len(words) < 5 and not re.search(r"[.!:;)]\W*$", raw):  # a fragment, cut off
        return False
    return True


def after_heading_lines(text: str, start: int, end: int) -> int:
    """Where a unit's sentence begins when lines that read as headings stand before it: short
    lines with no sentence punctuation, mostly capitalised ("Influence of the COVID-19 Pandemic
    on\nLearning\nThe interaction between..."), as text taken from a PDF gives them. The rest
    stays a verbatim slice of the source."""
    pos = start
    while True:
        nl = text.find("\n", pos, end)
        if nl < 0:
            return pos
        line = text[pos:nl].strip()
        rest = text[nl + 1 : end].lstrip()
        if not rest or not rest[:1].isupper() or not _reads_as_heading(line):
            return pos
        pos = nl + 1 + (len(text[nl + 1 : end]) - len(rest))


def _reads_as_heading(line: str) -> bool:
    """A short line with no sentence punctuation whose words are capitalised, as headings are
    ("Lessons Learned on District Implementation")."""
    words = WORDS.findall(line)
    if not words or len(words) > 12 or _ENDS_LIKE_SENTENCE.search(line) or "|" in line:
        return False
    big = sum(1 for w in words if w[:1].isupper() or w[:1].isdigit() or w.lower() in _SMALL_WORDS)
    return big >= 0.8 * len(words)


_ENDS_LIKE_SENTENCE = re.compile(r"[.!?:;\"”)]\W*$")
_SMALL_WORDS = {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with", "vs"}


def _label(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


def _labels(title: str, section: str) -> set[str]:
    return {_label(title), *(_label(h) for h in section.split(" › "))}
