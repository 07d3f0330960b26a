"""Someone opened Guidepost's App Home: publish their Home tab (not for the Messages tab)."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from bot.slack.context import BotContext
from bot.slack.flows.home import publish_home
from bot.slack.payloads import HomeOpened


def home_opened(event: dict[str, Any], context: BoltContext) -> None:
    opened = HomeOpened.parse(event)
    if opened.tab == "home" and opened.user:
        publish_home(BotContext.of(context), opened.user)
