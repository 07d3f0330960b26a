"""The `guidepost` command line, run in-process with click's runner and a temp data dir."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from tests.conftest import KNOWLEDGE


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("GUIDEPOST_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def folder(tmp_path) -> Path:
    dest = tmp_path / "kb"
    shutil.copytree(KNOWLEDGE / "guides", dest / "guides")
    shutil.copytree(KNOWLEDGE / "choice-boards", dest / "choice-boards")
    (dest / "notes.xlsx").write_bytes(b"PK\x03\x04")
    return dest


def test_ingest_json_exit_codes_and_rerun(run, folder: Path):
    res = run("ingest", str(folder), "--json")
    assert res.exit_code == 1  # the .xlsx failed, the rest is indexed
    out = json.loads(res.stdout)
    assert set(out) >= {"indexed", "unchanged", "failed"}
    assert len(out["indexed"]) == 6 and all(d["chunks"] > 0 and d["path"] for d in out["indexed"])
    assert [Path(f["path"]).name for f in out["failed"]] == ["notes.xlsx"]
    assert "not a supported type" in out["failed"][0]["error"]

    (folder / "notes.xlsx").unlink()
    res = run("ingest", str(folder), "--json")
    assert res.exit_code == 0
    out = json.loads(res.stdout)
    assert out["indexed"] == [] and len(out["unchanged"]) == 6


def test_ingest_human_summary_and_bad_tag(run, folder: Path):
    res = run("ingest", str(folder / "guides"), "--type", "guide", "--grade", "K-12")
    assert res.exit_code == 0
    assert "2 indexed" in res.stdout and "0 failed" in res.stdout
    res = run("ingest", str(folder / "guides"), "--type", "worksheet")
    assert res.exit_code == 2 and "unknown document type 'worksheet'" in res.stderr


def test_sources_list_and_remove(run, folder: Path):
    run("ingest", str(folder / "guides"))
    out = json.loads(run("sources", "list", "--json").stdout)
    assert len(out["sources"]) == 2
    first = out["sources"][0]
    assert set(first) >= {"id", "title", "path", "type", "chunks"}
    assert first["type"] == "guide"
    res = run("sources", "remove", first["id"])
    assert res.exit_code == 0 and "removed" in res.stdout
    by_path = out["sources"][1]["path"]
    assert run("sources", "remove", by_path).exit_code == 0
    assert json.loads(run("sources", "list", "--json").stdout)["sources"] == []
    res = run("sources", "remove", "nope")
    assert res.exit_code == 2 and "no indexed document matches" in res.stderr


def test_ask_json_shape(run, folder: Path):
    run("ingest", str(folder))
    res = run("ask", "How should I grade choice board work?", "--json")
    assert res.exit_code == 0
    out = json.loads(res.stdout)
    assert set(out) == {"question", "answer", "abstained", "sources", "writer", "fallback_reason", "grounding"}
    assert out["abstained"] is False and out["sources"] and out["writer"] == "extractive" and out["fallback_reason"] is None
    assert set(out["sources"][0]) >= {"n", "title", "path", "page", "section", "quote", "text", "score"}
    scores = [s["score"] for s in out["sources"]]
    assert scores == sorted(scores, reverse=True)
    text = run("ask", "How should I grade choice board work?", "--type", "guide").stdout
    assert "Sources:" in text and "[1]" in text


def test_ask_json_with_a_local_openai_compatible_server(run, folder: Path, monkeypatch):
    from tests.openai_server import OpenAIServer, grounded

    run("ingest", str(folder))
    for key in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("GUIDEPOST_LLM", "openai:local-model")
    with OpenAIServer(grounded) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        out = json.loads(run("ask", "How should I grade choice board work?", "--json").stdout)
        assert out["writer"] == "llm" and out["fallback_reason"] is None and out["grounding"]["outcome"] == "passed"
    down = json.loads(run("ask", "How should I grade choice board work?", "--json").stdout)  # the server is gone
    assert down["writer"] == "extractive" and down["fallback_reason"] == "error" and "[1]" in down["answer"]


def test_eval_command(run, folder: Path, tmp_path: Path):
    run("ingest", str(folder))
    q = tmp_path / "q.jsonl"
    q.write_text(json.dumps({"id": "o1", "question": "Who won the 2018 World Cup?", "kind": "out_of_scope"}) + "\n")
    res = run("eval", "--questions", str(q), "--baseline", "bm25")
    assert res.exit_code == 0
    assert "recall@5" in res.stdout and "baseline_bm25" in res.stdout
    out = json.loads(run("eval", "--questions", str(q), "--json").stdout)
    assert out["metrics"]["guidepost"]["oos_abstention"] == 1.0
    # the README's form, several files after one --questions, and the trade-off table
    q2 = tmp_path / "q2.jsonl"
    q2.write_text(json.dumps({"id": "o2", "question": "What is the capital of Australia?", "kind": "out_of_scope"}) + "\n")
    res = run("eval", "--questions", str(q), str(q2))
    assert res.exit_code == 0 and "questions: 2" in res.stdout and "answerable refused / out-of-scope refused" in res.stdout
    assert "answer_has_evidence" in res.stdout
