"""`/guidepost`: private answers through response_url, a Share button, a help subcommand."""

from __future__ import annotations

import pytest

from bot.slack.ids import ACTION_SHARE
from bot.slack.listeners.commands.guidepost import SUBCOMMANDS, split_subcommand
from tests.slack.fake_engine import FakeEngine
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import SlackSender, block_action


def test_slash_command_acks_with_a_placeholder_then_answers_privately(
    sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine
) -> None:
    r = sender.command("how long are exit tickets?", response_url=fake_slack.response_url("cmd1"))
    assert r.status == 200 and r.elapsed < 1.0
    ack = r.json()
    assert ack["response_type"] == "ephemeral" and ack["text"] == "Searching the knowledge base…"

    reply = fake_slack.wait_for("response_url")[0]
    assert reply.params["_name"] == "cmd1"
    assert reply.params["response_type"] == "ephemeral" and reply.params["replace_original"] is True
    assert "*Question:* how long are exit tickets?" in reply.blocks_json
    assert "*[1]* *Exit Ticket Routine*" in reply.blocks_json
    assert ACTION_SHARE in reply.blocks_json
    assert engine.calls == [("how long are exit tickets?", None, None)]
    assert not fake_slack.calls("chat.postMessage")  # nothing public


def test_share_button_posts_the_answer_in_the_channel(sender: SlackSender, fake_slack: FakeSlack) -> None:
    sender.command("how long are exit tickets?", response_url=fake_slack.response_url("cmd"))
    reply = fake_slack.wait_for("response_url")[0]
    answer_id = next(
        e["value"] for b in reply.params["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == ACTION_SHARE
    )
    r = sender.interaction(block_action(ACTION_SHARE, answer_id, response_url=fake_slack.response_url("share")))
    assert r.status == 200
    shared, deleted = fake_slack.wait_for("response_url", count=2, where=lambda c: c.params["_name"] == "share")
    assert shared.params["response_type"] == "in_channel"
    assert "Shared by <@UTEACH>" in shared.blocks_json and ACTION_SHARE not in shared.blocks_json
    assert "feedback_up" in shared.blocks_json
    assert deleted.params == {"delete_original": True, "_name": "share"}


@pytest.mark.parametrize("text", ["help", "HELP", "", "   "])
def test_help(sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine, text: str) -> None:
    r = sender.command(text, response_url=fake_slack.response_url())
    assert r.status == 200
    body = r.json()
    assert body["response_type"] == "ephemeral" and "how to ask" in str(body["blocks"])
    assert not engine.calls


def test_router_reserves_subcommands_and_passes_questions_through() -> None:
    assert set(SUBCOMMANDS) >= {"help"}
    assert split_subcommand("help me") == ("help", "me")
    assert split_subcommand("  How do I run a choice board? ") == ("", "How do I run a choice board?")


def test_failure_in_a_slash_question_is_still_answered(sender: SlackSender, fake_slack: FakeSlack) -> None:
    sender.command("explode please", response_url=fake_slack.response_url())
    reply = fake_slack.wait_for("response_url")[0]
    assert "went wrong on my side" in reply.params["text"] and reply.params["replace_original"] is True
