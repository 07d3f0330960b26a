""""Index anyway" / "Cancel" under a file refused because it looks like it holds student
personal data."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack.context import BotContext
from bot.slack.flows.curation import cancel_personal_data, index_anyway
from bot.slack.payloads import BlockAction


def index_anyway_pressed(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    index_anyway(BotContext.of(context), BlockAction.parse(body))


def cancel_pressed(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    cancel_personal_data(BotContext.of(context), BlockAction.parse(body))
