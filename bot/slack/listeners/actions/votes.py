"""👍 Helpful / 👎 Not helpful under an answer (the button's value is the stored answer's id)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack.context import BotContext
from bot.slack.flows.feedback import record_vote
from bot.slack.payloads import BlockAction


def helpful_pressed(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    record_vote(BotContext.of(context), BlockAction.parse(body), "up")


def not_helpful_pressed(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    record_vote(BotContext.of(context), BlockAction.parse(body), "down")
