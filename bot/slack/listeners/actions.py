"""Buttons on answers: 👍 / 👎 (stored with the answer, for evaluation) and "Share in
channel" (for answers only the asker could see). "Save to planning notes" is in `planning`."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.slack import blocks as B
from bot.slack.listeners.answering import BotContext, answer_extras, post_response, reply_privately, scope_label

log = logging.getLogger("guidepost.slack")


def handle_vote(ctx: BotContext, body: dict[str, Any], vote: str) -> None:
    action = (body.get("actions") or [{}])[0]
    answer_id = action.get("value") or ""
    user = (body.get("user") or {}).get("id") or ""
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    message_ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    try:
        ctx.store.record_vote(answer_id, user=user, vote=vote, channel=channel, message_ts=message_ts)
    except Exception:
        log.exception("could not store a %s vote on %s", vote, answer_id)
        reply_privately(ctx, body, "Sorry, I couldn't record your vote just now. Please try again later.")
        return
    if vote == "up":
        text = "Thanks — your 👍 is recorded."
    else:
        text = (
            "Thanks — your 👎 is recorded; it shows us what to fix. If you still need an answer, ask "
            + B.escape_mrkdwn(ctx.help_contact)
            + "."
        )
    reply_privately(ctx, body, text)


def handle_share(ctx: BotContext, body: dict[str, Any]) -> None:
    action = (body.get("actions") or [{}])[0]
    answer_id = action.get("value") or ""
    user = (body.get("user") or {}).get("id")
    url = body.get("response_url")
    stored = ctx.store.get_answer(answer_id) if answer_id else None
    if stored is None or not url:
        reply_privately(ctx, body, "Sorry, that answer can no longer be shared. Please ask again.")
        return
    channel = (body.get("channel") or {}).get("id") or stored.channel
    scope = scope_label(ctx.filters_for(channel))
    blocks = B.answer_blocks(
        stored.answer,
        answer_id=stored.id,
        help_contact=ctx.help_contact,
        show_question=True,
        shared_by=user,
        extra_actions=answer_extras(stored.answer, stored.id),
        scope=scope,
    )
    shared: dict[str, Any] = {
        "response_type": "in_channel",
        "replace_original": False,
        "text": B.answer_text_fallback(stored.answer, help_contact=ctx.help_contact, scoped=scope is not None),
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }
    if stored.thread_ts:
        shared["thread_ts"] = stored.thread_ts
    post_response(ctx, url, shared)
    try:
        post_response(ctx, url, {"delete_original": True})
    except Exception:
        log.warning("could not remove the private copy of answer %s", answer_id, exc_info=True)


def register(app: App, ctx: BotContext) -> None:
    @app.action(B.ACTION_FEEDBACK_UP)
    def on_helpful(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        handle_vote(ctx, body, "up")

    @app.action(B.ACTION_FEEDBACK_DOWN)
    def on_not_helpful(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        handle_vote(ctx, body, "down")

    @app.action(B.ACTION_SHARE)
    def on_share(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        handle_share(ctx, body)
