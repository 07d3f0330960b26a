"""Newer / Older under the list of indexed documents (the button's value is the page)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack.context import BotContext
from bot.slack.flows.curation import show_sources_page
from bot.slack.payloads import BlockAction


def page_pressed(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    show_sources_page(BotContext.of(context), BlockAction.parse(body))
