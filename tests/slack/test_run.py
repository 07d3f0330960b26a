"""Starting the bot: clear errors for missing tokens, HTTP mode end to end, the web client."""

from __future__ import annotations

import http.client
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest
from slack_sdk.http_retry import RateLimitErrorRetryHandler

from bot.slack.client import api_base_url, make_web_client
from bot.slack.run import SlackSetupError, check_settings, serve
from ingest.errors import GuidepostError
from ingest.settings import Settings
from tests.slack.conftest import SECRET
from tests.slack.fake_engine import FakeEngine
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import SlackSender, mention

_local = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.mark.parametrize(
    ("changes", "http", "names"),
    [
        ({"slack_bot_token": None}, False, "SLACK_BOT_TOKEN"),
        ({"slack_bot_token": "xapp-1-oops"}, False, "SLACK_BOT_TOKEN"),
        ({"slack_app_token": None}, False, "SLACK_APP_TOKEN"),
        ({"slack_app_token": "xoxb-oops"}, False, "SLACK_APP_TOKEN"),
        ({"slack_signing_secret": None}, True, "SLACK_SIGNING_SECRET"),
    ],
)
def test_missing_or_wrong_tokens_say_which_variable_to_set(settings: Settings, changes: dict, http: bool, names: str) -> None:
    s = settings.model_copy(update={"slack_app_token": "xapp-1-ok", **changes})
    with pytest.raises(SlackSetupError, match=names) as info:
        check_settings(s, http=http)
    assert isinstance(info.value, GuidepostError)


def test_http_mode_does_not_need_an_app_token(settings: Settings) -> None:
    check_settings(settings, http=True)


def test_a_refused_bot_token_fails_at_startup_before_the_engine_loads(settings: Settings, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("auth.test", error="invalid_auth")
    loaded = []
    with pytest.raises(SlackSetupError, match="invalid_auth"):
        serve(settings, lambda s: loaded.append(s) or FakeEngine(), http=True, port=0, host="127.0.0.1", block=False)
    assert not loaded


def test_serve_http_mode_end_to_end(settings: Settings, fake_slack: FakeSlack) -> None:
    running = serve(settings, lambda s: FakeEngine(), http=True, port=0, host="127.0.0.1", block=False)
    assert running is not None and running.url and running.url.endswith("/slack/events")
    try:
        sender = SlackSender(running.url, SECRET)
        assert sender.event(mention("<@UBOT> how long are exit tickets?", ts="1700005000.000100")).status == 200
        fake_slack.wait_for("chat.update")
        health = running.url.replace("/slack/events", "/healthz")
        with _local.open(health, timeout=5) as resp:
            assert resp.status == 200 and resp.read() == b"ok"
        with pytest.raises(urllib.error.HTTPError) as info:
            _local.open(urllib.request.Request(running.url.replace("/slack/events", "/other"), data=b"x"), timeout=5)
        assert info.value.code == 404
        # Refused from its Content-Length alone, before the body is read. (Sending a real 1 MB
        # body races the refusal: the client may still be writing when the server closes.)
        parts = urllib.parse.urlsplit(running.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        try:
            conn.putrequest("POST", parts.path)
            conn.putheader("Content-Length", str(1024 * 1024 + 1))
            conn.endheaders()
            assert conn.getresponse().status == 413
        finally:
            conn.close()
    finally:
        running.close()


@pytest.mark.parametrize(
    ("given", "base"),
    [
        (None, "https://slack.com/api/"),
        ("https://slack-gov.com/api", "https://slack-gov.com/api/"),
        ("http://127.0.0.1:9999/api/", "http://127.0.0.1:9999/api/"),
        ("http://127.0.0.1:9999/api//", "http://127.0.0.1:9999/api/"),
    ],
)
def test_api_base_url_always_ends_with_one_slash(settings: Settings, given: str | None, base: str) -> None:
    s = settings.model_copy(update={"slack_api_url": given})
    assert api_base_url(s) == base
    assert make_web_client(s).base_url == base


def test_web_client_retries_rate_limits_and_server_errors(settings: Settings) -> None:
    client = make_web_client(settings)
    kinds = {type(h).__name__ for h in client.retry_handlers}
    assert any(isinstance(h, RateLimitErrorRetryHandler) for h in client.retry_handlers)
    assert {"ConnectionErrorRetryHandler", "_ServerErrorRetry"} <= kinds


def test_importing_the_slack_package_has_no_side_effects() -> None:
    code = (
        "import threading, sys\n"
        "import bot.slack.app, bot.slack.run, bot.slack.listeners, bot.slack.views.answers\n"
        "assert threading.active_count() == 1, threading.enumerate()\n"
        "assert 'sentence_transformers' not in sys.modules and 'torch' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_refused_app_token_names_slack_app_token(settings: Settings, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("apps.connections.open", error="invalid_auth")
    s = settings.model_copy(update={"slack_app_token": "xapp-1-revoked"})
    with pytest.raises(SlackSetupError, match="SLACK_APP_TOKEN"):
        serve(s, lambda _s: FakeEngine(), block=False)


def test_serve_warms_the_engine_before_taking_questions(settings: Settings, fake_slack: FakeSlack) -> None:
    class WarmEngine(FakeEngine):
        warmed = False

        def warm(self) -> None:
            self.warmed = True

    engine = WarmEngine()
    running = serve(settings, lambda _s: engine, http=True, port=0, host="127.0.0.1", block=False)
    assert running is not None
    running.close()
    assert engine.warmed
