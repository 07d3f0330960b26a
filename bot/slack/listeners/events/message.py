"""A message the bot can see: a DM (a question, or a coach's files), or a reply in a thread."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext
from slack_bolt.request import BoltRequest

from bot.slack.context import BotContext
from bot.slack.dedupe import retry_num
from bot.slack.flows.messages import message_posted
from bot.slack.payloads import BotIdentity, MessageEvent


def message_received(event: dict[str, Any], context: BoltContext, request: BoltRequest) -> None:
    message_posted(BotContext.of(context), MessageEvent.parse(event), BotIdentity.of(context), retry_num(request.headers))
