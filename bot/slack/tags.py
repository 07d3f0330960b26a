"""Reading what coaches type: tags ("type: choice board, grade 5, subject math" or
"type=lesson_template grade=3-5 subject=ela"), channel scopes ("type=choice_board,lesson_template
subject=math") and references to Slack files (an id such as F0123ABC, or a file's link).

Pure functions. Parsing is lenient: words that are not tags are ignored, and "5th grade" counts.
A value written with `:` or `=` must be valid (a clear `InvalidTags` otherwise); one written
with a space ("grade five-ish") is dropped when it is not, since it may just be prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.domain import TAGGABLE_TYPES, Scope, Tags, normalize_subject, normalize_type, parse_grade
from ingest.errors import InvalidTags

_KEY = re.compile(r"(?i)\b(types?|grades?|subjects?)\b(\s*[:=]\s*|\s+(?=\S))")
_ORDINAL_GRADE = re.compile(r"(?i)\b(k|\d{1,2})(?:st|nd|rd|th)?[\s-]+grade\b")
_END = re.compile(r"[;\n]|[.!?](?:\s|$)")
_LOOSE_WORDS = 4  # a value written without ':' or '=' is at most this many words

_FILE_LINK = re.compile(
    r"<?https?://[^\s<>|]*?/(?:files/[^/\s<>|]+/(F[A-Z0-9]{6,})|files-pri/T[A-Z0-9]+-(F[A-Z0-9]{6,}))[^\s<>]*>?"
)
_FILE_ID = re.compile(r"\b(F(?=[A-Z0-9]*\d)[A-Z0-9]{6,})\b")  # F + letters and digits


@dataclass(frozen=True)
class _Raw:
    key: str  # type | grade | subject
    value: str
    explicit: bool  # written with ':' or '='


def _fields(text: str, *, lists: bool) -> list[_Raw]:
    """Every `key: value` in `text`, in order. With `lists`, commas separate items of one
    value (scopes); otherwise a comma ends the value (tags)."""
    matches = list(_KEY.finditer(text))
    out: list[_Raw] = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = _END.split(text[m.end() : end], maxsplit=1)[0]
        if not lists:
            value = value.split(",", 1)[0]
        explicit = bool(m.group(2).strip())
        if not explicit:
            value = " ".join(value.split()[:_LOOSE_WORDS])
        value = value.strip(" \t,")
        if value:
            out.append(_Raw(m.group(1).lower().rstrip("s"), value, explicit))
    return out


def parse_tags(text: str | None) -> Tags:
    """The tags written in a message (missing ones are None). Raises `InvalidTags` when a
    value given with ':' or '=' is not valid."""
    found: dict[str, str] = {}
    for raw in _fields(text or "", lists=False):
        if raw.key in found:
            continue
        try:
            if raw.key == "type":
                value = normalize_type(raw.value)
            elif raw.key == "grade":
                grade = parse_grade(raw.value)
                value = grade[0] if grade else None
            else:
                value = normalize_subject(raw.value)
        except InvalidTags:
            if raw.explicit:
                raise
            continue
        if value:
            found[raw.key] = value
    if "grade" not in found:
        m = _ORDINAL_GRADE.search(text or "")
        if m:
            grade = parse_grade(m.group(1))
            found["grade"] = grade[0] if grade else ""
    return Tags(type=found.get("type"), grade=found.get("grade") or None, subject=found.get("subject"))


def has_tags(text: str | None) -> bool:
    """Does the text try to say something about tags?"""
    return bool(_KEY.search(text or "") or _ORDINAL_GRADE.search(text or ""))


_SCOPE_STANDARD = re.compile(r"(?<!\S)standards?\s*[=:]\s*([^\s]+)", re.I)


def parse_scope(text: str) -> Scope:
    """`type=choice_board,lesson_template subject=math` → Scope. Raises `InvalidTags` on an
    unknown type, a grade (scopes are by type and subject), or text with no scope in it."""
    types: list[str] = []
    subjects: list[str] = []
    standards: list[str] = []
    for m in _SCOPE_STANDARD.finditer(text):
        standards.extend(v for v in m.group(1).split(",") if v)
    text = _SCOPE_STANDARD.sub(" ", text)
    fields = _fields(text, lists=True)
    for raw in fields:
        if raw.key == "grade":
            raise InvalidTags("a channel scope is by type, subject and standard, not grade")
        (types if raw.key == "type" else subjects).extend(raw.value.split(","))
    scope = Scope.from_values(types, subjects, standards)
    if scope.is_empty():
        raise InvalidTags(
            "I couldn't read a scope there: write for instance `type=choice_board,lesson_template subject=math` "
            f"(types: {', '.join(TAGGABLE_TYPES)})"
        )
    return scope


def file_refs(text: str | None) -> tuple[list[str], str]:
    """The Slack file ids named in `text` (ids or file links), and the text without them."""
    text = text or ""
    ids: list[str] = []

    def link(m: re.Match[str]) -> str:
        ids.append(m.group(1) or m.group(2))
        return " "

    rest = _FILE_LINK.sub(link, text)

    def bare(m: re.Match[str]) -> str:
        ids.append(m.group(1))
        return " "

    rest = _FILE_ID.sub(bare, rest)
    return list(dict.fromkeys(ids)), " ".join(rest.split())
