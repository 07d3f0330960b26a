"""The message shortcut "Ask Guidepost about this": the message's text is the question; the
answer is shown to the person who used the shortcut, with a button to share it in the
message's thread."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.slack import blocks as B
from bot.slack.conversation import clean_text
from bot.slack.listeners.answering import BotContext, PrivateAsk, answer_privately, post_response

CALLBACK_ID = "ask_about_message"

log = logging.getLogger("guidepost.slack")


def handle_ask_about_message(ctx: BotContext, body: dict[str, Any], bot_user_id: str | None) -> None:
    message = body.get("message") or {}
    response_url = body.get("response_url")
    if not response_url:
        log.warning("shortcut without response_url: cannot answer")
        return
    question = clean_text(message.get("text"), bot_user_id)
    if not question:
        post_response(
            ctx,
            response_url,
            {
                "response_type": "ephemeral",
                "text": "That message has no text I can look up.",
                "blocks": B.notice_blocks("That message has no text I can look up. Try `/guidepost your question`."),
            },
        )
        return
    post_response(
        ctx,
        response_url,
        {"response_type": "ephemeral", "text": B.PLACEHOLDER_TEXT, "blocks": B.placeholder_blocks(question)},
    )
    answer_privately(
        ctx,
        PrivateAsk(
            question=question,
            user=(body.get("user") or {}).get("id"),
            channel=(body.get("channel") or {}).get("id"),
            response_url=response_url,
            surface="shortcut",
            thread_ts=message.get("thread_ts") or message.get("ts"),
        ),
    )


def register(app: App, ctx: BotContext) -> None:
    @app.shortcut(CALLBACK_ID)
    def on_ask_about_message(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        ack()
        handle_ask_about_message(ctx, body, context.bot_user_id)
