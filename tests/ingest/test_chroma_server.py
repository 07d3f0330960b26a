"""The same knowledge base over a Chroma server (HttpClient), started on 127.0.0.1 for the test."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.engine import Engine
from ingest.pipeline import Ingestor
from ingest.stores import KnowledgeBase
from tests.conftest import KNOWLEDGE


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    exe = Path(sys.executable).with_name("chroma")
    if not exe.exists():
        pytest.skip("the chroma command is not installed")
    port = _free_port()
    proc = subprocess.Popen([str(exe), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("the Chroma server did not start")
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_ingest_and_answer_through_a_chroma_server(settings, encoder, tmp_path, chroma_server):
    folder = tmp_path / "kb"
    shutil.copytree(KNOWLEDGE / "guides", folder)
    settings = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server})
    ingestor = Ingestor(settings, KnowledgeBase(settings), encoder)
    report = ingestor.ingest_paths([folder])
    assert not report.failed and len(report.indexed) == 2
    check = ingestor.kb.check()
    assert check["vectors"] == check["catalog"] > 0 and check["orphans"] == 0
    assert not (settings.data_dir / "chroma").exists()  # nothing embedded locally
    ans = Engine(settings, KnowledgeBase(settings), encoder).answer("How should I grade choice board work?")
    assert not ans.abstained and ans.sources
