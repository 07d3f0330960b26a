"""Modal submissions (`view_submission`)."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.ids import TAGS_MODAL
from bot.slack.listeners.views.tags_modal import tags_submitted


def register(app: App) -> None:
    app.view(TAGS_MODAL)(tags_submitted)
