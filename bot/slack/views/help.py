"""How to ask: the help message (`/guidepost help`, an empty mention or DM) and the text the
App Home shares with it."""

from __future__ import annotations

from typing import Any

from bot.slack.ids import COMMAND
from bot.slack.views.kit import context, escape_mrkdwn, header, section, truncate
from ingest.settings import DEFAULT_HELP_CONTACT


def how_to_ask_text(command: str = COMMAND) -> str:
    """The ways to ask, as mrkdwn (the help message and the App Home share it)."""
    cmd = escape_mrkdwn(command)
    return (
        "I answer questions from your district's guides, lesson templates, choice boards and "
        "reports, and I cite where each answer comes from.\n"
        "• *Mention me* in a channel: `@Guidepost how long is the exit ticket routine?` — "
        "I answer in the thread, and you can reply there without mentioning me again.\n"
        "• *Message me directly* here in Slack.\n"
        f"• *Slash command*: `{cmd} your question` — only you see the answer until you share it.\n"
        "• *On any message*: ⋮ More actions → *Ask Guidepost about this*.\n"
        f"• `{cmd} sources` lists the documents I know; `{cmd} help` shows this message."
    )


def planning_help_text(command: str = COMMAND) -> str:
    cmd = escape_mrkdwn(command)
    return (
        "*Planning notes* — press *📌 Save to planning notes* under an answer to keep it, with its "
        f"sources, in this channel's notes. `{cmd} digest` shows them, `{cmd} digest export` uploads "
        f"them as a Markdown file with every citation, `{cmd} digest clear` starts new notes."
    )


def help_blocks(*, help_contact: str = DEFAULT_HELP_CONTACT, command: str = COMMAND) -> list[dict[str, Any]]:
    """How to ask, shown for `/guidepost help`, an empty mention, or an empty DM."""
    return [
        header("Guidepost — how to ask"),
        section(how_to_ask_text(command)),
        section(planning_help_text(command)),
        context(
            "Vote 👍 or 👎 on answers: votes help us improve. When I don't know, I say so — then ask "
            + truncate(escape_mrkdwn(help_contact), 200)
            + "."
        ),
    ]
