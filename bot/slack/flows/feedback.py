"""What people do with an answer: vote 👍 / 👎 (stored with the answer, for evaluation), or share
an answer only they could see in the channel. ("Save to planning notes" is in `planning`.)"""

from __future__ import annotations

import logging
from typing import Any, Literal

from bot.slack.context import BotContext
from bot.slack.flows.answering import render_answer
from bot.slack.messaging import post_response, reply_privately
from bot.slack.payloads import BlockAction
from bot.slack.views.escalation import ask_coach_button
from bot.slack.views.kit import escape_mrkdwn, section

log = logging.getLogger("guidepost.slack")


def record_vote(ctx: BotContext, action: BlockAction, vote: Literal["up", "down"]) -> None:
    try:
        ctx.feedback.record_vote(action.value, user=action.user or "", vote=vote, channel=action.channel,
                                 message_ts=action.message_ts)  # fmt: skip
    except Exception:
        log.exception("could not store a %s vote on %s", vote, action.value)
        reply_privately(ctx, action.recipient, "Sorry, I couldn't record your vote just now. Please try again later.")
        return
    if vote == "down":
        try:  # a knowledge gap, for coaches (`/guidepost gaps`)
            stored = ctx.feedback.get_answer(action.value)
            if stored is not None:
                question = stored.answer.standalone_question or stored.answer.question
                ctx.gaps.record(question, reason="thumbs_down", channel=stored.channel or action.channel, user=action.user,
                                answer_id=stored.id)  # fmt: skip
        except Exception:
            log.exception("could not record the 👎 on %s as a knowledge gap", action.value)
    if vote == "up":
        text = "Thanks — your 👍 is recorded."
    else:
        text = (
            "Thanks — your 👎 is recorded; it shows us what to fix. If you still need an answer, ask "
            + escape_mrkdwn(ctx.help_contact)
            + "."
        )
    blocks = None
    if vote == "down" and ctx.settings.coach_channel and action.value:
        blocks = [section(text), {"type": "actions", "elements": [ask_coach_button(action.value)]}]
    reply_privately(ctx, action.recipient, text, blocks)


def share_answer(ctx: BotContext, action: BlockAction) -> None:
    """Post a private answer in the channel (in the thread it was about), crediting who shared
    it, then remove the private copy."""
    stored = ctx.feedback.get_answer(action.value) if action.value else None
    if stored is None or not action.response_url:
        reply_privately(ctx, action.recipient, "Sorry, that answer can no longer be shared. Please ask again.")
        return
    scope = ctx.scope_of(action.channel or stored.channel)
    out = render_answer(ctx, stored.answer, stored.id, scope, show_question=True, shared_by=action.user)
    shared: dict[str, Any] = {"response_type": "in_channel", "replace_original": False, "text": out.text,
                              "blocks": out.blocks, "unfurl_links": False, "unfurl_media": False}  # fmt: skip
    if stored.thread_ts:
        shared["thread_ts"] = stored.thread_ts
    post_response(ctx, action.response_url, shared)
    try:
        post_response(ctx, action.response_url, {"delete_original": True})
    except Exception:
        log.warning("could not remove the private copy of answer %s", action.value, exc_info=True)
