"""Talking to Slack: post in a conversation (or replace a placeholder there), answer through a
request's `response_url`, reply privately to one person. Every call retries like the Web API
client; a failure is logged, and the caller learns what was shown where."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.slack.context import BotContext
from bot.slack.payloads import Recipient
from bot.slack.views.kit import notice_blocks

log = logging.getLogger("guidepost.slack")


def post_response(ctx: BotContext, response_url: str, payload: dict[str, Any]) -> None:
    """POST to a `response_url` with the same retries as the Web API client; raises when
    Slack does not take it."""
    client = WebhookClient(url=response_url, timeout=15, retry_handlers=ctx.retry_handlers, logger=log)
    resp = client.send_dict(payload)
    if resp.status_code != 200:
        raise RuntimeError(f"response_url answered {resp.status_code}: {resp.body!r}")


def ephemeral(text: str, blocks: list[dict[str, Any]] | None = None, *, replace: bool) -> dict[str, Any]:
    """A message only its recipient sees (`replace`: instead of the one the request came from)."""
    return {"response_type": "ephemeral", "replace_original": replace, "text": text, "blocks": blocks or notice_blocks(text)}


def reply_privately(
    ctx: BotContext,
    to: Recipient,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    *,
    replace: bool = False,
) -> None:
    """A note only `to.user` sees: through the request's `response_url`, or
    `chat.postEphemeral` when there is none or it fails."""
    payload = ephemeral(text, blocks, replace=replace)
    if to.response_url:
        try:
            post_response(ctx, to.response_url, payload)
            return
        except Exception:
            log.warning("response_url failed; trying chat.postEphemeral", exc_info=True)
    if to.channel and to.user:
        try:
            ctx.client.chat_postEphemeral(channel=to.channel, user=to.user, text=text, blocks=payload["blocks"])
        except Exception:
            log.exception("could not reach %s in %s at all", to.user, to.channel)


def post_in_conversation(
    ctx: BotContext,
    channel: str,
    thread_ts: str | None,
    *,
    text: str,
    blocks: list[dict[str, Any]],
    replace_ts: str | None = None,
) -> str | None:
    """Replace the message `replace_ts` (the placeholder) or, failing that, post a new one.
    Returns the ts of the message that shows the content, or None if Slack refused both."""
    if replace_ts:
        try:
            ctx.client.chat_update(channel=channel, ts=replace_ts, text=text, blocks=blocks)
            return replace_ts
        except SlackApiError as e:
            log.warning("chat.update failed (%s); posting a new message instead", e.response.get("error"))
    try:
        resp = ctx.client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False
        )
        return resp.get("ts")
    except Exception:
        log.exception("could not post to %s (thread %s)", channel, thread_ts)
        return None
