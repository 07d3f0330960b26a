"""Per-channel scope: set by a coach command or the config file; questions asked in a scoped
channel search only that part of the knowledge base, and the answer says so."""

from __future__ import annotations

import json
import logging

import pytest

from ingest.domain import Filters, Scope
from ingest.settings import Settings
from ingest.stores import ChannelScopes
from tests.slack.fake_engine import FakeEngine
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import COACH, SlackSender, mention

SCOPED = "C0MATH"
NOTE = "This channel searches only part of the knowledge base — type: choice board, lesson template · subject: math"


def test_a_coach_scopes_a_channel_and_questions_there_search_only_that_part(
    sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine, settings: Settings
) -> None:
    r = sender.command("scope type=choice_board,lesson_template subject=Maths", response_url=fake_slack.response_url("s"),
                       user=COACH, channel=SCOPED)  # fmt: skip
    assert r.status == 200
    done = fake_slack.wait_for("response_url")[0]
    assert done.params["text"] == (
        "Done: This channel searches only type: choice board, lesson template · subject: math "
        "(documents without a subject tag are included). `/guidepost scope clear` lifts it."
    )
    saved = json.loads((settings.data_dir / "channel_scopes.json").read_text())
    assert saved == {SCOPED: {"types": ["choice_board", "lesson_template"], "subjects": ["math"]}}

    sender.event(mention("<@UBOT> how long are exit tickets?", ts="1700004000.000100", channel=SCOPED))
    scoped_answer = fake_slack.wait_for("chat.update")[0]
    sender.event(mention("<@UBOT> how long are exit tickets?", ts="1700004001.000100", channel="C0ALL"))
    open_answer = fake_slack.wait_for("chat.update", count=2)[1]

    filters = {call[1].types if call[1] else None for call in engine.calls}
    assert engine.calls[0][1] == Filters(types=("choice_board", "lesson_template"), subjects=("math",))
    assert filters == {("choice_board", "lesson_template"), None}
    assert NOTE in scoped_answer.blocks_json
    assert "searches only" not in open_answer.blocks_json

    shown = sender.command("scope", response_url=fake_slack.response_url(), channel=SCOPED).json()
    assert shown["text"].startswith("This channel searches only type: choice board, lesson template · subject: math")

    sender.command("scope clear", response_url=fake_slack.response_url("c"), user=COACH, channel=SCOPED)
    cleared = fake_slack.wait_for("response_url", where=lambda c: c.params["_name"] == "c")[0]
    assert "Done: This channel searches the whole knowledge base" in cleared.params["text"]
    sender.event(mention("<@UBOT> how long are exit tickets?", ts="1700004002.000100", channel=SCOPED))
    fake_slack.wait_for("chat.update", count=3)
    assert engine.calls[-1][1] is None


def test_private_answers_in_a_scoped_channel_are_scoped_too(
    sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine, settings: Settings
) -> None:
    ChannelScopes(settings.data_dir).set(SCOPED, Scope(subjects=("science",)))
    sender.command("how long are exit tickets?", response_url=fake_slack.response_url(), channel=SCOPED)
    reply = fake_slack.wait_for("response_url")[0]
    assert engine.calls[0][1] == Filters(subjects=("science",))
    assert "searches only part of the knowledge base — subject: science" in reply.blocks_json


def test_a_bad_scope_is_refused_with_its_reason(sender: SlackSender, fake_slack: FakeSlack, settings: Settings) -> None:
    sender.command("scope type=worksheets", response_url=fake_slack.response_url(), user=COACH, channel=SCOPED)
    reply = fake_slack.wait_for("response_url")[0]
    assert "unknown document type 'worksheets'" in reply.params["text"]
    assert not (settings.data_dir / "channel_scopes.json").exists()


def test_the_config_file_can_be_edited_by_hand(
    sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    path = settings.data_dir / "channel_scopes.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({SCOPED: {"types": ["guide"]}, "C0BAD": {"types": ["worksheet"]}, "C0ODD": "math"}))
    with caplog.at_level(logging.ERROR, logger="guidepost.slack"):
        sender.event(mention("<@UBOT> how long are exit tickets?", ts="1700004100.000100", channel=SCOPED))
        fake_slack.wait_for("chat.update")
        sender.event(mention("<@UBOT> how long are exit tickets?", ts="1700004101.000100", channel="C0BAD"))
        fake_slack.wait_for("chat.update", count=2)
    assert engine.calls[0][1] == Filters(types=("guide",))
    assert engine.calls[1][1] is None  # a bad entry leaves its channel unscoped, and says why in the log
    assert "ignoring the scope of C0BAD" in caplog.text and "ignoring the scope of C0ODD" in caplog.text


def test_a_mistyped_config_file_is_not_rewritten_by_a_scope_command(
    sender: SlackSender, fake_slack: FakeSlack, settings: Settings
) -> None:
    path = settings.data_dir / "channel_scopes.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    typo = '{"C0ONE": {"types": ["guide"]}, "C0TWO": {"subjects": ["math"]},}'
    path.write_text(typo)
    sender.command("scope subject=science", response_url=fake_slack.response_url(), user=COACH, channel=SCOPED)
    reply = fake_slack.wait_for("response_url")[0]
    assert "could not be read" in reply.params["text"] and "Nothing was changed" in reply.params["text"]
    assert path.read_text() == typo
