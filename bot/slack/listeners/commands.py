"""`/guidepost`: a small router. `/guidepost <question>` asks; the first word picks a
subcommand when it is one of `SUBCOMMANDS`:

    help                       how to ask
    add [file] [tags]          add a Slack file to the knowledge base (coaches)   → curation
    sources [page]             what is indexed, newest first                      → curation
    remove ID                  remove a document (coaches)                        → curation
    scope [type=… subject=…]   show / set / clear the channel's scope (coaches)   → curation
    digest [export|clear]      the channel's planning notes                       → planning

A subcommand is a function `(ctx, ack, command, rest) -> None` that acks within 3 seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from bot.slack import blocks as B
from bot.slack.conversation import clean_text
from bot.slack.listeners.answering import BotContext, PrivateAsk, answer_privately
from bot.slack.listeners.curation import add_command, remove_command, scope_command, sources_command
from bot.slack.listeners.planning import digest_command

COMMAND = "/guidepost"

Subcommand = Callable[[BotContext, Ack, dict[str, Any], str], None]


def show_help(ctx: BotContext, ack: Ack, command: dict[str, Any], rest: str) -> None:
    ack(
        response_type="ephemeral",
        text="How to ask Guidepost",
        blocks=B.help_blocks(help_contact=ctx.help_contact, command=command.get("command") or COMMAND),
    )


SUBCOMMANDS: dict[str, Subcommand] = {
    "help": show_help,
    "add": add_command,
    "sources": sources_command,
    "remove": remove_command,
    "scope": scope_command,
    "digest": digest_command,
}


def split_subcommand(text: str) -> tuple[str, str]:
    """('help', '') for 'help', ('', 'how long…') for a question."""
    words = text.strip().split(maxsplit=1)
    if words and words[0].lower() in SUBCOMMANDS:
        return words[0].lower(), words[1] if len(words) > 1 else ""
    return "", text.strip()


def ask(ctx: BotContext, ack: Ack, command: dict[str, Any], text: str) -> None:
    question = clean_text(text)
    if not question:
        show_help(ctx, ack, command, "")
        return
    ack(response_type="ephemeral", text=B.PLACEHOLDER_TEXT, blocks=B.placeholder_blocks(question))
    answer_privately(
        ctx,
        PrivateAsk(
            question=question,
            user=command.get("user_id"),
            channel=command.get("channel_id"),
            response_url=command["response_url"],
            surface="command",
        ),
    )


def handle_command(ctx: BotContext, ack: Ack, command: dict[str, Any]) -> None:
    name, rest = split_subcommand(command.get("text") or "")
    if name:
        SUBCOMMANDS[name](ctx, ack, command, rest)
    else:
        ask(ctx, ack, command, rest)


def register(app: App, ctx: BotContext) -> None:
    @app.command(COMMAND)
    def on_guidepost(ack: Ack, command: dict[str, Any]) -> None:
        handle_command(ctx, ack, command)
