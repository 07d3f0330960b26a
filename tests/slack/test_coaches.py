"""Only coaches add, re-tag, remove and scope; everyone else is refused politely, told who can help."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from bot.slack import ids
from bot.slack.coaches import Coaches
from ingest.settings import Settings
from tests.slack.fake_engine import FakeEngine
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import TEACHER, SlackSender, block_action, file_share, view_submission

REFUSAL_BITS = ("Sorry — only coaches can", "Ms. Rivera (instructional coach) can help", "GUIDEPOST_COACHES")


def assert_refusal(text: str, action: str) -> None:
    assert f"only coaches can {action}" in text
    for bit in REFUSAL_BITS:
        assert bit in text


def test_a_teachers_file_is_not_added_and_their_question_is_still_answered(
    sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine
) -> None:
    fake_slack.add_file("F0T0000001", "my-notes.pdf", b"%PDF-1.4", user=TEACHER)
    sender.event(file_share("how long are exit tickets?", [fake_slack.file_object("F0T0000001")],
                            ts="1700002000.000100", channel="D0TEACH", user=TEACHER))  # fmt: skip
    refusal, placeholder = fake_slack.wait_for("chat.postMessage", count=2)
    assert refusal.params["channel"] == "D0TEACH"
    assert_refusal(refusal.params["text"], "add documents to the knowledge base")
    fake_slack.wait_for("chat.update")
    assert [c[0] for c in engine.calls] == ["how long are exit tickets?"]
    assert not fake_slack.calls("files.info") and not fake_slack.calls("file")


def test_a_teachers_file_with_tags_only_gets_the_refusal(
    sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine
) -> None:
    fake_slack.add_file("F0T0000002", "board.md", b"# Board", user=TEACHER)
    sender.event(file_share("type: choice board", [fake_slack.file_object("F0T0000002")], ts="1700002001.000100",
                            channel="D0TEACH", user=TEACHER))  # fmt: skip
    fake_slack.wait_for("chat.postMessage")
    fake_slack.assert_quiet("chat.postMessage", 1)
    assert not engine.calls


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("add", "add documents to the knowledge base"),
        ("add F0ABC12345 type=guide", "add documents to the knowledge base"),
        ("remove d0123456789abcde", "remove documents from the knowledge base"),
        ("scope type=guide", "change what a channel searches"),
        ("scope clear", "change what a channel searches"),
    ],
)
def test_coach_commands_refuse_others(sender: SlackSender, fake_slack: FakeSlack, text: str, action: str) -> None:
    r = sender.command(text, response_url=fake_slack.response_url(), user=TEACHER)
    assert r.status == 200
    reply = fake_slack.wait_for("response_url")[0]
    assert reply.params["response_type"] == "ephemeral"
    assert_refusal(reply.params["text"], action)
    assert not fake_slack.calls("files.info") and not fake_slack.calls("conversations.history")


def test_edit_tags_refuses_others(sender: SlackSender, fake_slack: FakeSlack) -> None:
    sender.interaction(block_action(ids.ACTION_EDIT_TAGS, "d0123456789abcde", response_url=fake_slack.response_url()))
    reply = fake_slack.wait_for("response_url")[0]
    assert_refusal(reply.params["text"], "change a document's tags")
    assert not fake_slack.calls("views.open")

    values = {"type": {"value": {"type": "static_select", "selected_option": {"value": "guide"}}},
              "grade": {"value": {"type": "plain_text_input", "value": ""}},
              "subject": {"value": {"type": "plain_text_input", "value": None}}}  # fmt: skip
    meta = '{"doc": "d0123456789abcde", "response_url": "%s", "channel": "D1"}' % fake_slack.response_url("tags")
    r = sender.interaction(view_submission(ids.TAGS_MODAL, values, private_metadata=meta, user=TEACHER))
    assert r.status == 200
    refused = fake_slack.wait_for("response_url", where=lambda c: c.params["_name"] == "tags")[0]
    assert_refusal(refused.params["text"], "change a document's tags")


def test_anyone_may_list_sources_and_see_the_scope(sender: SlackSender, fake_slack: FakeSlack) -> None:
    r = sender.command("sources", response_url=fake_slack.response_url(), user=TEACHER)
    assert "Nothing is indexed yet" in r.body
    r = sender.command("scope", response_url=fake_slack.response_url(), user=TEACHER)
    assert "This channel searches the whole knowledge base" in r.json()["text"]


# --- who is a coach --------------------------------------------------------------------------


def coaches(fake: FakeSlack, **kw: object) -> Coaches:
    settings = Settings(_env_file=None, **kw)  # type: ignore[arg-type]
    return Coaches(settings, WebClient(token="xoxb-test", base_url=fake.url))


def test_coaches_by_id_need_no_call_to_slack(fake_slack: FakeSlack) -> None:
    c = coaches(fake_slack, coaches=" UA, UB ,")
    assert c.is_coach("UA") and c.is_coach("UB")
    assert not c.is_coach("UC") and not c.is_coach(None) and not c.is_coach("")
    assert not fake_slack.calls()


def test_coaches_by_user_group_are_read_once_and_cached(fake_slack: FakeSlack) -> None:
    fake_slack.set_usergroup("S0COACHES", ["UG1", "UG2"])
    c = coaches(fake_slack, coaches="UA", coach_group="S0COACHES")
    assert c.is_coach("UA") and c.is_coach("UG1") and c.is_coach("UG2") and not c.is_coach("UX")
    (call,) = fake_slack.calls("usergroups.users.list")
    assert call.params["usergroup"] == "S0COACHES"


def test_the_group_is_read_again_when_the_cache_expires(fake_slack: FakeSlack) -> None:
    fake_slack.set_usergroup("S0COACHES", ["UG1"])
    c = coaches(fake_slack, coach_group="S0COACHES")
    c.ttl = 0
    assert c.is_coach("UG1")
    fake_slack.set_usergroup("S0COACHES", ["UG2"])
    assert c.is_coach("UG2") and not c.is_coach("UG1")


def test_a_failing_group_lookup_keeps_the_last_members_or_lets_nobody_in(fake_slack: FakeSlack) -> None:
    c = coaches(fake_slack, coach_group="S0MISSING")
    assert not c.is_coach("UG1")  # no_such_subteam: nobody

    fake_slack.set_usergroup("S0COACHES", ["UG1"])
    c = coaches(fake_slack, coach_group="S0COACHES")
    c.ttl = 0
    assert c.is_coach("UG1")
    fake_slack.fail_next("usergroups.users.list", error="ratelimited")
    assert c.is_coach("UG1")  # the last known members still count


def test_a_coach_in_the_user_group_may_add(sender: SlackSender, fake_slack: FakeSlack, settings: Settings) -> None:
    settings.coach_group = "S0COACHES"
    fake_slack.set_usergroup("S0COACHES", ["UGROUPCOACH"])
    sender.command("add", response_url=fake_slack.response_url(), user="UGROUPCOACH", channel="C0EMPTY")
    reply = fake_slack.wait_for("response_url")[0]
    assert "I couldn't find a file you shared here recently" in reply.params["text"]  # past the coach check
