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
    refused = run("eval", "--questions", str(q), "--train-also", str(q2))  # nothing is fitted without --folds/--fit
    assert refused.exit_code != 0 and "--train-also needs --folds or --fit" in refused.output


def test_ingest_refuses_personal_data_unless_allowed_and_indexes_blank_templates(run, tmp_path: Path):
    from tests.ingest.privacy_samples import gradebook_markdown

    kb = tmp_path / "uploads"
    kb.mkdir()
    (kb / "gradebook.md").write_bytes(gradebook_markdown())
    (kb / "intake-form.md").write_text(
        "# Reading intake form\n\nStudent Name: ______________\n\nDOB: __/__/____\n\n"
        "Ask the student which book they last finished and why they chose it.\n"
    )
    res = run("ingest", str(kb), "--json")
    assert res.exit_code == 1
    out = json.loads(res.stdout)
    assert [Path(d["path"]).name for d in out["indexed"]] == ["intake-form.md"]  # a blank template is fine
    (failed,) = out["failed"]
    assert Path(failed["path"]).name == "gradebook.md" and "personal data" in failed["error"]
    assert "Maria Lopez" not in failed["error"]  # values are masked

    res = run("ingest", str(kb))  # the human form says why too
    assert res.exit_code == 1 and "personal data" in res.stderr

    res = run("ingest", str(kb), "--allow-personal-data", "--json")
    assert res.exit_code == 0
    out = json.loads(res.stdout)
    assert [Path(d["path"]).name for d in out["indexed"]] == ["gradebook.md"] and out["failed"] == []


def test_ingest_a_link_cites_it_and_refresh_reindexes_only_what_changed(run, monkeypatch):
    from tests.web_site import serve_site

    monkeypatch.setenv("GUIDEPOST_ALLOW_PRIVATE_URLS", "1")
    with serve_site() as site:
        rotation = site.put("/stations", "Station Rotation", "Split the class into three groups that rotate between stations.")
        exits = site.put("/exit-tickets", "Exit Tickets", "Collect a short written answer from every student at the door.")
        res = run("ingest", rotation, exits, "--type", "guide", "--json")
        assert res.exit_code == 0, res.output
        out = json.loads(res.stdout)
        assert sorted(d["path"] for d in out["indexed"]) == sorted([rotation, exits])
        assert all(d["chunks"] > 0 and d["type"] == "guide" for d in out["indexed"])

        listed = json.loads(run("sources", "list", "--json").stdout)["sources"]
        by_url = {s["url"]: s for s in listed}
        assert by_url[rotation]["title"] == "Station Rotation" and by_url[rotation]["fmt"] == "web"
        assert by_url[rotation]["extra"]["web"]["etag"]  # the validators are stored

        answer = json.loads(run("ask", "How long does each station last before groups rotate?", "--json").stdout)
        assert rotation in json.dumps(answer)  # the page's address is cited

        res = run("refresh", "--json")  # nothing changed: the server answers 304 to both
        assert res.exit_code == 0
        out = json.loads(res.stdout)
        assert out["updated"] == [] and len(out["unchanged"]) == 2
        assert site.statuses("/stations")[-1] == 304 and site.statuses("/exit-tickets")[-1] == 304

        site.put("/stations", "Station Rotation", "Split the class into four groups; one station is always teacher-led.")
        out = json.loads(run("refresh", "--json").stdout)
        assert [u["url"] for u in out["updated"]] == [rotation] and len(out["unchanged"]) == 1
        assert by_url[rotation]["id"] == out["updated"][0]["id"]

        res = run("refresh", by_url[exits]["id"], "--json")  # one by id
        assert json.loads(res.stdout)["unchanged"][0]["url"] == exits

        res = run("ingest", site.url("/missing"), "--json")
        assert res.exit_code == 1 and "404" in json.loads(res.stdout)["failed"][0]["error"]


def test_ingest_a_loopback_link_is_refused_without_the_setting(run, monkeypatch):
    monkeypatch.delenv("GUIDEPOST_ALLOW_PRIVATE_URLS", raising=False)
    res = run("ingest", "http://127.0.0.1:9/page", "--json")
    assert res.exit_code == 1
    assert json.loads(res.stdout)["failed"][0]["path"] == "http://127.0.0.1:9/page"


def test_gaps_json_groups_recorded_questions_by_meaning(run, tmp_path: Path):
    from ingest.stores import GapStore

    res = run("gaps", "--json")
    assert res.exit_code == 0 and json.loads(res.stdout) == {"groups": []}
    store = GapStore(tmp_path / "data")
    first = store.record("How do I reset a student's Chromebook password?", reason="abstention", channel="C1")
    store.record("What time does the bus leave for the field trip?", reason="thumbs_down", channel="C2", answer_id="a1")
    second = store.record("A student forgot their Chromebook password: how do I reset it?", reason="abstention")
    store.mark_handled([first, second], by="UCOACH")

    out = json.loads(run("gaps", "--json").stdout)
    assert [(g["count"], g["handled"]) for g in out["groups"]] == [(2, True), (1, False)]  # newest first
    assert set(out["groups"][0]) == {"count", "example", "questions", "handled"}
    assert out["groups"][0]["questions"][0].startswith("A student forgot")
    text = run("gaps").stdout
    assert "bus" in text and "Chromebook" not in text  # handled groups only with --all
    assert "Chromebook" in run("gaps", "--all").stdout


def test_standards_from_the_flag_the_text_and_a_mapping_table_filter_ask_and_show_on_citations(run, tmp_path: Path):
    kb = tmp_path / "curriculum"
    (kb / "units").mkdir(parents=True)
    (kb / "standards_mapping.md").write_text(
        "# Standards mapping\n\n| Lesson | Standard |\n| --- | --- |\n| [1.01: Loops](units/loops.md) | 3A-AP-15 |\n"
    )
    (kb / "units" / "loops.md").write_text(
        "# Loops\n\nA for loop repeats a block of code once for each item in a list; students trace it on paper first.\n"
    )
    (kb / "units" / "lists.md").write_text(
        "# Lists\n\nThis lesson covers 3A-AP-14. Students append items to a list and index into it, starting at zero.\n"
    )
    (kb / "units" / "variables.md").write_text(
        "# Variables\n\nA variable names a value; students trace how assigning a new value to it replaces the old one.\n"
    )
    res = run("ingest", str(kb), "--standard", "3a-ap-17", "--json")
    assert res.exit_code == 0, res.output
    listed = {Path(s["path"]).name: s["extra"].get("standards") for s in json.loads(run("sources", "list", "--json").stdout)["sources"]}
    assert listed["loops.md"] == ["3A-AP-17", "3A-AP-15"]  # the flag, then the mapping table's row
    assert listed["lists.md"] == ["3A-AP-17", "3A-AP-14"]  # the flag, then the code its text names
    assert listed["variables.md"] == ["3A-AP-17"]

    res = run("ingest", str(kb), "--standard", "not-a-code")
    assert res.exit_code == 2 and "not a standard code" in res.stderr

    out = json.loads(run("ask", "How do students use a list?", "--standard", "3A-AP-15", "--json").stdout)
    assert out["sources"] and {s["title"] for s in out["sources"]} <= {"Loops", "Standards mapping"}
    assert all("3A-AP-15" in s["standards"] for s in out["sources"])
    out = json.loads(run("ask", "How do students use a list?", "--standard", "3A-AP-14", "--json").stdout)
    assert {s["title"] for s in out["sources"]} == {"Lists"}
    text = run("ask", "How do students use a list?", "--standard", "3A-AP-14").stdout
    assert "(standards: 3A-AP-17, 3A-AP-14)" in text


def test_review_dates_from_the_flag_and_a_sidecar_and_notes_citing_a_replaced_source(run, tmp_path: Path):
    from ingest.domain import Answer, Source
    from ingest.stores import DigestStore

    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "old.md").write_text("# Old routine\n\nLine up at the door two minutes before the bell rings.\n")
    (kb / "new.md").write_text("# New routine\n\nStudents write one sentence about what they learned today.\n")
    (kb / "new.md.yml").write_text("review_by: 2999-06-30\n")
    res = run("ingest", str(kb / "old.md"), "--review-by", "2020-01-31", "--json")
    assert res.exit_code == 0, res.output
    assert run("ingest", str(kb / "new.md")).exit_code == 0
    listed = {s["title"]: s for s in json.loads(run("sources", "list", "--json").stdout)["sources"]}
    assert (listed["Old routine"]["review_by"], listed["Old routine"]["overdue"]) == ("2020-01-31", True)
    assert (listed["New routine"]["review_by"], listed["New routine"]["overdue"]) == ("2999-06-30", False)  # from the sidecar
    assert listed["Old routine"]["added_at"][:2] == "20"
    text = run("sources", "list").stdout
    assert "REVIEW OVERDUE (review by 2020-01-31)" in text and "1 past their review date" in text
    assert run("ingest", str(kb), "--review-by", "soon").exit_code == 2

    old = listed["Old routine"]["id"]
    source = Source(1, "Old routine", str(kb / "old.md"), None, "", "Line up.", "Line up.", 0.9, doc_id=old)
    DigestStore(tmp_path / "data").add("C0PLAN", "a1", Answer("when do we line up?", "Line up [1].", False, [source]))
    (kb / "old.md").write_text("# Old routine\n\nLine up at the door one minute before the bell rings.\n")
    run("ingest", str(kb / "old.md"), "--review-by", "2020-01-31")
    (entry,) = DigestStore(tmp_path / "data").current("C0PLAN").entries
    assert [n.event for n in entry.notes] == ["updated"] and entry.notes[0].text().startswith("source updated on 20")
    run("sources", "remove", old)
    (entry,) = DigestStore(tmp_path / "data").current("C0PLAN").entries
    assert [n.text()[:14] for n in entry.notes] == ["source removed"]
    untold = DigestStore(tmp_path / "data").claim_untold("test")
    assert list(untold) == ["C0PLAN"] and DigestStore(tmp_path / "data").claim_untold("again") == {}  # told once


def test_configuration_errors_exit_2_naming_the_variable(run, monkeypatch, tmp_path: Path):
    monkeypatch.setenv("GUIDEPOST_TOP_K", "lots")
    res = run("sources", "list")
    assert res.exit_code == 2 and "GUIDEPOST_TOP_K=lots" in res.stderr and "Traceback" not in res.output
    monkeypatch.delenv("GUIDEPOST_TOP_K")
    monkeypatch.setenv("GUIDEPOST_CHUNK_TOKENS", "250")  # leaves no room for the title prefix
    res = run("ingest", str(KNOWLEDGE / "guides"))
    assert res.exit_code == 2 and "GUIDEPOST_CHUNK_TOKENS=250" in res.stderr and "Traceback" not in res.output
    monkeypatch.delenv("GUIDEPOST_CHUNK_TOKENS")
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
