"""⋮ More actions → "Ask Guidepost about this" on any message."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack.context import BotContext
from bot.slack.flows.answering import ask_about_message
from bot.slack.payloads import BotIdentity, MessageShortcut


def ask_pressed(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    ask_about_message(BotContext.of(context), MessageShortcut.parse(body), BotIdentity.of(context))
