"""The App Home tab: the knowledge base's status (documents by type, the latest additions, when
it last changed), how to ask, and — for coaches — how to add and manage resources."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.slack.ids import COMMAND
from bot.slack.views.help import how_to_ask_text, planning_help_text
from bot.slack.views.kit import (
    MAX_HOME_BLOCKS,
    context,
    doc_link,
    escape_mrkdwn,
    header,
    section,
    slack_date,
    tags_text,
    truncate,
    type_label,
)
from ingest.domain import TAGGABLE_TYPES
from ingest.stores import IndexStats, SourceInfo

LATEST = 5  # latest additions shown


def home_view(
    *,
    stats: IndexStats | None,
    latest: Sequence[SourceInfo],
    is_coach: bool,
    overdue: Sequence[SourceInfo] = (),
    help_contact: str,
    command: str = COMMAND,
) -> dict[str, Any]:
    """The Home tab. `stats` is `Library.stats()`, or None when the index could not be
    read (the tab still shows how to ask)."""
    cmd = escape_mrkdwn(command)
    contact = truncate(escape_mrkdwn(help_contact), 200)
    blocks: list[dict[str, Any]] = [header("Guidepost")]
    if stats is None:
        status = ":warning: I can't read the knowledge base right now; please look again in a minute."
    elif not stats.documents:
        status = "Nothing is indexed yet: " + ("add the first document (see below)." if is_coach
                                               else f"{contact} can add documents.")  # fmt: skip
    else:
        docs, chunks = stats.documents, stats.chunks
        by_type = stats.by_type
        order = sorted(by_type, key=lambda t: (-by_type[t], t))  # most documents first
        kinds = "\n".join(f"• {escape_mrkdwn(type_label(t)).capitalize()}: {by_type[t]}" for t in order)
        status = (
            f"*{docs}* document{'s' if docs != 1 else ''} ({chunks} passage{'s' if chunks != 1 else ''}), last updated "
            f"{slack_date(stats.last_updated, '{date_short_pretty} at {time}')}.\n{kinds}"
        )
    blocks.append(section("*Knowledge base*\n" + status))
    if stats and stats.documents and latest:
        lines = [
            f"• {doc_link(d.title, d.url)} — {tags_text(d.type, d.grade, d.subject)} · added {slack_date(d.added_at)}"
            for d in latest[:LATEST]
        ]
        blocks.append(section("*Latest additions*\n" + "\n".join(lines)))
    blocks += [{"type": "divider"}, section("*How to ask*\n" + how_to_ask_text(command)),
               section(planning_help_text(command))]  # fmt: skip
    if is_coach and overdue:
        lines = [f"• {doc_link(d.title, d.url)} `{escape_mrkdwn(d.id)}` — review by {escape_mrkdwn(d.review_by or '')}"
                 for d in overdue[:10]]  # fmt: skip
        more = f"\n…and {len(overdue) - 10} more (`{cmd} sources`)." if len(overdue) > 10 else ""
        blocks.append(section(f":warning: *Due for review* — {len(overdue)} document{'s' if len(overdue) != 1 else ''} "
                              "past the review date a coach set:\n" + "\n".join(lines) + more))  # fmt: skip
    if is_coach:
        types = ", ".join(f"`{t}`" for t in TAGGABLE_TYPES)
        blocks += [
            {"type": "divider"},
            section(
                "*For coaches: adding resources*\n"
                "• *Share a file with me here* (Messages tab): PDF, Word, PowerPoint, Markdown, text or HTML. "
                "Put its tags in the same message, e.g. `type: choice board, grade 5, subject math`. I reply "
                "with what I indexed, or why I couldn't; *Edit tags* changes them later.\n"
                f"• Or share it in a channel I'm in and run `{cmd} add` there (the latest file you shared), "
                f"or `{cmd} add <file link> type=lesson_template grade=3-5 subject=ela`.\n"
                f"• Types: {types}. Sharing the same file again changes nothing; an edited file replaces the old one."
            ),
            section(
                "*Managing*\n"
                f"• `{cmd} sources` lists what is indexed, newest first, with each document's id.\n"
                f"• `{cmd} remove ID` removes a document.\n"
                f"• `{cmd} scope type=choice_board,lesson_template subject=math` makes a channel search only "
                f"those documents; `{cmd} scope` shows it, `{cmd} scope clear` lifts it."
            ),
        ]
    else:
        blocks.append(context(f"Want a document added? Send it to {contact}: coaches add resources."))
    blocks.append(context(f"Questions about Guidepost itself? Ask {contact}."))
    return {"type": "home", "blocks": blocks[: MAX_HOME_BLOCKS]}
