""""Export as Markdown" under a channel's planning notes."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack.context import BotContext
from bot.slack.flows.planning import export_from_button
from bot.slack.payloads import BlockAction


def export_pressed(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    export_from_button(BotContext.of(context), BlockAction.parse(body))
