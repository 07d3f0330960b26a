""""Share in channel" under an answer only its asker could see."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack.context import BotContext
from bot.slack.flows.feedback import share_answer
from bot.slack.payloads import BlockAction


def share_pressed(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    share_answer(BotContext.of(context), BlockAction.parse(body))
