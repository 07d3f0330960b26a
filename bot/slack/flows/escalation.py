""""Ask a coach", when the knowledge base falls short (an abstention, or an answer voted 👎):

1. the teacher presses "Ask a coach": the question, where it was asked and the sources tried go
   to the coaches' channel (`GUIDEPOST_COACH_CHANNEL`);
2. a coach replies in that thread: the reply goes to the teacher's thread (or DM, for a private
   answer) under the coach's name, and the coach is offered "Save as a verified answer";
3. a coach (only coaches) presses it: question and reply become a small `verified_answer`
   document, cited as "answered by <coach> on <date>" and ranked first when it matches.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone

from bot.slack.context import BotContext
from bot.slack.messaging import reply_privately
from bot.slack.payloads import BlockAction, MessageEvent
from bot.slack.views.escalation import ASKED_TEXT, coach_request, relayed_reply, verified_note, verify_prompt
from bot.slack.views.kit import escape_mrkdwn
from bot.slack.views.library import refusal
from ingest.domain import Tags
from ingest.library import Upload

log = logging.getLogger("guidepost.slack")

VERIFY = "save verified answers"
_PRIVATE = ("command", "shortcut")


def enabled(ctx: BotContext) -> bool:
    return bool(ctx.settings.coach_channel)


def ask_coach(ctx: BotContext, action: BlockAction) -> None:
    stored = ctx.feedback.get_answer(action.value) if action.value else None
    if stored is None or not enabled(ctx):
        reply_privately(ctx, action.recipient, "Sorry, I can't reach the coaches from here. Please ask " + escape_mrkdwn(ctx.help_contact) + ".")
        return
    coach_channel = ctx.settings.coach_channel or ""
    esc_id = ctx.feedback.add_escalation(stored.id, asked_by=action.user, coach_channel=coach_channel)
    text, blocks = coach_request(stored.answer, asked_by=action.user or stored.user, channel=stored.channel)
    try:
        resp = ctx.client.chat_postMessage(channel=coach_channel, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False)
    except Exception:
        log.exception("could not post to the coaches' channel %s", coach_channel)
        reply_privately(ctx, action.recipient, "Sorry, I couldn't reach the coaches just now. Please ask " + escape_mrkdwn(ctx.help_contact) + ".")
        return
    ctx.feedback.set_escalation_ts(esc_id, resp["ts"])
    log.info("%s asked a coach about answer %s (escalation %s)", action.user, stored.id, esc_id)
    reply_privately(ctx, action.recipient, ASKED_TEXT)


def coach_replied(ctx: BotContext, message: MessageEvent) -> bool:
    """A reply in a thread of the coaches' channel: relayed if the thread is an escalation.
    Returns whether the message was one (then nothing else handles it)."""
    if not enabled(ctx) or message.channel != ctx.settings.coach_channel or not message.in_thread:
        return False
    esc = ctx.feedback.escalation_in_thread(message.channel, message.thread_ts or "")
    if esc is None or not message.user or not message.text.strip():
        return esc is not None
    stored = ctx.feedback.get_answer(esc["answer_id"])
    if stored is None:
        log.warning("escalation %s lost its answer %s", esc["id"], esc["answer_id"])
        return True
    reply = _plain(message.text)
    name = _name(ctx, message.user)
    text, blocks = relayed_reply(name, message.user, reply)
    if stored.surface in _PRIVATE or not stored.channel:
        where, thread = stored.user or esc["asked_by"], None  # a private answer: the teacher's DM
    else:
        where, thread = stored.channel, stored.thread_ts
    try:
        ctx.client.chat_postMessage(channel=where, thread_ts=thread, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False)
    except Exception:
        log.exception("could not relay the coach's reply to %s", where)
        return True
    ctx.feedback.record_escalation_reply(esc["id"], user=message.user, text=reply)
    text, blocks = verify_prompt(esc["id"])
    try:
        ctx.client.chat_postMessage(channel=message.channel, thread_ts=message.thread_ts, text=text, blocks=blocks)
    except Exception:
        log.warning("could not offer to save the reply as a verified answer", exc_info=True)
    return True


def verify(ctx: BotContext, action: BlockAction) -> None:
    if not ctx.coaches.is_coach(action.user):
        reply_privately(ctx, action.recipient, refusal(VERIFY, ctx.help_contact))
        return
    esc = ctx.feedback.escalation(action.value) if action.value else None
    stored = ctx.feedback.get_answer(esc["answer_id"]) if esc else None
    if esc is None or stored is None or not esc.get("reply_text"):
        reply_privately(ctx, action.recipient, "There is no coach's reply to save in this thread yet.")
        return
    ctx.submit_ingest(_save, ctx, action, esc, stored.answer.question)


def _save(ctx: BotContext, action: BlockAction, esc: dict, question: str) -> None:
    coach = _name(ctx, esc["reply_user"])
    day = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    title = f"{question.strip().rstrip('?')}? — answered by {coach} on {day}"
    doc = f"---\ntitle: \"{_yaml(title)}\"\ntype: verified_answer\n---\n\n# {question.strip()}\n\n{esc['reply_text'].strip()}\n"
    upload = Upload(doc.encode("utf-8"), f"verified-answer-{esc['id']}.md", source_key=f"slack:verified:{esc['id']}",
                    extra={"verified_by": action.user, "answered_by": esc["reply_user"], "escalation": esc["id"]})  # fmt: skip
    added = ctx.library.add(upload, Tags(type="verified_answer"))
    if not added.ok or not added.doc_id:
        reply_privately(ctx, action.recipient, f":warning: Could not save it: {escape_mrkdwn(added.reason or 'unknown error')}")
        return
    ctx.feedback.record_verified(esc["id"], user=action.user or "", doc_id=added.doc_id)
    log.info("%s saved escalation %s as verified answer %s", action.user, esc["id"], added.doc_id)
    text, blocks = verified_note(title, action.user or "")
    if action.channel and action.message_ts:
        try:
            ctx.client.chat_update(channel=action.channel, ts=action.message_ts, text=text, blocks=blocks)
            return
        except Exception:
            log.warning("could not update the verify button's message", exc_info=True)
    reply_privately(ctx, action.recipient, text)


def _name(ctx: BotContext, user: str) -> str:
    try:
        info = ctx.client.users_info(user=user)["user"]
        return (info.get("profile") or {}).get("display_name") or info.get("real_name") or info.get("name") or user
    except Exception:
        log.warning("could not look up %s", user, exc_info=True)
        return user


def _plain(text: str) -> str:
    from bot.slack.conversation import clean_text

    return "\n".join(clean_text(line) for line in text.splitlines()).strip()


def _yaml(text: str) -> str:
    return re.sub(r'["\\\\]', "", text)
