"""The assistant panel, through the real Bolt app over signed HTTP: a thread opens (greeting,
suggested prompts), a question (status, title, the cited answer in the thread), follow-ups with
the thread as context, and the viewed channel's scope."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from bot.slack.flows.assistant import STATUS, suggested_prompts
from bot.slack.ids import ACTION_FEEDBACK_UP
from ingest.domain import Answer, Scope
from ingest.settings import Settings
from ingest.stores import ChannelScopes, FeedbackStore, SuggestedPrompts
from tests.slack.fake_engine import FakeEngine
from tests.slack.fake_slack import FakeSlack
from tests.slack.signing import COACH, TEACHER, SlackSender, message

DM = "D0PANEL"
ROOT = "1700000900.000100"


def thread_event(kind: str, viewing: str | None = "C0001", thread_ts: str = ROOT) -> dict[str, Any]:
    context = {"channel_id": viewing, "team_id": "T0001", "enterprise_id": None} if viewing else {}
    return {"type": kind, "event_ts": thread_ts,
            "assistant_thread": {"user_id": TEACHER, "context": context, "channel_id": DM, "thread_ts": thread_ts}}  # fmt: skip


def ask(sender: SlackSender, fake: FakeSlack, text: str, thread_ts: str = ROOT) -> tuple[str, float]:
    ts = fake.add_message(DM, user=TEACHER, text=text, thread_ts=thread_ts)
    sent = time.perf_counter()
    assert sender.event(message(text, ts=ts, channel=DM, channel_type="im", thread_ts=thread_ts)).status == 200
    return ts, sent


def test_opening_a_thread_greets_and_suggests_the_coaches_prompts(sender: SlackSender, fake_slack: FakeSlack, settings: Settings) -> None:
    SuggestedPrompts(settings.data_dir).set(["How long are exit tickets?", "What is a must-do / may-do board?"])
    assert sender.event(thread_event("assistant_thread_started")).status == 200
    greeting = fake_slack.wait_for("chat.postMessage")[0]
    assert greeting.params["channel"] == DM and greeting.params["thread_ts"] == ROOT
    assert "cite" in greeting.params["text"]
    prompts = fake_slack.wait_for("assistant.threads.setSuggestedPrompts")[0]
    assert prompts.response == {"ok": True}
    assert (prompts.params["channel_id"], prompts.params["thread_ts"]) == (DM, ROOT)
    assert [p["message"] for p in prompts.params["prompts"]] == ["How long are exit tickets?", "What is a must-do / may-do board?"]


def test_a_coach_sets_the_suggested_questions_with_a_command(sender: SlackSender, fake_slack: FakeSlack, settings: Settings) -> None:
    sender.command("prompts How long are exit tickets? | What goes on a choice board?", response_url=fake_slack.response_url("t"))
    refused = fake_slack.wait_for("response_url")[0]
    assert "only coaches can set the suggested questions" in refused.params["text"]
    assert SuggestedPrompts(settings.data_dir).get() == []
    sender.command("prompts How long are exit tickets? | What goes on a choice board?", response_url=fake_slack.response_url("c"), user=COACH)
    fake_slack.wait_for("response_url", count=2)
    assert SuggestedPrompts(settings.data_dir).get() == ["How long are exit tickets?", "What goes on a choice board?"]
    shown = sender.command("prompts", response_url=fake_slack.response_url("s")).json()
    assert "• What goes on a choice board?" in shown["text"]


def test_without_coach_prompts_the_questions_asked_often_and_answered_well_are_suggested(
    sender: SlackSender, fake_slack: FakeSlack, settings: Settings
) -> None:
    store = FeedbackStore(settings.data_dir)
    good = Answer(question="How long are exit tickets?", text="Five minutes [1].", abstained=False)
    for _ in range(3):
        store.record_answer(good, surface="dm", user=TEACHER, channel="D1")
    disliked = store.record_answer(Answer(question="Grading rubric?", text="x [1]", abstained=False), surface="dm", user=TEACHER, channel="D1")
    store.record_answer(Answer(question="Grading rubric?", text="x [1]", abstained=False), surface="dm", user=TEACHER, channel="D1")
    store.record_vote(disliked, user=TEACHER, vote="down")
    for _ in range(2):
        store.record_answer(Answer(question="What is PCBL?", text="", abstained=True), surface="dm", user=TEACHER, channel="D1")
    store.record_answer(Answer(question="Once only?", text="y [1]", abstained=False), surface="dm", user=TEACHER, channel="D1")

    sender.event(thread_event("assistant_thread_started"))
    prompts = fake_slack.wait_for("assistant.threads.setSuggestedPrompts")[0]
    assert [p["message"] for p in prompts.params["prompts"]] == ["How long are exit tickets?"]


def test_with_no_history_one_prompt_per_document_type_names_a_document() -> None:
    docs = [SimpleNamespace(type="choice_board", title="Grade 8 Ecosystems Choice Board", added_at=2.0),
            SimpleNamespace(type="choice_board", title="Older Board", added_at=1.0),
            SimpleNamespace(type="guide", title="Running Choice Boards Guide", added_at=1.0),
            SimpleNamespace(type="verified_answer", title="How long are exit tickets?", added_at=3.0)]  # fmt: skip
    ctx = SimpleNamespace(prompts=SimpleNamespace(get=lambda: []), feedback=SimpleNamespace(popular_questions=lambda n: []),
                          library=SimpleNamespace(sources=lambda: docs))  # fmt: skip
    got = suggested_prompts(ctx)  # type: ignore[arg-type]
    assert [p["message"] for p in got] == ["What does the Running Choice Boards Guide recommend?",
                                           "How do students use the Grade 8 Ecosystems Choice Board?"]  # fmt: skip
    assert all(len(p["title"]) <= 40 for p in got)


def test_a_question_sets_status_and_title_then_is_answered_in_the_thread_within_the_viewed_channels_scope(
    sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine, settings: Settings
) -> None:
    ChannelScopes(settings.data_dir).set("C0001", Scope(subjects=("math",)))
    sender.event(thread_event("assistant_thread_started"))
    fake_slack.wait_for("chat.postMessage")
    _, sent = ask(sender, fake_slack, "How long are exit tickets?")

    status = fake_slack.wait_for("assistant.threads.setStatus")[0]
    assert (status.params["channel_id"], status.params["thread_ts"], status.params["status"]) == (DM, ROOT, STATUS)
    title = fake_slack.wait_for("assistant.threads.setTitle")[0]
    assert title.params["title"] == "How long are exit tickets?"
    answer = fake_slack.wait_for("chat.postMessage", count=2)[1]
    assert answer.params["channel"] == DM and answer.params["thread_ts"] == ROOT
    assert answer.params["text"].startswith("Exit tickets take five minutes")
    assert "*[1]* *Exit Ticket Routine*" in answer.blocks_json and ACTION_FEEDBACK_UP in answer.blocks_json
    assert "searches only part of the knowledge base" in answer.blocks_json
    assert not fake_slack.calls("chat.update")  # no placeholder: the status shows progress
    assert status.at < answer.at
    question, filters, _ = engine.calls[0]
    assert question == "How long are exit tickets?" and filters is not None and filters.subjects == ("math",)
    print(f"\npanel: status after {(status.at - sent) * 1e3:.0f} ms, answer after {(answer.at - sent) * 1e3:.0f} ms")

    # A follow-up: no new title, the thread is the context.
    ask(sender, fake_slack, "and for early finishers?")
    fake_slack.wait_for("chat.postMessage", count=3)
    assert len(fake_slack.calls("assistant.threads.setTitle")) == 1
    assert len(fake_slack.wait_for("assistant.threads.setStatus", count=2)) == 2
    _, _, history = engine.calls[1]
    assert history and history[0] == ("assistant", fake_slack.calls("chat.postMessage")[0].params["text"])
    assert ("user", "How long are exit tickets?") in history


def test_switching_channels_applies_the_new_channels_scope(
    sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine, settings: Settings
) -> None:
    ChannelScopes(settings.data_dir).set("C0SCI", Scope(subjects=("science",)))
    sender.event(thread_event("assistant_thread_started", viewing="C0001"))
    fake_slack.wait_for("chat.postMessage")
    ask(sender, fake_slack, "How long are exit tickets?")
    fake_slack.wait_for("chat.postMessage", count=2)
    assert engine.calls[0][1] is None  # C0001 is not scoped

    assert sender.event(thread_event("assistant_thread_context_changed", viewing="C0SCI")).status == 200
    ask(sender, fake_slack, "What about lab safety?")
    fake_slack.wait_for("chat.postMessage", count=3)
    assert engine.calls[1][1] is not None and engine.calls[1][1].subjects == ("science",)


def test_a_refused_status_does_not_cost_the_answer(sender: SlackSender, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("assistant.threads.setStatus", error="not_allowed")
    ask(sender, fake_slack, "How long are exit tickets?")
    answer = fake_slack.wait_for("chat.postMessage")[0]
    assert answer.params["thread_ts"] == ROOT and "Exit Ticket Routine" in answer.blocks_json


def test_a_coachs_file_in_a_dm_thread_still_goes_to_curation(sender: SlackSender, fake_slack: FakeSlack, engine: FakeEngine) -> None:
    fake_slack.add_file("F0001", "notes.txt", b"Exit tickets take five minutes.", mimetype="text/plain", user="UCOACH")
    ts = fake_slack.add_message(DM, user="UCOACH", text="", thread_ts=ROOT, files=["F0001"])
    sender.event(message("", ts=ts, channel=DM, channel_type="im", thread_ts=ROOT, user="UCOACH", subtype="file_share",
                         files=[fake_slack.file_object("F0001")]))  # fmt: skip
    fake_slack.wait_for("files.info", timeout=10)
    assert not fake_slack.calls("assistant.threads.setStatus") and not engine.calls
