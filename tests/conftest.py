"""Shared fixtures: the real embedding model (loaded once per session), settings in a temp
data dir, and the location of the shared test data beside the repo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
KNOWLEDGE = REPO / "knowledge"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    """Tests never read the developer's own configuration."""
    for key in list(os.environ):
        if key.startswith(("GUIDEPOST_", "SLACK_")):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture(scope="session")
def encoder():
    from ingest.embeddings import Encoder

    return Encoder()


@pytest.fixture
def settings(tmp_path):
    from ingest.settings import Settings

    return Settings(data_dir=tmp_path / "data", _env_file=None)


@pytest.fixture
def ingestor(settings, encoder):
    from ingest.pipeline import Ingestor
    from ingest.stores import KnowledgeBase

    return Ingestor(settings, KnowledgeBase(settings), encoder)


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("the shared data folder is not beside the repo")
    return SHARED
