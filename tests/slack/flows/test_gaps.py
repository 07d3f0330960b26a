"""Knowledge gaps end to end: abstentions and 👎 recorded through the real Bolt app (signed
HTTP, the fake Slack Web API), `/guidepost gaps` grouped by meaning with the real encoder,
"Mark handled", and the weekly summary sent once per period across processes and restarts."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from bot.slack.app import bot_context, build_app
from bot.slack.flows.gaps import due_period, send_weekly_summary
from bot.slack import ids
from ingest.library import Library
from ingest.settings import Settings
from ingest.stores import GapStore
from tests.slack.fake_engine import FakeEngine
from tests.slack.fake_slack import FakeSlack
from tests.slack.listeners.test_events import answer_id_of
from tests.slack.signing import COACH, SlackSender, block_action, mention


@pytest.fixture
def library(settings: Settings, encoder: Any) -> Library:
    return Library(settings, encoder=encoder)


QUESTIONS = [
    "unknowable: how do I reset a student's Chromebook password?",
    "unknowable: what is the bus schedule for the field trip on Friday?",
    "unknowable: a student forgot their Chromebook password, how do I reset it?",
]


def ask_all(sender: SlackSender, fake: FakeSlack) -> None:
    for i, q in enumerate(QUESTIONS):
        sender.event(mention(f"<@UBOT> {q}", ts=f"17000030{i:02d}.000100", channel="C0GRADE5"))
    fake.wait_for("chat.update", count=len(QUESTIONS), timeout=30)


def test_abstentions_and_thumbs_down_are_recorded_and_coaches_see_them_grouped(
    sender: SlackSender, fake_slack: FakeSlack, settings: Settings
) -> None:
    ask_all(sender, fake_slack)
    sender.event(mention("<@UBOT> how long are exit tickets?", ts="1700003100.000100"))
    answered = fake_slack.wait_for("chat.update", count=len(QUESTIONS) + 1, timeout=30)[-1]
    sender.interaction(block_action(ids.ACTION_FEEDBACK_DOWN, answer_id_of(answered), response_url=fake_slack.response_url("v"),
                                    user="UB"))  # fmt: skip
    fake_slack.wait_for("response_url", where=lambda c: c.params["_name"] == "v")
    sender.interaction(block_action(ids.ACTION_FEEDBACK_DOWN, answer_id_of(answered), response_url=fake_slack.response_url("v2"),
                                    user="UB"))  # a second 👎 on the same answer is the same gap  # fmt: skip
    fake_slack.wait_for("response_url", where=lambda c: c.params["_name"] == "v2")

    stored = GapStore(settings.data_dir).all()
    assert [(g.question.reason, g.question.channel) for g in stored] == [
        ("thumbs_down", "C0001"), ("abstention", "C0GRADE5"), ("abstention", "C0GRADE5"), ("abstention", "C0GRADE5")
    ]  # fmt: skip
    assert stored[0].question.text == "how long are exit tickets?"

    # a teacher may not see them
    sender.command("gaps", response_url=fake_slack.response_url("t"))
    refused = fake_slack.wait_for("response_url", where=lambda c: c.params["_name"] == "t")[-1]
    assert "only coaches" in refused.params["text"]

    r = sender.command("gaps", response_url=fake_slack.response_url("g"), user=COACH)
    assert r.status == 200 and "Gathering" in r.json()["text"]  # acked first
    listed = fake_slack.wait_for("response_url", timeout=60, where=lambda c: c.params["_name"] == "g")[-1]
    sections = [b["text"]["text"] for b in listed.params["blocks"] if b["type"] == "section"]
    assert len(sections) == 3  # the two Chromebook questions are one group
    assert "exit tickets" in sections[0]  # newest first
    chromebook = next(s for s in sections if "Chromebook" in s)
    assert "2 questions" in chromebook and "<#C0GRADE5>" in chromebook
    buttons = [e for b in listed.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [e["action_id"] for e in buttons[:2]] == [ids.ACTION_GAP_ADD, ids.ACTION_GAP_HANDLED]

    i = sections.index(chromebook)
    handled = [e for e in buttons if e["action_id"] == ids.ACTION_GAP_HANDLED][i]
    assert len(handled["value"].split(",")) == 2
    sender.interaction(block_action(ids.ACTION_GAP_HANDLED, handled["value"], response_url=fake_slack.response_url("h"),
                                    user=COACH))  # fmt: skip
    after = fake_slack.wait_for("response_url", timeout=60, where=lambda c: c.params["_name"] == "h")[-1]
    assert after.params["replace_original"] is True
    assert "Chromebook" not in after.blocks_json and "1 handled group not shown" in after.blocks_json

    add = [e for e in buttons if e["action_id"] == ids.ACTION_GAP_ADD][0]
    sender.interaction(block_action(ids.ACTION_GAP_ADD, add["value"], response_url=fake_slack.response_url("a"), user=COACH))
    how = fake_slack.wait_for("response_url", where=lambda c: c.params["_name"] == "a")[-1]
    assert "/guidepost add https://" in how.params["text"] and "exit tickets" in how.params["text"]


def test_the_weekly_summary_is_due_at_the_set_day_and_hour() -> None:
    monday_8 = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)  # a Monday
    assert due_period(monday_8, "mon", 8) == "2026-W48"
    assert due_period(monday_8.replace(hour=7, minute=59), "mon", 8) is None
    assert due_period(monday_8, "wed", 8) is None
    assert due_period(datetime(2026, 11, 29, 23, 0, tzinfo=timezone.utc), "wed", 8) == "2026-W48"  # later that week
    assert due_period(monday_8, "off", 8) is None
    assert due_period(monday_8, "mon", 8, "America/Chicago") is None  # 02:00 in Chicago


def test_the_weekly_summary_is_sent_once_per_period_across_processes_and_restarts(
    sender: SlackSender, fake_slack: FakeSlack, settings: Settings, engine: FakeEngine, encoder: Any
) -> None:
    ask_all(sender, fake_slack)
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    # two more bot processes on the same data dir
    others = [build_app(settings, engine, library=Library(settings, encoder=encoder)) for _ in range(2)]
    try:
        sent = [send_weekly_summary(bot_context(a), monday) for a in others]
        assert sorted(sent) == [False, True]
        restarted = build_app(settings, engine, library=Library(settings, encoder=encoder))
        others.append(restarted)
        assert send_weekly_summary(bot_context(restarted), monday.replace(hour=20)) is False
    finally:
        for a in others:
            bot_context(a).close()
    dms = [c for c in fake_slack.calls("chat.postMessage") if c.params.get("channel") == COACH]
    assert len(dms) == 1
    assert "knowledge gaps" in dms[0].blocks_json and "Chromebook" in dms[0].blocks_json and "(2)" in dms[0].blocks_json
