""""Ask a coach" (value: the stored answer's id) and "Save as a verified answer" (value: the
escalation's id)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack.context import BotContext
from bot.slack.flows import escalation
from bot.slack.payloads import BlockAction


def ask_coach_pressed(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    escalation.ask_coach(BotContext.of(context), BlockAction.parse(body))


def verify_pressed(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    escalation.verify(BotContext.of(context), BlockAction.parse(body))
