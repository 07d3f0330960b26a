"""Hostile and odd input: each fails alone with a reason, or is read safely; nothing hangs,
nothing takes the rest of a folder down."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from ingest.errors import InvalidTags
from ingest.loaders._tags import split_front_matter
from ingest.pipeline import Ingestor, discover

# Nested YAML aliases: 9**depth strings. A real bomb (depth 9, 415 bytes) took minutes and
# gigabytes; depth 4 is enough to show the title it used to store.
def _alias_bomb(depth: int) -> str:
    lines = ['title: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, depth + 1):
        lines.append(f"l{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    lines.append(f"type: *a{depth}")
    return "---\n" + "\n".join(lines) + "\n---\n# Body\n\nText.\n"


def test_yaml_aliases_are_refused_quickly(ingestor: Ingestor, tmp_path: Path):
    with pytest.raises(InvalidTags, match="YAML alias"):
        split_front_matter(_alias_bomb(4), "bomb.md")
    (tmp_path / "bomb.md").write_text(_alias_bomb(9), encoding="utf-8")
    assert len((tmp_path / "bomb.md").read_bytes()) < 700
    t0 = time.monotonic()
    report = ingestor.ingest_paths([tmp_path / "bomb.md"])
    assert time.monotonic() - t0 < 30
    assert not report.indexed and "YAML alias" in report.failed[0].error


def test_oversized_yaml_and_titles_are_bounded(ingestor: Ingestor, tmp_path: Path):
    with pytest.raises(InvalidTags, match="over 16 KB"):
        split_front_matter("---\ntitle: x\nsubject: " + "y" * 20_000 + "\n---\nbody", "big.md")
    with pytest.raises(InvalidTags, match="subject .* too long"):
        split_front_matter("---\nsubject: " + "y" * 200 + "\n---\nbody", "long.md")
    title, _, _ = split_front_matter("---\ntitle: " + "word " * 2000 + "\n---\nbody", "t.md")
    assert title and len(title) <= 300 and title.endswith("…")
    (tmp_path / "long.html").write_text("<html><head><title>" + "Long " * 5000 + "</title></head><body><p>Some text"
                                        " about exit tickets.</p></body></html>")  # fmt: skip
    report = ingestor.ingest_paths([tmp_path / "long.html"])
    assert report.indexed and len(report.indexed[0].title) <= 300


def test_a_symlink_loop_fails_alone(ingestor: Ingestor, tmp_path: Path):
    folder = tmp_path / "L"
    folder.mkdir()
    os.symlink("b.md", folder / "a.md")
    os.symlink("a.md", folder / "b.md")
    os.symlink("gone.md", folder / "dangling.md")
    (folder / "ok.md").write_text("# OK\n\nA note that must still be indexed.\n")
    report = ingestor.ingest_paths([folder])
    assert [Path(i.path).name for i in report.indexed] == ["ok.md"]
    reasons = {Path(f.path).name: f.error for f in report.failed}
    assert "loops back on itself" in reasons["a.md"] and "loops back on itself" in reasons["b.md"]
    assert "points to nothing" in reasons["dangling.md"]


def test_unsupported_files_in_a_folder_are_skipped_not_failed(tmp_path: Path):
    (tmp_path / "a.md").write_text("# A\n\ntext\n")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG")
    files, failed, _, skipped = discover([tmp_path])
    assert [f.name for f in files] == ["a.md"] and not failed
    assert [Path(s.path).name for s in skipped] == ["photo.png"]
    _, failed, _, _ = discover([tmp_path / "photo.png", tmp_path / "nope"])
    assert [Path(f.path).name for f in failed] == ["nope"] and failed[0].error == "no such file or folder"


def test_the_data_dir_and_its_files_are_owner_only(ingestor: Ingestor, settings, tmp_path: Path):
    from ingest.stores import ChannelScopes, DigestStore, FeedbackStore
    from ingest.domain import Scope

    (tmp_path / "a.md").write_text("# A\n\nA note about exit tickets.\n")
    ingestor.ingest_paths([tmp_path / "a.md"])
    FeedbackStore(settings.data_dir).db.version  # noqa: B018 - created
    DigestStore(settings.data_dir).db.version  # noqa: B018
    ChannelScopes(settings.data_dir).set("C1", Scope(subjects=("math",)))
    data = settings.data_dir
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("catalog.sqlite3", "feedback.sqlite3", "digests.sqlite3", "channel_scopes.json", "write.lock"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name


def test_an_existing_readable_data_dir_is_tightened(settings):
    settings.data_dir.mkdir(mode=0o755)
    os.chmod(settings.data_dir, 0o755)
    from ingest.stores import KnowledgeBase

    KnowledgeBase(settings)
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
