"""Small text utilities for retrieval and extractive answers: light stemming, sentence spans,
and the fingerprints used to collapse the same passage found in several formats."""

from __future__ import annotations

import re
from functools import lru_cache

from ingest.stores import keyword_terms

_WORD = re.compile(r"[a-z0-9]+")
WORDS = re.compile(r"\w+")
_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "ers", "er", "ed", "es", "ly", "s")
_MARKUP = re.compile(r"[\s>*+\-•◦▪#|]*(?:\d{1,3}[.)]\s+)?")


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """A light suffix stripper: enough to match 'observations' with 'observation' and
    'grading' with 'grade' without a dictionary."""
    w = word.lower()
    for suf in _SUFFIXES:
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            w = w[: -len(suf)]
            break
    return w.rstrip("e") if len(w) > 4 else w


@lru_cache(maxsize=20_000)
def stems(text: str) -> frozenset[str]:
    """The stems of a text's words (cached: the same passages come back for many questions)."""
    return frozenset(stem(w) for w in _WORD.findall(text.lower()))


def query_stems(question: str) -> list[str]:
    return list(dict.fromkeys(stem(t) for t in keyword_terms(question)))


def fingerprint(text: str) -> set[str]:
    """Word bigrams of the text with markup and case folded away: the same passage in a
    Markdown file, its PDF and its DOCX share most of them."""
    words = _WORD.findall(text.lower())
    return {f"{a} {b}" for a, b in zip(words, words[1:])} or set(words)


def fold_markup(text: str) -> str:
    """Text with case, markup and spacing folded away (to tell repeated quotes apart)."""
    return " ".join(_WORD.findall(text.lower()))


def containment(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def strip_markup_prefix(text: str, start: int, end: int) -> tuple[int, int]:
    """Move `start` past list bullets, heading marks and quote marks, so the quote starts at
    the words (still a verbatim slice)."""
    m = _MARKUP.match(text, start, end)
    if m and m.end() < end:
        start = m.end()
    while end > start and text[end - 1] in " \t|":
        end -= 1
    return start, end


def section_without_title(section: str, title: str) -> str:
    """A heading path without a leading heading that only repeats the document title."""
    parts = [p for p in section.split(" › ") if p]
    while parts and parts[0].strip().rstrip(":").lower() == title.strip().rstrip(":").lower():
        parts.pop(0)
    return " › ".join(parts)
