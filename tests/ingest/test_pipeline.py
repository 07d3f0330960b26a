"""Ingest end to end: real files, real Chroma in a temp dir, the real embedding model."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from ingest.domain import Tags
from ingest.pipeline import Ingestor
from ingest.stores import KnowledgeBase
from tests.conftest import KNOWLEDGE


def write_md(folder: Path, name: str, body: str, **front: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    fm = "".join(f"{k}: {v}\n" for k, v in front.items())
    text = (f"---\n{fm}---\n" if fm else "") + textwrap.dedent(body).lstrip()
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


LESSON = """
# Fractions on a Number Line

## Launch

Students fold paper strips into halves, fourths and eighths. They label each fold.

## Practice

Partners place fraction cards on a floor number line and justify each placement aloud.
"""


@pytest.fixture
def docs(tmp_path) -> Path:
    folder = tmp_path / "docs"
    write_md(folder, "fractions.md", LESSON, type="lesson_template", grade="3", subject="math")
    write_md(folder / "boards", "board.md", "# Ecosystem Board\n\nPick three squares in a row. Each square targets a competency.\n",
             type="choice_board", grade="8", subject="science")
    return folder


def test_ingest_round_trip_and_idempotent_rerun(ingestor: Ingestor, docs: Path):
    first = ingestor.ingest_paths([docs])
    assert not first.failed
    assert sorted(Path(d.path).name for d in first.indexed) == ["board.md", "fractions.md"]
    check = ingestor.kb.check()
    assert check["missing"] == check["orphans"] == 0
    assert check["catalog"] == check["vectors"] == check["keyword"] == first.chunks

    calls = []
    real = ingestor.encoder.encode_with_spans
    ingestor.encoder.encode_with_spans = lambda texts, spans: calls.append(texts) or real(texts, spans)  # type: ignore[method-assign]
    again = ingestor.ingest_paths([docs])
    assert again.indexed == [] and len(again.unchanged) == 2
    assert calls == []  # nothing re-embedded
    assert ingestor.kb.check()["vectors"] == first.chunks  # nothing duplicated

    info = {s.title: s for s in ingestor.kb.sources()}
    assert info["Fractions on a Number Line"].type == "lesson_template"
    assert info["Fractions on a Number Line"].grade == "3"
    assert info["Ecosystem Board"].subject == "science"


def test_chunks_are_verbatim_and_fit_the_encoder(ingestor: Ingestor, tmp_path: Path):
    folder = tmp_path / "kb"
    shutil.copytree(KNOWLEDGE, folder)
    report = ingestor.ingest_paths([folder])
    assert not report.failed and len(report.indexed) >= 10
    docs = {s.id: s for s in ingestor.kb.sources()}
    rows = ingestor.kb.catalog.db.query("SELECT chunk_id, doc_id, text, tokens, char_start, char_end FROM chunks")
    assert max(r["tokens"] for r in rows) <= ingestor.encoder.max_tokens
    # every stored chunk is a verbatim slice of its document's extracted text
    from ingest.loaders import load_file

    texts = {i: load_file(Path(d.path), ingestor.settings).text for i, d in docs.items()}
    for r in rows:
        assert texts[r["doc_id"]][r["char_start"] : r["char_end"]] == r["text"]
    # and its embedded form (title prefix included) is seen whole by the model
    chunks = ingestor.chunker.chunk(load_file(Path(next(iter(docs.values())).path), ingestor.settings))
    counts = ingestor.encoder.count_tokens([c.embed_text for c in chunks])
    assert max(counts) <= ingestor.encoder.max_tokens


def test_changed_document_is_replaced_and_only_changes_reembedded(ingestor: Ingestor, docs: Path):
    ingestor.ingest_paths([docs])
    before = {r["chunk_id"] for r in ingestor.kb.catalog.db.query("SELECT chunk_id FROM chunks")}
    path = docs / "fractions.md"
    path.write_text(path.read_text() + "\n## Exit ticket\n\nPlace 3/4 on a number line and explain why.\n")

    embedded: list[str] = []
    real = ingestor.encoder.encode_with_spans
    ingestor.encoder.encode_with_spans = lambda texts, spans: embedded.extend(texts) or real(texts, spans)  # type: ignore[method-assign]
    report = ingestor.ingest_paths([docs])
    assert [Path(d.path).name for d in report.indexed] == ["fractions.md"]
    assert len(report.unchanged) == 1
    assert embedded and all("Exit ticket" in t or "3/4" in t for t in embedded)  # unchanged chunks reused
    texts = [r["text"] for r in ingestor.kb.catalog.db.query("SELECT text FROM chunks")]
    assert any("Place 3/4 on a number line" in t for t in texts)
    check = ingestor.kb.check()
    assert check["missing"] == check["orphans"] == 0
    after = {r["chunk_id"] for r in ingestor.kb.catalog.db.query("SELECT chunk_id FROM chunks")}
    assert after != before


def test_removed_file_disappears_from_the_index(ingestor: Ingestor, docs: Path):
    ingestor.ingest_paths([docs])
    (docs / "boards" / "board.md").unlink()
    report = ingestor.ingest_paths([docs])
    assert [Path(r.path).name for r in report.removed] == ["board.md"]
    assert [s.title for s in ingestor.kb.sources()] == ["Fractions on a Number Line"]
    check = ingestor.kb.check()
    assert check["orphans"] == 0 and check["vectors"] == check["catalog"]


def test_remove_by_id_and_by_path(ingestor: Ingestor, docs: Path):
    ingestor.ingest_paths([docs])
    kb = ingestor.kb
    board = kb.find(str(docs / "boards" / "board.md"))
    kb.remove(board.id)
    fractions = kb.find(kb.sources()[0].id[:8])  # an id prefix works too
    kb.remove(fractions.id)
    assert kb.sources() == []
    assert kb.check() == {"catalog": 0, "vectors": 0, "keyword": 0, "missing": 0, "orphans": 0}


def test_cli_tags_override_front_matter(ingestor: Ingestor, docs: Path):
    ingestor.ingest_paths([docs / "fractions.md"], Tags.parse(grade="4"))
    (info,) = ingestor.kb.sources()
    assert (info.type, info.grade, info.subject) == ("lesson_template", "4", "math")


def test_bad_files_fail_alone_and_leave_the_index_untouched(ingestor: Ingestor, docs: Path, tmp_path: Path):
    ingestor.ingest_paths([docs])
    before = ingestor.kb.check()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.md").write_text("")
    (bad / "sheet.xlsx").write_bytes(b"PK\x03\x04 not really")
    (bad / "fake.docx").write_text("just text")
    (bad / "binary.txt").write_bytes(b"\x00\x01\x02\x03" * 100)
    (bad / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj<<>>\n")
    write_md(bad, "good.md", "# Good\n\nA fine lesson about measuring with rulers.\n")
    report = ingestor.ingest_paths([bad])
    failed = {Path(f.path).name: f.error for f in report.failed}
    assert set(failed) == {"empty.md", "fake.docx", "binary.txt", "broken.pdf"}
    for name, error in failed.items():
        assert name in error, error  # the reason names the file
    skipped = {Path(f.path).name: f.error for f in report.skipped}  # another type, inside a folder
    assert set(skipped) == {"sheet.xlsx"} and "not a supported type" in skipped["sheet.xlsx"]
    assert [Path(d.path).name for d in report.indexed] == ["good.md"]
    after = ingestor.kb.check()
    assert after["catalog"] == before["catalog"] + report.chunks
    assert after["missing"] == after["orphans"] == 0


def test_a_file_named_twice_is_indexed_once(ingestor: Ingestor, docs: Path):
    report = ingestor.ingest_paths([docs, docs / "fractions.md", docs / "fractions.md"])
    assert not report.failed and len(report.indexed) == 2
    assert ingestor.kb.check()["orphans"] == 0


def test_missing_path_is_reported(ingestor: Ingestor, tmp_path: Path):
    report = ingestor.ingest_paths([tmp_path / "nope"])
    assert report.failed and "no such file" in report.failed[0].error


@pytest.mark.parametrize("fail_at", ["after_upsert", "after_catalog", "mid_delete"])
def test_interrupted_write_is_repaired(settings, encoder, docs: Path, fail_at: str):
    """A crash at each step of the write protocol: the next open repairs the index, and the
    next ingest completes it, with no duplicates and nothing lost."""
    ingestor = Ingestor(settings, KnowledgeBase(settings), encoder)
    ingestor.ingest_paths([docs])
    path = docs / "fractions.md"
    path.write_text(LESSON.replace("halves, fourths and eighths", "thirds and sixths"))

    class Crash(BaseException):
        pass

    kb = ingestor.kb
    if fail_at == "after_upsert":
        real = kb.vectors.upsert

        def upsert(*a, **k):
            real(*a, **k)
            raise Crash

        kb.vectors.upsert = upsert  # type: ignore[method-assign]
    elif fail_at == "after_catalog":
        kb.vectors.delete = lambda ids: (_ for _ in ()).throw(Crash)  # type: ignore[method-assign]
    else:
        real_delete = kb.vectors.delete

        def delete(ids):
            real_delete(ids[:1])
            raise Crash

        kb.vectors.delete = delete  # type: ignore[method-assign]
    with pytest.raises(Crash):
        ingestor.ingest_paths([docs])
    assert kb.catalog.db.query("SELECT COUNT(*) AS n FROM journal")[0]["n"] == 1

    fresh = Ingestor(settings, KnowledgeBase(settings), encoder)
    fresh.ingest_paths([docs])
    check = fresh.kb.check()
    assert check["missing"] == check["orphans"] == 0
    assert check["catalog"] == check["vectors"] == check["keyword"]
    texts = " ".join(r["text"] for r in fresh.kb.catalog.db.query("SELECT text FROM chunks"))
    assert "thirds and sixths" in texts and "halves, fourths" not in texts
    assert len(fresh.kb.sources()) == 2


def test_kill_9_mid_ingest_then_rerun(settings, encoder, tmp_path: Path):
    """A real `guidepost ingest` process killed with SIGKILL while it writes; a re-run leaves the
    same index a clean run builds."""
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    folder = tmp_path / "kb"
    shutil.copytree(KNOWLEDGE, folder)
    env = {**os.environ, "GUIDEPOST_DATA_DIR": str(settings.data_dir), "HF_HUB_OFFLINE": "1"}
    catalog = settings.data_dir / "catalog.sqlite3"
    for kill_at_write in (1, 4):
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "ingest", str(folder)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seen, deadline = set(), time.monotonic() + 120
        try:
            while proc.poll() is None and time.monotonic() < deadline:
                if catalog.exists():
                    try:
                        with sqlite3.connect(catalog, timeout=0.1) as db:
                            seen.update(r[0] for r in db.execute("SELECT doc_id FROM journal"))
                    except sqlite3.OperationalError:
                        pass
                if len(seen) >= kill_at_write:
                    os.kill(proc.pid, signal.SIGKILL)
                    break
                time.sleep(0.002)
        finally:
            proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"

    ingestor = Ingestor(settings, KnowledgeBase(settings), encoder)
    report = ingestor.ingest_paths([folder])
    assert not report.failed
    check = ingestor.kb.check()
    assert check["missing"] == check["orphans"] == 0
    assert check["catalog"] == check["vectors"] == check["keyword"]

    clean_settings = settings.model_copy(update={"data_dir": tmp_path / "clean"})
    clean = Ingestor(clean_settings, KnowledgeBase(clean_settings), encoder)
    clean.ingest_paths([folder])
    got = {(s.title, s.chunks) for s in ingestor.kb.sources()}
    want = {(s.title, s.chunks) for s in clean.kb.sources()}
    assert got == want
    assert check["vectors"] == clean.kb.check()["vectors"]


def test_every_chunk_stores_a_vector_per_sentence_and_unchanged_chunks_keep_theirs(ingestor: Ingestor, docs: Path):
    import numpy as np

    ingestor.ingest_paths([docs])
    chunks = ingestor.kb.catalog.db.query("SELECT chunk_id, text FROM chunks")
    sums = ingestor.kb.sentence_sums([c["chunk_id"] for c in chunks])
    assert set(sums) == {c["chunk_id"] for c in chunks}
    for c in chunks:
        units = sums[c["chunk_id"]]
        assert units and all(0 <= a < b <= len(c["text"]) for a, b, _ in units)
        # a sentence's vector points the way the whole passage does, more or less: it is read off
        # the passage's own tokens
        whole = ingestor.encoder.encode([c["text"]])[0]
        best = max(float(v @ whole / np.linalg.norm(v)) for _, _, v in units if np.linalg.norm(v) > 0)
        assert best > 0.5

    path = docs / "fractions.md"
    path.write_text(path.read_text() + "\n## Exit ticket\n\nPlace 3/4 on a number line and explain why.\n")
    ingestor.ingest_paths([docs])
    after = ingestor.kb.catalog.db.query("SELECT chunk_id FROM chunks")
    assert set(ingestor.kb.sentence_sums([c["chunk_id"] for c in after])) == {c["chunk_id"] for c in after}
    orphans = ingestor.kb.catalog.db.query("SELECT COUNT(*) AS n FROM sentences WHERE chunk_id NOT IN (SELECT chunk_id FROM chunks)")
    assert orphans[0]["n"] == 0


def test_acronyms_are_stored_per_document_and_removed_with_it(ingestor: Ingestor, tmp_path: Path):
    folder = tmp_path / "pd"
    write_md(folder, "pd.md", "# Training\n\nProfessional development works when professional development is job-embedded.\n")
    ingestor.ingest_paths([folder])
    assert ("professional development", 2) in [(p.lower(), w) for p, w in ingestor.kb.alias_candidates("PD")]
    (folder / "pd.md").unlink()
    ingestor.ingest_paths([folder])
    assert ingestor.kb.alias_candidates("PD") == []


def test_tags_given_with_flags_outlast_a_reingest_without_flags(ingestor: Ingestor, tmp_path: Path):
    """The rule: flags win over the file's own tags (sidecar, front matter), and are remembered:
    ingesting the file again without flags keeps them; new flags replace them one by one."""
    doc = tmp_path / "notes.md"
    doc.write_text("# Notes\n\nExit tickets take five minutes.\n")
    (tmp_path / "notes.md.yml").write_text("type: guide\ngrade: 3-5\n")
    ingestor.ingest_paths([doc], Tags.parse(type="report", grade="K"))
    tags = lambda: [(s.type, s.grade) for s in ingestor.kb.sources()]  # noqa: E731
    assert tags() == [("report", "K")]
    report = ingestor.ingest_paths([doc])
    assert report.unchanged and tags() == [("report", "K")]
    doc.write_text("# Notes\n\nExit tickets take five minutes, or six.\n")  # edited: still the flags' tags
    assert ingestor.ingest_paths([doc]).indexed and tags() == [("report", "K")]
    ingestor.ingest_paths([doc], Tags.parse(grade="2"))
    assert tags() == [("report", "2")]


def test_progress_counts_files_and_chunks_as_they_are_stored(ingestor: Ingestor, docs: Path):
    """The progress bar used to count files as parsed, ahead of the encoder, and stayed at 0
    for a whole batch: now each call comes once the files are done (stored, unchanged or failed)."""
    calls: list[tuple[int, int, int]] = []
    totals: list[int] = []
    stored = lambda: ingestor.kb.chunk_count()  # noqa: E731
    report = ingestor.ingest_paths([docs], progress=lambda f, c: calls.append((f, c, stored())), on_total=totals.append)
    assert totals == [len(report.indexed) + len(report.failed) + len(report.unchanged)]
    assert sum(f for f, _, _ in calls) == totals[0] and sum(c for _, c, _ in calls) == report.chunks
    done = 0
    for _, c, in_index in calls:
        done += c
        assert in_index >= done  # reported chunks are already in the index
