"""Events (Bolt acknowledges them itself before these run)."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners.events.app_home_opened import home_opened
from bot.slack.listeners.events.app_mention import app_mentioned
from bot.slack.listeners.events.message import message_received


def register(app: App) -> None:
    app.event("app_mention")(app_mentioned)
    app.event("message")(message_received)
    app.event("app_home_opened")(home_opened)
    app.event("file_shared")(file_shared)


def file_shared() -> None:
    """Acknowledged only: a file shared in a DM also arrives as a message (with the text that
    carries its tags), and is handled there."""
