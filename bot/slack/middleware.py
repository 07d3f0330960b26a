"""Global middleware, run before any listener: hand listeners the bot's context, drop what bots
wrote, drop deliveries Slack already made. A middleware that drops a request answers an empty
200 itself (returning without calling `next()` would answer 404, and Slack would retry)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from bot.slack.context import BotContext
from bot.slack.dedupe import SeenSet, request_key, retry_num
from ingest.stores import SharedSeen

log = logging.getLogger("guidepost.slack")


def provide(ctx: BotContext) -> Callable[..., Any]:
    """Put `ctx` in every request's Bolt context, where listeners find it (`BotContext.of`)."""

    def provide_bot_context(context: BoltContext, next: Callable[[], Any]) -> Any:  # noqa: A002
        context[BotContext.KEY] = ctx
        return next()

    return provide_bot_context


def ignore_bots(body: dict[str, Any], context: BoltContext, next: Callable[[], Any]) -> BoltResponse | None:  # noqa: A002
    """Acknowledge and drop events written by a bot (any bot, this one included)."""
    event = body.get("event")
    if isinstance(event, dict) and event.get("type") in ("message", "app_mention"):
        if (
            event.get("bot_id")
            or event.get("subtype") == "bot_message"
            or (context.bot_user_id and event.get("user") == context.bot_user_id)
        ):
            return BoltResponse(status=200, body="")
    return next()


def drop_duplicates(seen: SeenSet | SharedSeen) -> Callable[..., BoltResponse | None]:
    """Acknowledge and drop deliveries already seen (Bolt does not deduplicate: a redelivery
    with `X-Slack-Retry-Num: 1` would run the listener again). `seen` is shared by every
    process on the data dir, so a retry that reaches another worker is dropped too."""

    def drop_duplicate_deliveries(request: BoltRequest, body: dict[str, Any], next: Callable[[], Any]) -> BoltResponse | None:  # noqa: A002
        key = request_key(body)
        if key is not None and not seen.add(key):
            log.info("duplicate delivery %s (retry %d): acknowledged, not processed", key, retry_num(request.headers))
            return BoltResponse(status=200, body="")
        return next()

    return drop_duplicate_deliveries


def log_error(error: Exception, body: dict[str, Any]) -> None:
    """Anything a listener let escape (the flows catch their own errors)."""
    log.error("unhandled error in a Slack listener (request type %s)", body.get("type"), exc_info=error)
