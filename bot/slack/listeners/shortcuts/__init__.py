"""Shortcuts: the message shortcut "Ask Guidepost about this"."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.ids import ASK_ABOUT_MESSAGE
from bot.slack.listeners.shortcuts.ask_about_message import ask_pressed


def register(app: App) -> None:
    app.shortcut(ASK_ABOUT_MESSAGE)(ask_pressed)
