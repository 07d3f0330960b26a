""""📌 Save to planning notes" under an answer."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack.context import BotContext
from bot.slack.flows.planning import save_to_planning
from bot.slack.payloads import BlockAction


def save_pressed(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    save_to_planning(BotContext.of(context), BlockAction.parse(body))
