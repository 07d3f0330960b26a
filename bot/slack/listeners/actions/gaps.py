""""Add a resource" and "Mark handled" beside each knowledge gap (`/guidepost gaps`)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack.context import BotContext
from bot.slack.flows.gaps import add_resource, mark_handled
from bot.slack.payloads import BlockAction


def handled_pressed(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    mark_handled(BotContext.of(context), BlockAction.parse(body))


def add_resource_pressed(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    add_resource(BotContext.of(context), BlockAction.parse(body))
