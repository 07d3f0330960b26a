"""Reading tags, scopes and file references from what coaches type."""

from __future__ import annotations

import pytest

from bot.slack.tags import file_refs, has_tags, parse_scope, parse_tags
from ingest.domain import Scope, Tags
from ingest.errors import InvalidTags


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("type: choice board, grade 5, subject math", Tags("choice_board", "5", "math")),
        ("type=lesson_template grade=3-5 subject=ela", Tags("lesson_template", "3-5", "english language arts")),
        ("Type: Guide; Grades: K-2; Subject: Science", Tags("guide", "K-2", "science")),
        ("here is the new board. type: choice-board", Tags("choice_board", None, None)),
        ("a lesson template for 5th grade, subject: social studies", Tags(None, "5", "social studies")),
        ("grade 9-12", Tags(None, "9-12", None)),
        ("Here's the updated guide!", Tags()),
        ("", Tags()),
        (None, Tags()),
        # written without ':' or '=', a value that is not a tag is just prose
        ("what type of thing is this", Tags()),
        ("the grade book export", Tags()),
    ],
)
def test_tags_are_read_leniently(text: str | None, tags: Tags) -> None:
    assert parse_tags(text) == tags


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("type: worksheet", "unknown document type 'worksheet'"),
        ("grade=13", "unknown grade '13'"),
        ("grade: 5-3", "runs backwards"),
    ],
)
def test_an_explicit_bad_tag_is_refused_with_its_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidTags, match=reason):
        parse_tags(text)


def test_has_tags() -> None:
    assert has_tags("type: guide") and has_tags("for 3rd grade")
    assert not has_tags("what does this say about exit tickets?")


@pytest.mark.parametrize(
    ("text", "scope"),
    [
        ("type=choice_board,lesson_template subject=math", Scope(("choice_board", "lesson_template"), ("math",))),
        ("types: choice board, guide", Scope(("choice_board", "guide"), ())),
        ("subject=math,science", Scope((), ("math", "science"))),
        ("subjects: social studies", Scope((), ("social studies",))),
    ],
)
def test_scopes(text: str, scope: Scope) -> None:
    assert parse_scope(text) == scope


@pytest.mark.parametrize(
    ("text", "reason"),
    [("type=worksheet", "unknown document type"), ("grade=5", "not grade"), ("math please", "couldn't read a scope")],
)
def test_bad_scopes(text: str, reason: str) -> None:
    with pytest.raises(InvalidTags, match=reason):
        parse_scope(text)


def test_scope_label() -> None:
    assert Scope(("choice_board", "lesson_template"), ("math",)).label() == (
        "type: choice board, lesson template · subject: math"
    )
    assert Scope().is_empty() and not Scope(subjects=("math",)).is_empty()


@pytest.mark.parametrize(
    ("text", "ids", "rest"),
    [
        ("F0123ABCD9 type=guide", ["F0123ABCD9"], "type=guide"),
        ("<https://district.slack.com/files/U0COACH/F0ABC12345/board.md|board.md> grade 5",
         ["F0ABC12345"], "grade 5"),
        ("https://files.slack.com/files-pri/T0001-F0XYZ98765/guide.pdf", ["F0XYZ98765"], ""),
        ("type: choice board for FRACTIONS", [], "type: choice board for FRACTIONS"),  # a word, not an id
    ],
)  # fmt: skip
def test_file_references(text: str, ids: list[str], rest: str) -> None:
    assert file_refs(text) == (ids, rest)
