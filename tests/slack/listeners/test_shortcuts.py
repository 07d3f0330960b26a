from __future__ import annotations

from bot.slack.ids import ACTION_SHARE
from tests.slack.fake_engine import FakeEngine
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import SlackSender, block_action, message_shortcut


def test_message_shortcut_answers_privately_about_the_message(
    sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine
) -> None:
    payload = message_shortcut(
        "<@UOTHER> how long should exit tickets take?", response_url=fake_slack.response_url("sc"), ts="1700000800.000100"
    )
    r = sender.interaction(payload)
    assert r.status == 200 and r.elapsed < 1.0
    placeholder, answer = fake_slack.wait_for("response_url", count=2)
    assert placeholder.params["text"] == "Searching the knowledge base…"
    assert answer.params["replace_original"] is True and answer.params["response_type"] == "ephemeral"
    assert "*Question:* @someone how long should exit tickets take?" in answer.blocks_json
    assert engine.calls[0][0] == "@someone how long should exit tickets take?"

    # shared: into the thread of the message it was about
    answer_id = next(e["value"] for b in answer.params["blocks"] if b["type"] == "actions"
                     for e in b["elements"] if e["action_id"] == ACTION_SHARE)  # fmt: skip
    sender.interaction(block_action(ACTION_SHARE, answer_id, response_url=fake_slack.response_url("share")))
    shared = fake_slack.wait_for("response_url", where=lambda c: c.params["_name"] == "share")[0]
    assert shared.params["response_type"] == "in_channel" and shared.params["thread_ts"] == "1700000800.000100"


def test_shortcut_on_a_message_without_text(sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine) -> None:
    sender.interaction(message_shortcut("", response_url=fake_slack.response_url()))
    reply = fake_slack.wait_for("response_url")[0]
    assert "no text I can look up" in reply.params["text"]
    assert not engine.calls
