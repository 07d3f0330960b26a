"""Slack's nested bodies become typed payloads before any logic runs; missing or null keys
become None (or an empty value), never an exception."""

from __future__ import annotations

import pytest

from bot.slack.payloads import BlockAction, HomeOpened, MessageEvent, MessageShortcut, SlashCommand, ViewSubmission
from tests.slack.signing import block_action, file_share, message, message_shortcut, view_submission


def test_a_message_in_a_thread_with_files() -> None:
    event = file_share("type: guide", [{"id": "F1", "name": "a.md"}, {"id": "F2"}, {"name": "no id"}, "junk"],
                       ts="2.0", channel="D1") | {"thread_ts": "1.0"}  # fmt: skip
    m = MessageEvent.parse(event)
    assert (m.channel, m.ts, m.thread_ts, m.text) == ("D1", "2.0", "1.0", "type: guide")
    assert [(f.id, f.name) for f in m.files] == [("F1", "a.md"), ("F2", "F2")]
    assert m.in_thread and m.is_dm and m.subtype == "file_share"


def test_a_thread_parent_is_not_in_a_thread() -> None:
    m = MessageEvent.parse(message("hi", ts="1.0", thread_ts="1.0"))
    assert not m.in_thread and not m.is_dm and m.files == ()


@pytest.mark.parametrize("body", [{}, {"actions": None, "user": None, "channel": None, "container": None}, {"actions": []}])
def test_a_block_action_with_nothing_in_it(body: dict) -> None:
    a = BlockAction.parse(body)
    assert (a.action_id, a.value, a.user, a.channel, a.message_ts, a.response_url) == ("", "", None, None, None, None)


def test_a_block_action_reads_the_container_when_there_is_no_channel() -> None:
    body = block_action("feedback_up", "a1", response_url="https://hooks/x", user="U1", message_ts="3.0")
    body.pop("channel", None)
    body["container"] = {"channel_id": "C9", "message_ts": "3.0"}
    a = BlockAction.parse(body)
    assert (a.action_id, a.value, a.user, a.channel, a.message_ts) == ("feedback_up", "a1", "U1", "C9", "3.0")
    assert a.recipient.response_url == "https://hooks/x" and a.recipient.channel == "C9"


def test_a_slash_command() -> None:
    c = SlashCommand.parse({"command": "/gp", "text": "digest export", "user_id": "U1", "channel_id": "C1",
                            "channel_name": "grade-5", "response_url": "https://hooks/y"})  # fmt: skip
    assert (c.command, c.text, c.channel_name) == ("/gp", "digest export", "grade-5")
    assert SlashCommand.parse({}).command == "/guidepost"


def test_a_view_submission_reads_selects_and_text_inputs() -> None:
    values = {"type": {"value": {"type": "static_select", "selected_option": {"value": "guide"}}},
              "grade": {"value": {"type": "plain_text_input", "value": "  3-5 "}},
              "subject": {"value": {"type": "plain_text_input", "value": None}}}  # fmt: skip
    body = view_submission("guidepost_tags", values, private_metadata="{}", user="U1")
    form = ViewSubmission.parse(body, body["view"])
    assert (form.value("type"), form.value("grade"), form.value("subject"), form.value("missing")) == ("guide", "3-5", None, None)
    assert form.user == "U1" and form.private_metadata == "{}"


def test_a_message_shortcut_and_home_opened() -> None:
    s = MessageShortcut.parse(message_shortcut("how long?", response_url="https://hooks/z", ts="5.0"))
    assert (s.message_text, s.thread_ts, s.response_url) == ("how long?", "5.0", "https://hooks/z")
    assert HomeOpened.parse({"user": "U1"}) == HomeOpened(user="U1", tab="home")
