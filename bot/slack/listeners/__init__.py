"""Listeners, one concern per module. `register_listeners` wires them to an `App`, then
acknowledges whatever else Slack sends (an unhandled event is otherwise answered 404 over
HTTP — Slack retries — and never acknowledged in Socket Mode)."""

from __future__ import annotations

import re

from slack_bolt import Ack, App

from bot.slack.listeners import actions, commands, curation, events, planning, shortcuts
from bot.slack.listeners.answering import BotContext

__all__ = ["BotContext", "register_listeners"]

_ANY = re.compile(r".*")


def register_listeners(app: App, ctx: BotContext) -> None:
    events.register(app, ctx)
    commands.register(app, ctx)
    actions.register(app, ctx)
    curation.register(app, ctx)
    planning.register(app, ctx)
    shortcuts.register(app, ctx)
    _acknowledge_the_rest(app)


def _acknowledge_the_rest(app: App) -> None:
    """Registered last: Bolt runs the first listener that matches."""

    @app.event(_ANY)
    def any_event() -> None:
        """Events are acknowledged by Bolt before a listener runs; nothing else to do."""

    @app.action(_ANY)
    def any_action(ack: Ack) -> None:
        ack()

    @app.shortcut(_ANY)
    def any_shortcut(ack: Ack) -> None:
        ack()

    @app.view(_ANY)
    def any_view(ack: Ack) -> None:
        ack()
