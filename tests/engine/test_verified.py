"""A coach's verified answer ranks first when it matches the question, and only then."""

from __future__ import annotations

import shutil

import pytest

from bot.engine import Engine
from ingest.domain import Tags
from ingest.pipeline import Ingestor
from ingest.settings import Settings
from ingest.stores import KnowledgeBase
from tests.conftest import KNOWLEDGE

VERIFIED = """---
title: "How should I grade choice board work? — answered by Ms. Rivera on 2026-11-20"
type: verified_answer
---

# How should I grade choice board work?

In our district: score each competency on the four-level rubric from the evidence in the squares
and never average the squares; enter the level, not points.
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory, encoder) -> Engine:
    root = tmp_path_factory.mktemp("verified")
    shutil.copytree(KNOWLEDGE / "guides", root / "kb")
    (root / "verified.md").write_text(VERIFIED, encoding="utf-8")
    settings = Settings(data_dir=root / "data", _env_file=None)
    kb = KnowledgeBase(settings)
    ingest = Ingestor(settings, kb, encoder)
    assert not ingest.ingest_paths([root / "kb"]).failed
    assert not ingest.ingest_paths([root / "verified.md"], Tags(type="verified_answer")).failed
    return Engine(settings, kb, encoder)


def test_a_matching_verified_answer_is_cited_first(engine: Engine) -> None:
    ans = engine.answer("How do I grade choice board work against competencies?")
    assert not ans.abstained and ans.sources[0].doc_type == "verified_answer"
    assert "answered by Ms. Rivera on 2026-11-20" in ans.sources[0].title


def test_a_verified_answer_does_not_push_into_unrelated_questions(engine: Engine) -> None:
    ans = engine.answer("How do I launch a choice board in the first week?")
    assert ans.sources and ans.sources[0].doc_type != "verified_answer"
