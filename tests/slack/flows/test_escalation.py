""""Ask a coach", through the real Bolt app: an abstention or a 👎 offers it; the question and the
sources tried go to the coaches' channel; a coach's reply is relayed to the teacher's thread under
the coach's name; only a coach can save it as a verified answer, which enters the knowledge base."""

from __future__ import annotations

import pytest

from bot.slack.app import bot_context
from bot.slack.ids import ACTION_ASK_COACH, ACTION_FEEDBACK_DOWN, ACTION_FEEDBACK_UP, ACTION_VERIFY
from ingest.settings import Settings
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import COACH, TEACHER, SlackSender, block_action, mention, message

COACHES = "C0COACH"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"coach_channel": COACHES})


def button_value(call, action_id: str) -> str:
    for b in call.params["blocks"]:
        for e in b.get("elements", []) if b["type"] == "actions" else []:
            if e["action_id"] == action_id:
                return e["value"]
    raise AssertionError(f"no {action_id} button in {call.blocks_json}")


def test_an_abstention_goes_to_the_coaches_and_the_reply_comes_back_and_is_saved(
    sender: SlackSender, fake_slack: FakeSlack, app
) -> None:
    q = fake_slack.add_message("C0001", user=TEACHER, text="<@UBOT> what is the uncovered policy?")
    sender.event(mention("<@UBOT> what is the uncovered policy?", ts=q))
    abstention = fake_slack.wait_for("chat.update")[0]
    answer_id = button_value(abstention, ACTION_ASK_COACH)
    fake_slack.clear()

    # 1. the teacher asks a coach
    sender.interaction(block_action(ACTION_ASK_COACH, answer_id, response_url=fake_slack.response_url("ask")))
    request = fake_slack.wait_for("chat.postMessage")[0]
    assert request.params["channel"] == COACHES
    assert "<@UTEACH> asked in <#C0001>: what is the uncovered policy?" == request.params["text"]
    assert "Sources tried: [1] Exit Ticket Routine (p. 3" in request.blocks_json and "[2] Grade 5 Fractions Choice Board" in request.blocks_json
    told = fake_slack.wait_for("response_url")[0]
    assert "Sent to the coaches" in told.params["text"]

    # 2. a coach replies in that thread: relayed to the teacher's thread under the coach's name
    coach_ts = request.response["ts"]
    reply_text = "Our policy: exit tickets are never graded, they only shape the next lesson."
    r = fake_slack.add_message(COACHES, user=COACH, text=reply_text, thread_ts=coach_ts)
    sender.event(message(reply_text, ts=r, channel=COACHES, thread_ts=coach_ts, user=COACH, parent_user_id="UBOT"))
    relay, offer = fake_slack.wait_for("chat.postMessage", count=3)[1:3]
    assert (relay.params["channel"], relay.params["thread_ts"]) == ("C0001", q)
    assert relay.params["text"].startswith("User UCOACH (coach) replied: Our policy") and "*User UCOACH* (coach) replied" in relay.blocks_json
    assert (offer.params["channel"], offer.params["thread_ts"]) == (COACHES, coach_ts)
    esc_id = button_value(offer, ACTION_VERIFY)
    assert not [c for c in fake_slack.calls("chat.postMessage") if c.params["text"].startswith("Searching")]  # not answered as a question

    # 3. only a coach may verify
    sender.interaction(block_action(ACTION_VERIFY, esc_id, response_url=fake_slack.response_url("no"), user=TEACHER,
                                    channel=COACHES, message_ts=offer.response["ts"]))  # fmt: skip
    refused = fake_slack.wait_for("response_url", count=2)[1]
    assert "only coaches can save verified answers" in refused.params["text"]
    sender.interaction(block_action(ACTION_VERIFY, esc_id, response_url=fake_slack.response_url("yes"), user=COACH,
                                    channel=COACHES, message_ts=offer.response["ts"]))  # fmt: skip
    saved = fake_slack.wait_for("chat.update", timeout=60)[0]
    assert saved.params["ts"] == offer.response["ts"] and "Saved as a verified answer by <@UCOACH>" in saved.params["text"]
    (doc,) = [d for d in bot_context(app).library.sources() if d.type == "verified_answer"]
    assert doc.title.startswith("what is the uncovered policy? — answered by User UCOACH on 20")

    round_trip = [c.method + (" " + c.params.get("channel", "") if c.method.startswith("chat.") else "") for c in fake_slack.calls()
                  if c.method not in ("auth.test",)]  # fmt: skip
    print("\nescalation round trip:", round_trip)


def test_a_thumbs_down_offers_ask_a_coach(sender: SlackSender, fake_slack: FakeSlack) -> None:
    q = fake_slack.add_message("C0001", user=TEACHER, text="<@UBOT> how long are exit tickets?")
    sender.event(mention("<@UBOT> how long are exit tickets?", ts=q))
    answer = fake_slack.wait_for("chat.update")[0]
    assert ACTION_ASK_COACH not in answer.blocks_json  # an answer offers it only once it is voted down
    aid = button_value(answer, ACTION_FEEDBACK_UP)
    sender.interaction(block_action(ACTION_FEEDBACK_DOWN, aid, response_url=fake_slack.response_url("v")))
    thanks = fake_slack.wait_for("response_url")[0]
    assert ACTION_ASK_COACH in thanks.blocks_json and aid in thanks.blocks_json


def test_replies_in_other_coach_threads_are_left_alone(sender: SlackSender, fake_slack: FakeSlack) -> None:
    root = fake_slack.add_message(COACHES, user=COACH, text="Team meeting at 3?")
    r = fake_slack.add_message(COACHES, user="UOTHER", text="yes, room 12", thread_ts=root)
    sender.event(message("yes, room 12", ts=r, channel=COACHES, thread_ts=root, user="UOTHER", parent_user_id=COACH))
    fake_slack.assert_quiet("chat.postMessage", 0)
