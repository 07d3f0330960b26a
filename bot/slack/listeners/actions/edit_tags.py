""""Edit tags" beside a document a coach added: opens the tags modal (within the 3 seconds the
trigger id lives)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack.context import BotContext
from bot.slack.flows.curation import open_tags_modal
from bot.slack.payloads import BlockAction


def edit_tags_pressed(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    open_tags_modal(BotContext.of(context), BlockAction.parse(body))
