"""Written answers shown as they are written: Slack's chat stream in the assistant panel, a
throttled chat.update elsewhere, then the citation blocks; a fallback says so in one line."""

from __future__ import annotations

import pytest

from bot.slack.ids import ACTION_FEEDBACK_UP
from bot.slack.streaming import UPDATE_INTERVAL, WRITING
from tests.slack.fake_engine import FakeEngine
from tests.slack.fake_slack import FakeSlack
from tests.slack.listeners.test_assistant import DM, ROOT, ask
from tests.slack.signing import SlackSender, mention

WRITTEN = "Exit tickets take five minutes at the end of the lesson [1]. Early finishers use the choice board [2]."


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine(token_delay=0.05)


def test_the_panel_streams_the_written_answer_then_adds_the_citations(sender: SlackSender, fake_slack: FakeSlack) -> None:
    _, sent = ask(sender, fake_slack, "How long are exit tickets? (written)")
    start = fake_slack.wait_for("chat.startStream")[0]
    assert (start.params["channel"], start.params["thread_ts"], start.params["recipient_user_id"]) == (DM, ROOT, "UTEACH")
    stop = fake_slack.wait_for("chat.stopStream", timeout=10)[0]
    assert len(fake_slack.calls("chat.appendStream")) >= 2  # it arrives in pieces
    assert "*[1]* *Exit Ticket Routine*" in stop.blocks_json and ACTION_FEEDBACK_UP in stop.blocks_json
    assert "Early finishers use the choice board" not in stop.blocks_json  # the text was streamed, not repeated
    assert stop.params["blocks"][0]["elements"][0]["text"] == "*Sources*"
    (msg,) = [m for m in fake_slack.messages(DM, ROOT) if m["ts"] == stop.params["ts"]]
    assert msg["text"].strip() == WRITTEN and not msg["streaming"]
    assert not fake_slack.calls("chat.update") and not fake_slack.calls("chat.postMessage")
    print(f"\nstream: first token shown after {(start.at - sent) * 1e3:.0f} ms, citations after {(stop.at - sent) * 1e3:.0f} ms")


def test_a_streamed_answer_the_grounding_check_trimmed_is_replaced_by_the_final_one(sender: SlackSender, fake_slack: FakeSlack) -> None:
    ask(sender, fake_slack, "How long are exit tickets? (written, trimmed)")
    stop = fake_slack.wait_for("chat.stopStream", timeout=10)[0]
    assert not stop.params.get("blocks")
    update = fake_slack.wait_for("chat.update")[0]
    assert update.params["ts"] == stop.params["ts"]
    assert update.params["text"].startswith("Exit tickets take five minutes at the end of the lesson [1].")
    assert "Early finishers" not in update.params["text"].split("\nSources:")[0]


def test_without_streaming_the_placeholder_is_updated_at_most_once_a_second(sender: SlackSender, fake_slack: FakeSlack) -> None:
    sender.event(mention("<@UBOT> how long are exit tickets? (written)", ts="1700000001.000100"))
    final = fake_slack.wait_for("chat.update", where=lambda c: "*[1]*" in c.blocks_json, timeout=10)[0]
    updates = fake_slack.calls("chat.update")
    partial = [u for u in updates if u.params["text"].endswith(WRITING)]
    assert partial and partial[0].params["text"].startswith("Exit")
    gaps = [b.at - a.at for a, b in zip(partial, partial[1:])]
    assert all(g >= UPDATE_INTERVAL * 0.9 for g in gaps)
    assert final is updates[-1] and not fake_slack.calls("chat.startStream")
    assert len(fake_slack.calls("chat.postMessage")) == 1  # the placeholder only


def test_when_slack_refuses_to_stream_a_message_is_updated_instead(sender: SlackSender, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.startStream", error="not_allowed_token_type")
    ask(sender, fake_slack, "How long are exit tickets? (written)")
    post = fake_slack.wait_for("chat.postMessage")[0]
    assert post.params["thread_ts"] == ROOT and post.params["text"].endswith(WRITING)
    final = fake_slack.wait_for("chat.update", where=lambda c: "*[1]*" in c.blocks_json, timeout=10)[0]
    assert final.params["ts"] == post.response["ts"]


def test_a_model_too_slow_to_start_gives_the_quoted_answer_and_says_so(sender: SlackSender, fake_slack: FakeSlack) -> None:
    ask(sender, fake_slack, "How long are exit tickets? (written, too slow)")
    answer = fake_slack.wait_for("chat.postMessage")[0]
    assert "too slow, so this answer quotes the documents directly" in answer.blocks_json
    assert "*[1]* *Exit Ticket Routine*" in answer.blocks_json and not fake_slack.calls("chat.startStream")
