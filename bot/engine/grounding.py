"""The grounding check on a written (LLM) answer, before anyone relies on it:

1. a `[n]` that names no retrieved source is removed;
2. each sentence is checked against the sources it cites: supported by words (the share of its
   content words found in them) and by meaning (its cosine to their closest sentence, by the
   engine's encoder); a sentence neither supports is dropped, and so is one that cites nothing
   and that no source supports;
3. if too little remains, the caller falls back to the extractive answer.

`check(text, sources, encoder) -> Grounding` says what happened; it never calls a model."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ingest.chunking import sentence_spans
from ingest.domain import Source
from ingest.embeddings import Encoder

from .text import query_stems, stems

_CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
# A sentence is supported when most of its content words are in its sources, or when enough of
# them are and its meaning is close to a sentence there (a paraphrase).
WORDS_ALONE = 0.75
WORDS_WITH_MEANING = 0.34
MEANING = 0.55
MIN_KEPT_SHARE = 0.5  # of the written sentences; fewer left -> extractive
_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90,
                                                     "hundred": 100, "half": 0.5, "once": 1, "twice": 2}  # fmt: skip
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")


@dataclass
class Grounding:
    text: str  # what is left
    outcome: Literal["passed", "trimmed", "failed"]
    sentences: int = 0
    dropped: list[str] = field(default_factory=list)
    removed_markers: int = 0

    @property
    def usable(self) -> bool:
        return self.outcome != "failed"

    def summary(self) -> dict[str, object]:
        return {"outcome": self.outcome, "sentences": self.sentences, "dropped": len(self.dropped),
                "removed_markers": self.removed_markers}  # fmt: skip


def cited_numbers(sentence: str) -> list[int]:
    return [int(x) for m in _CITATION.finditer(sentence) for x in re.split(r"\s*,\s*", m.group(1))]


def _strip_markers(sentence: str, valid: set[int]) -> tuple[str, int]:
    removed = 0

    def fix(m: re.Match[str]) -> str:
        nonlocal removed
        nums = [int(x) for x in re.split(r"\s*,\s*", m.group(1))]
        kept = [n for n in nums if n in valid]
        removed += len(nums) - len(kept)
        return "".join(f"[{n}]" for n in kept)

    out = _CITATION.sub(fix, sentence)
    out = re.sub(r"[ \t]+([.,;:!?])", r"\1", out)
    return re.sub(r"[ \t]{2,}", " ", out), removed


def _sentences(text: str) -> list[str]:
    """The answer's sentences and bullets, in order, with their citations attached (a marker
    written after the full stop belongs to the sentence before it)."""
    out: list[str] = []
    for a, b in sentence_spans(text):
        piece = text[a:b].strip()
        if not piece:
            continue
        if out and re.fullmatch(r"(?:\[\d+(?:\s*,\s*\d+)*\]\s*)+[.]?", piece):
            out[-1] = out[-1] + " " + piece
        else:
            out.append(piece)
    return out


def _source_sentences(source: Source) -> list[str]:
    text = source.text or source.quote or ""
    return [text[a:b].strip() for a, b in sentence_spans(text) if text[a:b].strip()] or [text]


def check(text: str, sources: list[Source], encoder: Encoder | None) -> Grounding:
    by_n = {s.n: s for s in sources}
    valid = set(by_n)
    kept: list[str] = []
    dropped: list[str] = []
    removed = 0
    written = _sentences(text)
    checks: list[tuple[str, str, list[Source]]] = []  # (sentence as kept, its words, the sources it is checked against)
    for raw in written:
        cleaned, r = _strip_markers(raw, valid)
        removed += r
        words = _CITATION.sub(" ", _BULLET.sub("", cleaned)).strip()
        if not re.search(r"\w", words):
            continue  # a bare marker or bullet: nothing to check or keep
        cited = [by_n[n] for n in cited_numbers(cleaned) if n in by_n]
        if cited_numbers(raw) and not cited:  # it leaned only on sources that do not exist
            dropped.append(cleaned)
            continue
        checks.append((cleaned, words, cited or list(sources)))
    if not checks:
        return Grounding("", "failed", len(dropped), dropped, removed)

    supported = _supported([w for _, w, _ in checks], [c for _, _, c in checks], encoder)
    for (cleaned, _, _), ok in zip(checks, supported):
        (kept if ok else dropped).append(cleaned)
    out = _join(kept)
    total = len(kept) + len(dropped)
    if not kept or len(kept) < MIN_KEPT_SHARE * total or not _CITATION.search(out):
        return Grounding(out, "failed", total, dropped, removed)
    return Grounding(out, "trimmed" if dropped or removed else "passed", total, dropped, removed)


def _supported(sentences: list[str], cited: list[list[Source]], encoder: Encoder | None) -> list[bool]:
    word_share = []
    for sent, srcs in zip(sentences, cited):
        need = set(query_stems(sent))
        have = frozenset().union(*(stems(f"{s.title} {s.section} {s.text or s.quote}") for s in srcs)) if srcs else frozenset()
        word_share.append(len(need & have) / len(need) if need else 0.0)  # no content words: nothing to keep
    meaning = [0.0] * len(sentences)
    if encoder is not None:
        pool: list[str] = []
        owner: dict[int, list[int]] = {}  # source n -> rows of `pool`
        for srcs in cited:
            for s in srcs:
                if s.n not in owner:
                    parts = _source_sentences(s)
                    owner[s.n] = list(range(len(pool), len(pool) + len(parts)))
                    pool.extend(parts)
        if pool:
            vecs = encoder.encode(list(sentences) + pool)
            sv, pv = vecs[: len(sentences)], vecs[len(sentences) :]
            for i, srcs in enumerate(cited):
                rows = [r for s in srcs for r in owner[s.n]]
                if rows:
                    meaning[i] = float(np.max(pv[rows] @ sv[i]))
    numbers_ok = [_numbers(sent) <= frozenset().union(*(_numbers(f"{s.title} {s.text or s.quote}") for s in srcs))
                  for sent, srcs in zip(sentences, cited)]  # fmt: skip
    return [n and (w >= WORDS_ALONE or (w >= WORDS_WITH_MEANING and m >= MEANING))
            for w, m, n in zip(word_share, meaning, numbers_ok)]  # fmt: skip


def _numbers(text: str) -> frozenset[str]:
    """The quantities a text states (digits and number words): a written answer may not
    invent one, however close its meaning (the encoder cannot tell five minutes from twenty)."""
    found = {m.lstrip("0") or "0" for m in re.findall(r"\d+", text)}
    found |= {str(_NUMBER_WORDS[w]) for w in re.findall(r"[a-z]+", text.lower()) if w in _NUMBER_WORDS}
    return frozenset(found)


def _join(sentences: list[str]) -> str:
    if any(_BULLET.match(s) for s in sentences):
        return "\n".join(sentences)
    return " ".join(sentences)
