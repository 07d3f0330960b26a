"""LLM answers over an OpenAI-compatible endpoint: the real `langchain-openai` client against a
local server speaking the real wire protocol (SSE streaming included), over a real index."""

from __future__ import annotations

import shutil
import time

import pytest

from bot.engine import Engine
from bot.engine.grounding import check
from bot.engine.llm import LLMWriter
from bot.render import answer_json
from ingest.domain import Answer, Source
from ingest.errors import GuidepostError
from ingest.pipeline import Ingestor
from ingest.settings import Settings
from ingest.stores import KnowledgeBase
from tests.conftest import KNOWLEDGE
from tests.openai_server import OpenAIServer, grounded, with_inventions

QUESTION = "How should I grade choice board work?"


@pytest.fixture(scope="module")
def index(tmp_path_factory, encoder) -> Settings:
    root = tmp_path_factory.mktemp("llm")
    shutil.copytree(KNOWLEDGE / "guides", root / "kb")
    settings = Settings(data_dir=root / "data", _env_file=None)
    assert not Ingestor(settings, KnowledgeBase(settings), encoder).ingest_paths([root / "kb"]).failed
    return settings


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def llm_engine(index: Settings, encoder, server: OpenAIServer, **update) -> Engine:
    settings = index.model_copy(update={"llm": "openai:district-model", "llm_base_url": server.base_url, **update})
    return Engine(settings, KnowledgeBase(settings), encoder, writer=LLMWriter.from_settings(settings))


def test_a_local_openai_compatible_server_writes_a_streamed_grounded_answer(index, encoder) -> None:
    with OpenAIServer(grounded) as server:
        tokens: list[str] = []
        ans = llm_engine(index, encoder, server).answer(QUESTION, on_token=tokens.append)
    assert ans.mode == "llm" and ans.fallback_reason is None
    assert ans.grounding == {"outcome": "passed", "sentences": 2, "dropped": 0, "removed_markers": 0}
    assert "[1]" in ans.text and len(tokens) > 3 and "".join(tokens).strip() == ans.text
    request = server.requests[-1]
    assert request["path"] == "/v1/chat/completions" and request["body"]["stream"] is True
    assert request["body"]["model"] == "district-model"
    assert request["headers"]["authorization"] == "Bearer not-needed"  # no key needed for a local server
    assert ans.timings_ms["llm_first_token"] <= ans.timings_ms["llm_total"]
    shown = answer_json(ans)
    assert shown["writer"] == "llm" and shown["fallback_reason"] is None


def test_invented_claims_and_citations_are_removed_and_recorded(index, encoder) -> None:
    with OpenAIServer(with_inventions) as server:
        ans = llm_engine(index, encoder, server).answer(QUESTION)
    assert ans.mode == "llm"
    assert "three minutes" not in ans.text and "[9]" not in ans.text
    assert ans.grounding == {"outcome": "trimmed", "sentences": 4, "dropped": 2, "removed_markers": 1}


def test_an_answer_its_sources_do_not_support_falls_back_to_the_extractive_answer(index, encoder) -> None:
    with OpenAIServer(lambda m: "Choice boards are graded by the principal every Friday [1]. Parents sign them [2].") as server:
        ans = llm_engine(index, encoder, server).answer(QUESTION)
    assert ans.mode == "extractive" and ans.fallback_reason == "grounding" and ans.grounding["outcome"] == "failed"
    assert answer_json(ans)["writer"] == "extractive" and "[1]" in ans.text


def test_no_first_token_in_time_falls_back_at_once(index, encoder) -> None:
    with OpenAIServer(grounded, first_token_delay=3.0) as server:
        engine = llm_engine(index, encoder, server, llm_first_token_seconds=0.5)
        t0 = time.perf_counter()
        ans = engine.answer(QUESTION)
        waited = time.perf_counter() - t0
    assert ans.mode == "extractive" and ans.fallback_reason == "timeout" and not ans.abstained
    assert waited < 2.5


@pytest.mark.parametrize(("server", "reason"), [
    (OpenAIServer(grounded, fail_status=500), "error"),
    (OpenAIServer(lambda m: "NOT_COVERED"), "not_covered"),
    (OpenAIServer(lambda m: "Grade the evidence against each competency."), "no_citation"),
])  # fmt: skip
def test_a_failing_or_declining_model_falls_back_and_says_why(index, encoder, server: OpenAIServer, reason: str) -> None:
    tokens: list[str] = []
    with server:
        ans = llm_engine(index, encoder, server).answer(QUESTION, on_token=tokens.append)
    assert ans.mode == "extractive" and ans.fallback_reason == reason and ans.sources
    if reason == "not_covered":
        assert not tokens  # NOT_COVERED is never shown to the teacher


def test_openai_needs_a_key_or_a_local_endpoint(index) -> None:
    with pytest.raises(GuidepostError, match="OPENAI_API_KEY"):
        LLMWriter.from_settings(index.model_copy(update={"llm": "openai:gpt-4o-mini"}))


def test_endpoint_and_key_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local")
    s = Settings(_env_file=None, data_dir=tmp_path)
    assert (s.llm_base_url, s.openai_api_key) == ("http://127.0.0.1:9/v1", "sk-local")
    monkeypatch.setenv("GUIDEPOST_LLM_BASE_URL", "http://127.0.0.1:8/v1")
    assert Settings(_env_file=None, data_dir=tmp_path).llm_base_url == "http://127.0.0.1:8/v1"


# --- the grounding check on its own ----------------------------------------------------------

SOURCES = [
    Source(n=1, title="Grading Guide", path="g.md", page=None, section="", quote="",
           text="Grade choice board work against the competency, not the number of squares finished. "
                "Use the four-level rubric for every product.", score=1.0),
    Source(n=2, title="Exit Tickets", path="e.md", page=None, section="",
           quote="", text="Exit tickets take five minutes at the end of the lesson.", score=1.0),
]  # fmt: skip


def test_a_paraphrase_is_kept_by_meaning_and_an_unsupported_sentence_dropped(encoder) -> None:
    g = check("Assess the work on the competency rather than how many squares were done [1]. "
              "Exit tickets should last twenty minutes [2]. Exit tickets take five minutes [2].", SOURCES, encoder)  # fmt: skip
    assert g.outcome == "trimmed" and g.dropped == ["Exit tickets should last twenty minutes [2]."]
    assert g.text.startswith("Assess the work") and g.text.endswith("take five minutes [2].")


def test_a_citation_of_the_wrong_source_is_not_support(encoder) -> None:
    g = check("Exit tickets take five minutes at the end of the lesson [1].", SOURCES, encoder)
    assert g.outcome == "failed"


def test_answer_json_says_which_wrote_the_answer() -> None:
    ans = Answer(question="q", text="x [1]", abstained=False, sources=SOURCES, fallback_reason="timeout")
    assert answer_json(ans)["writer"] == "extractive" and answer_json(ans)["fallback_reason"] == "timeout"
