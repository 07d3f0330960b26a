"""Slash commands: `/guidepost` (the manifest's only one)."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.ids import COMMAND
from bot.slack.listeners.commands.guidepost import guidepost_command


def register(app: App) -> None:
    app.command(COMMAND)(guidepost_command)
