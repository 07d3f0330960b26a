"""Mentions, DMs and follow-ups, through the real Bolt app over signed HTTP."""

from __future__ import annotations

import logging

from bot.slack.ids import ACTION_FEEDBACK_UP
from tests.slack.fake_engine import FakeEngine
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import SlackSender, mention, message


def answer_id_of(call) -> str:
    actions = [b for b in call.params["blocks"] if b["type"] == "actions"]
    return next(e["value"] for e in actions[0]["elements"] if e["action_id"] == ACTION_FEEDBACK_UP)


def test_mention_is_answered_in_the_thread_of_the_question(sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine) -> None:
    q = fake_slack.add_message("C0001", user="UTEACH", text="<@UBOT> how long are exit tickets?")
    r = sender.event(mention("<@UBOT> how long are exit tickets?", ts=q))
    assert r.status == 200

    placeholder = fake_slack.wait_for("chat.postMessage")[0]
    assert placeholder.params["channel"] == "C0001" and placeholder.params["thread_ts"] == q
    update = fake_slack.wait_for("chat.update")[0]
    assert update.params["ts"] == fake_slack.messages("C0001", q)[1]["ts"]
    assert update.params["text"].startswith("Exit tickets take five minutes")
    assert "*[1]* *Exit Ticket Routine*" in update.blocks_json
    assert engine.calls == [("how long are exit tickets?", None, None)]
    assert update.headers["authorization"] == "Bearer xoxb-test"
    fake_slack.assert_quiet("chat.postMessage", 1)


def test_placeholder_first_then_the_answer_replaces_it(sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine) -> None:
    r = sender.event(mention("<@UBOT> a slow question", ts="1700000001.000100"))
    assert r.status == 200 and r.elapsed < 0.5  # acked long before the 1 s answer
    placeholder = fake_slack.wait_for("chat.postMessage")[0]
    assert placeholder.params["text"] == "Searching the knowledge base…"
    assert "a slow question" in placeholder.blocks_json
    assert not fake_slack.calls("chat.update")  # still searching
    update = fake_slack.wait_for("chat.update", timeout=5)[0]
    posted_ts = fake_slack.messages("C0001", "1700000001.000100")[0]["ts"]
    assert update.params["ts"] == posted_ts
    assert update.at - placeholder.at >= engine.slow_seconds * 0.9


def test_mention_inside_a_thread_uses_the_thread_as_context(sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine) -> None:
    root = fake_slack.add_message("C0001", user="UOTHER", text="We start exit tickets next week.")
    q = fake_slack.add_message("C0001", user="UTEACH", text="<@UBOT> how long should they take?", thread_ts=root)
    sender.event(mention("<@UBOT> how long should they take?", ts=q, thread_ts=root))
    fake_slack.wait_for("chat.update")
    assert fake_slack.calls("chat.postMessage")[0].params["thread_ts"] == root
    question, _, history = engine.calls[0]
    assert question == "how long should they take?"
    assert history == [("user", "We start exit tickets next week.")]


def test_direct_message_is_answered_in_the_dm(sender: SlackSender, fake_slack: FakeSlack) -> None:
    sender.event(message("how long are exit tickets?", ts="1700000002.000100", channel="D0001", channel_type="im"))
    placeholder = fake_slack.wait_for("chat.postMessage")[0]
    assert placeholder.params["channel"] == "D0001" and "thread_ts" not in placeholder.params
    update = fake_slack.wait_for("chat.update")[0]
    assert update.params["channel"] == "D0001"


def test_empty_mention_gets_help_not_silence(sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine) -> None:
    sender.event(mention("<@UBOT>", ts="1700000003.000100"))
    post = fake_slack.wait_for("chat.postMessage")[0]
    assert "how to ask" in post.blocks_json and not engine.calls


def test_follow_up_in_a_thread_the_bot_answered(sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine) -> None:
    root = fake_slack.add_message("C0001", user="UTEACH", text="<@UBOT> how long are exit tickets?")
    sender.event(mention("<@UBOT> how long are exit tickets?", ts=root))
    fake_slack.wait_for("chat.update")

    follow = fake_slack.add_message("C0001", user="UTEACH", text="and what about early finishers?", thread_ts=root)
    sender.event(message("and what about early finishers?", ts=follow, thread_ts=root, parent_user_id="UTEACH"))
    updates = fake_slack.wait_for("chat.update", count=2)
    assert fake_slack.calls("chat.postMessage")[1].params["thread_ts"] == root
    question, _, history = engine.calls[1]
    assert question == "and what about early finishers?"
    assert history == [
        ("user", "how long are exit tickets?"),
        ("assistant", "Exit tickets take five minutes at the end of the lesson [1]. Early finishers use the choice board [2]."),
    ]
    assert "_Read as:_ and what about early finishers? (about: how long are exit tickets?)" in updates[1].blocks_json


def test_thread_replies_that_are_not_for_the_bot_are_left_alone(sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine) -> None:
    root = fake_slack.add_message("C0001", user="UTEACH", text="<@UBOT> how long are exit tickets?")
    sender.event(mention("<@UBOT> how long are exit tickets?", ts=root))
    fake_slack.wait_for("chat.update")
    other = fake_slack.add_message("C0001", user="UOTHER", text="Did anyone try this?")
    replies = [
        message("thanks!", ts="1700000100.000100", thread_ts=root),  # chatter
        message("<@U22> can you share your slides?", ts="1700000101.000100", thread_ts=root),  # for someone else
        message("what about grade 3?", ts="1700000102.000100", thread_ts=other),  # a thread the bot is not in
        message("what about grade 3?", ts="1700000103.000100"),  # top-level channel talk
    ]
    for ev in replies:
        assert sender.event(ev).status == 200
    fake_slack.assert_quiet("chat.postMessage", 1)
    assert len(engine.calls) == 1


def test_a_mention_arriving_twice_as_two_events_is_answered_once(sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine) -> None:
    """Slack sends app_mention and message.channels (different event_ids) for one message."""
    root = fake_slack.add_message("C0001", user="UTEACH", text="<@UBOT> first")
    sender.event(mention("<@UBOT> first", ts=root))
    fake_slack.wait_for("chat.update")
    q = "1700000200.000100"
    sender.event(message("<@UBOT> and grade 3?", ts=q, thread_ts=root))
    sender.event(mention("<@UBOT> and grade 3?", ts=q, thread_ts=root))
    fake_slack.wait_for("chat.update", count=2)
    fake_slack.assert_quiet("chat.postMessage", 2)
    assert [c[0] for c in engine.calls] == ["first", "and grade 3?"]


def test_no_replies_to_bots_or_to_itself(sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine) -> None:
    events = [
        message("I am the bot", ts="1700000300.000100", user="UBOT", channel="D0001", channel_type="im"),
        message("another bot", ts="1700000301.000100", user="UX", bot_id="BOTHER", channel="D0001", channel_type="im"),
        message("webhook", ts="1700000302.000100", user=None, subtype="bot_message", bot_id="B9", channel="D0001",
                channel_type="im"),
        mention("<@UBOT> from a bot", ts="1700000303.000100", user="UX") | {"bot_id": "BOTHER"},
        message("edited", ts="1700000304.000100", subtype="message_changed", channel="D0001", channel_type="im"),
    ]  # fmt: skip
    for ev in events:
        assert sender.event(ev).status == 200
    fake_slack.assert_quiet("chat.postMessage", 0)
    assert engine.calls == []


def test_document_markup_is_escaped_in_the_posted_answer(sender: SlackSender, fake_slack: FakeSlack) -> None:
    sender.event(mention("<@UBOT> <!channel> what does the evil memo say?", ts="1700000400.000100"))
    placeholder = fake_slack.wait_for("chat.postMessage")[0]
    update = fake_slack.wait_for("chat.update")[0]
    posted = update.blocks_json + update.params["text"] + placeholder.blocks_json + placeholder.params["text"]
    for raw in ("<!channel>", "<!here>", "<@U123>", "<@U999>", "<http://evil"):
        assert raw not in posted
    assert "&lt;!channel&gt;" in update.blocks_json and "&lt;@U123&gt;" in update.params["text"]
    assert update.params.get("link_names") in (None, False, "0", "false")


def test_a_failure_inside_the_engine_still_gets_an_honest_reply(
    sender: SlackSender, fake_slack: FakeSlack, caplog
) -> None:
    caplog.set_level(logging.ERROR, logger="guidepost.slack")
    sender.event(mention("<@UBOT> please explode", ts="1700000500.000100"))
    update = fake_slack.wait_for("chat.update")[0]
    assert "went wrong on my side" in update.params["text"]
    assert "Ms. Rivera (instructional coach)" in update.blocks_json
    assert "vector store" not in update.blocks_json  # internals stay in the log
    record = next(r for r in caplog.records if "engine failed" in r.getMessage())
    assert record.exc_info and "the vector store fell over" in str(record.exc_info[1])


def test_a_domain_error_is_told_in_its_own_words(sender: SlackSender, fake_slack: FakeSlack) -> None:
    sender.event(message("unindexed question", ts="1700000600.000100", channel="D0001", channel_type="im"))
    update = fake_slack.wait_for("chat.update")[0]
    assert "The knowledge base is empty: a coach needs to add documents first." in update.blocks_json


def test_abstention_is_posted_plainly(sender: SlackSender, fake_slack: FakeSlack) -> None:
    sender.event(mention("<@UBOT> an unknowable thing", ts="1700000700.000100"))
    update = fake_slack.wait_for("chat.update")[0]
    assert "so I won't guess" in update.blocks_json and "Sources" not in update.blocks_json
    assert answer_id_of(update)


def test_event_types_without_a_handler_are_acknowledged(sender: SlackSender, fake_slack: FakeSlack) -> None:
    for ev in (
        {"type": "reaction_added", "user": "U1", "reaction": "tada", "item": {"type": "message"}},
        {"type": "file_shared", "file_id": "F1", "user_id": "U1", "channel_id": "D1"},
        {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"},
    ):
        r = sender.event(ev)
        assert r.status == 200, ev["type"]
    fake_slack.assert_quiet("chat.postMessage", 0)


def test_url_verification(sender: SlackSender) -> None:
    r = sender.event_body({"type": "url_verification", "challenge": "abc123", "token": "x"})
    assert r.status == 200 and "abc123" in r.body


def test_a_follow_up_sent_before_the_first_answer_arrives_is_still_answered(
    sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine
) -> None:
    root = fake_slack.add_message("C0001", user="UTEACH", text="<@UBOT> a slow question about exit tickets")
    sender.event(mention("<@UBOT> a slow question about exit tickets", ts=root))
    fake_slack.wait_for("chat.postMessage")  # the placeholder is up; the answer is not
    follow = fake_slack.add_message("C0001", user="UTEACH", text="in grade 5 specifically?", thread_ts=root)
    sender.event(message("in grade 5 specifically?", ts=follow, thread_ts=root, parent_user_id="UTEACH"))
    fake_slack.wait_for("chat.update", count=2, timeout=5)
    assert sorted(c[0] for c in engine.calls) == ["a slow question about exit tickets", "in grade 5 specifically?"]
