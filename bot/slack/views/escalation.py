""""Ask a coach": the button, the request coaches see, the reply relayed to the teacher, and the
coach's "Save as a verified answer"."""

from __future__ import annotations

from typing import Any

from bot.slack.ids import ACTION_ASK_COACH, ACTION_VERIFY
from bot.slack.views.kit import button, context, escape_mrkdwn, one_line, section, slack_id, truncate
from ingest.domain import Answer

ASKED_TEXT = "Sent to the coaches. A coach's reply will appear in your thread."


def ask_coach_button(answer_id: str) -> dict[str, Any]:
    return button("🙋 Ask a coach", ACTION_ASK_COACH, answer_id)


def coach_request(answer: Answer, *, asked_by: str | None, channel: str | None) -> tuple[str, list[dict[str, Any]]]:
    """What the coaches' channel sees: who asked where, the question, the sources tried."""
    who = f"<@{slack_id(asked_by)}>" if asked_by else "A teacher"
    where = f" in <#{slack_id(channel)}>" if channel and channel[:1] in "CG" else ""
    question = truncate(escape_mrkdwn(one_line(answer.question)), 2000)
    text = f"{who} asked{where}: {question}"
    tried = [f"[{s.n}] {escape_mrkdwn(one_line(s.title))}" + (f" ({escape_mrkdwn(s.location)})" if s.location else "")
             for s in answer.sources[:5]]  # fmt: skip
    lead = "Guidepost found no answer" if answer.abstained else "The teacher found the answer not helpful"
    blocks = [
        section(f":raising_hand: {who} needs a coach{where}:\n>{question}"),
        context(f"{lead}. Sources tried: " + (truncate("; ".join(tried), 2500) if tried else "none (nothing close).")),
        context("Reply in this thread: your reply goes to the teacher under your name. A coach can then save it as a verified answer."),
    ]
    return text, blocks


def relayed_reply(coach_name: str, coach: str, reply: str) -> tuple[str, list[dict[str, Any]]]:
    name = escape_mrkdwn(one_line(coach_name)) or f"<@{slack_id(coach)}>"
    body = truncate(escape_mrkdwn(reply.strip()), 2800)
    return f"{name} (coach) replied: {truncate(escape_mrkdwn(one_line(reply)), 2000)}", [
        context(f":speech_balloon: *{name}* (coach) replied:"),
        section(body),
    ]


def verify_prompt(esc_id: str) -> tuple[str, list[dict[str, Any]]]:
    text = "Relayed to the teacher."
    return text, [
        context(":white_check_mark: " + text + " Save it so the next teacher gets it at once (coaches only)."),
        {"type": "actions", "elements": [button("Save as a verified answer", ACTION_VERIFY, esc_id, style="primary")]},
    ]


def verified_note(title: str, user: str) -> tuple[str, list[dict[str, Any]]]:
    text = f"Saved as a verified answer by <@{slack_id(user)}>: {escape_mrkdwn(one_line(title))}"
    return text, [context(":white_check_mark: " + truncate(text, 2900))]
