"""Listeners, grouped by Slack surface as Bolt's samples lay them out: `events/`, `commands/`,
`actions/`, `views/`, `shortcuts/`, one callback per module. A callback parses its typed payload
(`bot.slack.payloads`), acks, and calls a flow (`bot.slack.flows`); it finds the bot's context
in Bolt's (`BotContext.of(context)`).

`register_listeners` wires them to an `App`, then acknowledges whatever else Slack sends (an
unhandled event is otherwise answered 404 over HTTP — Slack retries — and never acknowledged in
Socket Mode)."""

from __future__ import annotations

import re

from slack_bolt import Ack, App

from bot.slack.listeners import actions, assistant, commands, events, shortcuts, views

__all__ = ["register_listeners"]

_ANY = re.compile(r".*")


def register_listeners(app: App) -> None:
    assistant.register(app)  # a middleware: DM threads reach it before the `message` listener
    events.register(app)
    commands.register(app)
    actions.register(app)
    views.register(app)
    shortcuts.register(app)
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
