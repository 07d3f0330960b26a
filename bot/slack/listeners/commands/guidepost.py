"""`/guidepost`: a small router. `/guidepost <question>` asks; the first word picks a
subcommand when it is one of `SUBCOMMANDS`:

    help                       how to ask                                          → answering
    add [file] [tags]          add a Slack file to the knowledge base (coaches)    → curation
    add https://… [tags]       add a web page (coaches)                            → curation
    refresh [ID]               fetch pages added from a link again (coaches)       → curation
    gaps                       questions the knowledge base could not answer       → gaps
    sources [page]             what is indexed, newest first                       → curation
    remove ID                  remove a document (coaches)                         → curation
    scope [type=… subject=…]   show / set / clear the channel's scope (coaches)    → scope
    digest [export|clear]      the channel's planning notes                        → planning

A subcommand is a flow `(ctx, ack, command, rest) -> None` that acks within 3 seconds (what it
acks with depends on the subcommand).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext

from bot.slack.context import BotContext
from bot.slack.flows.answering import ask_command, show_help
from bot.slack.flows.assistant import prompts_command
from bot.slack.flows.curation import add_command, refresh_command, remove_command, sources_command
from bot.slack.flows.gaps import gaps_command
from bot.slack.flows.planning import digest_command
from bot.slack.flows.scope import scope_command
from bot.slack.payloads import SlashCommand

Subcommand = Callable[[BotContext, Ack, SlashCommand, str], None]

SUBCOMMANDS: dict[str, Subcommand] = {
    "help": show_help,
    "add": add_command,
    "sources": sources_command,
    "remove": remove_command,
    "refresh": refresh_command,
    "gaps": gaps_command,
    "scope": scope_command,
    "digest": digest_command,
    "prompts": prompts_command,
}


def split_subcommand(text: str) -> tuple[str, str]:
    """('help', '') for 'help', ('', 'how long…') for a question."""
    words = text.strip().split(maxsplit=1)
    if words and words[0].lower() in SUBCOMMANDS:
        return words[0].lower(), words[1] if len(words) > 1 else ""
    return "", text.strip()


def guidepost_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    cmd = SlashCommand.parse(command)
    name, rest = split_subcommand(cmd.text)
    SUBCOMMANDS.get(name, ask_command)(BotContext.of(context), ack, cmd, rest)
