"""Fixtures: a fake Slack Web API on 127.0.0.1, the real Bolt app served over real HTTP with
signature verification on, and a sender of signed requests."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from slack_bolt import App

from bot.slack.app import bot_context, build_app
from bot.slack.run import make_http_server
from ingest.library import Library
from ingest.settings import Settings
from tests.slack.fake_engine import FakeEngine
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import COACH, SlackSender

SECRET = "test-signing-secret"


@pytest.fixture(autouse=True)
def slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only 127.0.0.1 is reachable: no proxies, no real Slack settings from the environment."""
    for key in list(os.environ):
        if key.startswith("SLACK_") or key.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine(slow_seconds=1.0)


@pytest.fixture
def settings(tmp_path, fake_slack: FakeSlack) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        slack_bot_token="xoxb-test",
        slack_signing_secret=SECRET,
        slack_api_url=fake_slack.url,
        help_contact="Ms. Rivera (instructional coach)",
        coaches=COACH,
    )


@pytest.fixture
def library() -> Library | None:
    """The knowledge base coaches curate: None = the data dir's own (a test may share the
    engine's, as `guidepost serve` does)."""
    return None


@pytest.fixture
def app(settings: Settings, engine: FakeEngine, library: Library | None) -> Iterator[App]:
    bolt_app = build_app(settings, engine, library=library)
    yield bolt_app
    bot_context(bolt_app).close(wait=True)


@pytest.fixture
def sender(app: App) -> Iterator[SlackSender]:
    """The app behind a real HTTP server on 127.0.0.1; yields a sender of signed requests."""
    server = make_http_server(app, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield SlackSender(f"http://{host}:{port}/slack/events", SECRET)
    server.shutdown()
    server.server_close()
