"""Acronyms and their long forms, learned from the documents themselves.

Teachers write "PCBL", "PD" or "KW" where the reports write "personalized, competency-based
learning", "professional development" and "KnowledgeWorks". Documents rarely define such
acronyms, but they repeat the long forms, and the acronym is their initials. At ingest each
document yields candidate pairs:

- explicit definitions, "Research for Action (RFA)" or "RFA (Research for Action)", whose
  initials agree with the acronym;
- repeated phrases (two to five words, seen at least twice in the document) keyed by their
  initials, with hyphenated and CamelCase words split
  ("competency-based" -> C B, "KnowledgeWorks" -> K W);

and the engine expands an acronym of a question with the long form the knowledge base uses most.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .text import STOPWORDS

# Words that may be skipped by an acronym ("Research for Action" -> RFA or RA).
_FUNCTION_WORDS = frozenset("a an and as at by for from in into of on or the to with &".split())
_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*")
_SPLIT_PARTS = re.compile(r"[A-Z]?[a-z'’]+|[A-Z]+(?![a-z])")
_DEFINED_LONG = re.compile(r"((?:[A-Za-z][\w'’\-]*[ ,]+){1,8}?)\(\s*([A-Z][A-Za-z&]{1,7})\s*\)")
_DEFINED_SHORT = re.compile(r"\b([A-Z][A-Z&]{1,7})\s*\(\s*([A-Za-z][^()]{3,80}?)\s*\)")
# An acronym in a question: two to seven capitals (a trailing "s" or "'s" allowed).
ACRONYM = re.compile(r"\b([A-Z][A-Z0-9&]{1,6})(?:'?s)?\b")

_PLAIN_PHRASE = re.compile(r"[A-Za-z][A-Za-z'’\-]*(?:,? [A-Za-z][A-Za-z'’\-]*)*")
MIN_PHRASE_WORDS, MAX_PHRASE_WORDS = 2, 5
MIN_REPEATS = 2
EXPLICIT_WEIGHT = 10  # one explicit definition outweighs ten repetitions
MAX_PER_DOCUMENT = 400


@dataclass(frozen=True)
class Alias:
    abbr: str  # upper case, e.g. "PCBL"
    phrase: str  # the long form as written most often, e.g. "personalized, competency-based learning"
    weight: int  # repetitions, explicit definitions weighing EXPLICIT_WEIGHT each


def _parts(word: str) -> list[str]:
    """'competency-based' -> ['competency', 'based']; 'KnowledgeWorks' -> ['Knowledge', 'Works']."""
    out: list[str] = []
    for piece in re.split(r"[-‐–]", word):
        out.extend(_SPLIT_PARTS.findall(piece) or ([piece] if piece else []))
    return out


def initials(words: list[str], *, skip_function_words: bool) -> str:
    letters = []
    for w in words:
        if skip_function_words and w.lower() in _FUNCTION_WORDS:
            continue
        letters.extend(p[0] for p in _parts(w) if p)
    return "".join(letters).upper()


def _matches(abbr: str, words: list[str]) -> bool:
    abbr = abbr.replace("&", "").upper()
    return abbr in (initials(words, skip_function_words=True), initials(words, skip_function_words=False))


def _normal(phrase: str) -> str:
    return re.sub(r"\s+", " ", phrase.replace("’", "'")).strip(" ,").lower()


def extract(text: str) -> list[Alias]:
    """Candidate (acronym, long form) pairs of one document, strongest first."""
    weights: Counter[tuple[str, str]] = Counter()
    written: dict[str, Counter[str]] = {}

    def add(abbr: str, phrase: str, weight: int) -> None:
        key = _normal(phrase)
        weights[(abbr.upper(), key)] += weight
        written.setdefault(key, Counter())[phrase.strip(" ,")] += 1

    # Explicit definitions.
    for m in _DEFINED_LONG.finditer(text):
        abbr, words = m.group(2), _WORD.findall(m.group(1))
        for n in range(1, min(8, len(words)) + 1):  # the shortest tail whose initials fit
            tail = words[-n:]
            if tail and tail[0].lower() not in _FUNCTION_WORDS and _matches(abbr, tail):
                add(abbr, " ".join(tail), EXPLICIT_WEIGHT)
                break
    for m in _DEFINED_SHORT.finditer(text):
        abbr, words = m.group(1), _WORD.findall(m.group(2))
        if _matches(abbr, words):
            add(abbr, " ".join(words), EXPLICIT_WEIGHT)

    # Repeated or Title Case phrases, keyed by their initials.
    for sentence in re.split(r"[.!?;:\n()\[\]|]+", text):
        tokens = list(_WORD.finditer(sentence))
        for i in range(len(tokens)):
            first = tokens[i].group(0)
            if first.lower() in _FUNCTION_WORDS:
                continue
            if len(_parts(first)) >= 2 and first[0].isupper() and any(c.isupper() for c in first[1:]):
                key = initials([first], skip_function_words=False)  # CamelCase: KnowledgeWorks
                if 2 <= len(key) <= 7:
                    add(key, first, 1)
            for n in range(MIN_PHRASE_WORDS, MAX_PHRASE_WORDS + 1):
                if i + n > len(tokens):
                    break
                words = [t.group(0) for t in tokens[i : i + n]]
                if any(w.lower() in STOPWORDS or len(w) < 2 for w in words):
                    continue
                phrase = sentence[tokens[i].start() : tokens[i + n - 1].end()]
                if not _PLAIN_PHRASE.fullmatch(phrase):  # words joined by spaces (and commas) only
                    continue
                key = initials(words, skip_function_words=False)
                if 2 <= len(key) <= 7:
                    add(key, phrase, 1)

    out = []
    for (abbr, key), w in weights.items():
        if w < MIN_REPEATS:  # an explicit definition alone weighs EXPLICIT_WEIGHT
            continue
        out.append(Alias(abbr, written[key].most_common(1)[0][0], w))
    out.sort(key=lambda a: (-a.weight, a.abbr, a.phrase))
    return out[:MAX_PER_DOCUMENT]


def question_acronyms(question: str) -> list[str]:
    """Acronyms a question uses, in order: 'PCBL', 'PD' (not 'I' or 'A')."""
    return list(dict.fromkeys(m.group(1) for m in ACRONYM.finditer(question)))
