"""👍 / 👎: stored with the question, answer and sources; exportable."""

from __future__ import annotations

import json

from bot.slack.ids import ACTION_FEEDBACK_DOWN, ACTION_FEEDBACK_UP
from ingest.settings import Settings
from ingest.stores.feedback import export_feedback
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import SlackSender, block_action, mention
from tests.slack.listeners.test_events import answer_id_of


def test_feedback_buttons_store_votes_in_the_data_dir(
    sender: SlackSender, fake_slack: FakeSlack, settings: Settings, tmp_path
) -> None:
    sender.event(mention("<@UBOT> how long are exit tickets?", ts="1700000900.000100"))
    update = fake_slack.wait_for("chat.update")[0]
    aid = answer_id_of(update)
    assert len(aid) <= 2000

    r = sender.interaction(block_action(ACTION_FEEDBACK_UP, aid, response_url=fake_slack.response_url("v1"),
                                        user="UA", message_ts=update.params["ts"]))  # fmt: skip
    assert r.status == 200 and r.elapsed < 1.0
    thanks = fake_slack.wait_for("response_url")[0]
    assert thanks.params["response_type"] == "ephemeral" and thanks.params["replace_original"] is False
    assert "👍" in thanks.params["text"]

    sender.interaction(block_action(ACTION_FEEDBACK_DOWN, aid, response_url=fake_slack.response_url("v2"), user="UB"))
    fake_slack.wait_for("response_url", count=2)

    assert (settings.data_dir / "feedback.sqlite3").exists()
    out = tmp_path / "eval.jsonl"
    assert export_feedback(out, data_dir=settings.data_dir) == 2
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["user"], r["vote"]) for r in rows] == [("UA", "up"), ("UB", "down")]
    assert rows[0]["question"] == "how long are exit tickets?"
    assert rows[0]["answer"].startswith("Exit tickets take five minutes")
    assert [s["title"] for s in rows[0]["sources"]][:2] == ["Exit Ticket Routine", "Grade 5 Fractions Choice Board"]
    assert rows[0]["channel"] == "C0001" and rows[0]["message_ts"] == update.params["ts"]
