"""What a document is about and which part of the knowledge base to search: document types,
grade bands and subjects (`Tags`), a channel's `Scope`, and the `Filters` a search applies."""

from __future__ import annotations

import dataclasses

import re
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidTags

DOC_TYPES = ("report", "lesson_template", "choice_board", "guide", "other", "verified_answer")
TAGGABLE_TYPES = DOC_TYPES[:-1]  # what coaches pick when adding a file; verified answers come from "Ask a coach"

_TYPE_ALIASES = {
    "lesson": "lesson_template",
    "lesson-template": "lesson_template",
    "lesson template": "lesson_template",
    "template": "lesson_template",
    "choice-board": "choice_board",
    "choice board": "choice_board",
    "choiceboard": "choice_board",
    "board": "choice_board",
    "reports": "report",
    "research": "report",
    "guides": "guide",
}

_GRADE_WORDS = {"k": 0, "kindergarten": 0, "pk": 0, "prek": 0, "pre-k": 0}


def normalize_type(value: str | None) -> str | None:
    if value is None or str(value).strip() == "":
        return None
    v = str(value).strip().lower()
    v = _TYPE_ALIASES.get(v, v).replace("-", "_").replace(" ", "_")
    if v not in DOC_TYPES:
        raise InvalidTags(f"unknown document type {value!r}: use one of {', '.join(DOC_TYPES)}")
    return v


def _grade_number(token: str, original: str) -> int:
    t = token.strip().lower()
    t = re.sub(r"(st|nd|rd|th)$", "", t)
    t = t.removeprefix("grade").removeprefix("gr").strip()
    if t in _GRADE_WORDS:
        return _GRADE_WORDS[t]
    if t.isdigit() and 0 <= int(t) <= 12:
        return int(t)
    raise InvalidTags(f"unknown grade {original!r}: use K, 1-12 or a range such as 3-5")


def parse_grade(value: str | int | None) -> tuple[str, int, int] | None:
    """'5' -> ('5', 5, 5); 'K-2' -> ('K-2', 0, 2); '9–12' -> ('9-12', 9, 12)."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip().replace("–", "-").replace("—", "-")
    parts = [p for p in re.split(r"\s*(?:-|to)\s*", text, maxsplit=1) if p]
    lo = _grade_number(parts[0], str(value))
    hi = _grade_number(parts[1], str(value)) if len(parts) > 1 else lo
    if hi < lo:
        raise InvalidTags(f"grade range {value!r} runs backwards")
    label = lambda g: "K" if g == 0 else str(g)  # noqa: E731
    return (label(lo) if lo == hi else f"{label(lo)}-{label(hi)}"), lo, hi


MAX_SUBJECT_CHARS = 60


def normalize_subject(value: str | None) -> str | None:
    if value is None or str(value).strip() == "":
        return None
    v = re.sub(r"\s+", " ", str(value).strip().lower())
    if len(v) > MAX_SUBJECT_CHARS:
        raise InvalidTags(f"subject {v[:40]!r}… is too long (at most {MAX_SUBJECT_CHARS} characters)")
    return {"maths": "math", "mathematics": "math", "cs": "computer science", "ela": "english language arts"}.get(v, v)


def parse_review_by(value: object) -> str | None:
    """'2026-06-30' (also from a YAML date or '2026/6/30') → '2026-06-30'; None for nothing."""
    import datetime as _dt

    if value is None or str(value).strip() == "":
        return None
    if isinstance(value, _dt.date):
        return value.isoformat()[:10]
    text = str(value).strip().replace("/", "-")
    try:
        y, m, d = (int(p) for p in text.split("-"))
        return _dt.date(y, m, d).isoformat()
    except (ValueError, TypeError):
        raise InvalidTags(f"review date {value!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-06-30") from None


@dataclass(frozen=True)
class Tags:
    """What a coach says about a document: its type, grade band and subject, and when it
    should be reviewed (`review_by`, an ISO date)."""

    type: str | None = None
    grade: str | None = None
    subject: str | None = None
    review_by: str | None = None

    @classmethod
    def parse(cls, type: str | None = None, grade: str | int | None = None, subject: str | None = None,
              review_by: object = None) -> Tags:  # fmt: skip
        g = parse_grade(grade)
        return cls(normalize_type(type), g[0] if g else None, normalize_subject(subject), parse_review_by(review_by))

    def merged_over(self, base: Tags) -> Tags:
        """These tags, with gaps filled from `base`."""
        return Tags(self.type or base.type, self.grade or base.grade, self.subject or base.subject,
                    self.review_by or base.review_by)  # fmt: skip

    def metadata(self) -> dict[str, Any]:
        g = parse_grade(self.grade)
        return {
            "type": self.type or "other",
            "grade": self.grade or "",
            # An untagged document applies to every grade.
            "grade_min": g[1] if g else 0,
            "grade_max": g[2] if g else 12,
            "subject": self.subject or "",
        }


@dataclass
class Filters:
    """Restrict retrieval to part of the knowledge base. The index translates them into its own
    queries (`KnowledgeBase.search_dense` / `search_keyword`)."""

    type: str | None = None  # report | lesson_template | choice_board | guide | other
    grade: str | None = None  # "5", "K", "3-5"
    subject: str | None = None
    types: tuple[str, ...] = ()  # any of these types (a channel scope)
    subjects: tuple[str, ...] = ()  # any of these subjects (a channel scope)
    standard: str | None = None  # a standard code such as 3A-AP-17 (ingest.standards)
    standards: tuple[str, ...] = ()  # any of these standards (a channel scope)

    def is_empty(self) -> bool:
        return not (self.type or self.grade or self.subject or self.types or self.subjects or self.standard or self.standards)

    def wanted_standards(self) -> list[str]:
        """The standard codes to search (canonical), [] for any; raises InvalidStandard."""
        from ..standards import parse_standard

        return list(dict.fromkeys(parse_standard(s) for s in ((self.standard,) if self.standard else self.standards)))

    def with_standard(self, code: str | None) -> Filters:
        """These filters, limited to documents tagged with `code` too."""
        return self if not code else dataclasses.replace(self, standard=code)

    def wanted_types(self) -> list[str]:
        """The document types to search (normalised), [] for any."""
        return [t for t in (normalize_type(t) for t in ((self.type,) if self.type else self.types)) if t]

    def wanted_subjects(self) -> list[str]:
        """The subjects to search (normalised), [] for any. An untagged document (a general
        guide) applies to every subject, so the index also keeps those."""
        return [s for s in (normalize_subject(s) for s in ((self.subject,) if self.subject else self.subjects)) if s]

    def grade_band(self) -> tuple[int, int] | None:
        """(lowest, highest) grade asked for, or None for any."""
        g = parse_grade(self.grade)
        return (g[1], g[2]) if g else None


@dataclass(frozen=True)
class Scope:
    """The part of the knowledge base a channel searches: any of `types`, any of `subjects`
    (an empty tuple: no limit on that field)."""

    types: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    standards: tuple[str, ...] = ()  # any of these standard codes

    def is_empty(self) -> bool:
        return not (self.types or self.subjects or self.standards)

    def label(self) -> str:
        """'type: choice board, lesson template · subject: math'"""
        parts = []
        if self.types:
            parts.append("type: " + ", ".join(t.replace("_", " ") for t in self.types))
        if self.subjects:
            parts.append("subject: " + ", ".join(self.subjects))
        if self.standards:
            parts.append("standard: " + ", ".join(self.standards))
        return " · ".join(parts)

    def filters(self) -> Filters | None:
        """What a search in the channel applies (None: the whole knowledge base)."""
        return None if self.is_empty() else Filters(types=self.types, subjects=self.subjects, standards=self.standards)

    def to_dict(self) -> dict[str, list[str]]:
        d = {"types": list(self.types), "subjects": list(self.subjects)}
        if self.standards:
            d["standards"] = list(self.standards)
        return d

    @classmethod
    def from_values(cls, types: object = (), subjects: object = (), standards: object = ()) -> Scope:
        """A scope from lists (or comma-separated strings) of types and subjects, normalised;
        raises `InvalidTags` on an unknown type."""

        def items(value: object) -> list[str]:
            if value is None:
                return []
            if isinstance(value, str):
                value = value.split(",")
            if not isinstance(value, (list, tuple)):
                raise InvalidTags(f"expected a list of names, not {value!r}")
            return [str(v).strip() for v in value if str(v).strip()]

        t = tuple(dict.fromkeys(x for x in (normalize_type(v) for v in items(types)) if x))
        s = tuple(dict.fromkeys(x for x in (normalize_subject(v) for v in items(subjects)) if x))
        from ..standards import parse_standard

        codes = tuple(dict.fromkeys(parse_standard(v) for v in items(standards)))
        return cls(t, s, codes)
