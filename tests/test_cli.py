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
    assert res.exit_code == 0  # the .xlsx beside the documents is skipped, the rest is indexed
    out = json.loads(res.stdout)
    assert set(out) >= {"indexed", "unchanged", "failed", "skipped"}
    assert len(out["indexed"]) == 6 and all(d["chunks"] > 0 and d["path"] for d in out["indexed"])
    assert out["failed"] == [] and [Path(f["path"]).name for f in out["skipped"]] == ["notes.xlsx"]
    assert "not a supported type" in out["skipped"][0]["error"]
    named = run("ingest", str(folder / "notes.xlsx"), "--json")  # named on its own, it fails
    assert named.exit_code == 1 and json.loads(named.stdout)["failed"]

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
    assert set(out) == {"question", "answer", "abstained", "sources"}
    assert out["abstained"] is False and out["sources"]
    assert set(out["sources"][0]) >= {"n", "title", "path", "page", "section", "quote", "text", "score"}
    scores = [s["score"] for s in out["sources"]]
    assert scores == sorted(scores, reverse=True)
    text = run("ask", "How should I grade choice board work?", "--type", "guide").stdout
    assert "Sources:" in text and "[1]" in text


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


def test_configuration_errors_exit_2_naming_the_variable(run, monkeypatch, tmp_path: Path):
    monkeypatch.setenv("GUIDEPOST_TOP_K", "lots")
    res = run("sources", "list")
    assert res.exit_code == 2 and "GUIDEPOST_TOP_K=lots" in res.stderr and "Traceback" not in res.output
    monkeypatch.delenv("GUIDEPOST_TOP_K")
    monkeypatch.setenv("GUIDEPOST_EMBEDDING_MODEL_PATH", str(tmp_path / "no-model"))
    for args in (("ask", "how long are exit tickets?"), ("ingest", str(KNOWLEDGE / "guides"))):
        res = run(*args)
        assert res.exit_code == 2 and res.stderr.count("GUIDEPOST_EMBEDDING_MODEL_PATH") == 1, res.output
        assert "failed" not in res.stdout


def test_unusable_paths_get_a_message_not_a_traceback(run, monkeypatch, tmp_path: Path):
    res = run("feedback", "export", "-o", str(tmp_path / "no" / "such" / "x.csv"))
    assert res.exit_code == 2 and "could not write" in res.stderr and "No such file" in res.stderr
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    monkeypatch.setenv("GUIDEPOST_DATA_DIR", str(not_a_dir))
    res = run("sources", "list")
    assert res.exit_code == 2 and "is a file, not a folder" in res.stderr and "GUIDEPOST_DATA_DIR" in res.stderr


def test_ingest_messages_read_well(run, tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "one.md").write_text("# One\n\nA short note about exit tickets.\n")
    (docs / "odd\nname.md").write_text("# Odd\n\nA note whose file name has a newline.\n")
    (docs / "caf\udce9-notes.md").write_text("# Cafe\n\nA note whose name is not UTF-8.\n")
    (docs / "photo.png").write_bytes(b"\x89PNG")
    missing = tmp_path / "nowhere"
    res = run("ingest", str(docs), str(missing))
    assert res.exit_code == 1
    assert "(1 chunk)" in res.stdout and "1 chunks" not in res.stdout
    assert "odd\\nname.md  (1 chunk)" in res.stdout  # one line per file
    assert f"failed     {missing}: no such file or folder" in res.stderr
    assert "caf\\xe9-notes.md: the file name is not valid UTF-8" in res.stderr
    assert "skipped" in res.stderr and "photo.png" in res.stderr
    assert "2 indexed (2 chunks), 0 unchanged, 2 failed, 1 skipped" in res.stdout
    listing = run("sources", "list").stdout.splitlines()
    assert len(listing) == 3 and listing[-1] == "2 documents"  # one line per document
    assert any("odd\\nname.md" in line for line in listing)


def test_an_empty_question_is_a_usage_error(run):
    res = run("ask", "   ")
    assert res.exit_code == 2 and "the question is empty" in res.stderr


def test_after_the_demo_the_way_to_ask_its_index_is_shown(run, tmp_path: Path, monkeypatch):
    import subprocess

    from tests.conftest import REPO

    out = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(REPO), "demo-next",
                          f"GUIDEPOST_DATA_DIR={tmp_path / 'demo'}"], capture_output=True, text=True)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert f"export GUIDEPOST_DATA_DIR={tmp_path / 'demo'}" in out.stdout and "guidepost ask" in out.stdout
    # `guidepost ask` on an empty data dir, next to a demo index, says where the demo's index is
    monkeypatch.chdir(tmp_path)
    demo = tmp_path / ".guidepost" / "demo"
    demo.mkdir(parents=True)
    (demo / "catalog.sqlite3").write_bytes(b"")
    res = run("ask", "How long should independent practice take?")
    assert res.exit_code == 0 and f"export GUIDEPOST_DATA_DIR={demo}" in res.stderr
