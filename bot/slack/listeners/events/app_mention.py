"""`@Guidepost question` in a channel."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext
from slack_bolt.request import BoltRequest

from bot.slack.context import BotContext
from bot.slack.dedupe import retry_num
from bot.slack.flows.messages import mentioned
from bot.slack.payloads import BotIdentity, MessageEvent


def app_mentioned(event: dict[str, Any], context: BoltContext, request: BoltRequest) -> None:
    mentioned(BotContext.of(context), MessageEvent.parse(event), BotIdentity.of(context), retry_num(request.headers))
