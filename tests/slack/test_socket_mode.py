"""Socket Mode: `serve()` connects to a local websocket server that plays Slack."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bot.slack.run import RunningBot, serve
from ingest.settings import Settings
from tests.slack.fake_engine import FakeEngine
from tests.slack.fake_slack import Call, FakeSlack
from tests.slack.signing import command_form, event_body, mention
from tests.slack.socket_server import FakeSocketModeServer


@dataclass
class SocketBot:
    running: RunningBot
    server: FakeSocketModeServer
    fake: FakeSlack
    engine: FakeEngine
    connection_calls: list[Call]


@pytest.fixture(scope="module")
def socket_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SocketBot]:
    """One connected bot for the module: closing slack-sdk's Socket Mode client takes ~3 s."""
    with pytest.MonkeyPatch.context() as mp:
        for key in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
            mp.delenv(key, raising=False)
        mp.setenv("NO_PROXY", "127.0.0.1,localhost")
        with FakeSlack() as fake, FakeSocketModeServer() as server:
            fake.socket_url = server.url
            engine = FakeEngine()
            settings = Settings(
                _env_file=None,
                data_dir=tmp_path_factory.mktemp("socket") / "data",
                slack_bot_token="xoxb-test",
                slack_app_token="xapp-1-test",
                slack_api_url=fake.url,
            )
            running = serve(settings, lambda _s: engine, block=False)
            assert running is not None and running.mode == "socket"
            server.wait_connected()
            yield SocketBot(running, server, fake, engine, fake.calls("apps.connections.open"))
            running.close()


@pytest.fixture
def bot(socket_bot: SocketBot) -> SocketBot:
    socket_bot.fake.clear()
    socket_bot.engine.calls.clear()
    return socket_bot


def test_mention_over_socket_mode_is_acked_and_answered_once(bot: SocketBot) -> None:
    socket_server, fake_slack, engine = bot.server, bot.fake, bot.engine
    body = event_body(mention("<@UBOT> how long are exit tickets?", ts="1700004000.000100"), event_id="Ev0SOCK")
    first = socket_server.send(body)
    assert socket_server.wait_ack(first) == {"envelope_id": first}
    update = fake_slack.wait_for("chat.update")[0]
    assert "*[1]* *Exit Ticket Routine*" in update.blocks_json

    retry = socket_server.send(body, retry_attempt=1, retry_reason="timeout")
    assert socket_server.wait_ack(retry)["envelope_id"] == retry
    fake_slack.assert_quiet("chat.postMessage", 1)
    assert len(engine.calls) == 1


def test_the_app_token_opens_the_connection(socket_bot: SocketBot) -> None:
    opened = socket_bot.connection_calls
    assert len(opened) == 1 and opened[0].headers["authorization"] == "Bearer xapp-1-test"


def test_unhandled_event_types_are_acked_in_socket_mode(bot: SocketBot) -> None:
    socket_server = bot.server
    env = socket_server.send(event_body({"type": "reaction_added", "user": "U1", "reaction": "tada"}))
    assert socket_server.wait_ack(env) == {"envelope_id": env}


def test_slash_command_over_socket_mode_acks_with_the_placeholder(bot: SocketBot) -> None:
    socket_server, fake_slack = bot.server, bot.fake
    env = socket_server.send(
        command_form("how long are exit tickets?", response_url=fake_slack.response_url("sock")), type="slash_commands"
    )
    ack = socket_server.wait_ack(env)
    assert ack["payload"]["response_type"] == "ephemeral"
    assert ack["payload"]["text"] == "Searching the knowledge base…"
    reply = fake_slack.wait_for("response_url")[0]
    assert reply.params["replace_original"] is True
