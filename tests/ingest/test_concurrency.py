"""Concurrent writers: the CLI, the bot's coach uploads and a second bot process may all write to
one index. Real `guidepost ingest` processes run side by side (embedded Chroma and a Chroma
server); afterwards the catalog, the keyword index, the vectors and the sentence vectors agree,
nothing is lost, and every file can be found."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ingest.domain import Tags
from ingest.pipeline import Ingestor
from ingest.stores import KnowledgeBase
from tests.ingest.test_chroma_server import chroma_server  # noqa: F401 - a fixture

# Each process writes in batches of 8 chunks, so the batches of the processes interleave.
CLI = "import ingest.pipeline as p; p.EMBED_GROUP = 8; from bot.cli import main; main()"


def _folders(root: Path, names: str, files: int) -> list[Path]:
    out = []
    for name in names:
        folder = root / name
        folder.mkdir(parents=True)
        for i in range(files):
            (folder / f"note{i}.md").write_text(
                f"# Note {name} {i}\n\nLesson {i} of unit {name} uses the word qz{name.lower()}{i} "
                f"and a choice board about fractions for grade 4.\n", encoding="utf-8")  # fmt: skip
        out.append(folder)
    return out


def _run_together(folders: list[Path], env: dict[str, str]) -> list[subprocess.CompletedProcess]:
    procs = [subprocess.Popen([sys.executable, "-c", CLI, "ingest", "--json", str(f)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for f in folders]  # fmt: skip
    results = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        results.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    return results


def _assert_whole(settings, folders: list[Path], files: int, others: int = 1) -> dict[str, int]:
    kb = KnowledgeBase(settings)
    result = kb.consistency(repair=False)
    assert result.ok, result.problems
    counts = result.before
    total = len(folders) * files + others  # and the file(s) indexed besides
    assert counts["documents"] == total
    assert counts["chunks"] == counts["keyword"] == counts["vectors"] == counts["chunks_with_sentences"] == total
    for folder in folders:  # every file can be found, by keyword and by its vector
        for i in range(files):
            word = f"qz{folder.name.lower()}{i}"
            hits = kb.search_keyword([word], 1)
            assert hits, f"{folder.name}/note{i}.md cannot be found"
            assert kb.vectors.existing([hits[0][0]]) == {hits[0][0]}
    return counts


def _env(settings, **extra: str) -> dict[str, str]:
    return {**os.environ, "GUIDEPOST_DATA_DIR": str(settings.data_dir), "HF_HUB_OFFLINE": "1", **extra}


@pytest.mark.parametrize("processes", [2, 3])
def test_ingests_side_by_side_lose_nothing(settings, tmp_path, processes):
    files = 24
    first = tmp_path / "first"
    first.mkdir()
    (first / "one.md").write_text("# First\n\nA first note about reading circles.\n", encoding="utf-8")
    env = _env(settings)
    if processes == 2:  # an index exists already (the case that lost vectors)
        subprocess.run([sys.executable, "-m", "bot.cli", "ingest", str(first)], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        folders = _folders(tmp_path, "AB", files)
    else:  # a new data dir: all start together, one of them with the first file too
        folders = _folders(tmp_path, "ABC", files)
        (folders[2] / "one.md").write_text((first / "one.md").read_text(), encoding="utf-8")
    results = _run_together(folders, env)
    for r in results:
        assert r.returncode == 0, r.stderr[-2000:]
        assert "database is locked" not in r.stderr
        assert not json.loads(r.stdout)["failed"]
    counts = _assert_whole(settings, folders, files)
    print(f"{processes} processes, {counts}")
    # a re-run finds everything unchanged and still whole
    again = _run_together(folders, env)
    assert all(r.returncode == 0 and not json.loads(r.stdout)["indexed"] for r in again)
    _assert_whole(settings, folders, files)


def test_ingests_side_by_side_through_a_chroma_server(settings, tmp_path, chroma_server):
    files = 24
    first = tmp_path / "first"
    first.mkdir()
    (first / "one.md").write_text("# First\n\nA first note about reading circles.\n", encoding="utf-8")
    settings = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server})
    env = _env(settings, GUIDEPOST_CHROMA_HOST="127.0.0.1", GUIDEPOST_CHROMA_PORT=str(chroma_server))
    subprocess.run([sys.executable, "-m", "bot.cli", "ingest", str(first)], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    folders = _folders(tmp_path, "AB", files)
    for r in _run_together(folders, env):
        assert r.returncode == 0, r.stderr[-2000:]
    counts = _assert_whole(settings, folders, files)
    print(f"2 processes (Chroma server), {counts}")


def test_a_second_writer_never_repairs_a_live_writers_work(settings, encoder, tmp_path):
    """Writer 1 has upserted its vectors and not yet committed its catalog rows when writer 2
    (another process in real life: its own KnowledgeBase) starts a write. Writer 2 must wait,
    not take writer 1's journal row for a crash and delete its vectors."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("# Alpha\n\nAlpha lesson on fractions.\n", encoding="utf-8")
    (folder / "b.md").write_text("# Beta\n\nBeta lesson on decimals.\n", encoding="utf-8")
    (folder / "c.md").write_text("# Gamma\n\nGamma lesson on ratios.\n", encoding="utf-8")
    one = Ingestor(settings, KnowledgeBase(settings), encoder)
    one.ingest_paths([folder / "c.md"])
    two = Ingestor(settings, KnowledgeBase(settings), encoder)

    upserted, go_on = threading.Event(), threading.Event()
    real_upsert = one.kb.vectors.upsert

    def slow_upsert(*a, **k):
        real_upsert(*a, **k)
        upserted.set()
        go_on.wait(30)

    one.kb.vectors.upsert = slow_upsert  # type: ignore[method-assign]
    t1 = threading.Thread(target=lambda: one.ingest_paths([folder / "a.md"], Tags()))
    t1.start()
    assert upserted.wait(60)
    t2 = threading.Thread(target=lambda: two.ingest_paths([folder / "b.md"], Tags()))
    t2.start()
    time.sleep(1.0)  # writer 2 runs (or waits) while writer 1 is in flight
    go_on.set()
    t1.join(60)
    t2.join(60)
    result = KnowledgeBase(settings).consistency(repair=False)
    assert result.ok, result.problems
    assert result.before["documents"] == 3 and result.before["vectors"] == 3


def test_a_writer_waits_a_bounded_time_then_says_who_holds_the_lock(settings, encoder, tmp_path):
    from ingest.errors import IndexUnavailable

    kb = KnowledgeBase(settings)
    other = KnowledgeBase(settings.model_copy(update={"write_wait_s": 0.3}))
    held = threading.Event()
    release = threading.Event()

    def hold():
        with kb.lock.hold():
            held.set()
            release.wait(30)

    t = threading.Thread(target=hold)
    t.start()
    assert held.wait(10)
    try:
        with pytest.raises(IndexUnavailable, match=f"pid {os.getpid()}.*GUIDEPOST_WRITE_WAIT_S"):
            other.repair()
    finally:
        release.set()
        t.join()
    other.repair()  # free again


def test_sources_check_finds_and_repairs_every_kind_of_damage(settings, encoder, tmp_path):
    from click.testing import CliRunner

    from bot.cli import cli

    folder = tmp_path / "docs"
    folder.mkdir()
    for name, body in {"a": "The IEP (Individualized Education Program) team meets.", "b": "Beta lesson on decimals.",
                       "c": "Gamma lesson on ratios."}.items():  # fmt: skip
        (folder / f"{name}.md").write_text(f"# {name.upper()} doc\n\n{body}\n", encoding="utf-8")
    ingestor = Ingestor(settings, KnowledgeBase(settings), encoder)
    ingestor.ingest_paths([folder])
    kb = ingestor.kb
    assert kb.consistency(repair=False).ok
    a, b, c = (kb.find(str(folder / f"{n}.md")) for n in "abc")
    a_chunk = sorted(kb.catalog.chunk_ids_of([a.id]))[0]
    b_chunk = sorted(kb.catalog.chunk_ids_of([b.id]))[0]
    kb.vectors.delete([a_chunk])  # a lost its vector
    kb.vectors.collection.upsert(ids=["ghost-1"], embeddings=[[0.1] * 384], documents=["x"],
                                 metadatas=[{"doc_id": "ghost"}])  # a vector of nothing
    with kb.catalog.db.transaction() as tx:
        tx.execute("DELETE FROM chunks_fts WHERE rowid = (SELECT rowid FROM chunks WHERE chunk_id = ?)", (b_chunk,))
        tx.execute("INSERT INTO sentences VALUES ('nochunk', 0, 0, 1, x'0000')")
        tx.execute("INSERT INTO aliases VALUES ('nodoc', 'XYZ', 'x y z', 1)")
        tx.execute("DELETE FROM sentences WHERE chunk_id IN (SELECT chunk_id FROM chunks WHERE doc_id = ?)", (c.id,))
    found = kb.consistency(repair=False)
    assert found.problems == {"chunks_without_vector": 1, "vectors_without_chunk": 1, "chunks_without_keyword_row": 1,
                              "sentences_without_chunk": 1, "aliases_without_document": 1,
                              "chunks_without_sentences": len(kb.catalog.chunk_ids_of([c.id]))}  # fmt: skip
    assert set(found.stale) == {a.id, c.id}

    env = {"GUIDEPOST_DATA_DIR": str(settings.data_dir)}
    dry = CliRunner().invoke(cli, ["sources", "check", "--dry-run"], env=env)
    assert dry.exit_code == 1 and "chunks without vector: 1" in dry.output
    fixed = CliRunner().invoke(cli, ["sources", "check"], env=env)
    assert fixed.exit_code == 0, fixed.output
    assert "indexed again" in fixed.output
    after = KnowledgeBase(settings).consistency(repair=False)
    assert after.ok, after.problems
    assert after.before["chunks"] == after.before["vectors"] == after.before["keyword"] == after.before["chunks_with_sentences"]
    assert KnowledgeBase(settings).search_keyword(["decimals"], 3)  # b is found by keyword again
    again = CliRunner().invoke(cli, ["sources", "check"], env=env)
    assert again.exit_code == 0 and "consistent" in again.output


def test_coach_uploads_during_a_cli_ingest_lose_nothing(settings, encoder, tmp_path):
    """The bot's coach uploads (in this process, through `Library`) while a real
    `guidepost ingest` process writes the same index."""
    from ingest.library import Library, Upload

    files = 60
    (folder,) = _folders(tmp_path, "A", files)
    library = Library(settings, encoder=encoder)
    library.add(Upload(b"# Warm\n\nOpened before the other writer starts.\n", "warm.md", source_key="slack:F0"), Tags())
    proc = subprocess.Popen([sys.executable, "-c", CLI, "ingest", "--json", str(folder)], env=_env(settings),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 300
    while not library.kb.sources_under(folder) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # until the CLI has stored its first batch
    added, overlapping = [], 0
    for i in range(1, 6):
        body = f"# Upload {i}\n\nA coach shared note {i} about the word qzupload{i}.\n".encode()
        added.append(library.add(Upload(body, f"up{i}.md", source_key=f"slack:F{i}"), Tags()))
        overlapping += proc.poll() is None
    out, err = proc.communicate(timeout=600)
    assert overlapping, "the CLI finished before the uploads: nothing ran concurrently"
    assert proc.returncode == 0, err[-2000:]
    assert all(a.status == "indexed" for a in added), [a.reason for a in added]
    counts = _assert_whole(settings, [folder], files, others=6)  # and the six uploads
    kb = KnowledgeBase(settings)
    for i in range(1, 6):
        hits = kb.search_keyword([f"qzupload{i}"], 1)
        assert hits and kb.vectors.existing([hits[0][0]]) == {hits[0][0]}
    print(f"1 CLI process + 6 uploads ({overlapping} while it wrote), {counts}")


def test_a_writer_killed_beside_a_live_one_is_repaired_and_the_live_one_loses_nothing(settings, tmp_path):
    """`kill -9` one of two ingests while it writes: the survivor finishes whole (it never takes
    a live writer's in-flight work for a crash), and a re-run of the killed one's
    folder leaves the index whole."""
    import signal
    import sqlite3

    files = 40
    folders = _folders(tmp_path, "AB", files)
    first = tmp_path / "first"
    first.mkdir()
    (first / "one.md").write_text("# First\n\nA first note about reading circles.\n", encoding="utf-8")
    env = _env(settings)
    subprocess.run([sys.executable, "-m", "bot.cli", "ingest", str(first)], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    procs = [subprocess.Popen([sys.executable, "-c", CLI, "ingest", "--json", str(f)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for f in folders]  # fmt: skip
    victim, survivor = procs
    catalog = settings.data_dir / "catalog.sqlite3"
    deadline, killed = time.monotonic() + 300, False
    while victim.poll() is None and time.monotonic() < deadline:
        try:
            with sqlite3.connect(catalog, timeout=0.1) as db:
                n = db.execute("SELECT COUNT(*) FROM documents WHERE path LIKE ?", (f"{folders[0]}%",)).fetchone()[0]
        except sqlite3.OperationalError:
            n = 0
        if n >= 8:  # a batch or more stored: the next one is on its way
            os.kill(victim.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.01)
    victim.communicate(timeout=60)
    out, err = survivor.communicate(timeout=600)
    assert killed, "the ingest finished before it could be killed"
    assert survivor.returncode == 0 and not json.loads(out)["failed"], err[-2000:]
    kb = KnowledgeBase(settings)
    for i in range(files):  # the survivor's files are all there, by keyword and vector
        hits = kb.search_keyword([f"qzb{i}"], 1)
        assert hits and kb.vectors.existing([hits[0][0]]) == {hits[0][0]}
    again = _run_together([folders[0]], env)[0]
    assert again.returncode == 0, again.stderr[-2000:]
    counts = _assert_whole(settings, folders, files)
    print(f"2 processes, one killed, after a re-run: {counts}")
